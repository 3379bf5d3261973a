package dashboards_test

import (
	"context"
	"slices"
	"testing"

	"strongroom"
	"strongroom/access"
	"strongroom/dashboards"
	"strongroom/kiosk"
)

// TestDashboardsUsing: the dashboards a push of a metric may change are
// those with a widget drawing it, stored metric or case data alike, and
// never another tenant's.
func TestDashboardsUsing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		owner := w.user("owner", dashboardsAt(access.EditGrant))
		a, b, c := w.dashboard(owner, "A"), w.dashboard(owner, "B"), w.dashboard(owner, "C")
		add := func(d *dashboards.Dashboard, source string) {
			t.Helper()
			in := kpi("K " + source)
			in.Source = source
			if _, err := w.svc.AddWidget(ctx, w.h, owner, d.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		add(a, "crm.pipeline")
		add(a, "crm.pipeline")
		add(b, "case:open")
		add(c, "crm.won")
		for _, tc := range []struct {
			metrics []string
			want    []int64
		}{
			{[]string{"crm.pipeline"}, []int64{a.ID}},
			{[]string{"crm.pipeline", "case.open"}, []int64{a.ID, b.ID}},
			{[]string{"crm.won", "nothing.here"}, []int64{c.ID}},
			{[]string{"nothing.here"}, nil},
			{nil, nil},
		} {
			got, err := w.svc.DashboardsUsing(ctx, w.h, tc.metrics)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("%v: %v, %v; want %v", tc.metrics, got, err, tc.want)
			}
		}
		if got, err := w.svc.DashboardsUsing(ctx, w.otherTenant(), []string{"crm.pipeline"}); err != nil || len(got) != 0 {
			t.Errorf("another tenant: %v, %v", got, err)
		}
		lw, err := w.svc.LiveWidgets(ctx, w.h, a.ID)
		if err != nil || len(lw) != 2 || lw[0].Refresh <= 0 {
			t.Errorf("live widgets: %v, %v", lw, err)
		}
	})
}

// TestKioskWidgets: a kiosk identity that does not read dashboards gets
// no widgets; one that does gets the link's dashboard's; a missing
// dashboard is not found.
func TestKioskWidgets(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		owner := w.user("owner", dashboardsAt(access.EditGrant))
		d := w.dashboard(owner, "A")
		if _, err := w.svc.AddWidget(ctx, w.h, owner, d.ID, kpi("Pipeline")); err != nil {
			t.Fatal(err)
		}
		reads := (&kiosk.Link{Identity: kiosk.Identity{Areas: []access.Area{access.Dashboards}}}).Subject()
		none := (&kiosk.Link{Identity: kiosk.Identity{Areas: []access.Area{access.Cases}}}).Subject()
		ws, err := w.svc.KioskWidgets(ctx, w.h, reads, d.ID)
		if err != nil || len(ws) != 1 || ws[0].Title != "Pipeline" {
			t.Errorf("reads dashboards: %v, %v", ws, err)
		}
		_, err = w.svc.KioskWidgets(ctx, w.h, none, d.ID)
		wantCode(t, "without the dashboards area", err, strongroom.EFORBIDDEN)
		_, err = w.svc.KioskWidgets(ctx, w.h, reads, d.ID+100)
		wantCode(t, "missing dashboard", err, strongroom.ENOTFOUND)
	})
}
