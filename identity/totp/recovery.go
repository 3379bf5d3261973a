package totp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
)

// Recovery codes are 12 characters of Crockford's base32 alphabet (digits
// and lower-case letters without i, l, o and u), 60 random bits each,
// written in three groups of four for reading aloud: "k7qm-2x9d-h4tp".
const (
	RecoveryCodeCount = 10
	recoveryAlphabet  = "0123456789abcdefghjkmnpqrstvwxyz"
	recoveryLen       = 12
	recoveryGroup     = 4
)

// NewRecoveryCodes returns ten new distinct recovery codes, to show the
// user once, and their hashes (HashRecoveryCode), to store.
func NewRecoveryCodes() (codes []string, hashes []string, err error) {
	seen := make(map[string]bool, RecoveryCodeCount)
	for len(codes) < RecoveryCodeCount {
		c, err := newRecoveryCode()
		if err != nil {
			return nil, nil, err
		}
		if seen[c] {
			continue
		}
		seen[c] = true
		codes = append(codes, c)
		hashes = append(hashes, HashRecoveryCode(c))
	}
	return codes, hashes, nil
}

func newRecoveryCode() (string, error) {
	var raw [recoveryLen]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("recovery code: %w", err)
	}
	var b strings.Builder
	for i, r := range raw {
		if i > 0 && i%recoveryGroup == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(recoveryAlphabet[r%32]) // 256 is a multiple of 32: uniform
	}
	return b.String(), nil
}

// HashRecoveryCode returns the SHA-256, in hex, of code normalised as the
// user may have typed it: lower case, without hyphens or spaces, and with
// the letters Crockford's alphabet leaves out read as what they look like
// (o as 0, i and l as 1). A code as NewRecoveryCodes made it hashes to the
// SHA-256 of its lower-case characters without hyphens.
func HashRecoveryCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		switch {
		case r == '-' || unicode.IsSpace(r):
			continue
		case r == 'o':
			r = '0'
		case r == 'i' || r == 'l':
			r = '1'
		}
		b.WriteRune(r)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}
