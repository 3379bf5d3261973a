package dashboards_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"strongroom/access"
	"strongroom/dashboards"
)

// drain takes what waits on ch without blocking.
func drain(ch <-chan dashboards.Change) []dashboards.Change {
	var out []dashboards.Change
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, c)
		default:
			return out
		}
	}
}

func TestChangesPerTenant(t *testing.T) {
	c := dashboards.NewChanges()
	a, cancelA := c.Subscribe("a")
	b, cancelB := c.Subscribe("b")
	defer cancelB()
	c.Publish(dashboards.Change{Tenant: "a", Kind: dashboards.ChangeDashboard, DashboardID: 7})
	if got := drain(a); len(got) != 1 || got[0].DashboardID != 7 {
		t.Errorf("tenant a got %+v", got)
	}
	if got := drain(b); len(got) != 0 {
		t.Errorf("tenant b heard tenant a's change: %+v", got)
	}
	cancelA()
	cancelA() // twice is safe
	if _, open := <-a; open {
		t.Error("the channel stays open after cancel")
	}
	c.Publish(dashboards.Change{Tenant: "a", Kind: dashboards.ChangeDashboard}) // nobody listens: fine
	if n := c.Subscribers("a"); n != 0 {
		t.Errorf("%d subscribers left", n)
	}
	var none *dashboards.Changes
	none.Publish(dashboards.Change{Tenant: "a"}) // a service without a publisher
}

// TestChangesNeverBlock: a subscriber that reads nothing does not hold up
// Publish; it finds one resync in place of what it missed.
func TestChangesNeverBlock(t *testing.T) {
	c := dashboards.NewChanges()
	slow, cancel := c.Subscribe("a")
	defer cancel()
	for i := range 10 * dashboards.SubscriptionBuffer {
		c.Publish(dashboards.Change{Tenant: "a", Kind: dashboards.ChangeMembers, UserID: int64(i)})
	}
	got := drain(slow)
	if len(got) == 0 || len(got) > dashboards.SubscriptionBuffer {
		t.Fatalf("%d changes waiting", len(got))
	}
	sawResync := false
	for _, ch := range got {
		sawResync = sawResync || ch.Kind == dashboards.ChangeResync
	}
	if !sawResync {
		t.Errorf("no resync after dropped changes: %+v", got)
	}
	if last := got[len(got)-1]; last.UserID != int64(10*dashboards.SubscriptionBuffer-1) {
		t.Errorf("the newest change is missing: %+v", last)
	}
}

// TestChangesConcurrent publishes, subscribes and cancels from several
// goroutines at once (run with -race) and leaves no goroutine behind.
func TestChangesConcurrent(t *testing.T) {
	before := runtime.NumGoroutine()
	c := dashboards.NewChanges()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 200 {
				c.Publish(dashboards.Change{Tenant: "a", Kind: dashboards.ChangeShares, GroupID: int64(i)})
			}
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				ch, cancel := c.Subscribe("a")
				drain(ch)
				cancel()
			}
		}()
	}
	wg.Wait()
	if n := c.Subscribers("a"); n != 0 {
		t.Errorf("%d subscribers left", n)
	}
	// A goroutine that has called wg.Done may not have returned yet: wait
	// a while for the count to settle before calling any left behind.
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	if after > before {
		t.Errorf("%d goroutines before, %d after", before, after)
	}
}

// TestServicePublishes: every kind of change is announced once committed,
// and a refused change is not.
func TestServicePublishes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		ch, cancel := w.svc.Changes.Subscribe(w.h.Tenant.Slug)
		defer cancel()
		owner := w.user("owner", dashboardsAt(access.EditGrant))
		viewer := w.user("viewer", dashboardsAt(access.ReadGrant))
		g := w.group("Viewers", viewer)
		d := w.dashboard(owner, "Live")
		if err := w.svc.Share(ctx, w.h, owner, d.ID, g.ID, dashboards.PermView); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.UpdateDashboard(ctx, w.h, viewer, d.ID, dashboards.DashboardInput{Name: "No", Version: d.Version}); err == nil {
			t.Fatal("a viewer renamed the dashboard")
		}
		if err := w.svc.RemoveMember(ctx, w.h, w.admin, g.ID, viewer.User.ID); err != nil {
			t.Fatal(err)
		}
		got := drain(ch)
		want := []dashboards.Change{
			{Kind: dashboards.ChangeGroup, GroupID: g.ID},
			{Kind: dashboards.ChangeMembers, GroupID: g.ID, UserID: viewer.User.ID},
			{Kind: dashboards.ChangeDashboard, DashboardID: d.ID},
			{Kind: dashboards.ChangeShares, DashboardID: d.ID, GroupID: g.ID},
			{Kind: dashboards.ChangeMembers, GroupID: g.ID, UserID: viewer.User.ID},
		}
		if len(got) != len(want) {
			t.Fatalf("changes %+v\nwant %+v", got, want)
		}
		for i := range want {
			want[i].Tenant = w.h.Tenant.Slug
			if got[i] != want[i] {
				t.Errorf("change %d: %+v, want %+v", i, got[i], want[i])
			}
		}
	})
}
