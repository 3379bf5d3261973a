package web

import (
	"fmt"
	"html/template"
	"time"

	"strongroom"
	"strongroom/format"
	"strongroom/tenancy"
)

// formatter is the formatter for a tenant's pages. Every tenant gets
// format.Default (en-US, UTC, USD) until tenants choose a locale, zone and
// currency; then this reads them, and render binds templateFuncs of the
// tenant's formatter to a clone of the page.
func (h *Handler) formatter(t *tenancy.Handle) *format.Formatter { return format.Default }

// templateFuncs are the formatting functions pages use:
//
//	{{money .Amount .Currency}}  exact amount with symbol and separators
//	{{number .Count}}            an integer with separators
//	{{date .OccurredOn}}         a calendar date ("2006-01-02") or a time's day in the zone
//	{{datetime .CreatedAt}}      a time in the zone, with the zone shown
//	{{words .Kind}}              an enum value as words
func templateFuncs(f *format.Formatter) template.FuncMap {
	return template.FuncMap{
		"money": func(amount any, currency string) (string, error) {
			switch a := amount.(type) {
			case string:
				return f.Money(a, currency)
			case int64:
				return f.MoneyE4(a, currency)
			case fmt.Stringer: // reports.Money
				return f.Money(a.String(), currency)
			}
			return "", strongroom.Errorf(strongroom.EINTERNAL, "money: an amount of type %T", amount)
		},
		"number": func(n int) string { return f.Number(int64(n)) },
		"date": func(v any) (string, error) {
			switch d := v.(type) {
			case string:
				return f.Day(d)
			case time.Time:
				return f.Date(d), nil
			}
			return "", strongroom.Errorf(strongroom.EINTERNAL, "date: a value of type %T", v)
		},
		"datetime": f.DateTime,
		"words":    format.Words,
	}
}
