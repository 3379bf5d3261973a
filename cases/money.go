package cases

import (
	"slices"
	"strconv"
	"strings"

	"strongroom"
)

// Amounts are exact: an integer count of ten-thousandths of the currency
// unit (amount_e4). They are read from and written as decimal strings,
// never through a float.
const (
	// AmountScale is the number of decimal places an amount may have.
	AmountScale = 4
	// MaxAmount is the largest magnitude of an amount, in whole units.
	MaxAmount   = 100_000_000_000
	maxAmountE4 = MaxAmount * 10_000
)

// ParseAmount reads a decimal amount ("1234.50", "-17", "0.0001") into
// ten-thousandths. It accepts an optional sign, digits, and at most four
// decimals after a point; it refuses exponents, NaN and infinities,
// thousands separators, more decimals, and magnitudes above MaxAmount, with
// an EINVALID error naming field "amount" that does not echo the input.
func ParseAmount(s string) (int64, error) {
	bad := func(format string, args ...any) (int64, error) {
		return 0, strongroom.FieldError("amount", format, args...)
	}
	if s == "" {
		return bad("An amount is required, such as 1234.50.")
	}
	if len(s) > 40 {
		return bad("This amount is too long.")
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && frac == "") || !digits(whole) || !digits(frac) {
		return bad("Write the amount as digits with an optional sign and decimal point, such as 1234.50 (no exponents or separators).")
	}
	if len(frac) > AmountScale {
		return bad("An amount may have at most %d decimal places.", AmountScale)
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > len(strconv.Itoa(MaxAmount)) {
		return bad("An amount may be at most %d in magnitude.", MaxAmount)
	}
	var v int64
	for _, r := range whole + frac + strings.Repeat("0", AmountScale-len(frac)) {
		v = v*10 + int64(r-'0')
	}
	if v > maxAmountE4 {
		return bad("An amount may be at most %d in magnitude.", MaxAmount)
	}
	if neg {
		v = -v
	}
	return v, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatAmount writes ten-thousandths as a decimal string with at least
// two decimals: 12345000 is "1234.50", 12345678 "1234.5678".
func FormatAmount(e4 int64) string {
	sign := ""
	u := uint64(e4)
	if e4 < 0 {
		sign, u = "-", uint64(-e4)
	}
	frac := strconv.FormatUint(u%10_000+10_000, 10)[1:] // four digits
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return sign + strconv.FormatUint(u/10_000, 10) + "." + frac
}

// currencies are the ISO 4217 codes accepted: the currencies in common use.
var currencies = []string{
	"AED", "ARS", "AUD", "BGN", "BRL", "CAD", "CHF", "CLP", "CNY", "COP", "CZK", "DKK", "EGP", "EUR",
	"GBP", "HKD", "HUF", "IDR", "ILS", "INR", "ISK", "JPY", "KRW", "KWD", "MXN", "MYR", "NGN", "NOK",
	"NZD", "PEN", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "SAR", "SEK", "SGD", "THB", "TRY", "TWD",
	"UAH", "USD", "VND", "ZAR",
}

// Currencies lists the accepted currency codes, sorted.
func Currencies() []string { return slices.Clone(currencies) }

// CheckCurrency validates a currency code: three upper-case letters that
// name a currency in common use.
func CheckCurrency(code string) error {
	if len(code) != 3 || strings.ToUpper(code) != code || !slices.Contains(currencies, code) {
		return strongroom.FieldError("currency", "Use an ISO 4217 currency code in capitals, such as EUR or USD.")
	}
	return nil
}
