package integrations

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const pathDoc = `{"results": [{"id": "1", "properties": {"amount": "10.5", "deal.name": "A"}},
	{"id": "2", "properties": {"amount": null}}, {"id": "3"}],
	"paging": {"next": {"link": "https://x/next"}}, "n": 4, "top": [[1, 2], [3]]}`

func TestPathSelect(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(pathDoc), &doc); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want []any
	}{
		{"paging.next.link", []any{"https://x/next"}},
		{"results[0].id", []any{"1"}},
		{"results[*].id", []any{"1", "2", "3"}},
		{"results[*].properties.amount", []any{"10.5", nil}},
		{`results[0].properties.deal\.name`, []any{"A"}},
		{"results[9].id", nil},
		{"n", []any{4.0}},
		{"n.x", nil},
		{"n[0]", nil},
		{"top[*][*]", []any{1.0, 2.0, 3.0}},
		{"top[1][0]", []any{3.0}},
		{"missing", nil},
	} {
		p, err := ParsePath(tc.path)
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		if got := p.Select(doc, 0); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %#v, want %#v", tc.path, got, tc.want)
		}
	}
	var arr any
	json.Unmarshal([]byte(`[{"id": 1}, {"id": 2}]`), &arr)
	if p, _ := ParsePath("[*].id"); !reflect.DeepEqual(p.Select(arr, 0), []any{1.0, 2.0}) {
		t.Errorf("top-level array: %v", p.Select(arr, 0))
	}
	if p, _ := ParsePath("[*].id"); len(p.Select(arr, 1)) != 1 {
		t.Error("the limit is not kept")
	}
}

func TestPathRefused(t *testing.T) {
	for _, s := range []string{"", ".a", "a.", "a..b", "a[", "a]", "a[x]", "a[-1]", "a[1]b", "a.[0]", `a\b`, `a\`,
		"a[1234567890]", strings.Repeat("a.", 40) + "a"} {
		if _, err := ParsePath(s); err == nil {
			t.Errorf("%q was accepted", s)
		}
	}
}

// canonical writes the steps back in the language, escaping keys.
func canonical(p Path) string {
	var b strings.Builder
	for i, st := range p.steps {
		switch st.index {
		case keyStep:
			if i > 0 {
				b.WriteByte('.')
			}
			for _, c := range []byte(st.key) {
				if strings.IndexByte(`.[]\`, c) >= 0 {
					b.WriteByte('\\')
				}
				b.WriteByte(c)
			}
		case allStep:
			b.WriteString("[*]")
		default:
			b.WriteString("[" + strconv.Itoa(st.index) + "]")
		}
	}
	return b.String()
}

// FuzzParsePath: no input panics; an accepted path written back in
// canonical form parses to the same steps; selecting never panics.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"a.b", "results[*].properties.amount", `x\.y[0]`, "[*][1]", "a[", "..", `\\`} {
		f.Add(s)
	}
	var doc any
	json.Unmarshal([]byte(pathDoc), &doc)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		if len(p.steps) == 0 || len(p.steps) > maxPathSteps {
			t.Fatalf("%q: %d steps", s, len(p.steps))
		}
		q, err := ParsePath(canonical(p))
		if err != nil {
			t.Fatalf("%q: canonical %q refused: %v", s, canonical(p), err)
		}
		if !reflect.DeepEqual(p.steps, q.steps) {
			t.Fatalf("%q: %v, canonical %q gives %v", s, p.steps, canonical(p), q.steps)
		}
		p.Select(doc, 100)
	})
}
