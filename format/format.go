// Package format writes numbers, money, dates and enum values for people,
// in one place: a Formatter holds a locale, a time zone and a default
// currency, and every page formats through it.
//
// Money is exact. Amounts arrive as decimal strings ("1234.50") or as
// ten-thousandths (the stored amount_e4) and are written digit by digit;
// no float ever holds an amount. golang.org/x/text supplies the locale's
// digit grouping and decimal symbols, the currency's symbol and its minor
// units (JPY 0, EUR 2, BHD 3). Its own currency formatter is not used for
// the amount: it rounds through the number package ("€ -1.234,50" for
// de-DE, with the sign after the symbol), where a ledger must show
// "-1.234,50 €" and never drop a digit.
package format

import (
	"strings"
	"time"
	_ "time/tzdata" // zones resolve on hosts without a zoneinfo database

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"strongroom"
)

// Formatter formats for one locale, time zone and default currency. It is
// immutable and safe for concurrent use.
type Formatter struct {
	tag      language.Tag
	printer  *message.Printer
	zone     *time.Location
	currency string
	num      symbols
	dates    datePattern
}

// New returns a Formatter for a BCP 47 locale ("en-US", "de-DE"), an IANA
// time zone ("Europe/London") and an ISO 4217 default currency ("USD").
// Each is refused with an EINVALID error naming its field.
func New(locale, zone, currency string) (*Formatter, error) {
	tag, err := language.Parse(locale)
	if err != nil || tag == language.Und {
		return nil, strongroom.FieldError("locale", "Use a language tag such as en-US or de-DE.")
	}
	// An empty name would load UTC and "Local" the server's own zone:
	// neither is a tenant's choice.
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" || zone == "Local" {
		return nil, strongroom.FieldError("zone", "Use a time zone name such as Europe/London or America/New_York.")
	}
	if _, err := unit(currency); err != nil {
		return nil, err
	}
	p := message.NewPrinter(tag)
	num, err := probeSymbols(p)
	if err != nil {
		return nil, err
	}
	return &Formatter{tag: tag, printer: p, zone: loc, currency: currency, num: num, dates: patternFor(tag)}, nil
}

// Must is New for fixed arguments known to be valid; it panics otherwise.
func Must(locale, zone, currency string) *Formatter {
	f, err := New(locale, zone, currency)
	if err != nil {
		panic(err)
	}
	return f
}

// Default is the formatter used until a tenant chooses its own: en-US,
// UTC, US dollars.
var Default = Must("en-US", "UTC", "USD")

// Locale is the formatter's language tag.
func (f *Formatter) Locale() string { return f.tag.String() }

// Zone is the formatter's time zone.
func (f *Formatter) Zone() *time.Location { return f.zone }

// Currency is the formatter's default currency.
func (f *Formatter) Currency() string { return f.currency }

// Words writes an enum value as words with a capital first letter:
// "trust_deposit" is "Trust deposit", "opposing_party" "Opposing party".
func Words(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "_", " "))
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
