// Package password checks and hashes passwords, following NIST SP 800-63B-4:
// a length rule and a blocklist instead of composition rules, NFKC
// normalisation, a strength estimate (zxcvbn) that knows the account's
// names, and argon2id hashes in PHC string format. Hashing is
// bounded by a semaphore so that a flood of sign-ins cannot exhaust memory.
//
// Nothing in this package puts a password or a hash in an error.
package password

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"strongroom"
)

// Length rules, in Unicode code points after NFKC normalisation.
const (
	MinLength          = 15  // a password that is the only factor
	MinLengthTwoFactor = 8   // a password used with a second factor
	MaxLength          = 256 // long enough for any passphrase
	minUserName        = 3   // shorter user names are not looked for in the password
)

// maxBytes bounds the input looked at before normalising, so a huge request
// body costs nothing. It allows 16 bytes for each code point: no composition
// that NFKC makes takes more than that many bytes to one code point.
const maxBytes = 16 * MaxLength

// Check tells whether pw may be chosen as a password by the user named
// username. twoFactor is true when the user's tenant requires a second factor
// for them, which lowers the minimum length to MinLengthTwoFactor. The rules:
// MinLength (or MinLengthTwoFactor) to MaxLength code points after NFKC
// normalisation; any printable Unicode and spaces, but no control characters;
// not on the common-password list; not equal to or containing the user name
// (when it has at least 3 characters); not rated as easily guessed by the
// estimator, which is given the user name and the related words (the
// user's display name, the tenant's slug and display name) as the first
// guesses an attacker makes. Comparisons ignore case and are made after
// NFKC normalisation. A refusal is an EINVALID error for the field
// "password" whose message can be shown to the user.
func Check(pw, username string, twoFactor bool, related ...string) error {
	if len(pw) > maxBytes {
		return tooLong()
	}
	if !utf8.ValidString(pw) {
		return strongroom.FieldError("password", "Password contains characters that cannot be read; type it again.")
	}
	pw = norm.NFKC.String(pw)
	if strings.IndexFunc(pw, isControl) >= 0 {
		return strongroom.FieldError("password", "Password must not contain control characters such as tabs or line breaks.")
	}
	minLen := MinLength
	if twoFactor {
		minLen = MinLengthTwoFactor
	}
	switch n := utf8.RuneCountInString(pw); {
	case n < minLen:
		return strongroom.FieldError("password", "Password must be at least %d characters long.", minLen)
	case n > MaxLength:
		return tooLong()
	}
	folded := fold(pw)
	common, err := isCommon(folded)
	if err != nil {
		return err
	} else if common {
		return strongroom.FieldError("password", "This password is too common and easy to guess; choose another.")
	}
	if u := fold(strings.TrimSpace(username)); utf8.RuneCountInString(u) >= minUserName && strings.Contains(folded, u) {
		return strongroom.FieldError("password", "Password must not contain your user name.")
	}
	return checkGuessable(pw, twoFactor, append([]string{username}, related...))
}

func tooLong() error {
	return strongroom.FieldError("password", "Password must be at most %d characters long.", MaxLength)
}

// isControl reports the characters a password may not hold: C0 and C1
// controls (tab, line feed, DEL, …) and the line and paragraph separators.
// Format characters such as the zero-width joiner stay allowed: emoji need
// them.
func isControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// fold is how passwords and user names are compared: NFKC, then lower case.
// genlist.go folds the common-password list the same way.
func fold(s string) string {
	return strings.ToLower(norm.NFKC.String(s))
}
