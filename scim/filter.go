package scim

import (
	"encoding/json"
	"strings"
	"unicode"
)

// A filter (RFC 7644 §3.4.2.2) as providers send it: comparisons of an
// attribute with a value (eq, ne, co, sw, ew), presence (pr), joined by
// and, or, not and parentheses. Ordering comparisons (gt, ge, lt, le) and
// value paths in filters are not supported: neither Entra ID nor Okta
// sends them, and they are refused as invalidFilter.

// maxFilter bounds a filter's length and nesting.
const (
	maxFilter      = 1000
	maxFilterDepth = 20
)

// Attrs gives a resource's values of an attribute path (lower case, as
// "username", "emails.value"), whether they compare exactly (case-exact),
// and whether the attribute is known.
type Attrs func(path string) (values []string, exact, known bool)

// Filter is a parsed filter.
type Filter interface {
	match(a Attrs) bool
}

type orF struct{ l, r Filter }
type andF struct{ l, r Filter }
type notF struct{ f Filter }
type cmpF struct {
	path, op, value string
	null            bool
}

func (f orF) match(a Attrs) bool  { return f.l.match(a) || f.r.match(a) }
func (f andF) match(a Attrs) bool { return f.l.match(a) && f.r.match(a) }
func (f notF) match(a Attrs) bool { return !f.f.match(a) }

func (f cmpF) match(a Attrs) bool {
	values, exact, _ := a(f.path)
	if f.op == "pr" {
		for _, v := range values {
			if v != "" {
				return true
			}
		}
		return false
	}
	if f.null {
		empty := len(values) == 0 || (len(values) == 1 && values[0] == "")
		return empty == (f.op == "eq")
	}
	want := f.value
	if !exact {
		want = strings.ToLower(want)
	}
	any := false
	for _, v := range values {
		if !exact {
			v = strings.ToLower(v)
		}
		switch f.op {
		case "eq", "ne":
			any = any || v == want
		case "co":
			any = any || strings.Contains(v, want)
		case "sw":
			any = any || strings.HasPrefix(v, want)
		case "ew":
			any = any || strings.HasSuffix(v, want)
		}
	}
	if f.op == "ne" {
		return !any
	}
	return any
}

// Matches reports whether the resource whose attributes a gives passes f;
// a nil filter passes everything.
func Matches(f Filter, a Attrs) bool { return f == nil || f.match(a) }

func errFilter(format string, args ...any) error {
	return typed("invalidFilter", "filter", format, args...)
}

// ParseFilter parses a filter over the attributes known to a (the check
// that every attribute named is known is done here, so that a typing
// mistake is refused rather than matching nothing).
func ParseFilter(s string, a Attrs) (Filter, error) {
	if len(s) > maxFilter {
		return nil, errFilter("The filter is too long.")
	}
	p := &parser{s: s, attrs: a}
	f, err := p.or(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, errFilter("The filter has something after its end, at character %d.", p.i+1)
	}
	return f, nil
}

type parser struct {
	s     string
	i     int
	attrs Attrs
}

func (p *parser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

// word reads a run of attribute-path characters.
func (p *parser) word() string {
	p.space()
	start := p.i
	for p.i < len(p.s) {
		c := rune(p.s[p.i])
		if unicode.IsLetter(c) || unicode.IsDigit(c) || strings.ContainsRune("._:-$", c) {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

// keyword reads the next word if it is kw (any case).
func (p *parser) keyword(kw string) bool {
	save := p.i
	if w := p.word(); strings.EqualFold(w, kw) && w != "" {
		return true
	}
	p.i = save
	return false
}

func (p *parser) or(depth int) (Filter, error) {
	l, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		r, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		l = orF{l, r}
	}
	return l, nil
}

func (p *parser) and(depth int) (Filter, error) {
	l, err := p.factor(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		r, err := p.factor(depth)
		if err != nil {
			return nil, err
		}
		l = andF{l, r}
	}
	return l, nil
}

func (p *parser) factor(depth int) (Filter, error) {
	if depth > maxFilterDepth {
		return nil, errFilter("The filter is nested too deeply.")
	}
	if p.keyword("not") {
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '(' {
			return nil, errFilter("Put what not applies to in parentheses.")
		}
		f, err := p.factor(depth + 1)
		if err != nil {
			return nil, err
		}
		return notF{f}, nil
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		f, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, errFilter("A parenthesis is not closed.")
		}
		p.i++
		return f, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (Filter, error) {
	at := p.i
	path := p.word()
	if path == "" {
		return nil, errFilter("An attribute name was expected at character %d.", at+1)
	}
	key := attrKey(path)
	if _, _, known := p.attrs(key); !known {
		return nil, errFilter("Filtering on %q is not supported.", path)
	}
	op := strings.ToLower(p.word())
	switch op {
	case "pr":
		return cmpF{path: key, op: op}, nil
	case "eq", "ne", "co", "sw", "ew":
	case "gt", "ge", "lt", "le":
		return nil, errFilter("The operator %q is not supported; use eq, ne, co, sw, ew or pr.", op)
	default:
		return nil, errFilter("An operator (eq, ne, co, sw, ew, pr) was expected after %q.", path)
	}
	p.space()
	v, null, err := p.value()
	if err != nil {
		return nil, err
	}
	if null && op != "eq" && op != "ne" {
		return nil, errFilter("null may only be compared with eq or ne.")
	}
	return cmpF{path: key, op: op, value: v, null: null}, nil
}

// value reads a JSON string, true, false, null or a number.
func (p *parser) value() (string, bool, error) {
	if p.i < len(p.s) && p.s[p.i] == '"' {
		dec := json.NewDecoder(strings.NewReader(p.s[p.i:]))
		var v string
		if err := dec.Decode(&v); err != nil {
			return "", false, errFilter("The value at character %d is not a closed string.", p.i+1)
		}
		p.i += int(dec.InputOffset())
		return v, false, nil
	}
	w := p.word()
	switch strings.ToLower(w) {
	case "":
		return "", false, errFilter("A value was expected at character %d.", p.i+1)
	case "null":
		return "", true, nil
	case "true", "false":
		return strings.ToLower(w), false, nil
	}
	for _, c := range w {
		if !unicode.IsDigit(c) && c != '.' && c != '-' {
			return "", false, errFilter("Put the value %q in double quotes.", w)
		}
	}
	return w, false, nil
}

// attrKey is the lower-case attribute path, without the core schema's
// URN (providers may send "urn:…:User:userName").
func attrKey(path string) string {
	k := strings.ToLower(path)
	for _, urn := range []string{SchemaUser, SchemaGroup} {
		if rest, ok := strings.CutPrefix(k, strings.ToLower(urn)+":"); ok {
			return rest
		}
	}
	return k
}
