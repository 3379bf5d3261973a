package search

import (
	"strongroom/cases"
	"strongroom/store"
)

// bodyWindow is how many characters of a body a hit reads: a window that
// starts shortly before the first place the longest searched word occurs
// (as a piece of any word, which is never after its first whole
// occurrence), so that a snippet holds the words searched however far into
// a long document they are.
const (
	bodyWindow = 6000
	bodyLead   = 500
)

// window is the piece of a hit's body read: its first character's place
// (from 1) and the body's length, in characters.
type window struct {
	text          string
	start, length int
}

// bodyColumns writes the columns of a hit's body window: its start, its
// text and the whole body's length.
func (p *plan) bodyColumns(b *sqlBuf) {
	longest := ""
	for _, w := range p.words {
		if len(w) > len(longest) {
			longest = w
		}
	}
	find := `max(1, instr(lower(si.body), ?) - ?)`
	if p.dialect == store.Postgres {
		find = `greatest(1, strpos(lower(si.body), ?) - ?)`
	}
	b.add(find+`, substr(si.body, `+find+`, ?), length(si.body)`, longest, bodyLead, longest, bodyLead, bodyWindow)
}

// present fills in a hit read: its type, snippet, the marks of the words
// found and its case when the user may see it.
func (p *plan) present(hit *Hit, typ string, body window, caseVisible bool, c CaseRef) {
	hit.Type = cases.RecordType(typ)
	cutAfter := body.start-1+len([]rune(body.text)) < body.length
	hit.Snippet, hit.SnippetMarks = snippet(body.text, p.words, body.start > 1, cutAfter)
	hit.TitleMarks = matches(hit.Title, p.words)
	if caseVisible {
		hit.Case = &c
	}
}
