package dashboards

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"strongroom"
	"strongroom/metrics"
)

// Widget kinds.
const (
	KindKPI        = "kpi"
	KindTimeseries = "timeseries"
	KindBar        = "bar"
	KindTable      = "table"
)

// Kinds lists the widget kinds.
func Kinds() []string { return []string{KindKPI, KindTimeseries, KindBar, KindTable} }

// Periods a widget shows. PeriodCustom takes From and To.
const (
	PeriodLast30Days   = "last_30_days"
	PeriodThisMonth    = "this_month"
	PeriodThisQuarter  = "this_quarter"
	PeriodLast12Months = "last_12_months"
	PeriodCustom       = "custom"
	defaultPeriod      = PeriodLast30Days
)

// Bounds of a widget and a dashboard.
const (
	MaxCustomSpanYears  = 5    // a custom period's longest span
	MinRefreshSeconds   = 10   // a wall screen polling faster would load the server for nothing
	MaxRefreshSeconds   = 3600 // slower, and the figures look stale
	DefaultRefresh      = 300
	MaxWidth            = 4 // grid columns
	MaxWidgets          = 24
	maxTitle, maxSource = 100, 100
)

// Periods lists the periods.
func Periods() []string {
	return []string{PeriodLast30Days, PeriodThisMonth, PeriodThisQuarter, PeriodLast12Months, PeriodCustom}
}

// Buckets lists the intervals a timeseries or bar widget groups by.
func Buckets() []string { return []string{"day", "week", "month", "quarter", "year"} }

// Aggregations lists how values within a bucket (or the period, for a KPI)
// are combined.
func Aggregations() []string { return []string{"sum", "avg", "min", "max", "count", "last"} }

// Styles lists the chart styles of a timeseries widget.
func Styles() []string { return []string{"line", "area"} }

// Options are how a widget shows its source. Stored as JSON; the zero
// values are filled with the defaults by WidgetInput.normalize.
type Options struct {
	Period string `json:"period"`
	// From and To bound a custom period: dates (YYYY-MM-DD), From before To.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Bucket groups a timeseries, bar or table widget's values (default
	// month).
	Bucket      string `json:"bucket,omitempty"`
	Aggregation string `json:"aggregation"`
	// Style is a timeseries widget's chart: line (default) or area.
	Style string `json:"style,omitempty"`
	// Target is a KPI widget's goal, a decimal number written exactly
	// ("1250000.50"): never a float, so money keeps its digits.
	Target         string `json:"target,omitempty"`
	RefreshSeconds int    `json:"refresh_seconds"`
	// Width is the widget's width in grid columns, 1 to MaxWidth.
	Width int `json:"width"`
	// GroupBy splits the figures by one of the source's dimensions
	// ("status", "practice_group", a pushed metric's own): one series or
	// bar per value. A KPI is one figure and has none.
	GroupBy string `json:"group_by,omitempty"`
	// Currency picks the currency of a money figure (ISO 4217, "USD");
	// left out, a KPI shows the tenant's currency and a chart one series
	// per currency. Amounts in different currencies are never added.
	Currency string `json:"currency,omitempty"`
}

// WidgetInput is a widget as a caller creates or changes it.
type WidgetInput struct {
	Kind    string
	Title   string
	Source  string
	Options Options
	// Version is the version an update is based on.
	Version int
}

// Sources: a stored metric is dotted lower-case words ("crm.pipeline",
// "finance.wip_by_partner"); case data is "case:" and the name of one of
// metrics.CaseMetrics without its "case." ("case:open", "case:billed").
// Stored metrics never begin with "case.": those names are the case
// figures'.
var (
	metricSource = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	decimal      = regexp.MustCompile(`^-?[0-9]{1,15}(\.[0-9]{1,6})?$`)
	dimension    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)
)

// CaseSources lists the case-data sources a widget may name.
func CaseSources() []string {
	var out []string
	for _, k := range metrics.CaseMetrics() {
		out = append(out, "case:"+strings.TrimPrefix(string(k), "case."))
	}
	return out
}

// MetricOf is the metrics name of a source: "case:open" is case.open, a
// stored metric is its own name.
func MetricOf(source string) string {
	if rest, ok := strings.CutPrefix(source, "case:"); ok {
		return "case." + rest
	}
	return source
}

// ValidSource reports whether s is a stored metric name or a case-data
// source.
func ValidSource(s string) bool {
	if strings.HasPrefix(s, "case:") {
		return slices.Contains(CaseSources(), s)
	}
	return len(s) <= maxSource && metricSource.MatchString(s) && !strings.HasPrefix(s, "case.")
}

// normalize fills the defaults in and checks the input whole, reporting
// every problem at once with the field at fault.
func (in *WidgetInput) normalize() error {
	var ps strongroom.Problems
	in.Kind = strings.TrimSpace(in.Kind)
	if !slices.Contains(Kinds(), in.Kind) {
		ps.Addf("kind", "Unknown widget kind; use one of: %s.", strings.Join(Kinds(), ", "))
	}
	ps.Add(checkText("title", in.Title, 1, maxTitle))
	switch {
	case in.Source == "":
		ps.Addf("source", "This field is required.")
	case strings.HasPrefix(in.Source, "case:") && !ValidSource(in.Source):
		ps.Addf("source", "Unknown case data; use one of: %s.", strings.Join(CaseSources(), ", "))
	case !ValidSource(in.Source):
		ps.Addf("source", "Name a stored metric (such as crm.pipeline) or case data (such as case:open), at most %d characters.", maxSource)
	}
	in.Options.normalize(in.Kind, &ps)
	return ps.Err()
}

func (o *Options) normalize(kind string, ps *strongroom.Problems) {
	if o.Period == "" {
		o.Period = defaultPeriod
	}
	if !slices.Contains(Periods(), o.Period) {
		ps.Addf("options.period", "Unknown period; use one of: %s.", strings.Join(Periods(), ", "))
	}
	o.checkRange(ps)
	// A KPI is one figure for its period; the others show its buckets.
	charted := kind != KindKPI
	switch {
	case o.Bucket == "" && charted:
		o.Bucket = "month"
	case o.Bucket != "" && !charted:
		ps.Addf("options.bucket", "A KPI is one figure for its period; only a timeseries, bar or table widget groups by a bucket.")
	case o.Bucket != "" && !slices.Contains(Buckets(), o.Bucket):
		ps.Addf("options.bucket", "Unknown bucket; use one of: %s.", strings.Join(Buckets(), ", "))
	}
	if o.Aggregation == "" {
		o.Aggregation = "sum"
	}
	if !slices.Contains(Aggregations(), o.Aggregation) {
		ps.Addf("options.aggregation", "Unknown aggregation; use one of: %s.", strings.Join(Aggregations(), ", "))
	}
	switch {
	case o.Style == "" && kind == KindTimeseries:
		o.Style = "line"
	case o.Style != "" && kind != KindTimeseries:
		ps.Addf("options.style", "Only a timeseries widget has a chart style.")
	case o.Style != "" && !slices.Contains(Styles(), o.Style):
		ps.Addf("options.style", "Unknown chart style; use one of: %s.", strings.Join(Styles(), ", "))
	}
	switch {
	case o.Target != "" && kind != KindKPI:
		ps.Addf("options.target", "Only a KPI widget has a target.")
	case o.Target != "" && !decimal.MatchString(o.Target):
		ps.Addf("options.target", "Write the target as a number such as 1250000 or 98.5 (up to 15 digits, 6 decimals).")
	}
	if o.RefreshSeconds == 0 {
		o.RefreshSeconds = DefaultRefresh
	}
	if o.RefreshSeconds < MinRefreshSeconds || o.RefreshSeconds > MaxRefreshSeconds {
		ps.Addf("options.refresh_seconds", "Refresh every %d to %d seconds.", MinRefreshSeconds, MaxRefreshSeconds)
	}
	if o.Width == 0 {
		o.Width = 1
		if kind != KindKPI {
			o.Width = 2
		}
	}
	if o.Width < 1 || o.Width > MaxWidth {
		ps.Addf("options.width", "A widget is 1 to %d columns wide.", MaxWidth)
	}
	switch {
	case o.GroupBy != "" && kind == KindKPI:
		ps.Addf("options.group_by", "A KPI is one figure; it is not grouped.")
	case o.GroupBy != "" && !dimension.MatchString(o.GroupBy):
		ps.Addf("options.group_by", "A dimension name is lowercase letters, digits and underscores, starting with a letter, at most 40 characters.")
	}
	if o.Currency != "" && !currencyCode.MatchString(o.Currency) {
		ps.Addf("options.currency", "Give a currency as its three-letter ISO 4217 code, such as USD or EUR.")
	}
}

// checkRange checks From and To: both, and only, for a custom period;
// From before To; at most MaxCustomSpanYears apart.
func (o *Options) checkRange(ps *strongroom.Problems) {
	if o.Period != PeriodCustom {
		if o.From != "" {
			ps.Addf("options.from", "A start date goes only with the custom period.")
		}
		if o.To != "" {
			ps.Addf("options.to", "An end date goes only with the custom period.")
		}
		return
	}
	from, errFrom := time.Parse(time.DateOnly, o.From)
	to, errTo := time.Parse(time.DateOnly, o.To)
	if errFrom != nil {
		ps.Addf("options.from", "Give the start of the custom period as a date (YYYY-MM-DD).")
	}
	if errTo != nil {
		ps.Addf("options.to", "Give the end of the custom period as a date (YYYY-MM-DD).")
	}
	if errFrom != nil || errTo != nil {
		return
	}
	switch {
	case !from.Before(to):
		ps.Addf("options.to", "The end of the period must come after its start.")
	case to.After(from.AddDate(MaxCustomSpanYears, 0, 0)):
		ps.Addf("options.to", "A custom period may span at most %d years.", MaxCustomSpanYears)
	}
}
