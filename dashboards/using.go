package dashboards

import (
	"context"
	"fmt"
	"strings"
	"time"

	"strongroom/tenancy"
)

// DashboardsUsing returns the ids of the dashboards with a widget that
// draws one of metrics (stored metric names such as "crm.pipeline", or
// case metrics "case.open"), in id order: those whose figures a push of
// points may have changed. It reads ids only, for live updates to know
// what to redraw; who may see them is decided when they are drawn.
func (s *Service) DashboardsUsing(ctx context.Context, h *tenancy.Handle, metrics []string) ([]int64, error) {
	var sources []any
	for _, m := range metrics {
		sources = append(sources, m)
		if rest, ok := strings.CutPrefix(m, "case."); ok {
			sources = append(sources, "case:"+rest)
		}
	}
	if len(sources) == 0 {
		return nil, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(sources)), ", ")
	rows, err := h.DB.QueryContext(ctx, `SELECT DISTINCT dashboard_id FROM dashboard_widgets WHERE source IN (`+marks+`) ORDER BY dashboard_id`, sources...)
	if err != nil {
		return nil, fmt.Errorf("find dashboards by metric: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("find dashboards by metric: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// LiveWidget is what live updates need of a widget to redraw it: its id
// (the element it draws into) and how often its figures are drawn again.
type LiveWidget struct {
	ID      int64
	Refresh time.Duration
}

// LiveWidgets returns dashboard id's widgets as live updates redraw them,
// in order; none for a dashboard that is gone. Ids only: each viewer's
// figures are drawn through their own access.
func (s *Service) LiveWidgets(ctx context.Context, h *tenancy.Handle, id int64) ([]LiveWidget, error) {
	ws, err := loadWidgets(ctx, h.DB, id)
	if err != nil {
		return nil, err
	}
	out := make([]LiveWidget, len(ws))
	for i, w := range ws {
		out[i] = LiveWidget{ID: w.ID, Refresh: time.Duration(w.Options.RefreshSeconds) * time.Second}
	}
	return out, nil
}
