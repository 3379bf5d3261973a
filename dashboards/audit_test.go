package dashboards_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"strongroom/access"
	"strongroom/dashboards"
)

// TestEveryChangeAudited runs each operation once and checks that it left
// exactly its event, by its actor, naming its object.
func TestEveryChangeAudited(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		owner := w.user("owner", dashboardsAt(access.EditGrant))
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		start := len(w.events(""))
		g, err := w.svc.CreateGroup(ctx, w.h, w.admin, dashboards.GroupInput{Name: "Board"})
		must(err)
		_, err = w.svc.UpdateGroup(ctx, w.h, w.admin, g.ID, dashboards.GroupInput{Name: "Board members", Version: g.Version})
		must(err)
		must(w.svc.AddMember(ctx, w.h, w.admin, g.ID, owner.User.ID))
		must(w.svc.RemoveMember(ctx, w.h, w.admin, g.ID, owner.User.ID))
		d, err := w.svc.CreateDashboard(ctx, w.h, owner, dashboards.DashboardInput{Name: "Fees"})
		must(err)
		d, err = w.svc.UpdateDashboard(ctx, w.h, owner, d.ID, dashboards.DashboardInput{Name: "Fees billed", Version: d.Version})
		must(err)
		wd, err := w.svc.AddWidget(ctx, w.h, owner, d.ID, kpi("Billed"))
		must(err)
		in := kpi("Billed this month")
		in.Options.Period, in.Version = dashboards.PeriodThisMonth, wd.Version
		_, err = w.svc.UpdateWidget(ctx, w.h, owner, d.ID, wd.ID, in)
		must(err)
		must(w.svc.Share(ctx, w.h, owner, d.ID, g.ID, dashboards.PermView))
		must(w.svc.Share(ctx, w.h, owner, d.ID, g.ID, dashboards.PermView)) // the same again: no change, no event
		must(w.svc.Unshare(ctx, w.h, owner, d.ID, g.ID))
		cp, err := w.svc.DuplicateDashboard(ctx, w.h, owner, d.ID, "")
		must(err)
		must(w.svc.RemoveWidget(ctx, w.h, owner, d.ID, wd.ID))
		d, err = w.svc.GetDashboard(ctx, w.h, owner, d.ID)
		must(err)
		must(w.svc.DeleteDashboard(ctx, w.h, owner, d.ID, dashboards.Deletion{Version: d.Version, Confirmed: true}))
		must(w.svc.DeleteGroup(ctx, w.h, w.admin, g.ID))

		want := []string{"group.create", "group.update", "group.member_add", "group.member_remove",
			"dashboard.create", "dashboard.update", "widget.add", "widget.update", "dashboard.share", "dashboard.unshare",
			"dashboard.duplicate", "widget.remove", "dashboard.delete", "group.delete"}
		evs := w.events("")[start:]
		var got []string
		for _, e := range evs {
			got = append(got, e.Action)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("events %v\nwant %v", got, want)
		}
		for _, e := range evs {
			actor := owner.User.ID
			if e.ObjectType == "user_group" {
				actor = w.admin.User.ID
			}
			if e.Actor.ID != fmt.Sprint(actor) || e.SourceIP != "192.0.2.9" || e.ObjectID == "" {
				t.Errorf("%s: actor %+v ip %q object %s %s", e.Action, e.Actor, e.SourceIP, e.ObjectType, e.ObjectID)
			}
		}
		byAction := map[string]int{}
		for i, a := range got {
			byAction[a] = i
		}
		if e := evs[byAction["group.member_add"]]; e.Details["user_id"] != fmt.Sprint(owner.User.ID) {
			t.Errorf("member_add details %v", e.Details)
		}
		if e := evs[byAction["dashboard.share"]]; e.Details["group_id"] != fmt.Sprint(g.ID) || e.Changes[0].After != "view" {
			t.Errorf("share: %+v", e)
		}
		if e := evs[byAction["dashboard.duplicate"]]; e.ObjectID != fmt.Sprint(cp.ID) || e.Details["source_dashboard_id"] != fmt.Sprint(d.ID) {
			t.Errorf("duplicate: %+v", e)
		}
		if e := evs[byAction["widget.update"]]; e.ObjectID != fmt.Sprint(wd.ID) || e.Details["dashboard_id"] != fmt.Sprint(d.ID) || len(e.Changes) != 2 {
			t.Errorf("widget.update: %+v", e)
		}
	})
}
