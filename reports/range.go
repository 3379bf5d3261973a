package reports

import (
	"time"

	"strongroom"
)

// Range is the span of days a report covers, both ends included, each a
// date written YYYY-MM-DD or empty for no bound. Each report applies it to
// its records' own day: cases by the day they were opened, financial
// records by the day they occurred, deadlines by the day they are due.
type Range struct {
	From, To string
}

// ParseRange reads a range from its two fields. A date that is not one
// is an EINVALID error naming its field ("from" or "to"), as is an end
// before the start.
func ParseRange(from, to string) (Range, error) {
	for _, d := range []struct{ field, value string }{{"from", from}, {"to", to}} {
		if d.value == "" {
			continue
		}
		if t, err := time.Parse(time.DateOnly, d.value); err != nil || t.Format(time.DateOnly) != d.value {
			return Range{}, strongroom.FieldError(d.field, "Enter a calendar date as YYYY-MM-DD, for example 2026-01-31.")
		}
	}
	if from != "" && to != "" && to < from {
		return Range{}, strongroom.FieldError("to", "The end of the date range is before its start.")
	}
	return Range{From: from, To: to}, nil
}

// LastYear is the range of the twelve months up to today: from the day
// after the same day a year ago, to today.
func LastYear(today time.Time) Range {
	return Range{From: today.AddDate(-1, 0, 1).Format(time.DateOnly), To: today.Format(time.DateOnly)}
}

// sql is the range's condition on a column holding a day (YYYY-MM-DD),
// with its arguments; "1 = 1" when it has no bound.
func (r Range) sql(column string) (string, []any) {
	switch {
	case r.From != "" && r.To != "":
		return column + " >= ? AND " + column + " <= ?", []any{r.From, r.To}
	case r.From != "":
		return column + " >= ?", []any{r.From}
	case r.To != "":
		return column + " <= ?", []any{r.To}
	}
	return "1 = 1", nil
}

// details records the range in an export's audit event.
func (r Range) details(d map[string]string) {
	if r.From != "" {
		d["from"] = r.From
	}
	if r.To != "" {
		d["to"] = r.To
	}
}
