package format

import (
	"time"

	"strongroom"
)

// Dates are written in ISO 8601 order (2026-03-08) in every locale:
// golang.org/x/text has no date patterns, and this order cannot be misread
// as day-first or month-first. Times are shown in the formatter's zone
// with its abbreviation, so a reader never has to guess the zone.

// Date writes the calendar day of t in the formatter's zone.
func (f *Formatter) Date(t time.Time) string { return t.In(f.zone).Format(time.DateOnly) }

// DateTime writes t in the formatter's zone to the minute, with the zone's
// abbreviation for that instant: "2026-03-08 01:30 EST" and, after the
// change to summer time, "2026-03-08 03:30 EDT".
func (f *Formatter) DateTime(t time.Time) string {
	return t.In(f.zone).Format("2006-01-02 15:04 MST")
}

// Day writes a calendar date held as "2006-01-02" (a record's date, which
// has no zone: the day is the day, wherever it is read). A malformed date
// is an error.
func (f *Formatter) Day(s string) (string, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return "", strongroom.Errorf(strongroom.EINTERNAL, "a date to show is not a calendar date")
	}
	return d.Format(time.DateOnly), nil
}
