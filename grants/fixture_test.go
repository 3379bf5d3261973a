package grants_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/grants"
	"strongroom/identity"
	"strongroom/identity/password"
	"strongroom/keys"
	"strongroom/operators"
	"strongroom/store"
	"strongroom/tenancy"
)

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

type fixture struct {
	t     *testing.T
	ctx   context.Context
	h     *tenancy.Handle
	other *tenancy.Handle
	ids   *identity.Service
	svc   *grants.Service
	clock *clock
	admin *identity.Principal
	op    *operators.Operator
}

var fastParams = password.Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// newFixture is two tenants ("firm" and "other") made as `strongroom
// tenant create` makes them, the grants service on the real control
// database and registry, firm's first administrator and one operator.
func newFixture(t *testing.T, e store.Engine) *fixture {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	db, err := e.OpenControl(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	k, err := keys.Open(ctx, filepath.Join(t.TempDir(), "master.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	ids := identity.New(password.NewHasher(fastParams, 0), identity.NewThrottle(1000, time.Second), log)
	control := store.NewControl(db)
	tenants := tenancy.NewService(e, control, k, log)
	tenants.Checkpoints = t.TempDir()
	tenants.Initialize = func(ctx context.Context, h *tenancy.Handle) error {
		_, err := ids.Bootstrap(ctx, h, "")
		return err
	}
	for _, slug := range []string{"firm", "other"} {
		if _, err := tenants.Create(ctx, slug, slug+" LLP"); err != nil {
			t.Fatal(err)
		}
	}
	reg := tenancy.NewRegistry(e, control, k, log, time.Minute, tenants.Checkpoints)
	t.Cleanup(reg.Close)
	f := &fixture{t: t, ctx: ctx, ids: ids, clock: &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}}
	var release func()
	if f.h, release, err = reg.Get(ctx, "firm"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	if f.other, release, err = reg.Get(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	f.svc = grants.New(db, reg, log)
	f.svc.Now = f.clock.Now
	f.svc.Identity = ids
	f.admin = principal(1, access.AdministratorRole)
	f.op = &operators.Operator{ID: 7, Name: "olga", DisplayName: "Olga Operator", Role: operators.RoleStaff}
	return f
}

func principal(id int64, role string) *identity.Principal {
	var roles []access.Role
	for _, r := range access.BuiltinRoles() {
		if r.Name == role {
			roles = append(roles, r)
		}
	}
	return &identity.Principal{User: &identity.User{ID: id}, Subject: access.NewSubject(id, false, nil, roles), IP: "192.0.2.7"}
}

func (f *fixture) file(in grants.Request) *grants.Grant {
	f.t.Helper()
	g, err := f.svc.File(f.ctx, f.op, "198.51.100.4", in)
	if err != nil {
		f.t.Fatalf("file %+v: %v", in, err)
	}
	return g
}

func support(d time.Duration) grants.Request {
	return grants.Request{Tenant: "firm", Reason: grants.Support, Ticket: "SUP-1042", Duration: d}
}

func (f *fixture) events(h *tenancy.Handle, action string) []audit.Event {
	f.t.Helper()
	evs, err := h.Audit.Events(f.ctx, 0, 1_000_000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []audit.Event
	for _, e := range evs {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func (f *fixture) active() *grants.Grant {
	f.t.Helper()
	g, err := f.svc.Active(f.ctx, "firm", f.op, f.clock.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return g
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if strongroom.ErrorCode(err) != code {
		t.Fatalf("got %v (%s), want %s", err, strongroom.ErrorCode(err), code)
	}
}
