package charts

import (
	"html/template"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// writer builds markup. Every text and attribute value goes through clean
// and escape, so no label can end an element or open one: the output is
// well-formed XML (and HTML) whatever the data.
type writer struct{ b strings.Builder }

// open writes a start tag with attributes given as name, value pairs; an
// empty value leaves the attribute out.
func (w *writer) open(name string, attrs ...string) {
	w.tag(name, attrs)
	w.b.WriteString(">")
}

// leaf writes an empty element.
func (w *writer) leaf(name string, attrs ...string) {
	w.tag(name, attrs)
	w.b.WriteString("/>")
}

func (w *writer) tag(name string, attrs []string) {
	w.b.WriteString("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] == "" {
			continue
		}
		w.b.WriteString(" " + attrs[i] + `="` + escape(attrs[i+1]) + `"`)
	}
}

func (w *writer) close(name string) { w.b.WriteString("</" + name + ">") }

// text writes escaped character data.
func (w *writer) text(s string) { w.b.WriteString(escape(s)) }

// el writes an element holding only text.
func (w *writer) el(name, content string, attrs ...string) {
	w.open(name, attrs...)
	w.text(content)
	w.close(name)
}

func (w *writer) html() template.HTML { return template.HTML(w.b.String()) }

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

// escape makes s safe as XML/HTML text or a quoted attribute value.
func escape(s string) string { return escaper.Replace(clean(s)) }

// clean drops what XML 1.0 cannot carry at all: invalid UTF-8 and the
// control characters but tab, LF and CR (and U+FFFE, U+FFFF).
func clean(s string) string {
	ok := true
	for _, r := range s {
		if !xmlChar(r) {
			ok = false
			break
		}
	}
	if ok && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if xmlChar(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func xmlChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20:
		return false
	case r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
		return false
	}
	return r <= 0x10FFFF
}

// num writes a length: a tenth of a unit is finer than any screen shows.
func num(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "0"
	}
	x = math.Round(x*10) / 10
	if x == 0 {
		return "0" // never "-0"
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

func itoa(n int) string { return strconv.Itoa(n) }

func scaleDash(d string, k float64) string {
	parts := strings.Fields(d)
	for i, p := range parts {
		f, _ := strconv.ParseFloat(p, 64)
		parts[i] = num(f * k)
	}
	return strings.Join(parts, " ")
}

// Truncate cuts s to at most n characters, ending in "…" when cut, so a
// label fits its place; the full text goes in a <title> beside it.
func Truncate(s string, n int) string {
	s = oneLine(s)
	if n < 1 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// textWidth estimates the drawn width of s at a font size: the average
// advance of a sans-serif face is a little over half an em. Only used to
// keep text inside the drawing, so it errs on the wide side.
func textWidth(s string, size float64) float64 {
	return float64(utf8.RuneCountInString(s)) * size * 0.58
}

// label writes a text element whose content may have been cut: the full
// text is then its <title>, which browsers show on hover and screen
// readers read.
func (w *writer) label(full string, chars int, attrs ...string) {
	short := Truncate(full, chars)
	w.open("text", attrs...)
	if short != oneLine(full) {
		w.el("title", full)
	}
	w.text(short)
	w.close("text")
}

// svgOpen starts a widget's root element with its accessible name and
// summary.
func (w *writer) svgOpen(o Options, kind string, width, height float64, label, desc string) {
	w.open("svg", "xmlns", "http://www.w3.org/2000/svg", "viewBox", "0 0 "+num(width)+" "+num(height),
		"width", "100%", "class", "chart-widget "+kind+" "+o.sizeClass(), "role", "img", "aria-label", label,
		"font-family", "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif")
	w.el("title", label)
	if desc != "" {
		w.el("desc", desc)
	}
}

// oneLine collapses runs of ASCII white space (not the no-break spaces
// that hold a number to its unit) into single spaces.
func oneLine(s string) string {
	f := strings.FieldsFunc(clean(s), func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	return strings.Join(f, " ")
}
