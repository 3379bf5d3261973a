package widgets

import (
	"time"

	"strongroom/dashboards"
	"strongroom/metrics"
)

// Span is the stretch of time a widget shows: [From, To) in the tenant's
// zone, and how a reader says it.
type Span struct {
	From, To time.Time
	Label    string
}

// SpanOf is the span of a widget's period on the day of now, in zone. A
// period runs to the end of today: "this quarter" is the quarter so far,
// so a KPI compares it with as many days just before.
func SpanOf(o dashboards.Options, now time.Time, zone *time.Location) Span {
	now = now.In(zone)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	tomorrow := today.AddDate(0, 0, 1)
	switch o.Period {
	case dashboards.PeriodThisMonth:
		return Span{time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, zone), tomorrow, "This month"}
	case dashboards.PeriodThisQuarter:
		q := time.Date(now.Year(), now.Month()-(now.Month()-1)%3, 1, 0, 0, 0, 0, zone)
		return Span{q, tomorrow, "This quarter"}
	case dashboards.PeriodLast12Months:
		return Span{time.Date(now.Year(), now.Month()-11, 1, 0, 0, 0, 0, zone), tomorrow, "Last 12 months"}
	case dashboards.PeriodCustom:
		from, errFrom := time.ParseInLocation(time.DateOnly, o.From, zone)
		to, errTo := time.ParseInLocation(time.DateOnly, o.To, zone)
		if errFrom == nil && errTo == nil && from.Before(to) {
			// The end date is the last day shown.
			return Span{from, to.AddDate(0, 0, 1), o.From + " to " + o.To}
		}
	}
	return Span{today.AddDate(0, 0, -29), tomorrow, "Last 30 days"}
}

// bucketOf is a charted widget's bucket as a metrics query takes it.
func bucketOf(o dashboards.Options) metrics.Bucket {
	switch o.Bucket {
	case "day":
		return metrics.Day
	case "week":
		return metrics.Week
	case "quarter":
		return metrics.Quarter
	case "year":
		return metrics.Year
	}
	return metrics.Month
}

// sparkBucket is the bucket of a KPI's sparkline: about a dozen to thirty
// points over the span.
func sparkBucket(s Span) metrics.Bucket {
	switch days := s.To.Sub(s.From).Hours() / 24; {
	case days <= 45:
		return metrics.Day
	case days <= 200:
		return metrics.Week
	case days <= 1100:
		return metrics.Month
	}
	return metrics.Quarter
}

// bucketLabel names the bucket starting at t, for a bar or a table row.
func bucketLabel(t time.Time, b metrics.Bucket) string {
	switch b {
	case metrics.Month:
		return t.Format("Jan 2006")
	case metrics.Quarter:
		return "Q" + string(rune('1'+(int(t.Month())-1)/3)) + " " + t.Format("2006")
	case metrics.Year:
		return t.Format("2006")
	case metrics.Week:
		return "Week of " + t.Format("2 Jan 2006")
	}
	return t.Format("2 Jan 2006")
}
