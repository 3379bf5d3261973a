package kiosk_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/kiosk"
	"strongroom/store"
	"strongroom/store/storetest"
)

func TestLinks(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		t.Run("Create", f.testCreate)
		t.Run("Invalid", f.testInvalid)
		t.Run("AdministratorsOnly", f.testAdministratorsOnly)
		t.Run("RevokeAndRegenerate", f.testRevokeAndRegenerate)
		t.Run("Pause", f.testPause)
		t.Run("Expiry", f.testExpiry)
		t.Run("Allowlist", f.testAllowlist)
		t.Run("UpdateAndDelete", f.testUpdateAndDelete)
		t.Run("StaleUpdate", f.testStaleUpdate)
	})
}

// A new link's token is 256 random bits with the srk_ prefix, stored only
// as its SHA-256; nothing in the database or the audit trail holds it.
func (f *fixture) testCreate(t *testing.T) {
	ctx := context.Background()
	l, token := f.create(f.input())
	if !strings.HasPrefix(token, "srk_") || len(token) != 4+43 || len(l.PublicID) != 8 || strings.Contains(token, l.PublicID) {
		t.Fatalf("token %d chars, public id %q", len(token), l.PublicID)
	}
	var hash string
	if err := f.h.DB.QueryRowContext(ctx, `SELECT token_hash FROM kiosk_links WHERE id = ?`, l.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(token))
	if hash != hex.EncodeToString(sum[:]) {
		t.Fatalf("stored %q, not the token's SHA-256", hash)
	}
	f.noTokenStored(t, token)
	if l.Label != "Reception TV" || l.Rotation != 30*time.Second || fmt.Sprint(l.Dashboards) != "[2 1]" || l.CreatedBy != 1 ||
		!l.Identity.Restricted || fmt.Sprint(l.Identity.Classes) != fmt.Sprint([]int64{f.class}) {
		t.Fatalf("created %+v", l)
	}
	if evs := f.events("kiosk.create"); len(evs) == 0 || evs[len(evs)-1].Object != fmt.Sprint(l.ID) {
		t.Fatalf("kiosk.create events %+v", evs)
	}
	list, err := f.svc.List(ctx, f.h, f.admin)
	if err != nil || len(list) == 0 || list[0].ID != l.ID || list[0].ViewCount != 0 {
		t.Fatalf("list %+v, %v", list, err)
	}
	// Two links never share a token.
	_, other := f.create(f.input())
	if other == token {
		t.Fatal("two links got one token")
	}
}

// noTokenStored fails when any text column of kiosk_links, or any audit
// event, holds token.
func (f *fixture) noTokenStored(t *testing.T, token string) {
	t.Helper()
	for _, e := range f.events("") {
		if strings.Contains(fmt.Sprintf("%+v", e), token) || strings.Contains(fmt.Sprintf("%+v", e), token[4:]) {
			t.Fatalf("audit event %s holds the token", e.Action)
		}
	}
	var n int
	if err := f.h.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM kiosk_links WHERE label LIKE ? OR public_id LIKE ? OR token_hash LIKE ?`,
		"%"+token[4:]+"%", "%"+token[4:]+"%", "%"+token[4:]+"%").Scan(&n); err != nil || n != 0 {
		t.Fatalf("a kiosk_links row holds the token (%d, %v)", n, err)
	}
}

// Bad input is refused whole, each problem naming its field, and nothing
// is saved.
func (f *fixture) testInvalid(t *testing.T) {
	ctx := context.Background()
	before, _ := f.svc.List(ctx, f.h, f.admin)
	in := kiosk.Input{Label: " ", RotationSeconds: 5, ExpiresAt: f.clock.Now().Add(-time.Minute), AllowedCIDRs: []string{"not a network"},
		Dashboards: []int64{1, 99}, Areas: []string{"administration"}, Classes: []int64{9999}, Restricted: true}
	_, token, err := f.svc.Create(ctx, f.h, f.admin, in)
	if token != "" || strongroom.ErrorCode(err) != strongroom.EINVALID {
		t.Fatalf("invalid input: %q, %v", token, err)
	}
	var fields []string
	for _, p := range strongroom.ErrorProblems(err) {
		fields = append(fields, p.Field)
	}
	if got := strings.Join(fields, " "); got != "label rotation_seconds expires_at allowed_cidrs areas dashboards classes" {
		t.Fatalf("fields at fault: %s", got)
	}
	after, _ := f.svc.List(ctx, f.h, f.admin)
	if len(after) != len(before) {
		t.Fatal("an invalid link was saved")
	}
	in = f.input()
	in.Areas = []string{"audit"}
	if _, _, err := f.svc.Create(ctx, f.h, f.admin, in); strongroom.ErrorField(err) != "areas" {
		t.Fatalf("a kiosk with the audit area: %v", err)
	}
	in = f.input()
	in.Classes = nil
	if _, _, err := f.svc.Create(ctx, f.h, f.admin, in); strongroom.ErrorField(err) != "classes" {
		t.Fatalf("a restricted kiosk without classes: %v", err)
	}
}

// Only administrators manage links.
func (f *fixture) testAdministratorsOnly(t *testing.T) {
	ctx := context.Background()
	l, _ := f.create(f.input())
	staff := principal(1, access.StaffRole)
	if _, _, err := f.svc.Create(ctx, f.h, staff, f.input()); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
		t.Fatalf("staff creates: %v", err)
	}
	if _, err := f.svc.List(ctx, f.h, staff); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
		t.Fatalf("staff lists: %v", err)
	}
	if _, _, err := f.svc.Regenerate(ctx, f.h, staff, l.ID); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
		t.Fatalf("staff regenerates: %v", err)
	}
}

// Revoking stops a token at once and for good; regenerating stops the old
// token at once and the new one works.
func (f *fixture) testRevokeAndRegenerate(t *testing.T) {
	ctx := context.Background()
	l, token := f.create(f.input())
	f.mustView(t, token, "192.0.2.50")
	l2, fresh, err := f.svc.Regenerate(ctx, f.h, f.admin, l.ID)
	if err != nil || fresh == token || l2.PublicID == l.PublicID {
		t.Fatalf("regenerate: %v", err)
	}
	f.mustNotFound(t, token, "192.0.2.50")
	f.mustView(t, fresh, "192.0.2.50")
	f.noTokenStored(t, fresh)
	if _, err := f.svc.Revoke(ctx, f.h, f.admin, l.ID); err != nil {
		t.Fatal(err)
	}
	f.mustNotFound(t, fresh, "192.0.2.50")
	if _, err := f.svc.SetPaused(ctx, f.h, f.admin, l.ID, false); strongroom.ErrorCode(err) != strongroom.ECONFLICT {
		t.Fatalf("resume a revoked link: %v", err)
	}
	if _, _, err := f.svc.Regenerate(ctx, f.h, f.admin, l.ID); strongroom.ErrorCode(err) != strongroom.ECONFLICT {
		t.Fatalf("regenerate a revoked link: %v", err)
	}
	for _, a := range []string{"kiosk.regenerate", "kiosk.revoke"} {
		if len(f.events(a)) == 0 {
			t.Errorf("no %s event", a)
		}
	}
	fails := f.events("kiosk.guess_failed")
	if last := fails[len(fails)-1]; last.Object != fmt.Sprint(l.ID) || last.Details["reason"] != "revoked" || last.IP != "192.0.2.50" {
		t.Fatalf("last failure %+v", last)
	}
}

// A paused link resolves as paused, which is no view; resumed, it shows.
func (f *fixture) testPause(t *testing.T) {
	ctx := context.Background()
	l, token := f.create(f.input())
	if _, err := f.svc.SetPaused(ctx, f.h, f.admin, l.ID, true); err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.View(ctx, f.h, token, "192.0.2.51")
	if err != nil || !r.Paused {
		t.Fatalf("paused link: %+v, %v", r, err)
	}
	if got, _ := f.svc.Get(ctx, f.h, f.admin, l.ID); got.ViewCount != 0 {
		t.Fatalf("a paused notice counted as a view: %d", got.ViewCount)
	}
	if _, err := f.svc.SetPaused(ctx, f.h, f.admin, l.ID, false); err != nil {
		t.Fatal(err)
	}
	f.mustView(t, token, "192.0.2.51")
	f.mustView(t, token, "192.0.2.51")
	got, _ := f.svc.Get(ctx, f.h, f.admin, l.ID)
	if got.ViewCount != 2 || !got.LastViewedAt.Equal(f.clock.Now()) {
		t.Fatalf("views %d, last %v", got.ViewCount, got.LastViewedAt)
	}
	views := f.events("kiosk.view")
	if v := views[len(views)-1]; v.Object != fmt.Sprint(l.ID) || v.IP != "192.0.2.51" {
		t.Fatalf("view event %+v", v)
	}
}

// A link stops at its expiry.
func (f *fixture) testExpiry(t *testing.T) {
	in := f.input()
	in.ExpiresAt = f.clock.Now().Add(time.Hour)
	_, token := f.create(in)
	f.mustView(t, token, "192.0.2.52")
	f.clock.Add(time.Hour)
	f.mustNotFound(t, token, "192.0.2.52")
}

// A link with an allowlist answers other addresses as an unknown token.
func (f *fixture) testAllowlist(t *testing.T) {
	in := f.input()
	in.AllowedCIDRs = []string{"198.51.100.0/24", "2001:db8:1::7"}
	l, token := f.create(in)
	if fmt.Sprint(l.AllowedCIDRs) != "[198.51.100.0/24 2001:db8:1::7/128]" {
		t.Fatalf("allowlist %v", l.AllowedCIDRs)
	}
	f.mustView(t, token, "198.51.100.20")
	f.mustView(t, token, "::ffff:198.51.100.21")
	f.mustView(t, token, "2001:db8:1::7")
	f.mustNotFound(t, token, "203.0.113.5")
	f.mustNotFound(t, token, "2001:db8:1::8")
}

func (f *fixture) testUpdateAndDelete(t *testing.T) {
	ctx := context.Background()
	l, token := f.create(f.input())
	in := f.input()
	in.Label, in.Dashboards, in.Restricted, in.Classes = "Board room", []int64{3}, false, nil
	in.Version = l.Version
	got, err := f.svc.Update(ctx, f.h, f.admin, l.ID, in)
	if err != nil || got.Version != l.Version+1 || got.Label != "Board room" || fmt.Sprint(got.Dashboards) != "[3]" || got.Identity.Restricted || len(got.Identity.Classes) != 0 {
		t.Fatalf("update: %+v, %v", got, err)
	}
	r := f.mustView(t, token, "192.0.2.53")
	if s := r.Subject; s.Restricted || !s.Allowed(access.Dashboards, access.Read) || s.Allowed(access.Dashboards, access.Edit) || s.Allowed(access.Cases, access.Read) || s.UserID != 0 {
		t.Fatalf("kiosk subject %+v", s)
	}
	if err := f.svc.Delete(ctx, f.h, f.admin, l.ID); err != nil {
		t.Fatal(err)
	}
	f.mustNotFound(t, token, "192.0.2.53")
	if _, err := f.svc.Get(ctx, f.h, f.admin, l.ID); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
		t.Fatalf("deleted link: %v", err)
	}
	if len(f.events("kiosk.update")) == 0 || len(f.events("kiosk.delete")) == 0 {
		t.Fatal("update or delete not audited")
	}
}

func (f *fixture) mustView(t *testing.T, token, ip string) *kiosk.Resolved {
	t.Helper()
	r, err := f.svc.View(context.Background(), f.h, token, ip)
	if err != nil || r.Paused {
		t.Fatalf("view from %s: %+v, %v", ip, r, err)
	}
	return r
}

func (f *fixture) mustNotFound(t *testing.T, token, ip string) {
	t.Helper()
	r, err := f.svc.View(context.Background(), f.h, token, ip)
	if r != nil || strongroom.ErrorCode(err) != strongroom.ENOTFOUND || strongroom.ErrorMessage(err) != "Page not found." {
		t.Fatalf("view from %s: %+v, %v", ip, r, err)
	}
}

// An update made from an older version of a link is refused naming the
// version, and changes nothing: not the link, not the audit trail.
func (f *fixture) testStaleUpdate(t *testing.T) {
	ctx := context.Background()
	l, _ := f.create(f.input())
	if l.Version != 1 {
		t.Fatalf("a new link at version %d", l.Version)
	}
	first := f.input()
	first.Label, first.Version = "Lobby", l.Version
	moved, err := f.svc.Update(ctx, f.h, f.admin, l.ID, first)
	if err != nil || moved.Version != 2 {
		t.Fatalf("first update: %+v, %v", moved, err)
	}
	// Pausing is a change too: an edit read before it is stale.
	paused, err := f.svc.SetPaused(ctx, f.h, f.admin, l.ID, true)
	if err != nil || paused.Version != 3 {
		t.Fatalf("pause: %+v, %v", paused, err)
	}
	updates := len(f.events("kiosk.update"))
	for _, version := range []int{l.Version, moved.Version, 0, 99} {
		stale := f.input()
		stale.Label, stale.Dashboards, stale.Version = "Board room", []int64{3}, version
		_, err := f.svc.Update(ctx, f.h, f.admin, l.ID, stale)
		if strongroom.ErrorCode(err) != strongroom.ECONFLICT || strongroom.ErrorField(err) != "version" ||
			!strings.Contains(strongroom.ErrorMessage(err), "Someone else changed this kiosk link") {
			t.Fatalf("update from version %d: %v", version, err)
		}
	}
	got, err := f.svc.Get(ctx, f.h, f.admin, l.ID)
	if err != nil || got.Label != "Lobby" || fmt.Sprint(got.Dashboards) != "[2 1]" || got.Version != 3 || !got.Paused {
		t.Fatalf("after stale updates: %+v, %v", got, err)
	}
	if n := len(f.events("kiosk.update")); n != updates {
		t.Fatalf("stale updates audited: %d events, want %d", n, updates)
	}
	// Views do not move the version: a screen on the wall does not make
	// an administrator's open form stale.
	if _, err := f.svc.SetPaused(ctx, f.h, f.admin, l.ID, false); err != nil {
		t.Fatal(err)
	}
	_, token, err := f.svc.Regenerate(ctx, f.h, f.admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := f.svc.Get(ctx, f.h, f.admin, l.ID)
	f.mustView(t, token, "192.0.2.54")
	after, _ := f.svc.Get(ctx, f.h, f.admin, l.ID)
	if after.Version != before.Version || after.ViewCount != before.ViewCount+1 {
		t.Fatalf("a view moved the version: %d to %d", before.Version, after.Version)
	}
}
