package cases_test

import (
	"regexp"
	"strings"
	"testing"

	"strongroom/cases"
)

func TestRenderMarkdown(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // fragments the HTML must hold
		not      []string // fragments it must not
	}{
		{"emphasis", "Some **bold** and _it_", []string{"<strong>bold</strong>", "<em>it</em>"}, nil},
		{"inline html is text", "a <script>alert(1)</script> b", []string{"&lt;script&gt;"}, []string{"<script"}},
		{"html block is text", "<div onclick=\"x()\">hi</div>\n\npara", []string{"&lt;div onclick=&quot;x()&quot;&gt;", "<p>para</p>"}, []string{"<div"}},
		{"http link", "[site](https://example.com/a?b=c)", []string{`<a href="https://example.com/a?b=c" rel="nofollow noopener noreferrer">site</a>`}, nil},
		{"mailto link", "[mail](mailto:a@example.com)", []string{`href="mailto:a@example.com"`}, nil},
		{"javascript link", "[x](javascript:alert(1))", []string{"x"}, []string{"<a", "javascript"}},
		{"mixed case scheme", "[x](JaVaScRiPt:alert(1))", nil, []string{"<a", "alert"}},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD4=)", nil, []string{"<a", "data:"}},
		{"relative link", "[x](/t/other/admin)", []string{"x"}, []string{"<a"}},
		{"vbscript autolink", "<vbscript:msgbox>", nil, []string{"<a"}},
		{"image dropped", "![secret pixel](https://tracker.example/p.gif)", []string{"secret pixel"}, []string{"<img", "tracker"}},
		{"autolink", "see https://example.com", []string{`<a href="https://example.com" rel="nofollow noopener noreferrer">https://example.com</a>`}, nil},
		{"email autolink", "<jane@example.com>", []string{`href="mailto:jane@example.com"`}, nil},
		{"attribute injection", "[x](https://e.com/\"onmouseover=\"alert(1))", nil, []string{`"onmouseover`}},
		{"headings below the page's", "# One\n### Three\n###### Six", []string{"<h4>One</h4>", "<h6>Three</h6>", "<h6>Six</h6>"}, []string{"<h1", "<h3"}},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := cases.RenderMarkdown(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("%q lacks %q", out, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(out, n) {
					t.Errorf("%q holds %q", out, n)
				}
			}
		})
	}
}

// FuzzRenderMarkdown checks that no input yields active HTML: user text
// is escaped, so every "<" in the output opens a tag the renderer made;
// none may be a script, style, image or frame, carry an event handler, or
// link anywhere but http, https and mailto.
func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{"**b**", "<script>x</script>", "[a](javascript:x)", "<img src=x onerror=y>", "![i](http://x)",
		"<a href=\"javascript:x\">y</a>", "[a](http://x \"t onclick=y\")"} {
		f.Add(s)
	}
	quoted := regexp.MustCompile(`"[^"]*"`)
	handler := regexp.MustCompile(`\son[a-z]*\s*=`)
	href := regexp.MustCompile(`href="([^"]*)"`)
	f.Fuzz(func(t *testing.T, s string) {
		out, err := cases.RenderMarkdown(s)
		if err != nil {
			return
		}
		for _, tag := range strings.Split(out, "<")[1:] {
			tag, _, _ = strings.Cut(tag, ">")
			name := strings.ToLower(strings.Fields(tag + " ")[0])
			switch strings.TrimPrefix(name, "/") {
			case "script", "style", "img", "iframe", "object", "embed", "svg", "math", "form", "input", "link", "meta", "base":
				if !(name == "input" && strings.Contains(tag, `type="checkbox"`) && strings.Contains(tag, "disabled")) {
					t.Fatalf("element <%s> in %q from %q", tag, out, s)
				}
			}
			if handler.MatchString(strings.ToLower(quoted.ReplaceAllString(tag, `""`))) {
				t.Fatalf("event handler in <%s> from %q", tag, s)
			}
			for _, m := range href.FindAllStringSubmatch(tag, -1) {
				u := strings.ToLower(m[1])
				if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "mailto:") {
					t.Fatalf("link to %q in %q from %q", m[1], out, s)
				}
			}
		}
	})
}
