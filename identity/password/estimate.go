package password

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"

	"strongroom"
)

// The zxcvbn scores a password needs. Scores run 0 to 4; 3 means the
// estimator puts the password at 10^8 guesses or more, 4 at 10^10 or more.
// A password that is the only factor must reach 4: argon2id makes each
// offline guess expensive, but a stolen hash can still be worked on for
// months, and 10^10 guesses is zxcvbn's mark for a password that stands
// that. With a second factor the password alone opens nothing, and zxcvbn
// rates no 8-character password above 10^8 guesses (score 2), so asking
// for more would refuse every password the shorter minimum length allows;
// 2 (10^6 guesses) still refuses what is guessed in the first few tries.
const (
	minScore          = 4
	minScoreTwoFactor = 2
)

// maxEstimateBytes bounds what the estimator looks at. zxcvbn looks up
// every substring of the password's bytes in its word lists, so its cost
// grows with the square of the length: a 256-emoji password takes seconds.
// Only the first bytes are rated; a beginning is never rated harder to
// guess than the whole, so the cut can refuse a long password for a
// guessable start but does not let a guessable one through.
const maxEstimateBytes = 100

// checkGuessable refuses a password the estimator rates as easily guessed.
// related are words an attacker who knows the account tries first: the
// user's names and the tenant's names. pw is NFKC-normalised and valid
// UTF-8.
func checkGuessable(pw string, twoFactor bool, related []string) error {
	r := zxcvbn.PasswordStrength(cut(pw, maxEstimateBytes), inputs(related))
	// zxcvbn counts in bytes and for some scripts (Chinese, for one) it
	// comes back with no estimate at all; that is not a verdict, and the
	// length rule and the list still apply.
	if r.Guesses <= 0 || math.IsNaN(r.Guesses) {
		return nil
	}
	need := minScore
	if twoFactor {
		need = minScoreTwoFactor
	}
	if r.Score >= need {
		return nil
	}
	return strongroom.FieldError("password", "This password is easy to guess: %s. Add more unrelated words.", reason(r.Sequence))
}

// reason says in words what made a password guessable, from the patterns
// zxcvbn found, most telling first. It never quotes the password.
func reason(seq []*match.Match) string {
	has := func(ok func(m *match.Match) bool) bool {
		for _, m := range seq {
			if ok(m) {
				return true
			}
		}
		return false
	}
	pattern := func(p string) func(m *match.Match) bool {
		return func(m *match.Match) bool { return m.Pattern == p }
	}
	switch {
	case has(func(m *match.Match) bool { return m.DictionaryName == "user_inputs" }):
		return "it uses your name or your organisation's name"
	case has(pattern("repeat")):
		return "it repeats characters or words"
	case has(pattern("spatial")):
		return "it follows a row of keys on the keyboard"
	case has(pattern("sequence")):
		return "it holds a run such as abc or 1234"
	case has(pattern("date")), has(pattern("regex")):
		return "it holds a date or a year"
	case has(pattern("dictionary")):
		return "it is made of common passwords or words"
	}
	return "it is short for the characters it uses"
}

// inputs turns the related words into zxcvbn's user inputs: each one folded
// as a whole, its words one by one, and its words run together, so that
// "Marguerite Dubois" also catches "margueritedubois" and "dubois".
func inputs(related []string) []string {
	var out []string
	for _, s := range related {
		s = fold(strings.TrimSpace(s))
		if s == "" {
			continue
		}
		words := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		out = append(out, s, strings.Join(words, ""))
		for _, w := range words {
			if len(w) >= minUserName {
				out = append(out, w)
			}
		}
	}
	return out
}

// cut returns at most n bytes of s, ending on a whole character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
