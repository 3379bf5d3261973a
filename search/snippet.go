package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// snippetLength is about how many characters of text a hit shows.
const snippetLength = 180

// Span is where a searched word stands in a piece of text: byte offsets,
// Start inclusive, End exclusive, always on character boundaries.
type Span struct{ Start, End int }

// snippet returns a piece of text around the first of words it holds (or
// its start, when it holds none), cut at word boundaries, with "…" where
// it was cut, and where the searched words stand in it. Words are matched
// whole and without regard to case, as the search matched them.
//
// text may itself be a window of a longer body: cutBefore and cutAfter say
// whether the body goes on before and after it. The partial words at a cut
// are dropped, so that no piece of a longer word is taken for one searched.
func snippet(text string, words []string, cutBefore, cutAfter bool) (string, []Span) {
	text = strings.ToValidUTF8(text, " ")
	if cutBefore {
		_, text, _ = strings.Cut(text, " ")
	}
	if cutAfter {
		if i := strings.LastIndexByte(text, ' '); i >= 0 {
			text = text[:i]
		}
	}
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return "", nil
	}
	found := matches(text, words)
	if !cutBefore && !cutAfter && utf8.RuneCountInString(text) <= snippetLength {
		return text, found
	}
	return cut(text, found, cutBefore, cutAfter)
}

// cut takes the piece of text around the first match (or from the start).
func cut(text string, found []Span, cutBefore, cutAfter bool) (string, []Span) {
	at := 0
	if len(found) > 0 {
		at = found[0].Start
	}
	// Start a third of the way before the word, but never so late that
	// the word itself would be cut off at the end.
	start := max(0, at-snippetLength/3)
	start = boundary(text, start, false)
	end := boundary(text, min(len(text), start+snippetLength), true)
	if len(found) > 0 && end < found[0].End && found[0].End-start <= snippetLength+30 {
		end = found[0].End // a long word just past the cut: keep it whole
	}
	out := strings.TrimSpace(text[start:end])
	lead := start + (len(text[start:end]) - len(strings.TrimLeft(text[start:end], " ")))
	prefix := ""
	if start > 0 || cutBefore {
		prefix = "…"
	}
	var marks []Span
	for _, m := range found {
		if m.Start >= lead && m.End <= lead+len(out) {
			marks = append(marks, Span{m.Start - lead + len(prefix), m.End - lead + len(prefix)})
		}
	}
	out = prefix + out
	if end < len(text) || cutAfter {
		out += "…"
	}
	return out, marks
}

// matches returns where each whole word of text that is one of words
// stands, in order.
func matches(text string, words []string) []Span {
	var out []Span
	i := 0
	for i < len(text) {
		r, n := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			i += n
			continue
		}
		j := i
		for j < len(text) {
			r, n := utf8.DecodeRuneInString(text[j:])
			if !isWordRune(r) {
				break
			}
			j += n
		}
		for _, w := range words {
			if strings.EqualFold(text[i:j], w) {
				out = append(out, Span{i, j})
				break
			}
		}
		i = j
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// boundary moves i to a space: forward (to end a piece) or back.
func boundary(text string, i int, forward bool) int {
	if i <= 0 || i >= len(text) {
		return max(0, min(i, len(text)))
	}
	if forward {
		if j := strings.IndexByte(text[i:], ' '); j >= 0 && j < 30 {
			return i + j
		} else if j < 0 && len(text)-i < 30 {
			return len(text) // the text ends within the last word
		}
	} else if j := strings.LastIndexByte(text[:i], ' '); j >= 0 && i-j < 30 {
		return j + 1
	} else if j < 0 && i < 30 {
		return 0 // the text starts within the first word
	}
	// No space near: stay on a character boundary.
	for i > 0 && !utf8.RuneStart(text[i]) {
		i--
	}
	return i
}
