package access_test

import (
	"testing"

	"strongroom"
	"strongroom/access"
)

func FuzzParseArea(f *testing.F) {
	for _, s := range []string{"cases", "financial", "Cases", "", "financial records", "audit\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := access.ParseArea(s)
		if err != nil {
			if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != "area" || a != "" {
				t.Fatalf("ParseArea(%q) = %q, %v", s, a, err)
			}
			return
		}
		if !a.Valid() || string(a) != s {
			t.Fatalf("ParseArea(%q) = %q, not a known area", s, a)
		}
	})
}

func FuzzParseGrant(f *testing.F) {
	for _, s := range []string{"deny", "read", "edit", "none", "", "EDIT", "write"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := access.ParseGrant(s)
		if err != nil {
			if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != "grant" || g != "" {
				t.Fatalf("ParseGrant(%q) = %q, %v", s, g, err)
			}
			return
		}
		if g == access.NoGrant {
			if s != "" && s != "none" {
				t.Fatalf("ParseGrant(%q) = no grant", s)
			}
			return
		}
		if !g.Valid() || string(g) != s {
			t.Fatalf("ParseGrant(%q) = %q", s, g)
		}
	})
}
