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
	s, marks := snippet(long, []string{"quokka"}, false, false)
	if !strings.Contains(s, "quokka keeper") || !strings.HasPrefix(s, "…") || !strings.HasSuffix(s, "…") || utf8.RuneCountInString(s) > snippetLength+40 {
		t.Fatalf("snippet = %q", s)
	}
	if len(marks) != 1 || s[marks[0].Start:marks[0].End] != "quokka" {
		t.Fatalf("marks %v in %q", marks, s)
	}
	if s, _ := snippet("short text", []string{"x"}, false, false); s != "short text" {
		t.Fatalf("short: %q", s)
	}
	if s, _ := snippet(strings.Repeat("x", 1000), []string{"y"}, false, false); !utf8.ValidString(s) || len(s) > 400 {
		t.Fatalf("no spaces: %q", s)
	}
	s, marks = snippet("quokkas are not a Quokka", []string{"quokka"}, false, false)
	if s != "quokkas are not a Quokka" || len(marks) != 1 || s[marks[0].Start:] != "Quokka" {
		t.Fatalf("whole words, any case: %q %v", s, marks)
	}
	// A window of a longer body: the partial words at its cuts are dropped
	// and the cuts shown.
	s, marks = snippet("kka is here: the quokka and a quo", []string{"quokka", "kka", "quo"}, true, true)
	if s != "…is here: the quokka and a…" || len(marks) != 1 || s[marks[0].Start:marks[0].End] != "quokka" {
		t.Fatalf("window: %q %v", s, marks)
	}
	// A cut inside the first or last word moves to the text's start or end.
	first := "Settlement " + strings.Repeat("lorem ipsum ", 4) + "dolor quokka " + strings.Repeat("dolor sit ", 30)
	if s, _ := snippet(first, []string{"quokka"}, false, false); !strings.HasPrefix(s, "Settlement") {
		t.Fatalf("cut inside the first word: %q", s)
	}
	// A word far into the text is in the snippet, whatever stands before.
	s, marks = snippet(strings.Repeat("ǅǅǅ ", 400)+"İstanbul quokka", []string{"quokka"}, false, false)
	if !strings.HasSuffix(s, "quokka") || len(marks) != 1 || s[marks[0].Start:marks[0].End] != "quokka" {
		t.Fatalf("far: %q %v", s, marks)
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
		s, marks := snippet(text, []string{word}, false, false)
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > snippetLength+40 {
			t.Fatalf("snippet(%q) = %q", text, s)
		}
		for _, m := range marks {
			if m.Start < 0 || m.End > len(s) || m.Start >= m.End || !strings.EqualFold(s[m.Start:m.End], word) {
				t.Fatalf("snippet(%q) = %q, mark %v", text, s, m)
			}
		}
	})
}
