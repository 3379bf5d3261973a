package format

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"

	"strongroom"
)

// Money writes an exact decimal amount ("-1234.5", as the cases and
// reports packages write amounts) in a currency, with the locale's
// symbols: "-$1,234.50" in en-US, "-1.234,50 €" in de-DE, "¥1,235" for
// JPY. It shows at least the currency's minor units and every further
// non-zero decimal the amount has: an amount is never rounded, so
// 0.0050 USD is "$0.005" and 1234.5 JPY "¥1,234.5". An empty currency is
// the formatter's default. A malformed amount or unknown currency is an
// error: it is stored data, so it is never shown as something else.
func (f *Formatter) Money(amount, cur string) (string, error) {
	if cur == "" {
		cur = f.currency
	}
	u, err := unit(cur)
	if err != nil {
		return "", err
	}
	neg, whole, frac, ok := parseDecimal(amount)
	if !ok {
		return "", strongroom.Errorf(strongroom.EINTERNAL, "an amount to show is not a decimal")
	}
	minor, _ := currency.Standard.Rounding(u)
	for len(frac) < minor {
		frac += "0"
	}
	frac = frac[:minor] + strings.TrimRight(frac[minor:], "0")
	if neg && strings.Trim(whole+frac, "0") == "" {
		neg = false // no "-0.00"
	}
	digits := f.num.write(false, whole, frac)
	sign := ""
	if neg {
		sign = "-"
	}
	sym := f.printer.Sprint(currency.Symbol(u))
	if symbolAfter(f.tag) {
		return sign + digits + "\u00a0" + sym, nil
	}
	if r, _ := utf8.DecodeLastRuneInString(sym); unicode.IsLetter(r) {
		sym += "\u00a0" // "CHF 12.50", not "CHF12.50"
	}
	return sign + sym + digits, nil
}

// MoneyE4 writes an amount held in ten-thousandths (amount_e4) as Money
// does.
func (f *Formatter) MoneyE4(e4 int64, cur string) (string, error) {
	u := uint64(e4)
	sign := ""
	if e4 < 0 {
		sign, u = "-", -u
	}
	frac := strconv.FormatUint(u%10_000+10_000, 10)[1:]
	return f.Money(sign+strconv.FormatUint(u/10_000, 10)+"."+frac, cur)
}

// parseDecimal reads an optional minus sign, digits and an optional point
// with digits. Leading zeros of the whole part are dropped (one is kept).
func parseDecimal(s string) (neg bool, whole, frac string, ok bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	whole, frac, point := strings.Cut(s, ".")
	if whole == "" || (point && frac == "") || !ascii(whole) || !ascii(frac) {
		return false, "", "", false
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	return neg, whole, frac, true
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func unit(code string) (currency.Unit, error) {
	u, err := currency.ParseISO(code)
	if err != nil || len(code) != 3 || strings.ToUpper(code) != code {
		return currency.Unit{}, strongroom.FieldError("currency", "Use an ISO 4217 currency code in capitals, such as EUR or USD.")
	}
	return u, nil
}

// Where the symbol stands is not in golang.org/x/text; CLDR puts it after
// the amount, with a space, in these languages ("1.234,50 €") and before
// it elsewhere ("$1,234.50", "£1,234.50"). Swiss German writes it first.
var (
	afterLanguages = map[string]bool{
		"bg": true, "cs": true, "da": true, "de": true, "el": true, "es": true, "et": true, "fi": true,
		"fr": true, "hr": true, "hu": true, "it": true, "lt": true, "lv": true, "nb": true, "nn": true,
		"no": true, "pl": true, "pt-PT": true, "ro": true, "ru": true, "sk": true, "sl": true, "sr": true,
		"sv": true, "uk": true,
	}
	beforeRegions = map[string]bool{"CH": true, "LI": true}
)

func symbolAfter(tag language.Tag) bool {
	base, _ := tag.Base()
	region, _ := tag.Region()
	if beforeRegions[region.String()] {
		return false
	}
	if base.String() == "pt" {
		return region.String() == "PT"
	}
	return afterLanguages[base.String()]
}
