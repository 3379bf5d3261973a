package reports

import (
	"math/big"
	"strings"

	"strongroom"
)

// Amounts are stored exactly, as ten-thousandths of the currency unit in
// an integer (financial_records.amount_e4). Reports sum them in SQL as
// integers and show them as decimal strings; no float ever holds money.

// Money is an exact sum in one currency.
type Money struct {
	Currency string
	e4       *big.Int
}

// parseE4 reads an integer sum as the database returns it: an integer on
// SQLite, a numeric (as text) on PostgreSQL, where sums of bigint may pass
// 64 bits.
func parseE4(s string) (*big.Int, error) {
	n, ok := new(big.Int).SetString(strings.TrimSpace(s), 10)
	if !ok {
		return nil, strongroom.Errorf(strongroom.EINTERNAL, "a stored amount total is not an integer")
	}
	return n, nil
}

// E4 returns the amount in ten-thousandths (a copy).
func (m Money) E4() *big.Int {
	if m.e4 == nil {
		return new(big.Int)
	}
	return new(big.Int).Set(m.e4)
}

// String is the amount as a decimal with two to four decimals:
// 12345000 → "1234.50", 12345670 → "1234.567", -5 → "-0.0005".
func (m Money) String() string { return FormatE4(m.E4()) }

// FormatE4 formats ten-thousandths as a decimal string with two to four
// decimals.
func FormatE4(e4 *big.Int) string {
	neg := e4.Sign() < 0
	digits := new(big.Int).Abs(e4).String()
	for len(digits) < 5 {
		digits = "0" + digits
	}
	whole, frac := digits[:len(digits)-4], digits[len(digits)-4:]
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	out := whole + "." + frac
	if neg {
		out = "-" + out
	}
	return out
}

// add adds e4 to m.
func (m *Money) add(e4 *big.Int) {
	if m.e4 == nil {
		m.e4 = new(big.Int)
	}
	m.e4.Add(m.e4, e4)
}
