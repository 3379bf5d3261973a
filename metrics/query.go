package metrics

import (
	"strings"
	"time"

	"strongroom"
)

// Bucket is the span a series adds points up over.
type Bucket string

const (
	Day   Bucket = "day"
	Week  Bucket = "week" // ISO weeks, from Monday
	Month Bucket = "month"
	// Quarter and Year begin with January, April, July and October, and
	// with January.
	Quarter Bucket = "quarter"
	Year    Bucket = "year"
	// NoBucket gives one value for the whole range.
	NoBucket Bucket = "none"
)

// Agg is how the points of a bucket become one value.
type Agg string

const (
	Sum   Agg = "sum"
	Avg   Agg = "avg"
	Min   Agg = "min"
	Max   Agg = "max"
	Last  Agg = "last" // the value of the newest point
	Count Agg = "count"
)

var (
	buckets = []Bucket{Day, Week, Month, Quarter, Year, NoBucket}
	aggs    = []Agg{Sum, Avg, Min, Max, Last, Count}
)

// Query asks for a series: the points of Metric (a stored metric's name, or
// a CaseMetric kind) at or after From and before To, whose dimensions
// include every pair of Dims, added up per Bucket with Agg, as one series
// or one per value of dimension GroupBy. Buckets begin at midnight in Zone
// (UTC when nil).
type Query struct {
	Metric   string
	From, To time.Time
	Bucket   Bucket // NoBucket when empty
	Agg      Agg    // Sum when empty (for a case metric: its own)
	Dims     map[string]string
	GroupBy  string
	Zone     *time.Location
}

// Value is one bucket of a series. Count is the number of points (or
// records) in it; a bucket with none has Count 0 and Value 0.
type Value struct {
	Start time.Time
	Value float64
	Count int
}

// Group is the series of one value of the grouping dimension (Key is ""
// for a query without GroupBy, and for points without that dimension).
type Group struct {
	Key     string
	Buckets []Value
}

// Series is the answer to a Query: every bucket of the range, in order,
// per group.
type Series struct {
	Metric  string
	Label   string
	Unit    string
	Bucket  Bucket
	Agg     Agg
	From    time.Time
	To      time.Time
	GroupBy string
	Groups  []Group
	// Current is set for a case metric that is a figure of now (open
	// cases, overdue deadlines): it has one bucket, whatever the range.
	Current bool
}

// KPI is a value for [From, To) beside the value of the same length of time
// just before, for a widget that shows a figure and its change.
type KPI struct {
	Metric   string
	Label    string
	Unit     string
	Current  Value
	Previous Value
	// Change is Current.Value − Previous.Value; Percent is that change
	// over Previous.Value, or 0 (with HasPercent false) when Previous is 0.
	Change     float64
	Percent    float64
	HasPercent bool
}

// Latest is the newest value of a metric.
type Latest struct {
	Found bool
	At    time.Time
	Value float64
}

// check validates a query whole and fills in its defaults.
func (q *Query) check() error {
	var ps strongroom.Problems
	if q.Metric == "" {
		ps.Addf("metric", "Name a metric.")
	} else if !namePattern.MatchString(q.Metric) {
		ps.Addf("metric", "A metric name is lowercase letters, digits, dots and underscores, starting with a letter.")
	}
	if q.Bucket == "" {
		q.Bucket = NoBucket
	}
	if !contains(buckets, q.Bucket) {
		ps.Addf("bucket", "Use one of: day, week, month, quarter, year, none.")
	}
	if q.Agg != "" && !contains(aggs, q.Agg) {
		ps.Addf("agg", "Use one of: sum, avg, min, max, last, count.")
	}
	if q.Zone == nil {
		q.Zone = time.UTC
	}
	switch {
	case q.From.IsZero():
		ps.Addf("from", "Give the start of the range.")
	case q.To.IsZero():
		ps.Addf("to", "Give the end of the range.")
	case !q.From.Before(q.To):
		ps.Addf("to", "The end of the range must be after its start.")
	case q.To.Sub(q.From) > maxRangeLength:
		ps.Addf("from", "A range may span at most eleven years.")
	case q.Bucket != NoBucket && contains(buckets, q.Bucket) && len(bucketStarts(q.From, q.To, q.Bucket, q.Zone, maxBuckets+1)) > maxBuckets:
		ps.Addf("bucket", "The range holds more than %d buckets; choose a wider bucket or a shorter range.", maxBuckets)
	}
	ps.Add(checkDims("dimensions", q.Dims))
	if q.GroupBy != "" && !dimKeyPattern.MatchString(q.GroupBy) {
		ps.Addf("group_by", "A dimension name is lowercase letters, digits and underscores, starting with a letter, at most %d characters.", MaxDimKey)
	}
	return ps.Err()
}

// key is the query's text for the cache: every field that changes the
// answer, in a fixed order.
func (q *Query) key() string {
	var b strings.Builder
	b.WriteString(q.Metric + "\x00" + q.From.UTC().Format(time.RFC3339Nano) + "\x00" + q.To.UTC().Format(time.RFC3339Nano))
	b.WriteString("\x00" + string(q.Bucket) + "\x00" + string(q.Agg) + "\x00" + q.GroupBy + "\x00" + q.Zone.String() + "\x00")
	b.WriteString(canonicalDims(q.Dims))
	return b.String()
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// bucketStart is the start of the bucket holding t.
func bucketStart(t time.Time, b Bucket, loc *time.Location) time.Time {
	t = t.In(loc)
	switch b {
	case Day:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	case Week:
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		back := (int(d.Weekday()) + 6) % 7 // days since Monday
		return d.AddDate(0, 0, -back)
	case Month:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	case Quarter:
		return time.Date(t.Year(), t.Month()-(t.Month()-1)%3, 1, 0, 0, 0, 0, loc)
	case Year:
		return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, loc)
	}
	return t
}

// next is the start of the bucket after the one starting at s.
func next(s time.Time, b Bucket) time.Time {
	switch b {
	case Day:
		return s.AddDate(0, 0, 1)
	case Week:
		return s.AddDate(0, 0, 7)
	case Quarter:
		return s.AddDate(0, 3, 0)
	case Year:
		return s.AddDate(1, 0, 0)
	}
	return s.AddDate(0, 1, 0)
}

// bucketStarts lists the starts of the buckets that meet [from, to), at
// most limit of them. Without a bucket the whole range is one, starting at
// from.
func bucketStarts(from, to time.Time, b Bucket, loc *time.Location, limit int) []time.Time {
	if b == NoBucket {
		return []time.Time{from}
	}
	var out []time.Time
	for s := bucketStart(from, b, loc); s.Before(to) && len(out) < limit; s = next(s, b) {
		out = append(out, s)
	}
	return out
}
