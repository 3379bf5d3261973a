package kiosk_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"strongroom/access"
	"strongroom/identity"
	"strongroom/identity/password"
	"strongroom/keys"
	"strongroom/kiosk"
	"strongroom/store"
	"strongroom/tenancy"
)

var discard = slog.New(slog.DiscardHandler)

// clock is a fake clock tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fixture is one tenant made as `strongroom tenant create` makes it, the
// kiosk service over it, and its first administrator.
type fixture struct {
	t      *testing.T
	h      *tenancy.Handle
	svc    *kiosk.Service
	ids    *identity.Service
	clock  *clock
	admin  *identity.Principal
	class  int64
	boards map[int64]bool // the dashboards that exist
}

func newFixture(t *testing.T, e store.Engine) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := e.OpenControl(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	k, err := keys.Open(ctx, filepath.Join(t.TempDir(), "master.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, clock: &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}, boards: map[int64]bool{1: true, 2: true, 3: true}}
	f.ids = identity.New(password.NewHasher(password.Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 0), identity.NewThrottle(1000, time.Second), discard)
	control := store.NewControl(db)
	tenants := tenancy.NewService(e, control, k, discard)
	tenants.Checkpoints = t.TempDir()
	tenants.Initialize = func(ctx context.Context, h *tenancy.Handle) error {
		_, err := f.ids.Bootstrap(ctx, h, "")
		return err
	}
	if _, err := tenants.Create(ctx, "firm", "Firm LLP"); err != nil {
		t.Fatal(err)
	}
	reg := tenancy.NewRegistry(e, control, k, discard, time.Minute, tenants.Checkpoints)
	t.Cleanup(reg.Close)
	h, release, err := reg.Get(ctx, "firm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	f.h = h
	// The administrator as the service sees them: user 1 (made by
	// Bootstrap) with the built-in administrator role.
	f.admin = principal(1, access.AdministratorRole)
	c, err := f.ids.CreateClass(ctx, h, f.admin, identity.Class{Name: "Lobby"})
	if err != nil {
		t.Fatal(err)
	}
	f.class = c.ID
	f.svc = kiosk.New(discard)
	f.svc.Now = f.clock.Now
	f.svc.NotFoundFloor = 0
	f.svc.DashboardExists = func(_ context.Context, _ *tenancy.Handle, _ *identity.Principal, id int64) (bool, error) {
		return f.boards[id], nil
	}
	return f
}

// principal is user id holding the built-in role named role.
func principal(id int64, role string) *identity.Principal {
	var roles []access.Role
	for _, r := range access.BuiltinRoles() {
		if r.Name == role {
			roles = append(roles, r)
		}
	}
	return &identity.Principal{User: &identity.User{ID: id}, Subject: access.NewSubject(id, false, nil, roles), IP: "192.0.2.1"}
}

// input is a valid link.
func (f *fixture) input() kiosk.Input {
	return kiosk.Input{Label: "Reception TV", RotationSeconds: 30, Dashboards: []int64{2, 1},
		Areas: []string{"dashboards"}, Classes: []int64{f.class}, Restricted: true}
}

func (f *fixture) create(in kiosk.Input) (*kiosk.Link, string) {
	f.t.Helper()
	l, token, err := f.svc.Create(context.Background(), f.h, f.admin, in)
	if err != nil {
		f.t.Fatalf("create: %v", err)
	}
	return l, token
}

// events returns the tenant's audit events with action (all when "").
func (f *fixture) events(action string) []auditEvent {
	f.t.Helper()
	evs, err := f.h.Audit.Events(context.Background(), 0, 1_000_000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []auditEvent
	for _, e := range evs {
		if action == "" || e.Action == action {
			out = append(out, auditEvent{e.Action, e.ObjectID, e.SourceIP, e.Details, e.Changes})
		}
	}
	return out
}

type auditEvent struct {
	Action, Object, IP string
	Details            map[string]string
	Changes            any
}
