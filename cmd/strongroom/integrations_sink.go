package main

import (
	"context"

	"strongroom/integrations"
	"strongroom/metrics"
	"strongroom/tenancy"
)

// metricsSink keeps what integrations pull as metric points, and has the
// live dashboards that draw them redrawn.
type metricsSink struct {
	m *metrics.Service
	// changed hears the names of the metrics recorded (nil: nobody).
	changed func(ctx context.Context, h *tenancy.Handle, names []string)
}

func (s metricsSink) Record(ctx context.Context, h *tenancy.Handle, points []integrations.Point) error {
	out := make([]metrics.Point, len(points))
	names := map[string]bool{}
	for i, p := range points {
		out[i] = metrics.Point{Metric: p.Metric, At: p.At, Value: p.Value, Dims: p.Dims}
		names[p.Metric] = true
	}
	if _, err := s.m.Record(ctx, h, out); err != nil {
		return err
	}
	if s.changed != nil && len(names) > 0 {
		list := make([]string, 0, len(names))
		for n := range names {
			list = append(list, n)
		}
		s.changed(ctx, h, list)
	}
	return nil
}

// metricsChanged has the web layer redraw the live dashboards of metrics.
func (m *Main) metricsChanged(ctx context.Context, h *tenancy.Handle, names []string) {
	if m.web != nil {
		m.web.MetricsChanged(ctx, h, names)
	}
}
