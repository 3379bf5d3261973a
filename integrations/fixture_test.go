package integrations_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/integrations"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/store/storetest"
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

// sink keeps what it is given.
type sink struct {
	mu     sync.Mutex
	points []integrations.Point
	fail   error
}

func (s *sink) Record(_ context.Context, _ *tenancy.Handle, pts []integrations.Point) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.points = append(s.points, pts...)
	return nil
}

type fixture struct {
	t      *testing.T
	h      *tenancy.Handle
	svc    *integrations.Service
	clock  *clock
	sink   *sink
	logs   *syncBuffer
	admin  *identity.Principal
	reader *identity.Principal
}

// syncBuffer collects the service's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

var scenarios = []struct {
	name string
	fn   func(t *testing.T, f *fixture)
}{
	{"CRUD", testCRUD},
	{"Validation", testValidation},
	{"Authorization", testAuthorization},
	{"PlainHTTP", testPlainHTTP},
	{"UnencryptedMetrics", testUnencryptedMetrics},
	{"PullAndBackoff", testPullAndBackoff},
	{"PullDue", testPullDue},
	{"TestWritesNothing", testTestWritesNothing},
	{"SecretNeverShown", testSecretNeverShown},
	{"SealBinding", testSealBinding},
	{"StaleVersion", testStaleVersion},
	{"Preset", testPreset},
}

func TestIntegrations(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		t.Cleanup(func() { e.Close() })
		h := newTenant(t, e)
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				clearIntegrations(t, h)
				sc.fn(t, newFixture(t, h))
			})
		}
	})
}

func newTenant(t *testing.T, e store.Engine) *tenancy.Handle {
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
	control := store.NewControl(db)
	discard := slog.New(slog.DiscardHandler)
	tenants := tenancy.NewService(e, control, k, discard)
	tenants.Checkpoints = t.TempDir()
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
	return h
}

func clearIntegrations(t *testing.T, h *tenancy.Handle) {
	t.Helper()
	if _, err := h.DB.ExecContext(context.Background(), `DELETE FROM integrations`); err != nil {
		t.Fatal(err)
	}
}

func newFixture(t *testing.T, h *tenancy.Handle) *fixture {
	f := &fixture{t: t, h: h, clock: &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}, sink: &sink{}, logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.svc = integrations.New(integrations.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, f.sink, log)
	f.svc.Now = f.clock.Now
	f.admin = principal(1, map[access.Area]access.Grant{access.Administration: access.EditGrant})
	f.reader = principal(2, map[access.Area]access.Grant{access.Administration: access.ReadGrant})
	return f
}

func principal(id int64, g map[access.Area]access.Grant) *identity.Principal {
	return &identity.Principal{User: &identity.User{ID: id, Username: "u"}, IP: "192.0.2.7",
		Subject: access.NewSubject(id, false, nil, []access.Role{{Name: "r", Grants: g}})}
}

// trust makes the service trust srv's certificate.
func (f *fixture) trust(srvs ...*httptest.Server) {
	pool := x509.NewCertPool()
	for _, s := range srvs {
		pool.AddCert(s.Certificate())
	}
	f.svc.Policy.RootCAs = pool
}

func (f *fixture) events() []audit.Event {
	f.t.Helper()
	evs, err := f.h.Audit.Events(context.Background(), 0, 1_000_000)
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}

// eventsSince returns the events after the first n.
func (f *fixture) eventsSince(n int) []audit.Event {
	evs := f.events()
	return evs[min(n, len(evs)):]
}

func (f *fixture) create(in integrations.Input) *integrations.Integration {
	f.t.Helper()
	it, err := f.svc.Create(context.Background(), f.h, f.admin, in)
	if err != nil {
		f.t.Fatalf("create %s: %v", in.Name, err)
	}
	return it
}

func secret(s string) *string { return &s }
