package web

import (
	"testing"

	"strongroom/search"
)

// TestMarkedHTML checks that a snippet's text is escaped whole, in and out
// of its marks, and that bad spans mark nothing rather than cut text.
func TestMarkedHTML(t *testing.T) {
	for _, c := range []struct {
		text  string
		spans []search.Span
		want  string
	}{
		{`<script>alert("x")</script> quokka & co`, []search.Span{{Start: 28, End: 34}},
			`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; <mark>quokka</mark> &amp; co`},
		{`a <b>quokka</b>`, []search.Span{{Start: 2, End: 5}}, `a <mark>&lt;b&gt;</mark>quokka&lt;/b&gt;`},
		{"quokka quokka", []search.Span{{Start: 7, End: 13}, {Start: 0, End: 6}}, "quokka <mark>quokka</mark>"},
		{"short", []search.Span{{Start: 2, End: 99}, {Start: -1, End: 2}, {Start: 3, End: 3}}, "short"},
		{"é quokka", []search.Span{{Start: 1, End: 3}}, "é quokka"},
	} {
		if got := string(markedHTML(c.text, c.spans)); got != c.want {
			t.Errorf("markedHTML(%q, %v)\n got %s\nwant %s", c.text, c.spans, got, c.want)
		}
	}
}
