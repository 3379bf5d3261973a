package kiosk_test

import (
	"context"
	"testing"
	"time"

	"strongroom"
	"strongroom/kiosk"
	"strongroom/store"
	"strongroom/store/storetest"
)

// TestStillLive: the quiet re-check of an open screen fails at once for a
// revoked, paused, expired or regenerated link and for an address the
// allowlist no longer takes, and neither counts a view nor writes to the
// audit trail nor spends the guard's budget.
func TestStillLive(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		ip := "192.0.2.10"
		fails := func(what, token string) {
			t.Helper()
			if _, err := f.svc.StillLive(ctx, f.h, token, ip); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
				t.Errorf("%s: %v, want not found", what, err)
			}
		}
		in := f.input()
		in.ExpiresAt = f.clock.Now().Add(time.Hour)
		l, token := f.create(in)
		before := len(f.events(""))
		for range 50 { // well past the guard's budget, were it counted
			r, err := f.svc.StillLive(ctx, f.h, token, ip)
			if err != nil || r.Link.ID != l.ID || r.Subject == nil {
				t.Fatalf("live link: %v", err)
			}
		}
		got, err := f.svc.Get(ctx, f.h, f.admin, l.ID)
		if err != nil || got.ViewCount != 0 || len(f.events("")) != before {
			t.Fatalf("a re-check counted a view or wrote to the trail: %v views, %d events (was %d), %v", got.ViewCount, len(f.events("")), before, err)
		}
		fails("unknown token", "srk_"+token[4:10]+token[4:41])

		if _, err := f.svc.SetPaused(ctx, f.h, f.admin, l.ID, true); err != nil {
			t.Fatal(err)
		}
		fails("paused", token)
		if _, err := f.svc.SetPaused(ctx, f.h, f.admin, l.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.StillLive(ctx, f.h, token, ip); err != nil {
			t.Fatalf("resumed: %v", err)
		}
		f.clock.Add(2 * time.Hour)
		fails("expired", token)
		f.clock.Add(-2 * time.Hour)

		_, fresh, err := f.svc.Regenerate(ctx, f.h, f.admin, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		fails("old token after regenerate", token)
		if _, err := f.svc.StillLive(ctx, f.h, fresh, ip); err != nil {
			t.Fatalf("new token: %v", err)
		}
		// Each change is made from the link's version of the moment.
		update := func(in kiosk.Input) {
			t.Helper()
			cur, err := f.svc.Get(ctx, f.h, f.admin, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			in.Version = cur.Version
			if _, err := f.svc.Update(ctx, f.h, f.admin, l.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		in.AllowedCIDRs = []string{"198.51.100.0/24"}
		update(in)
		fails("address outside the allowlist", fresh)
		in.AllowedCIDRs = nil
		update(in)
		if _, err := f.svc.Revoke(ctx, f.h, f.admin, l.ID); err != nil {
			t.Fatal(err)
		}
		fails("revoked", fresh)
	})
}
