package identity_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom/identity"
	"strongroom/identity/password"
	"strongroom/identity/totp"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

var discard = slog.New(slog.DiscardHandler)

// fastParams keep tests quick; the default parameters are tested in
// package password and by the timing test below.
var fastParams = password.Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

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

// fixture is one tenant, created as `strongroom tenant create` does, with
// its first administrator already past the first-login password change.
type fixture struct {
	t        *testing.T
	svc      *identity.Service
	h        *tenancy.Handle
	clock    *clock
	throttle *identity.Throttle
	hasher   *password.Hasher
	admin    *identity.Principal
	adminPW  string
}

const adminPassword = "correct horse battery staple for the office"

func newFixture(t *testing.T, e store.Engine, params password.Params) *fixture {
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
	f := &fixture{t: t, clock: &clock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}}
	f.throttle = identity.NewThrottle(1000, time.Second)
	f.throttle.Now = f.clock.Now
	f.hasher = password.NewHasher(params, 0)
	f.svc = identity.New(f.hasher, f.throttle, discard)
	f.svc.Now = f.clock.Now
	f.svc.Budget.Burst = 1000
	f.svc.Budget.Now, f.svc.Devices.Now = f.clock.Now, f.clock.Now
	control := store.NewControl(db)
	tenants := tenancy.NewService(e, control, k, discard)
	tenants.Checkpoints = t.TempDir()
	var temp string
	tenants.Initialize = func(ctx context.Context, h *tenancy.Handle) error {
		var err error
		temp, err = f.svc.Bootstrap(ctx, h, "")
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

	// The first administrator signs in and must change the password.
	p := f.signIn("admin", temp)
	if !p.User.PasswordTemporary || !p.Restricted() {
		t.Fatal("the first administrator's password is not temporary")
	}
	token, err := f.svc.ChangePassword(ctx, h, p, temp, adminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	f.admin = f.session(token)
	f.adminPW = adminPassword
	return f
}

// signIn logs in with a password only and returns the session's principal.
func (f *fixture) signIn(user, pw string) *identity.Principal {
	f.t.Helper()
	res, err := f.svc.Login(context.Background(), f.h, user, pw, "192.0.2.1", "test")
	if err != nil {
		f.t.Fatalf("sign in as %s: %v", user, err)
	}
	if res.SecondFactor {
		f.t.Fatalf("sign in as %s: unexpected second factor", user)
	}
	return f.session(res.Token)
}

func (f *fixture) session(token string) *identity.Principal {
	f.t.Helper()
	p, err := f.svc.Authenticate(context.Background(), f.h, token, "192.0.2.1")
	if err != nil {
		f.t.Fatalf("authenticate: %v", err)
	}
	return p
}

// role returns the id of the built-in role with name.
func (f *fixture) role(name string) int64 {
	f.t.Helper()
	rs, err := f.svc.ListRoles(context.Background(), f.h, f.admin)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range rs {
		if r.Name == name {
			return r.ID
		}
	}
	f.t.Fatalf("no role %q", name)
	return 0
}

// newUser creates a user with roles and returns them signed in, past
// the first-login change, with their permanent password.
func (f *fixture) newUser(name string, in identity.UserInput) (*identity.Principal, string) {
	f.t.Helper()
	ctx := context.Background()
	in.Username = name
	if in.DisplayName == "" {
		in.DisplayName = strings.ToUpper(name[:1]) + name[1:]
	}
	u, temp, err := f.svc.CreateUser(ctx, f.h, f.admin, in)
	if err != nil {
		f.t.Fatal(err)
	}
	if !u.PasswordTemporary {
		f.t.Fatal("a new user's password is not temporary")
	}
	p := f.signIn(name, temp)
	pw := fmt.Sprintf("quiet meadow lantern %x", name)
	token, err := f.svc.ChangePassword(ctx, f.h, p, temp, pw, "test")
	if err != nil {
		f.t.Fatal(err)
	}
	return f.session(token), pw
}

func forEachEngine(t *testing.T, fn func(t *testing.T, f *fixture)) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) { fn(t, newFixture(t, e, fastParams)) })
}

var _ = totp.CodeAt
