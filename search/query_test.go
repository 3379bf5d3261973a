package search

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"strongroom"
)

func TestTerms(t *testing.T) {
	for in, want := range map[string][]string{
		"Smith deposition":        {"smith", "deposition"},
		`"NEAR(smith*"`:           {"near", "smith"},
		"smith smith SMITH":       {"smith"},
		"MDL-2741 (local)":        {"mdl", "2741", "local"},
		"Müller & Söhne":          {"müller", "söhne"},
		"a\x00b":                  {"a", "b"},
		"  o'neil  ":              {"o", "neil"},
		strings.Repeat("é", 200):  {strings.Repeat("é", 200)},
		"quokka\u200bkeeper\t\n ": {"quokka", "keeper"},
	} {
		got, err := terms(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("terms(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	var many []string // more different words than a search may hold
	for i := range maxTerms + 1 {
		many = append(many, fmt.Sprintf("w%d", i))
	}
	for _, in := range []string{"", "   ", `"*"`, "()", "-", strings.Repeat("a", 201), strings.Repeat("é", 201), strings.Join(many, " ")} {
		if _, err := terms(in); strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != "q" {
			t.Errorf("terms(%.30q): %v, want invalid q", in, err)
		}
	}
}

func TestFTSQuery(t *testing.T) {
	if got := ftsQuery([]string{"near", `a"b`}); got != `"near" "a""b"` {
		t.Fatalf("ftsQuery = %s", got)
	}
}

func TestCursor(t *testing.T) {
	c := cursor{rank: 7.0821114673164445, row: 2897, typ: "contact", id: 311, before: 40012, valid: true}
	got, err := decodeCursor(c.encode())
	if err != nil || got != c {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, bad := range []string{"x", "MXwxfDJ8bm9wZXwz", strings.Repeat("A", 300)} {
		if _, err := decodeCursor(bad); strongroom.ErrorField(err) != "cursor" {
			t.Errorf("decodeCursor(%q): %v", bad, err)
		}
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("lorem ipsum dolor ", 30) + "the quokka keeper arrived " + strings.Repeat("sit amet ", 30)
	s := snippet(long, []string{"quokka"})
	if !strings.Contains(s, "quokka keeper") || !strings.HasPrefix(s, "…") || !strings.HasSuffix(s, "…") || utf8.RuneCountInString(s) > snippetLength+40 {
		t.Fatalf("snippet = %q", s)
	}
	if s := snippet("short text", []string{"x"}); s != "short text" {
		t.Fatalf("short: %q", s)
	}
	if s := snippet(strings.Repeat("x", 1000), []string{"y"}); !utf8.ValidString(s) || len(s) > 400 {
		t.Fatalf("no spaces: %q", s)
	}
	if s := snippet("quokkas are not a quokka", []string{"quokka"}); s != "quokkas are not a quokka" {
		t.Fatalf("whole words: %q", s)
	}
}

// FuzzTerms: any text either gives words made only of letters and digits,
// or is refused as invalid input naming "q".
func FuzzTerms(f *testing.F) {
	for _, s := range []string{"smith", `"NEAR(`, "*", "-x", "a\x00", "\xff", strings.Repeat("é", 199)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := terms(s)
		if err != nil {
			if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != "q" {
				t.Fatalf("terms(%q): %v", s, err)
			}
			return
		}
		for _, w := range words {
			if w == "" || strings.ContainsAny(w, "\"'*()-:^{} \x00") || !utf8.ValidString(w) {
				t.Fatalf("terms(%q) gave %q", s, w)
			}
		}
	})
}

// FuzzSnippet: a snippet is valid UTF-8 and bounded, whatever the text.
func FuzzSnippet(f *testing.F) {
	f.Add(strings.Repeat("a ", 300), "a")
	f.Add("İstanbul İSTANBUL "+strings.Repeat("ǅ", 300), "istanbul")
	f.Fuzz(func(t *testing.T, text, word string) {
		s := snippet(text, []string{word})
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > snippetLength+40 {
			t.Fatalf("snippet(%q) = %q", text, s)
		}
	})
}
