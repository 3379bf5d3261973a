package format

import (
	"strings"
	"testing"
	"time"

	"strongroom"
)

const nbsp = "\u00a0"

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		locale, amount, currency, want string
	}{
		{"en-US", "1234.50", "USD", "$1,234.50"},
		{"en-US", "-1234.5", "USD", "-$1,234.50"},
		{"en-US", "0", "USD", "$0.00"},
		{"en-US", "-0.00", "USD", "$0.00"},
		{"en-US", "18612915.40", "USD", "$18,612,915.40"},
		{"en-US", "100000000000.00", "USD", "$100,000,000,000.00"},
		{"en-US", "999999999999999999999.99", "USD", "$999,999,999,999,999,999,999.99"}, // beyond int64 and float64
		{"en-US", "0.0050", "USD", "$0.005"},                                            // never rounded away
		{"en-US", "12.3456", "USD", "$12.3456"},
		{"en-US", "1234", "JPY", "¥1,234"},
		{"en-US", "-1234", "JPY", "-¥1,234"},
		{"en-US", "1234.00", "JPY", "¥1,234"},
		{"en-US", "1234.5", "JPY", "¥1,234.5"},
		{"en-US", "1.5", "BHD", "BHD" + nbsp + "1.500"},
		{"de-DE", "1234.50", "EUR", "1.234,50" + nbsp + "€"},
		{"de-DE", "-1234.5", "EUR", "-1.234,50" + nbsp + "€"},
		{"de-DE", "18612915.40", "EUR", "18.612.915,40" + nbsp + "€"},
		{"de-DE", "1234", "JPY", "1.234" + nbsp + "¥"},
		{"en-GB", "-1234.5", "GBP", "-£1,234.50"},
		{"en-GB", "1234.5", "USD", "US$1,234.50"},
		{"de-CH", "-1234.5", "CHF", "-CHF" + nbsp + "1’234.50"},
		{"en-IN", "1234567.5", "INR", "₹12,34,567.50"},
		{"es-ES", "1234.5", "EUR", "1.234,50" + nbsp + "€"},
		{"es-ES", "12345.5", "EUR", "12.345,50" + nbsp + "€"},
	} {
		got, err := Must(tc.locale, "UTC", "USD").Money(tc.amount, tc.currency)
		if err != nil || got != tc.want {
			t.Errorf("%s Money(%q, %s) = %q, %v; want %q", tc.locale, tc.amount, tc.currency, got, err, tc.want)
		}
	}
}

func TestMoneyE4AndDefaultCurrency(t *testing.T) {
	f := Must("en-US", "UTC", "EUR")
	for _, tc := range []struct {
		e4   int64
		want string
	}{
		{12345000, "€1,234.50"}, {-12345000, "-€1,234.50"}, {0, "€0.00"}, {5, "€0.0005"},
		{-9223372036854775808, "-€922,337,203,685,477.5808"},
	} {
		if got, err := f.MoneyE4(tc.e4, ""); err != nil || got != tc.want {
			t.Errorf("MoneyE4(%d) = %q, %v; want %q", tc.e4, got, err, tc.want)
		}
	}
}

func TestMoneyRefusesBadInput(t *testing.T) {
	f := Default
	for _, in := range [][2]string{{"1e3", "USD"}, {"1,234.50", "USD"}, {"NaN", "USD"}, {"12.", "USD"}, {"--1", "USD"}, {"1", "usd"}, {"1", "XYZ"}, {"1", "DOLLARS"}} {
		if got, err := f.Money(in[0], in[1]); err == nil {
			t.Errorf("Money(%q, %q) = %q, want an error", in[0], in[1], got)
		}
	}
}

func TestNumber(t *testing.T) {
	for _, tc := range []struct {
		locale string
		n      int64
		want   string
	}{
		{"en-US", 18612915, "18,612,915"}, {"en-US", -1234, "-1,234"}, {"en-US", 999, "999"}, {"en-US", 0, "0"},
		{"de-DE", 18612915, "18.612.915"}, {"en-IN", 1234567, "12,34,567"},
	} {
		if got := Must(tc.locale, "UTC", "USD").Number(tc.n); got != tc.want {
			t.Errorf("%s Number(%d) = %q, want %q", tc.locale, tc.n, got, tc.want)
		}
	}
}

func TestDateTimeAcrossSummerTime(t *testing.T) {
	for _, tc := range []struct {
		zone string
		utc  string
		want string
		day  string
	}{
		// New York moves to summer time at 02:00 local on 2026-03-08.
		{"America/New_York", "2026-03-08T06:30:00Z", "8 Mar 2026, 01:30 EST", "8 Mar 2026"},
		{"America/New_York", "2026-03-08T07:30:00Z", "8 Mar 2026, 03:30 EDT", "8 Mar 2026"},
		{"America/New_York", "2026-11-01T05:30:00Z", "1 Nov 2026, 01:30 EDT", "1 Nov 2026"}, // the first 01:30 of the day
		{"America/New_York", "2026-11-01T06:30:00Z", "1 Nov 2026, 01:30 EST", "1 Nov 2026"}, // and the second
		// London moves at 01:00 UTC on 2026-03-29 and back on 2026-10-25.
		{"Europe/London", "2026-03-29T00:30:00Z", "29 Mar 2026, 00:30 GMT", "29 Mar 2026"},
		{"Europe/London", "2026-03-29T01:30:00Z", "29 Mar 2026, 02:30 BST", "29 Mar 2026"},
		{"Europe/London", "2026-10-25T00:30:00Z", "25 Oct 2026, 01:30 BST", "25 Oct 2026"},
		{"Europe/London", "2026-10-25T01:30:00Z", "25 Oct 2026, 01:30 GMT", "25 Oct 2026"},
		// Berlin, the same night: the change moves the day too, late in the evening.
		{"Europe/Berlin", "2026-03-12T13:05:00Z", "12 Mar 2026, 14:05 CET", "12 Mar 2026"},
		{"Europe/Berlin", "2026-10-24T22:30:00Z", "25 Oct 2026, 00:30 CEST", "25 Oct 2026"},
		{"UTC", "2026-10-25T01:30:00Z", "25 Oct 2026, 01:30 UTC", "25 Oct 2026"},
	} {
		at, err := time.Parse(time.RFC3339, tc.utc)
		if err != nil {
			t.Fatal(err)
		}
		f := Must("en-GB", tc.zone, "GBP")
		if got := f.DateTime(at); got != tc.want {
			t.Errorf("%s DateTime(%s) = %q, want %q", tc.zone, tc.utc, got, tc.want)
		}
		if got := f.Date(at); got != tc.day {
			t.Errorf("%s Date(%s) = %q, want %q", tc.zone, tc.utc, got, tc.day)
		}
	}
}

func TestDatesPerLocale(t *testing.T) {
	at := time.Date(2026, 3, 12, 13, 5, 0, 0, time.UTC)
	for _, tc := range []struct{ locale, zone, date, datetime string }{
		{"en-GB", "Europe/London", "12 Mar 2026", "12 Mar 2026, 13:05 GMT"},
		{"en-US", "America/New_York", "Mar 12, 2026", "Mar 12, 2026, 9:05 AM EDT"},
		{"de-DE", "Europe/Berlin", "12.03.2026", "12.03.2026, 14:05 CET"},
		{"fr-FR", "Europe/Paris", "12 mars 2026", "12 mars 2026, 14:05 CET"},
		{"nl-NL", "Europe/Amsterdam", "12 mrt 2026", "12 mrt 2026, 14:05 CET"},
		{"fi-FI", "Europe/Helsinki", "12.3.2026", "12.3.2026, 15.05 EET"},
		{"ja-JP", "Asia/Tokyo", "2026/03/12", "2026/03/12, 22:05 JST"},
		{"en-IN", "Asia/Kolkata", "12 Mar 2026", "12 Mar 2026, 18:35 IST"},
	} {
		f := Must(tc.locale, tc.zone, "EUR")
		if got := f.Date(at); got != tc.date {
			t.Errorf("%s Date = %q, want %q", tc.locale, got, tc.date)
		}
		if got := f.DateTime(at); got != tc.datetime {
			t.Errorf("%s DateTime = %q, want %q", tc.locale, got, tc.datetime)
		}
		if got, err := f.Day("2026-03-12"); err != nil || got != tc.date {
			t.Errorf("%s Day = %q, %v; want %q", tc.locale, got, err, tc.date)
		}
	}
	for _, l := range Locales() {
		if _, err := New(l.Code, "UTC", "EUR"); err != nil || !KnownLocale(l.Code) {
			t.Errorf("offered locale %s: %v", l.Code, err)
		}
	}
}

func TestDateIsTheDayInTheZone(t *testing.T) {
	at := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC) // still 31 December in New York
	f := Must("en-US", "America/New_York", "USD")
	if got := f.Date(at); got != "Dec 31, 2025" {
		t.Errorf("Date = %q, want Dec 31, 2025", got)
	}
	if got := f.Today(at); got != "2025-12-31" {
		t.Errorf("Today = %q, want 2025-12-31", got)
	}
	if got, err := Default.Day("2026-02-28"); err != nil || got != "Feb 28, 2026" {
		t.Errorf("Day = %q, %v", got, err)
	}
	if _, err := Default.Day("2026-02-30"); err == nil {
		t.Error("Day accepted 2026-02-30")
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	for _, tc := range []struct{ locale, zone, currency, field string }{
		{"not a locale", "UTC", "USD", "locale"},
		{"", "UTC", "USD", "locale"},
		{"en-US", "Mars/Olympus_Mons", "USD", "zone"},
		{"en-US", "", "USD", "zone"},
		{"en-US", "Local", "USD", "zone"},
		{"en-US", "../../etc/passwd", "USD", "zone"},
		{"en-US", "UTC", "XXQ", "currency"},
		{"en-US", "UTC", "", "currency"},
	} {
		_, err := New(tc.locale, tc.zone, tc.currency)
		if err == nil {
			t.Errorf("New(%q, %q, %q) accepted", tc.locale, tc.zone, tc.currency)
			continue
		}
		e, ok := err.(*strongroom.Error)
		if !ok || e.Code != strongroom.EINVALID || e.Field != tc.field || strings.Contains(e.Message, tc.zone+tc.locale) {
			t.Errorf("New(%q, %q, %q) = %#v, want EINVALID on %s", tc.locale, tc.zone, tc.currency, err, tc.field)
		}
	}
}

func TestWords(t *testing.T) {
	for in, want := range map[string]string{
		"trust_deposit": "Trust deposit", "opposing_party": "Opposing party", "fee": "Fee", "": "", "open": "Open",
	} {
		if got := Words(in); got != want {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
}
