package charts

import (
	"math"
	"strconv"
	"strings"
	"unicode"

	"strongroom/format"
)

// numbers writes values for people through the tenant's formatter: digit
// grouping from Formatter.Number, the decimal sign and the currency's
// symbol and place from Formatter.Money (read once from a probe amount,
// so that a chart writes money exactly where the pages do).
type numbers struct {
	f        *format.Formatter
	currency string
	unit     string
	decimal  string
	// money is the probe amount 1 in the currency, cut around its digits:
	// "$" and "" in en-US, "" and " €" in de-DE; minor its decimals.
	before, after string
	minor         int
}

func newNumbers(f *format.Formatter, currency, unit string) numbers {
	n := numbers{f: f, currency: currency, unit: unit, decimal: "."}
	if probe, err := f.Money("1.5", ""); err == nil {
		n.decimal = between(probe)
	}
	if currency == "" {
		return n
	}
	probe, err := f.Money("1", currency)
	if err != nil {
		// Not a currency the formatter knows: write its code, as a unit.
		n.currency, n.unit = "", strings.TrimSpace(currency+" "+unit)
		return n
	}
	first := strings.IndexFunc(probe, unicode.IsDigit)
	last := strings.LastIndexFunc(probe, unicode.IsDigit)
	n.before, n.after = probe[:first], probe[last+1:]
	if i := strings.Index(probe[first:last+1], n.decimal); i >= 0 {
		n.minor = last - first - i - len(n.decimal) + 1
	}
	return n
}

// between returns the separator between the digit runs of "1.5" written
// by Money: the locale's decimal sign.
func between(s string) string {
	first := strings.IndexFunc(s, unicode.IsDigit)
	rest := s[first+1:]
	end := strings.IndexFunc(rest, unicode.IsDigit)
	if first < 0 || end <= 0 {
		return "."
	}
	return rest[:end]
}

const minus = "\u2212" // a minus sign, not a hyphen

// fixed writes v with d decimals and the locale's grouping. Values too
// large for an int64 are written in scientific notation ("1.2e21").
func (n numbers) fixed(v float64, d int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	neg := v < 0
	a := math.Abs(v)
	if a >= 1e18 {
		return sign(neg) + strconv.FormatFloat(a, 'g', 3, 64)
	}
	// Halves round away from zero, as people round ($1,234.50 is
	// $1,235), not to even as FormatFloat does.
	if k := math.Pow(10, float64(d)); a*k < 1e15 {
		a = math.Floor(a*k+0.5) / k
	}
	s := strconv.FormatFloat(a, 'f', d, 64)
	whole, frac, _ := strings.Cut(s, ".")
	w, _ := strconv.ParseInt(whole, 10, 64)
	out := n.f.Number(w)
	if frac != "" {
		out += n.decimal + frac
	}
	if strings.Trim(whole+frac, "0") == "" {
		neg = false // no "−0"
	}
	return sign(neg) + out
}

func sign(neg bool) string {
	if neg {
		return minus
	}
	return ""
}

// decimals is how many decimals show v to three significant digits at
// least, none for values of a hundred or more.
func decimals(v float64) int {
	a := math.Abs(v)
	switch {
	case a == 0 || a >= 100 || math.IsInf(a, 0) || math.IsNaN(a):
		return 0
	case a >= 10:
		return 1
	}
	return min(2-int(math.Floor(math.Log10(a))), 12)
}

// value writes a figure for reading: money with the currency's symbol
// (whole units from a thousand up, else its minor units), a number to
// three significant digits with its unit.
func (n numbers) value(v float64) string {
	if n.currency != "" {
		d := n.minor
		if math.Abs(v) >= 1000 {
			d = 0
		}
		return n.money(v, d)
	}
	return n.withUnit(trimZeros(n.fixed(v, decimals(v)), n.decimal))
}

// exact writes a figure for the data table: money in its minor units, a
// number with up to six significant digits.
func (n numbers) exact(v float64) string {
	if n.currency != "" {
		return n.money(v, max(n.minor, decimals(v)-1))
	}
	d := decimals(v) + 3
	if math.Abs(v) >= 100 {
		d = max(0, 5-int(math.Floor(math.Log10(math.Abs(v)))))
	}
	return n.withUnit(trimZeros(n.fixed(v, min(d, 15)), n.decimal))
}

func (n numbers) money(v float64, d int) string { return n.moneyScaled(v, d, "") }

// moneyScaled writes money with a scale word after the digits, inside
// the symbol's place: "$4.2 tn", "4,2 tn €".
func (n numbers) moneyScaled(v float64, d int, suffix string) string {
	return n.moneyDigits(n.fixed(v, d), suffix)
}

func (n numbers) moneyDigits(s, suffix string) string {
	neg := strings.HasPrefix(s, minus)
	s = strings.TrimPrefix(s, minus)
	return sign(neg) + n.before + s + suffix + n.after
}

// scale is the word a large value is written with and its divisor: from
// a million up, so that labels stay short enough to read from a distance.
func scale(most float64) (div float64, suffix string) {
	for _, s := range []struct {
		d float64
		s string
	}{{1e12, "\u00a0tn"}, {1e9, "\u00a0bn"}, {1e6, "\u00a0M"}} {
		if most >= s.d && most < 1e18 {
			return s.d, s.s
		}
	}
	return 1, ""
}

// short writes a value beside a bar: as value does, but from a million up
// to three significant digits with a scale word ("$4.2 tn").
func (n numbers) short(v float64) string {
	div, suffix := scale(math.Abs(v))
	if div == 1 {
		return n.value(v)
	}
	x := v / div
	digits := trimZeros(n.fixed(x, max(0, 2-int(math.Floor(math.Log10(math.Abs(x)))))), n.decimal)
	if n.currency != "" {
		return n.moneyDigits(digits, suffix)
	}
	return n.withUnit(digits + suffix)
}

func (n numbers) withUnit(s string) string {
	if n.unit == "" {
		return s
	}
	return s + "\u00a0" + n.unit
}

// trimZeros drops the zeros ending a fraction, and the decimal sign if
// nothing is left of it: ticks read 0.5, 1, 1.5.
func trimZeros(s, dec string) string {
	i := strings.LastIndex(s, dec)
	if i < 0 || strings.ContainsAny(s, "e") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, dec)
}

// ticks writes the labels of a value axis with one number of decimals
// for them all (from the step between them). From a million up they are
// written in millions, billions or trillions ("2.5 M"), so that labels
// stay short enough to read from a distance.
func (n numbers) ticks(values []float64, step float64) []string {
	if n.longUnit() {
		n.unit = "" // said once, above the axis
	}
	most := 0.0
	for _, v := range values {
		most = max(most, math.Abs(v))
	}
	div, suffix := scale(most)
	d := 0
	if st := step / div; st > 0 && st < 1 {
		d = min(int(math.Ceil(-math.Log10(st)-1e-9)), 15)
	}
	out := make([]string, len(values))
	for i, v := range values {
		sfx := suffix
		if v == 0 {
			sfx = "" // "$0", not "$0 M"
		}
		var s string
		if n.currency != "" {
			s = n.moneyScaled(v/div, d, sfx)
		} else {
			s = n.withUnit(n.fixed(v/div, d) + sfx)
		}
		if math.Abs(v) >= 1e18 {
			s = n.withUnit(sign(v < 0) + strconv.FormatFloat(math.Abs(v), 'g', 3, 64))
		}
		out[i] = s
	}
	return out
}

// percent writes a share or change with one decimal and a sign when asked.
func (n numbers) percent(p float64, signed bool) string {
	s := n.fixed(p, 1)
	if signed && !strings.HasPrefix(s, minus) && strings.Trim(s, "0"+n.decimal) != "" {
		s = "+" + s
	}
	return s + "\u00a0%"
}

// longUnit is a unit that is a word ("cases"): ticks leave it out and the
// axis names it once; symbols ("%", "h") stay on every tick.
func (n numbers) longUnit() bool { return len([]rune(n.unit)) > 3 }
