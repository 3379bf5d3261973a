package integrations

import (
	"fmt"
	"strconv"
	"strings"
)

// A Path picks values out of a decoded JSON document (the any that
// encoding/json gives: map[string]any, []any, string, float64, bool, nil).
//
// The language, kept small on purpose:
//
//	results               the member "results" of the top-level object
//	paging.next.link      members of members, one dot between keys
//	results[0]            the first element of the array "results"
//	results[*].amount     "amount" of every element of "results"
//	[*].id                every element of a top-level array
//	properties.deal\.name a key holding a dot: escape it (also \[ \] \\)
//
// A key is any text but an unescaped '.', '[' or ']'. An index is a
// non-negative decimal number. [*] fans out over an array, so a path may
// give many values; a member, index or fan-out that finds nothing of the
// right kind gives none (no error: an absent optional field is normal).
type Path struct {
	steps []step
	text  string
}

// step is one key, one index or one fan-out.
type step struct {
	key   string
	index int // -1: a key step; -2: [*]
}

const (
	keyStep = -1
	allStep = -2
	// maxPathSteps bounds a path, so a hostile one cannot cost much.
	maxPathSteps = 32
)

// ParsePath reads a path; the empty string is an error (callers treat an
// empty optional path as "not set" before parsing).
func ParsePath(s string) (Path, error) {
	if s == "" {
		return Path{}, fmt.Errorf("the path is empty")
	}
	p := Path{text: s}
	var key strings.Builder
	haveKey := false
	escaped := false // the byte before i was escaped
	flush := func() {
		if haveKey {
			p.steps = append(p.steps, step{key: key.String(), index: keyStep})
		}
		key.Reset()
		haveKey = false
	}
	for i := 0; i < len(s); i++ {
		afterDot := i > 0 && s[i-1] == '.' && !escaped
		escaped = false
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) || !strings.ContainsRune(`.[]\`, rune(s[i+1])) {
				return Path{}, fmt.Errorf("position %d: a backslash escapes only '.', '[', ']' or '\\'", i+1)
			}
			i++
			escaped = true
			key.WriteByte(s[i])
			haveKey = true
		case '.':
			if !haveKey && (i == 0 || s[i-1] != ']') {
				return Path{}, fmt.Errorf("position %d: a key is missing before '.'", i+1)
			}
			if i+1 == len(s) {
				return Path{}, fmt.Errorf("the path ends with '.'")
			}
			flush()
		case '[':
			if afterDot {
				return Path{}, fmt.Errorf("position %d: '[' cannot follow '.'", i+1)
			}
			flush()
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return Path{}, fmt.Errorf("position %d: '[' is not closed", i+1)
			}
			inner := s[i+1 : i+end]
			st, err := bracket(inner)
			if err != nil {
				return Path{}, fmt.Errorf("position %d: %w", i+1, err)
			}
			p.steps = append(p.steps, st)
			i += end
			if i+1 < len(s) && s[i+1] != '.' && s[i+1] != '[' {
				return Path{}, fmt.Errorf("position %d: '.' or '[' must follow ']'", i+2)
			}
		case ']':
			return Path{}, fmt.Errorf("position %d: ']' without '['", i+1)
		default:
			key.WriteByte(c)
			haveKey = true
		}
		if len(p.steps) > maxPathSteps {
			return Path{}, fmt.Errorf("the path has more than %d steps", maxPathSteps)
		}
	}
	flush()
	if len(p.steps) > maxPathSteps {
		return Path{}, fmt.Errorf("the path has more than %d steps", maxPathSteps)
	}
	return p, nil
}

// bracket reads what stands between '[' and ']'.
func bracket(inner string) (step, error) {
	if inner == "*" {
		return step{index: allStep}, nil
	}
	if inner == "" || len(inner) > 9 || strings.TrimLeft(inner, "0123456789") != "" {
		return step{}, fmt.Errorf("an index is a number or '*', not %q", inner)
	}
	n, _ := strconv.Atoi(inner) // at most nine digits: fits
	return step{index: n}, nil
}

// String returns the path as written.
func (p Path) String() string { return p.text }

// Select returns every value the path reaches in doc, in document order.
// limit bounds how many are returned (a fan-out over fan-outs could
// otherwise multiply); 0 means no bound.
func (p Path) Select(doc any, limit int) []any {
	cur := []any{doc}
	for _, st := range p.steps {
		var next []any
		for _, v := range cur {
			next = st.apply(v, next)
			if limit > 0 && len(next) > limit {
				next = next[:limit]
				break
			}
		}
		cur = next
		if len(cur) == 0 {
			return nil
		}
	}
	return cur
}

// First returns the first value the path reaches, and whether there is one.
func (p Path) First(doc any) (any, bool) {
	vs := p.Select(doc, 1)
	if len(vs) == 0 {
		return nil, false
	}
	return vs[0], true
}

func (st step) apply(v any, out []any) []any {
	switch st.index {
	case keyStep:
		if m, ok := v.(map[string]any); ok {
			if x, ok := m[st.key]; ok {
				out = append(out, x)
			}
		}
	case allStep:
		if a, ok := v.([]any); ok {
			out = append(out, a...)
		}
	default:
		if a, ok := v.([]any); ok && st.index < len(a) {
			out = append(out, a[st.index])
		}
	}
	return out
}
