package audit

import (
	"context"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"strongroom/store/storetest"
)

// FuzzVerifyProofBundle feeds arbitrary bundles to the offline verifier,
// which reads outside input: it must never panic, and must accept nothing
// but the genuine bundle.
func FuzzVerifyProofBundle(f *testing.F) {
	fx := newFixture(f, storetest.NewSQLite(f), "fuzz")
	fx.appendBatch(f, 300)
	good, err := fx.log.Proof(context.Background(), 257)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"tree_size":1,"leaf_index":5,"proof":[]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if VerifyProofBundle(b, fx.log.vkey) == nil && !sameBundle(b, good) {
			t.Fatalf("accepted a bundle that is not the genuine one: %s", b)
		}
	})
}

// sameBundle reports whether b carries the same proof as good, whatever
// its JSON spelling.
func sameBundle(b, good []byte) bool {
	var x, y ProofBundle
	if json.Unmarshal(b, &x) != nil || json.Unmarshal(good, &y) != nil {
		return false
	}
	x.VerifierKey, y.VerifierKey = "", "" // informational, not checked
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// FuzzAppendString checks that the hand-written JSON string encoder that
// headers use always produces JSON that reads back as the input, on one line.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "nl\n cr\r tab\t nul\x00", "\u2028\u2029", "<&>", "bad\xff utf8", "é漢字🙂"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q encodes to invalid JSON %s: %v", s, out, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("%q reads back as %q", s, back)
		}
		for _, c := range out {
			if c < 0x20 {
				t.Fatalf("%q encodes with a raw control character: %q", s, out)
			}
		}
	})
}
