package kiosk

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// TokenPrefix marks kiosk tokens, so that secret scanners and people can
// recognise a leaked one (API tokens are "srt_").
const TokenPrefix = "srk_"

// tokenLen is the length of a token: the prefix and 32 bytes (256 bits)
// of crypto/rand, URL-safe base64 without padding.
var tokenLen = len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(32)

// newToken returns a fresh token and the public id made beside it.
func newToken() (token, publicID string) {
	var b [32]byte
	rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	var p [4]byte
	rand.Read(p[:])
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), hex.EncodeToString(p[:])
}

// hashToken is how a token is stored: it carries 256 bits of randomness,
// so a plain SHA-256 makes a stolen database useless for viewing screens.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// wellFormed reports whether s has a token's shape. A malformed token is
// still answered as an unknown one (and costs the sender as much): its
// shape is checked only to spare the database the lookup.
func wellFormed(s string) bool {
	if len(s) != tokenLen || !strings.HasPrefix(s, TokenPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s[len(TokenPrefix):])
	return err == nil
}

// sameHash compares two stored hashes in constant time. The lookup by hash
// already found the row; this check keeps the decision itself free of
// early exits, whatever the database's comparison does.
func sameHash(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
