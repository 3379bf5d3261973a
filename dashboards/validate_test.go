package dashboards_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"strongroom"
	"strongroom/access"
	"strongroom/dashboards"
)

func fields(err error) []string {
	var out []string
	for _, p := range strongroom.ErrorProblems(err) {
		out = append(out, p.Field)
	}
	return out
}

// TestWidgetValidation checks every rule of a widget, each bad input
// naming its field, and that a refused widget is not added.
func TestWidgetValidation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		owner := w.user("owner", dashboardsAt(access.EditGrant))
		d := w.dashboard(owner, "Figures")
		ts := func(o dashboards.Options) dashboards.WidgetInput {
			return dashboards.WidgetInput{Kind: dashboards.KindTimeseries, Title: "Fees", Source: "case:billed", Options: o}
		}
		for _, tc := range []struct {
			name string
			in   dashboards.WidgetInput
			want []string
		}{
			{"unknown kind", dashboards.WidgetInput{Kind: "pie", Title: "T", Source: "crm.pipeline"}, []string{"kind"}},
			{"no title", dashboards.WidgetInput{Kind: "kpi", Source: "crm.pipeline"}, []string{"title"}},
			{"long title", dashboards.WidgetInput{Kind: "kpi", Title: strings.Repeat("x", 101), Source: "crm.pipeline"}, []string{"title"}},
			{"no source", dashboards.WidgetInput{Kind: "kpi", Title: "T"}, []string{"source"}},
			{"undotted metric", dashboards.WidgetInput{Kind: "kpi", Title: "T", Source: "pipeline"}, []string{"source"}},
			{"upper-case metric", dashboards.WidgetInput{Kind: "kpi", Title: "T", Source: "CRM.pipeline"}, []string{"source"}},
			{"SQL as source", dashboards.WidgetInput{Kind: "kpi", Title: "T", Source: "case:x; DROP TABLE cases"}, []string{"source"}},
			{"empty case kind", dashboards.WidgetInput{Kind: "kpi", Title: "T", Source: "case:"}, []string{"source"}},
			{"unknown period", ts(dashboards.Options{Period: "forever"}), []string{"options.period"}},
			{"custom without dates", ts(dashboards.Options{Period: "custom"}), []string{"options.from", "options.to"}},
			{"custom backwards", ts(dashboards.Options{Period: "custom", From: "2026-06-01", To: "2026-05-01"}), []string{"options.to"}},
			{"custom same day", ts(dashboards.Options{Period: "custom", From: "2026-06-01", To: "2026-06-01"}), []string{"options.to"}},
			{"custom too long", ts(dashboards.Options{Period: "custom", From: "2020-01-01", To: "2025-01-02"}), []string{"options.to"}},
			{"custom bad date", ts(dashboards.Options{Period: "custom", From: "2026-02-30", To: "2026-05-01"}), []string{"options.from"}},
			{"dates without custom", ts(dashboards.Options{Period: "this_month", From: "2026-01-01"}), []string{"options.from"}},
			{"unknown bucket", ts(dashboards.Options{Bucket: "hour"}), []string{"options.bucket"}},
			{"unknown aggregation", ts(dashboards.Options{Aggregation: "median"}), []string{"options.aggregation"}},
			{"unknown style", ts(dashboards.Options{Style: "pie"}), []string{"options.style"}},
			{"style on a bar", dashboards.WidgetInput{Kind: "bar", Title: "T", Source: "crm.pipeline", Options: dashboards.Options{Style: "area"}}, []string{"options.style"}},
			{"target on a table", dashboards.WidgetInput{Kind: "table", Title: "T", Source: "crm.pipeline", Options: dashboards.Options{Target: "5"}}, []string{"options.target"}},
			{"target not a number", dashboards.WidgetInput{Kind: "kpi", Title: "T", Source: "crm.pipeline", Options: dashboards.Options{Target: "1e9"}}, []string{"options.target"}},
			{"refresh too fast", ts(dashboards.Options{RefreshSeconds: 9}), []string{"options.refresh_seconds"}},
			{"refresh too slow", ts(dashboards.Options{RefreshSeconds: 3601}), []string{"options.refresh_seconds"}},
			{"negative refresh", ts(dashboards.Options{RefreshSeconds: -1}), []string{"options.refresh_seconds"}},
			{"too wide", ts(dashboards.Options{Width: 5}), []string{"options.width"}},
			{"every problem at once", dashboards.WidgetInput{Kind: "pie", Options: dashboards.Options{Period: "x", Width: 9}},
				[]string{"kind", "title", "source", "options.period", "options.width"}},
		} {
			_, err := w.svc.AddWidget(ctx, w.h, owner, d.ID, tc.in)
			if code(err) != strongroom.EINVALID || !slices.Equal(fields(err), tc.want) {
				t.Errorf("%s: %v, fields %v, want %v", tc.name, err, fields(err), tc.want)
			}
		}
		got, _ := w.svc.GetDashboard(ctx, w.h, owner, d.ID)
		if len(got.Widgets) != 0 || len(w.events("widget.add")) != 0 {
			t.Fatalf("refused widgets were added: %+v", got.Widgets)
		}

		// Good ones, with the defaults filled in.
		wd, err := w.svc.AddWidget(ctx, w.h, owner, d.ID, ts(dashboards.Options{Period: "custom", From: "2021-01-01", To: "2026-01-01"}))
		if err != nil {
			t.Fatal(err)
		}
		if o := wd.Options; o.Bucket != "month" || o.Style != "line" || o.Aggregation != "sum" || o.RefreshSeconds != 300 || o.Width != 2 {
			t.Errorf("defaults: %+v", o)
		}
		k, err := w.svc.AddWidget(ctx, w.h, owner, d.ID, dashboards.WidgetInput{Kind: "kpi", Title: "Target", Source: "case:open",
			Options: dashboards.Options{Target: "1250000.50", RefreshSeconds: 10, Width: 4}})
		if err != nil || k.Options.Target != "1250000.50" || k.Options.Width != 4 || k.Position != 1 {
			t.Errorf("kpi: %+v %v", k, err)
		}
	})
}

// TestWidgetLimit: a dashboard holds at most MaxWidgets widgets.
func TestWidgetLimit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		owner := w.user("owner", dashboardsAt(access.EditGrant))
		d := w.dashboard(owner, "Full")
		for i := range dashboards.MaxWidgets {
			if _, err := w.svc.AddWidget(ctx, w.h, owner, d.ID, kpi(fmt.Sprint("KPI ", i))); err != nil {
				t.Fatal(err)
			}
		}
		_, err := w.svc.AddWidget(ctx, w.h, owner, d.ID, kpi("One too many"))
		if code(err) != strongroom.EINVALID || strongroom.ErrorField(err) != "widgets" {
			t.Errorf("widget %d: %v", dashboards.MaxWidgets+1, err)
		}
		// Duplicating a full dashboard copies all of them.
		cp, err := w.svc.DuplicateDashboard(ctx, w.h, owner, d.ID, "Full again")
		if err != nil || len(cp.Widgets) != dashboards.MaxWidgets || cp.Name != "Full again" {
			t.Errorf("duplicate: %v", err)
		}
	})
}

// TestDashboardValidation: names, descriptions, confirmation, versions.
func TestDashboardValidation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		owner := w.user("owner", dashboardsAt(access.EditGrant))
		reader := w.user("reader", dashboardsAt(access.ReadGrant))
		for _, tc := range []struct {
			in   dashboards.DashboardInput
			want []string
		}{
			{dashboards.DashboardInput{}, []string{"name"}},
			{dashboards.DashboardInput{Name: " padded"}, []string{"name"}},
			{dashboards.DashboardInput{Name: strings.Repeat("é", 101)}, []string{"name"}},
			{dashboards.DashboardInput{Name: "Tab\there"}, []string{"name"}},
			{dashboards.DashboardInput{Name: "", Description: strings.Repeat("d", 501)}, []string{"name", "description"}},
		} {
			if _, err := w.svc.CreateDashboard(ctx, w.h, owner, tc.in); !slices.Equal(fields(err), tc.want) {
				t.Errorf("%+v: %v, want %v", tc.in, err, tc.want)
			}
		}
		if _, err := w.svc.CreateDashboard(ctx, w.h, reader, dashboards.DashboardInput{Name: "Mine"}); code(err) != strongroom.EFORBIDDEN {
			t.Errorf("create with dashboards read: %v", err)
		}
		d := w.dashboard(owner, "Board")
		if _, err := w.svc.UpdateDashboard(ctx, w.h, owner, d.ID, dashboards.DashboardInput{Name: "Old version", Version: d.Version + 1}); code(err) != strongroom.ECONFLICT {
			t.Errorf("stale rename: %v", err)
		}
		up, err := w.svc.UpdateDashboard(ctx, w.h, owner, d.ID, dashboards.DashboardInput{Name: "Board 2", Description: "Line one\nline two", Version: d.Version})
		if err != nil || up.Version != d.Version+1 || up.Description != "Line one\nline two" {
			t.Fatalf("rename: %+v %v", up, err)
		}
		err = w.svc.DeleteDashboard(ctx, w.h, owner, d.ID, dashboards.Deletion{Version: up.Version})
		if code(err) != strongroom.EINVALID || strongroom.ErrorField(err) != "confirm" {
			t.Errorf("unconfirmed delete: %v", err)
		}
		if err := w.svc.DeleteDashboard(ctx, w.h, owner, d.ID, dashboards.Deletion{Version: d.Version, Confirmed: true}); code(err) != strongroom.ECONFLICT {
			t.Errorf("stale delete: %v", err)
		}
		if err := w.svc.DeleteDashboard(ctx, w.h, owner, d.ID, dashboards.Deletion{Version: up.Version, Confirmed: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.GetDashboard(ctx, w.h, owner, d.ID); code(err) != strongroom.ENOTFOUND {
			t.Errorf("deleted dashboard: %v", err)
		}
		long := w.dashboard(owner, strings.Repeat("n", 95)+" tail")
		cp, err := w.svc.DuplicateDashboard(ctx, w.h, owner, long.ID, "")
		if err != nil || len([]rune(cp.Name)) > 100 || !strings.HasPrefix(cp.Name, "Copy of ") {
			t.Errorf("copy of a long name: %q %v", cp.Name, err)
		}
	})
}

// TestWidgetOrder: reorder, update with versions, remove closes the gap.
func TestWidgetOrder(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		owner := w.user("owner", dashboardsAt(access.EditGrant))
		d := w.dashboard(owner, "Order")
		var ids []int64
		for _, title := range []string{"A", "B", "C"} {
			wd, err := w.svc.AddWidget(ctx, w.h, owner, d.ID, kpi(title))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, wd.ID)
		}
		titles := func() string {
			got, _ := w.svc.GetDashboard(ctx, w.h, owner, d.ID)
			var s []string
			for i, wd := range got.Widgets {
				if wd.Position != i {
					t.Errorf("widget %s at position %d, index %d", wd.Title, wd.Position, i)
				}
				s = append(s, wd.Title)
			}
			return strings.Join(s, "")
		}
		for _, bad := range [][]int64{{ids[0], ids[1]}, {ids[0], ids[1], ids[1]}, {ids[0], ids[1], ids[2] + 99}} {
			if _, err := w.svc.ReorderWidgets(ctx, w.h, owner, d.ID, bad, d.Version); strongroom.ErrorField(err) != "order" {
				t.Errorf("reorder %v: %v", bad, err)
			}
		}
		got, err := w.svc.ReorderWidgets(ctx, w.h, owner, d.ID, []int64{ids[2], ids[0], ids[1]}, d.Version)
		if err != nil || titles() != "CAB" {
			t.Fatalf("reorder: %v %s", err, titles())
		}
		if _, err := w.svc.ReorderWidgets(ctx, w.h, owner, d.ID, ids, d.Version); code(err) != strongroom.ECONFLICT {
			t.Errorf("stale reorder: %v", err)
		}
		if _, err := w.svc.ReorderWidgets(ctx, w.h, owner, d.ID, ids, got.Version); err != nil || titles() != "ABC" {
			t.Errorf("reorder back: %v %s", err, titles())
		}
		in := kpi("B2")
		in.Version = 1
		if _, err := w.svc.UpdateWidget(ctx, w.h, owner, d.ID, ids[1], in); err != nil || titles() != "AB2C" {
			t.Errorf("update: %v %s", err, titles())
		}
		if _, err := w.svc.UpdateWidget(ctx, w.h, owner, d.ID, ids[1], in); code(err) != strongroom.ECONFLICT {
			t.Errorf("stale update: %v", err)
		}
		if err := w.svc.RemoveWidget(ctx, w.h, owner, d.ID, ids[0]); err != nil || titles() != "B2C" {
			t.Errorf("remove: %v %s", err, titles())
		}
		// A widget of another dashboard is not found through this one.
		other := w.dashboard(owner, "Other")
		if err := w.svc.RemoveWidget(ctx, w.h, owner, other.ID, ids[1]); code(err) != strongroom.ENOTFOUND {
			t.Errorf("remove through another dashboard: %v", err)
		}
		in.Version = 2
		if _, err := w.svc.UpdateWidget(ctx, w.h, owner, other.ID, ids[1], in); code(err) != strongroom.ENOTFOUND {
			t.Errorf("update through another dashboard: %v", err)
		}
	})
}

// TestWidgetLimitConcurrent: editors adding the last widget at the same
// time never take a dashboard past MaxWidgets. (Within one process the
// tenant's writes already queue; the touch of the dashboard's row is what
// keeps two nodes on PostgreSQL from both counting 23.)
func TestWidgetLimitConcurrent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		owner := w.user("owner", dashboardsAt(access.EditGrant))
		d := w.dashboard(owner, "Nearly full")
		for i := range dashboards.MaxWidgets - 1 {
			if _, err := w.svc.AddWidget(ctx, w.h, owner, d.ID, kpi(fmt.Sprint("KPI ", i))); err != nil {
				t.Fatal(err)
			}
		}
		errs, start := make(chan error, 12), make(chan struct{})
		for i := range cap(errs) {
			go func() {
				<-start
				_, err := w.svc.AddWidget(ctx, w.h, owner, d.ID, kpi(fmt.Sprint("Late ", i)))
				errs <- err
			}()
		}
		close(start)
		added := 0
		for range cap(errs) {
			switch err := <-errs; {
			case err == nil:
				added++
			case strongroom.ErrorField(err) != "widgets":
				t.Errorf("a concurrent add: %v", err)
			}
		}
		got, err := w.svc.GetDashboard(ctx, w.h, owner, d.ID)
		if err != nil || len(got.Widgets) != dashboards.MaxWidgets || added != 1 {
			t.Errorf("%d widgets after %d concurrent adds succeeded (%v)", len(got.Widgets), added, err)
		}
		for i, wd := range got.Widgets {
			if wd.Position != i {
				t.Errorf("widget %d at position %d", i, wd.Position)
			}
		}
	})
}
