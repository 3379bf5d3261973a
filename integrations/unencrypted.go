package integrations

import (
	"context"

	"strongroom/tenancy"
)

// UnencryptedMetrics names the metrics recorded by integrations that an
// administrator allowed to use plain http://, so that a page drawing
// their figures can say they may have arrived unencrypted. It names
// metrics only (no integration, URL or credential), which any viewer of
// a figure may know of it; the caller decides who sees which figure.
func (s *Service) UnencryptedMetrics(ctx context.Context, h *tenancy.Handle) (map[string]bool, error) {
	its, err := listRows(ctx, h.DB, `allow_http = 1`)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, it := range its {
		if it.Connector.Metric != "" {
			out[it.Connector.Metric] = true
		}
	}
	return out, nil
}
