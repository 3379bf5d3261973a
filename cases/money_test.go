package cases_test

import (
	"strings"
	"testing"

	"strongroom"
	"strongroom/cases"
)

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		out  string
	}{
		{"0", 0, "0.00"},
		{"1234.50", 12345000, "1234.50"},
		{"1234.5", 12345000, "1234.50"},
		{"-17", -170000, "-17.00"},
		{"+17.25", 172500, "17.25"},
		{"0.0001", 1, "0.0001"},
		{"-0.0001", -1, "-0.0001"},
		{"-0", 0, "0.00"},
		{"007.10", 71000, "7.10"},
		{"100000000000", 1_000_000_000_000_000, "100000000000.00"},
		{"-100000000000.0000", -1_000_000_000_000_000, "-100000000000.00"},
		{"99999999999.9999", 999_999_999_999_999, "99999999999.9999"},
	} {
		got, err := cases.ParseAmount(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			continue
		}
		if s := cases.FormatAmount(got); s != tc.out {
			t.Errorf("FormatAmount(%d) = %q, want %q", got, s, tc.out)
		}
	}
	for _, in := range []string{
		"", " ", "1 ", " 1", "-", "+", ".", "1.", ".5", "1.23456", "1e3", "1E3", "1.5e-3", "NaN", "nan", "Inf", "-Infinity",
		"0x10", "1,000", "1_000", "1.000.0", "--1", "+-1", "100000000000.0001", "100000000001", "-100000000000.01",
		"999999999999999999999999", "１２", "1\x00", strings.Repeat("9", 41), "12.3a",
	} {
		_, err := cases.ParseAmount(in)
		if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != "amount" {
			t.Errorf("ParseAmount(%q): %v, want an amount error", in, err)
		} else if len(in) >= 4 && strings.Contains(strongroom.ErrorMessage(err), in) {
			t.Errorf("ParseAmount(%q): the message echoes the input", in)
		}
	}
}

// FuzzParseAmount checks that every amount accepted is within bounds and
// survives FormatAmount and ParseAmount unchanged.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0", "1234.50", "-0.0001", "100000000000", "1e3", "NaN", "1.23456", "+.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := cases.ParseAmount(s)
		if err != nil {
			if strongroom.ErrorField(err) != "amount" {
				t.Fatalf("error without the field: %v", err)
			}
			return
		}
		if v > cases.MaxAmount*10_000 || v < -cases.MaxAmount*10_000 {
			t.Fatalf("%q parsed out of bounds: %d", s, v)
		}
		back, err := cases.ParseAmount(cases.FormatAmount(v))
		if err != nil || back != v {
			t.Fatalf("%q → %d → %q → %d, %v", s, v, cases.FormatAmount(v), back, err)
		}
	})
}

func TestCheckCurrency(t *testing.T) {
	for _, ok := range []string{"EUR", "USD", "GBP", "CHF", "JPY"} {
		if err := cases.CheckCurrency(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "eur", "EURO", "EU", "XXX", "E1R", "€"} {
		if err := cases.CheckCurrency(bad); strongroom.ErrorField(err) != "currency" {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
