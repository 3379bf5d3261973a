package format

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"strongroom"
)

// symbols are a locale's decimal separator and digit grouping, read once
// from golang.org/x/text by formatting a probe number: the probe is not
// money, so a float is harmless there. x/text groups four-digit numbers
// in every locale ("1.234" in es-ES, where CLDR writes "1234"), and so
// does this package.
type symbols struct {
	decimal   string
	group     string
	primary   int // digits in the group next to the separator (3)
	secondary int // digits in each further group (3; 2 for en-IN)
}

func probeSymbols(p *message.Printer) (symbols, error) {
	runs, seps := split(p.Sprint(number.Decimal(1234567.5, number.MinFractionDigits(1))))
	if len(runs) < 3 || runs[len(runs)-1] != "5" {
		return symbols{}, strongroom.FieldError("locale", "Numbers in this language cannot be shown.")
	}
	s := symbols{decimal: seps[len(seps)-1], primary: 7, secondary: 7}
	if len(seps) > 1 {
		s.group = seps[0]
		ints := runs[:len(runs)-1]
		s.primary = utf8.RuneCountInString(ints[len(ints)-1])
		s.secondary = s.primary
		if len(ints) > 2 {
			s.secondary = utf8.RuneCountInString(ints[len(ints)-2])
		}
	}
	return s, nil
}

// split cuts a formatted number into its digit runs and the separators
// between them.
func split(s string) (runs, seps []string) {
	var cur strings.Builder
	digit := true
	for _, r := range s {
		if unicode.IsDigit(r) != digit {
			if digit {
				runs = append(runs, cur.String())
			} else {
				seps = append(seps, cur.String())
			}
			cur.Reset()
			digit = !digit
		}
		cur.WriteRune(r)
	}
	if digit {
		runs = append(runs, cur.String())
	}
	return runs, seps
}

// groupDigits inserts the locale's group separator into a run of ASCII
// integer digits.
func (s symbols) groupDigits(whole string) string {
	if s.group == "" || len(whole) <= s.primary {
		return whole
	}
	head, tail := whole[:len(whole)-s.primary], whole[len(whole)-s.primary:]
	var parts []string
	for len(head) > s.secondary {
		parts = append([]string{head[len(head)-s.secondary:]}, parts...)
		head = head[:len(head)-s.secondary]
	}
	parts = append([]string{head}, parts...)
	return strings.Join(append(parts, tail), s.group)
}

// decimal writes a decimal of whole and fraction digits in the locale.
func (s symbols) write(neg bool, whole, frac string) string {
	out := s.groupDigits(whole)
	if frac != "" {
		out += s.decimal + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// Number writes an integer with the locale's grouping: 18612915 is
// "18,612,915" in en-US and "18.612.915" in de-DE.
func (f *Formatter) Number(n int64) string {
	digits := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		digits = digits[1:]
	}
	return f.num.write(neg, digits, "")
}
