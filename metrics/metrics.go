// Package metrics is the foundation dashboards read: business metrics
// pushed by integrations and scripts (stored per tenant in metrics and
// metric_points, tenant migration 0010), and figures computed from the
// tenant's case data (CaseMetric), both read through one Series/KPI
// interface so that a widget can show either.
//
// # Access
//
// Defining and deleting a metric needs edit access to dashboards; reading
// any metric needs read access to dashboards. Pushing points needs edit
// access to dashboards too: the web layer lets an API token of scope
// metrics:write reach the push route and nothing else, and the token still
// acts as its user. A case metric also needs read access to the area its
// records are in (cases, financial records, documents) and counts only the
// records the user may read: its WHERE is the access predicate
// (cases.Predicate), as in every other read.
//
// # Pushing
//
// A push names metrics that must already be defined: a point for an
// unknown metric is refused, never defined on the fly, so that a leaked
// push token cannot fill a tenant with metrics of its choosing. Values are
// finite; times are at most a day ahead and at most ten years back; at most
// MaxPoints points a request. A point is keyed by (metric, time,
// dimensions): pushing it again replaces its value, so a retried push is
// harmless. A push is audited as one metric.push event with the metric
// names and point counts (values are business figures, not personal data,
// but the counts say what happened).
package metrics

import (
	"regexp"
	"time"
)

// Source says where a metric's points come from.
type Source string

const (
	// Pushed metrics are written through the push API.
	Pushed Source = "pushed"
	// Integration metrics are written by an integration's pulls; the push
	// API refuses them.
	Integration Source = "integration"
)

// Metric is the definition of a stored metric.
type Metric struct {
	ID        int64
	Name      string // ^[a-z][a-z0-9_.]{0,62}$; "case." is reserved for CaseMetric kinds
	Label     string
	Unit      string
	Source    Source
	CreatedAt time.Time
	UpdatedAt time.Time
}

// namePattern is what a metric name looks like.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,62}$`)

// Point is one value of a metric at a moment, with its dimensions.
type Point struct {
	Metric string
	At     time.Time
	Value  float64
	Dims   map[string]string
}

// Limits of a push and of a point's dimensions.
const (
	MaxPoints      = 1000
	MaxDims        = 5
	MaxDimKey      = 32
	MaxDimValue    = 100
	maxFuture      = 24 * time.Hour
	maxPast        = 10 * 366 * 24 * time.Hour
	maxLabel       = 200
	maxUnit        = 32
	maxBuckets     = 1000
	maxGroups      = 50
	maxRangeLength = 11 * 366 * 24 * time.Hour
)

// dimKeyPattern is what a dimension's name looks like.
var dimKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
