package scim

import (
	"strings"
	"testing"
)

func TestParseFilter(t *testing.T) {
	u := &User{ID: 7, UserName: "Alice@Firm.example", ExternalID: "AbC", DisplayName: "Alice Smith", Email: "a@firm.example", Active: true}
	tests := []struct {
		filter string
		want   bool
	}{
		{`userName eq "alice@firm.example"`, true},
		{`username EQ "ALICE@FIRM.EXAMPLE"`, true},
		{`externalId eq "abc"`, false},
		{`externalId eq "AbC"`, true},
		{`id eq "7"`, true},
		{`userName eq "alice@firm.example" and externalId eq "AbC"`, true},
		{`userName eq "bob" or displayName co "smith"`, true},
		{`userName eq "bob" or (active eq true and emails.value ew "@firm.example")`, true},
		{`not (active eq true)`, false},
		{`active eq false`, false},
		{`externalId pr`, true},
		{`name.givenName pr`, false},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "ALI"`, true},
		{`displayName ne "Alice Smith"`, false},
		{`externalId eq null`, false},
		{`userName eq "say \"hi\""`, false},
	}
	for _, tt := range tests {
		f, err := ParseFilter(tt.filter, userAttrs(nil))
		if err != nil {
			t.Errorf("%s: %v", tt.filter, err)
			continue
		}
		if got := Matches(f, userAttrs(u)); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.filter, got, tt.want)
		}
	}
	for _, bad := range []string{``, `userName`, `userName eq`, `userName eq alice`, `userName gt "a"`, `(userName eq "a"`,
		`userName eq "a" extra`, `password eq "x"`, `userName eq "a" and`, `not userName eq "a"`, `userName eq "unclosed`,
		strings.Repeat("(", 30) + `userName eq "a"` + strings.Repeat(")", 30), `userName pr eq "a"`} {
		if _, err := ParseFilter(bad, userAttrs(nil)); TypeOf(err) != "invalidFilter" {
			t.Errorf("%q: %v, want invalidFilter", bad, err)
		}
	}
}

// FuzzParseFilter: any filter text parses or is refused as invalidFilter,
// never a panic.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`userName eq "a"`, `a eq "b" or (c pr and not (d ne "e"))`, `emails.value co "@"`, `((`, `"`} {
		f.Add(s)
	}
	u := &User{ID: 1, UserName: "a"}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s, userAttrs(nil))
		if err != nil {
			if TypeOf(err) != "invalidFilter" {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		Matches(flt, userAttrs(u))
	})
}

// FuzzPatch: any PATCH body is applied or refused with a SCIM error type,
// never a panic.
func FuzzPatch(f *testing.F) {
	for _, s := range []string{`{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		`{"Operations":[{"op":"add","value":{"name.givenName":"x","emails":[{"value":"a@b"}]}}]}`,
		`{"Operations":[{"op":"remove","path":"members[value eq \"2\"]"}]}`, `[]`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ops, err := decodePatch(body)
		if err != nil {
			if TypeOf(err) == "" {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		u, g := &User{UserName: "a"}, &Group{DisplayName: "g"}
		for _, op := range ops {
			if err := patchUser(u, op); err != nil && TypeOf(err) == "" {
				t.Fatalf("user %q: %v", body, err)
			}
			if err := patchGroup(g, op); err != nil && TypeOf(err) == "" {
				t.Fatalf("group %q: %v", body, err)
			}
		}
	})
}
