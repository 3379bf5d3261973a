package dashboards

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Widget is one panel of a dashboard.
type Widget struct {
	ID       int64
	Position int // from 0, in the dashboard's order
	Kind     string
	Title    string
	Source   string
	Options  Options
	Version  int
}

func (w *Widget) input() WidgetInput {
	return WidgetInput{Kind: w.Kind, Title: w.Title, Source: w.Source, Options: w.Options, Version: w.Version}
}

func loadWidgets(ctx context.Context, q querier, dashboardID int64) ([]Widget, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, position, kind, title, source, options, version FROM dashboard_widgets
		WHERE dashboard_id = ? ORDER BY position, id`, dashboardID)
	if err != nil {
		return nil, fmt.Errorf("read widgets: %w", err)
	}
	defer rows.Close()
	out := []Widget{}
	for rows.Next() {
		var w Widget
		var opts string
		if err := rows.Scan(&w.ID, &w.Position, &w.Kind, &w.Title, &w.Source, &opts, &w.Version); err != nil {
			return nil, fmt.Errorf("read widgets: %w", err)
		}
		if err := json.Unmarshal([]byte(opts), &w.Options); err != nil {
			return nil, fmt.Errorf("read the options of widget %d: %w", w.ID, err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

func insertWidget(ctx context.Context, tx *store.Tx, dashboardID int64, position int, in WidgetInput) error {
	_, err := insertWidgetID(ctx, tx, dashboardID, position, in)
	return err
}

func insertWidgetID(ctx context.Context, tx *store.Tx, dashboardID int64, position int, in WidgetInput) (int64, error) {
	opts, err := json.Marshal(in.Options)
	if err != nil {
		return 0, err
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO dashboard_widgets (dashboard_id, position, kind, title, source, options)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, dashboardID, position, in.Kind, in.Title, in.Source, string(opts)).Scan(&id); err != nil {
		return 0, fmt.Errorf("insert widget: %w", err)
	}
	return id, nil
}

// widgetChanges lists a widget's fields as audit changes from before
// (nil for a new widget) to after (nil for a removed one).
func widgetChanges(before, after *WidgetInput) []audit.Change {
	var d diffs
	val := func(w *WidgetInput, f func(*WidgetInput) any) any {
		if w == nil {
			return nil
		}
		return f(w)
	}
	for _, fl := range []struct {
		name string
		get  func(*WidgetInput) any
	}{
		{"kind", func(w *WidgetInput) any { return w.Kind }},
		{"title", func(w *WidgetInput) any { return w.Title }},
		{"source", func(w *WidgetInput) any { return w.Source }},
		{"options", func(w *WidgetInput) any { b, _ := json.Marshal(w.Options); return string(b) }},
	} {
		d.add(fl.name, val(before, fl.get), val(after, fl.get))
	}
	return d
}

// widgetEvent is the audit event of a widget change: the widget is the
// object, its dashboard named in the details.
func widgetEvent(action string, dashboardID, widgetID int64, changes []audit.Change) change {
	return change{action: action, objType: objWidget, id: widgetID, changes: changes,
		details: map[string]string{"dashboard_id": fmt.Sprint(dashboardID)}}
}

// AddWidget appends a widget to a dashboard, up to MaxWidgets.
func (s *Service) AddWidget(ctx context.Context, h *tenancy.Handle, p *identity.Principal, dashboardID int64, in WidgetInput) (*Widget, error) {
	var id int64
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := authorize(ctx, tx, p, dashboardID, access.Edit); err != nil {
			return err
		}
		if err := in.normalize(); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, dashboardID); err != nil {
			return err
		}
		ws, err := loadWidgets(ctx, tx, dashboardID)
		if err != nil {
			return err
		}
		if len(ws) >= MaxWidgets {
			return strongroom.FieldError("widgets", "A dashboard holds at most %d widgets; remove one or make another dashboard.", MaxWidgets)
		}
		if id, err = insertWidgetID(ctx, tx, dashboardID, len(ws), in); err != nil {
			return err
		}
		return record(ctx, tx, h, p, widgetEvent("widget.add", dashboardID, id, widgetChanges(nil, &in)))
	})
	if err != nil {
		return nil, err
	}
	s.Changes.Publish(Change{Tenant: h.Tenant.Slug, Kind: ChangeDashboard, DashboardID: dashboardID})
	return s.widget(ctx, h.DB, dashboardID, id)
}

func (s *Service) widget(ctx context.Context, q querier, dashboardID, id int64) (*Widget, error) {
	ws, err := loadWidgets(ctx, q, dashboardID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(ws, func(w Widget) bool { return w.ID == id })
	if i < 0 {
		return nil, notFound("widget")
	}
	return &ws[i], nil
}

// UpdateWidget replaces a widget's kind, title, source and options; the
// edit must be based on the widget's current version.
func (s *Service) UpdateWidget(ctx context.Context, h *tenancy.Handle, p *identity.Principal, dashboardID, id int64, in WidgetInput) (*Widget, error) {
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := authorize(ctx, tx, p, dashboardID, access.Edit); err != nil {
			return err
		}
		if err := in.normalize(); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, dashboardID); err != nil {
			return err
		}
		before, err := s.widget(ctx, tx, dashboardID, id)
		if err != nil {
			return err
		}
		if in.Version != before.Version {
			return errStale("widget")
		}
		opts, err := json.Marshal(in.Options)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE dashboard_widgets SET kind = ?, title = ?, source = ?, options = ?, version = version + 1
			WHERE id = ? AND dashboard_id = ? AND version = ?`, in.Kind, in.Title, in.Source, string(opts), id, dashboardID, before.Version)
		if err != nil {
			return fmt.Errorf("update widget %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errStale("widget")
		}
		b := before.input()
		return record(ctx, tx, h, p, widgetEvent("widget.update", dashboardID, id, widgetChanges(&b, &in)))
	})
	if err != nil {
		return nil, err
	}
	s.Changes.Publish(Change{Tenant: h.Tenant.Slug, Kind: ChangeDashboard, DashboardID: dashboardID})
	return s.widget(ctx, h.DB, dashboardID, id)
}

// RemoveWidget takes a widget off a dashboard; the ones after it move up.
func (s *Service) RemoveWidget(ctx context.Context, h *tenancy.Handle, p *identity.Principal, dashboardID, id int64) error {
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := authorize(ctx, tx, p, dashboardID, access.Edit); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, dashboardID); err != nil {
			return err
		}
		before, err := s.widget(ctx, tx, dashboardID, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM dashboard_widgets WHERE id = ? AND dashboard_id = ?`, id, dashboardID); err != nil {
			return fmt.Errorf("remove widget %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE dashboard_widgets SET position = position - 1
			WHERE dashboard_id = ? AND position > ?`, dashboardID, before.Position); err != nil {
			return err
		}
		b := before.input()
		return record(ctx, tx, h, p, widgetEvent("widget.remove", dashboardID, id, widgetChanges(&b, nil)))
	})
	if err != nil {
		return err
	}
	s.Changes.Publish(Change{Tenant: h.Tenant.Slug, Kind: ChangeDashboard, DashboardID: dashboardID})
	return nil
}

// ReorderWidgets puts a dashboard's widgets in the order of ids, which must
// name each of its widgets once. It moves the dashboard's version on, and
// must be based on the current one: two people reordering at once do not
// silently undo each other.
func (s *Service) ReorderWidgets(ctx context.Context, h *tenancy.Handle, p *identity.Principal, dashboardID int64, order []int64, version int) (*Dashboard, error) {
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := authorize(ctx, tx, p, dashboardID, access.Edit); err != nil {
			return err
		}
		before, err := s.load(ctx, tx, p, dashboardID)
		if err != nil {
			return err
		}
		if version != before.Version {
			return errStale("dashboard")
		}
		old := make([]int64, len(before.Widgets))
		for i, w := range before.Widgets {
			old[i] = w.ID
		}
		if !sameSet(old, order) {
			return strongroom.FieldError("order", "List every widget of the dashboard once, in the order wanted.")
		}
		if err := s.bump(ctx, tx, dashboardID, version, ""); err != nil {
			return err
		}
		for pos, id := range order {
			if _, err := tx.ExecContext(ctx, `UPDATE dashboard_widgets SET position = ? WHERE id = ? AND dashboard_id = ?`, pos, id, dashboardID); err != nil {
				return fmt.Errorf("reorder widgets: %w", err)
			}
		}
		return record(ctx, tx, h, p, change{action: "dashboard.update", objType: objDashboard, id: dashboardID,
			changes: []audit.Change{{Field: "widget_order", Before: old, After: order}}})
	})
	if err != nil {
		return nil, err
	}
	s.Changes.Publish(Change{Tenant: h.Tenant.Slug, Kind: ChangeDashboard, DashboardID: dashboardID})
	return s.load(ctx, h.DB, p, dashboardID)
}

// sameSet reports whether b holds exactly the ids of a, each once.
func sameSet(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
