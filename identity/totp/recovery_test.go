package totp

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
)

var codeFormat = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$`)

func TestNewRecoveryCodes(t *testing.T) {
	codes, hashes, err := NewRecoveryCodes()
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("%d codes, %d hashes, want 10", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if !codeFormat.MatchString(c) {
			t.Errorf("code %d has the wrong format", i)
		}
		if strings.ContainsAny(c, "ilou") {
			t.Errorf("code %d holds an ambiguous letter", i)
		}
		if seen[c] {
			t.Errorf("code %d repeats", i)
		}
		seen[c] = true
		sum := sha256.Sum256([]byte(strings.ReplaceAll(c, "-", "")))
		if hashes[i] != hex.EncodeToString(sum[:]) || hashes[i] != HashRecoveryCode(c) {
			t.Errorf("hash %d is not the SHA-256 of the normalised code", i)
		}
		if strings.Contains(hashes[i], strings.ReplaceAll(c, "-", "")) {
			t.Errorf("hash %d holds the code", i)
		}
	}
}

func TestHashRecoveryCode(t *testing.T) {
	const code = "k7qm-2x9d-h4tp"
	want := HashRecoveryCode(code)
	for _, typed := range []string{
		"k7qm2x9dh4tp", "K7QM-2X9D-H4TP", "k7qm 2x9d h4tp", " k7qm-2x9d-h4tp\n", "K7Qm2x9D-h4tP",
	} {
		if got := HashRecoveryCode(typed); got != want {
			t.Errorf("%q hashes differently from %q", typed, code)
		}
	}
	if HashRecoveryCode("k7qm-2x9d-h4tq") == want {
		t.Error("a different code hashes the same")
	}
	// Letters left out of the alphabet read as the digits they look like.
	if HashRecoveryCode("1o01-abcd-efgh") != HashRecoveryCode("iO0L-ABCD-EFGH") {
		t.Error("ambiguous letters are not read as digits")
	}
}

// TestRecoveryEntropy is a sanity check, not a randomness test: many codes,
// no repeats, every symbol used, none much over- or under-used.
func TestRecoveryEntropy(t *testing.T) {
	const rounds = 200 // 2,000 codes, 24,000 symbols: 750 expected per symbol
	counts := map[rune]int{}
	seen := map[string]bool{}
	for range rounds {
		codes, _, err := NewRecoveryCodes()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range codes {
			if seen[c] {
				t.Fatal("a code repeats across sets")
			}
			seen[c] = true
			for _, r := range strings.ReplaceAll(c, "-", "") {
				counts[r]++
			}
		}
	}
	if len(counts) != 32 {
		t.Errorf("%d symbols used, want 32", len(counts))
	}
	for r, n := range counts {
		if n < 500 || n > 1000 {
			t.Errorf("symbol %q used %d times, want about 750", r, n)
		}
	}
}
