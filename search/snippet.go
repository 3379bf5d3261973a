package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// snippetLength is about how many characters of text a hit shows.
const snippetLength = 180

// snippet returns a piece of text around the first of words it holds (or
// its start), cut at word boundaries, with "…" where it was cut. Words
// are matched whole and without regard to case.
func snippet(text string, words []string) string {
	text = strings.Join(strings.Fields(strings.ToValidUTF8(text, " ")), " ")
	if utf8.RuneCountInString(text) <= snippetLength {
		return text
	}
	at := firstWord(text, words)
	start := max(0, at-snippetLength/3)
	start = boundary(text, start, false)
	end := boundary(text, min(len(text), start+snippetLength), true)
	out := strings.TrimSpace(text[start:end])
	if start > 0 {
		out = "…" + out
	}
	if end < len(text) {
		out += "…"
	}
	return out
}

// firstWord returns the byte offset of the first whole word of text that
// is one of words, or 0.
func firstWord(text string, words []string) int {
	lower := strings.ToLower(text)
	if len(lower) != len(text) {
		return 0 // case mapping changed the length: offsets would not agree
	}
	i := 0
	for i < len(lower) {
		r, n := utf8.DecodeRuneInString(lower[i:])
		if !isWordRune(r) {
			i += n
			continue
		}
		j := i
		for j < len(lower) {
			r, n := utf8.DecodeRuneInString(lower[j:])
			if !isWordRune(r) {
				break
			}
			j += n
		}
		for _, w := range words {
			if lower[i:j] == w {
				return i
			}
		}
		i = j
	}
	return 0
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
		}
	} else if j := strings.LastIndexByte(text[:i], ' '); j >= 0 && i-j < 30 {
		return j + 1
	}
	// No space near: stay on a character boundary.
	for i > 0 && !utf8.RuneStart(text[i]) {
		i--
	}
	return i
}
