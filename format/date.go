package format

import (
	"strconv"
	"time"

	"golang.org/x/text/language"

	"strongroom"
)

// Dates are written as the locale writes a medium date ("12 Mar 2026" in
// en-GB, "Mar 12, 2026" in en-US, "12.03.2026" in de-DE, "12 mars 2026" in
// fr-FR): golang.org/x/text has no date patterns, so the patterns of the
// locales a tenant may choose are here, from CLDR. A locale without one is
// written in ISO 8601 order (2026-03-12), which no reader can misread.
// Times are shown in the formatter's zone, with the zone's abbreviation for
// that instant, so a reader never has to guess the zone.

// datePattern is how one locale writes a date and a time of day.
type datePattern struct {
	// order of the day: "dmy" "12 Mar 2026", "mdy" "Mar 12, 2026",
	// "d.m.y" "12.03.2026", "d/m/y", "y/m/d", "d.m.y-short" "12.3.2026",
	// "d. mon y" "12. mar. 2026", "iso".
	order  string
	months *[12]string
	clock  string // a Go layout: "15:04" or "3:04 PM"
}

var (
	monthsEN = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	monthsFR = [12]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
	monthsNL = [12]string{"jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"}
	monthsIT = [12]string{"gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"}
	monthsES = [12]string{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"}
	monthsSV = [12]string{"jan.", "feb.", "mars", "apr.", "maj", "juni", "juli", "aug.", "sep.", "okt.", "nov.", "dec."}
	monthsNB = [12]string{"jan.", "feb.", "mar.", "apr.", "mai", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "des."}
)

// datePatterns are keyed by language, or by language and region where the
// region writes dates its own way.
var datePatterns = map[string]datePattern{
	"en":    {order: "dmy", months: &monthsEN, clock: "15:04"},
	"en-US": {order: "mdy", months: &monthsEN, clock: "3:04 PM"},
	"en-CA": {order: "mdy", months: &monthsEN, clock: "3:04 PM"},
	"de":    {order: "d.m.y", clock: "15:04"},
	"da":    {order: "d.m.y", clock: "15:04"},
	"pl":    {order: "d.m.y", clock: "15:04"},
	"fi":    {order: "d.m.y-short", clock: "15.04"},
	"fr":    {order: "dmy", months: &monthsFR, clock: "15:04"},
	"nl":    {order: "dmy", months: &monthsNL, clock: "15:04"},
	"it":    {order: "dmy", months: &monthsIT, clock: "15:04"},
	"es":    {order: "dmy", months: &monthsES, clock: "15:04"},
	"sv":    {order: "dmy", months: &monthsSV, clock: "15:04"},
	"nb":    {order: "d. mon y", months: &monthsNB, clock: "15:04"},
	"pt":    {order: "d/m/y", clock: "15:04"},
	"ja":    {order: "y/m/d", clock: "15:04"},
}

func patternFor(tag language.Tag) datePattern {
	base, _ := tag.Base()
	region, _ := tag.Region()
	if p, ok := datePatterns[base.String()+"-"+region.String()]; ok {
		return p
	}
	if p, ok := datePatterns[base.String()]; ok {
		return p
	}
	return datePattern{order: "iso", clock: "15:04"}
}

func (p datePattern) day(y int, m time.Month, d int) string {
	two := func(n int) string { return strconv.Itoa(100 + n)[1:] }
	ys, ds := strconv.Itoa(y), strconv.Itoa(d)
	switch p.order {
	case "dmy":
		return ds + " " + p.months[m-1] + " " + ys
	case "mdy":
		return p.months[m-1] + " " + ds + ", " + ys
	case "d.m.y":
		return two(d) + "." + two(int(m)) + "." + ys
	case "d.m.y-short":
		return ds + "." + strconv.Itoa(int(m)) + "." + ys
	case "d. mon y":
		return ds + ". " + p.months[m-1] + " " + ys
	case "d/m/y":
		return two(d) + "/" + two(int(m)) + "/" + ys
	case "y/m/d":
		return ys + "/" + two(int(m)) + "/" + two(d)
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// Date writes the calendar day of t in the formatter's zone.
func (f *Formatter) Date(t time.Time) string {
	y, m, d := t.In(f.zone).Date()
	return f.dates.day(y, m, d)
}

// DateTime writes t in the formatter's zone to the minute, with the zone's
// abbreviation for that instant: "8 Mar 2026, 01:30 EST" and, after the
// change to summer time, "8 Mar 2026, 03:30 EDT".
func (f *Formatter) DateTime(t time.Time) string {
	t = t.In(f.zone)
	return f.Date(t) + ", " + t.Format(f.dates.clock+" MST")
}

// Day writes a calendar date held as "2006-01-02" (a record's date, which
// has no zone: the day is the day, wherever it is read). A malformed date
// is an error.
func (f *Formatter) Day(s string) (string, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return "", strongroom.Errorf(strongroom.EINTERNAL, "a date to show is not a calendar date")
	}
	return f.dates.day(d.Date()), nil
}

// Today is the calendar date ("2006-01-02") it is at now in the
// formatter's zone: what "overdue" is measured against.
func (f *Formatter) Today(now time.Time) string { return now.In(f.zone).Format(time.DateOnly) }
