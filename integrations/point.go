// Package integrations pulls business metrics from third-party HTTP JSON
// APIs on a schedule: a generic connector (URL, method, headers, query,
// body, authentication, pagination, and paths to the values), presets for
// common systems, credentials sealed with the tenant's data key, and an
// outbound client that reaches only public addresses over verified TLS.
// What it pulls goes to a Sink, which the metrics storage implements.
package integrations

import (
	"context"
	"time"

	"strongroom/tenancy"
)

// Point is one value of a metric at a time, with its dimensions
// (stage=won, currency=EUR).
type Point struct {
	Metric string
	At     time.Time
	Value  float64
	Dims   map[string]string
}

// Sink stores the points a pull produced. The metrics storage implements
// it; a nil Sink keeps nothing (pulls still run and record their status).
type Sink interface {
	Record(ctx context.Context, h *tenancy.Handle, points []Point) error
}
