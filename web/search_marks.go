package web

import (
	"html/template"
	"strings"
	"unicode/utf8"

	"strongroom/search"
)

// markedHTML writes text as HTML with the spans marked (<mark>). Every
// piece of text is escaped here, marked or not: the text is a record's
// own and may hold anything, markup included. Spans out of order, out of
// range or off a character boundary are left unmarked.
func markedHTML(text string, spans []search.Span) template.HTML {
	var b strings.Builder
	at := 0
	for _, s := range spans {
		if s.Start < at || s.End > len(text) || s.Start >= s.End || !utf8.RuneStart(text[s.Start]) ||
			(s.End < len(text) && !utf8.RuneStart(text[s.End])) {
			continue
		}
		b.WriteString(template.HTMLEscapeString(text[at:s.Start]))
		b.WriteString("<mark>")
		b.WriteString(template.HTMLEscapeString(text[s.Start:s.End]))
		b.WriteString("</mark>")
		at = s.End
	}
	b.WriteString(template.HTMLEscapeString(text[at:]))
	return template.HTML(b.String()) // built above from escaped text and our own tags only
}
