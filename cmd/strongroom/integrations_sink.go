package main

import (
	"context"

	"strongroom/integrations"
	"strongroom/metrics"
	"strongroom/tenancy"
)

// metricsSink keeps what integrations pull as metric points.
type metricsSink struct{ m *metrics.Service }

func (s metricsSink) Record(ctx context.Context, h *tenancy.Handle, points []integrations.Point) error {
	out := make([]metrics.Point, len(points))
	for i, p := range points {
		out[i] = metrics.Point{Metric: p.Metric, At: p.At, Value: p.Value, Dims: p.Dims}
	}
	_, err := s.m.Record(ctx, h, out)
	return err
}
