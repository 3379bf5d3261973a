package netpolicy_test

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/netpolicy"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

var discard = slog.New(slog.DiscardHandler)

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
	h     *tenancy.Handle
	svc   *netpolicy.Service
	clock *clock
	admin *identity.Principal
}

// newFixture is one tenant made as `strongroom tenant create` makes it,
// its first administrator (signed in from 192.0.2.7) and the service.
func newFixture(t *testing.T, e store.Engine) *fixture {
	t.Helper()
	h, _ := seedtest.Tenant(t, e)
	f := &fixture{t: t, h: h, clock: &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}}
	f.admin = principal(1, access.AdministratorRole, "192.0.2.7")
	f.svc = netpolicy.New(discard)
	f.svc.Now = f.clock.Now
	return f
}

func principal(id int64, role, ip string) *identity.Principal {
	var roles []access.Role
	for _, r := range access.BuiltinRoles() {
		if r.Name == role {
			roles = append(roles, r)
		}
	}
	return &identity.Principal{User: &identity.User{ID: id}, Subject: access.NewSubject(id, false, nil, roles), IP: ip}
}

func (f *fixture) events(action string) []audit.Event {
	f.t.Helper()
	evs, err := f.h.Audit.Events(context.Background(), 0, 1_000_000)
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

func (f *fixture) get() *netpolicy.Policy {
	f.t.Helper()
	p, err := f.svc.Get(context.Background(), f.h, f.admin)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) allows(ip string) bool {
	f.t.Helper()
	ok, err := f.svc.Allows(context.Background(), f.h, netip.MustParseAddr(ip))
	if err != nil {
		f.t.Fatal(err)
	}
	return ok
}

func entries(lines ...string) []netpolicy.EntryInput {
	var out []netpolicy.EntryInput
	for _, l := range lines {
		c, label, _ := strings.Cut(l, " ")
		out = append(out, netpolicy.EntryInput{CIDR: c, Label: label})
	}
	return out
}

func TestAllowlist(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		p := f.get()
		if len(p.Entries) != 0 || p.Version != 1 || !f.allows("203.0.113.9") {
			t.Fatalf("new tenant: %+v", p)
		}

		t.Run("only administrators", func(t *testing.T) {
			staff := principal(2, access.StaffRole, "192.0.2.7")
			if _, err := f.svc.Get(ctx, f.h, staff); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
				t.Fatalf("get: %v", err)
			}
			if _, err := f.svc.Update(ctx, f.h, staff, netpolicy.Input{Version: 1}); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
				t.Fatalf("update: %v", err)
			}
		})

		t.Run("bad input names every field and changes nothing", func(t *testing.T) {
			before := len(f.events("netpolicy.update"))
			_, err := f.svc.Update(ctx, f.h, f.admin, netpolicy.Input{Version: 1, Entries: []netpolicy.EntryInput{
				{CIDR: "192.0.2.0/24"}, {CIDR: "10.0.0.0/33"}, {CIDR: "not an address"}, {CIDR: "fe80::1%eth0"},
				{CIDR: "192.0.2.7", Label: strings.Repeat("x", 101)}, {CIDR: "", Label: "bell\a"}}})
			got := map[string]bool{}
			for _, pr := range strongroom.ErrorProblems(err) {
				got[pr.Field] = true
			}
			for _, want := range []string{"entries[1].cidr", "entries[2].cidr", "entries[3].cidr", "entries[4].label", "entries[5].cidr", "entries[5].label"} {
				if !got[want] {
					t.Errorf("no problem for %s: %v", want, err)
				}
			}
			if got["entries[0].cidr"] || len(got) != 6 {
				t.Errorf("problems %v", got)
			}
			if p := f.get(); len(p.Entries) != 0 || p.Version != 1 || len(f.events("netpolicy.update")) != before {
				t.Fatalf("changed: %+v", p)
			}
			many := make([]netpolicy.EntryInput, netpolicy.MaxEntries+1)
			for i := range many {
				many[i] = netpolicy.EntryInput{CIDR: netip.AddrFrom4([4]byte{10, 0, byte(i / 256), byte(i)}).String()}
			}
			if _, err := f.svc.Update(ctx, f.h, f.admin, netpolicy.Input{Version: 1, Entries: many, ConfirmLockout: true}); strongroom.ErrorField(err) != "entries" {
				t.Fatalf("too many: %v", err)
			}
		})

		t.Run("the lockout guard", func(t *testing.T) {
			_, err := f.svc.Update(ctx, f.h, f.admin, netpolicy.Input{Version: 1, Entries: entries("198.51.100.0/24 Branch")})
			if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != "entries" || !strings.Contains(strongroom.ErrorMessage(err), "192.0.2.7") {
				t.Fatalf("not refused: %v", err)
			}
			if p := f.get(); len(p.Entries) != 0 || p.Version != 1 || !f.allows("203.0.113.9") {
				t.Fatalf("saved anyway: %+v", p)
			}
			p, err := f.svc.Update(ctx, f.h, f.admin, netpolicy.Input{Version: 1, Entries: entries("198.51.100.0/24 Branch"), ConfirmLockout: true})
			if err != nil || len(p.Entries) != 1 || p.Version != 2 {
				t.Fatalf("confirmed: %+v %v", p, err)
			}
			if f.allows("192.0.2.7") || !f.allows("198.51.100.200") {
				t.Fatal("the confirmed list is not enforced at once")
			}
		})

		t.Run("a list with the admin's address, IPv6, canonical", func(t *testing.T) {
			p, err := f.svc.Update(ctx, f.h, f.admin, netpolicy.Input{Version: 2,
				Entries: entries("192.0.2.7 My desk", "2001:db8:abcd:12::5/48 Head office", "198.51.100.9/24", "::ffff:203.0.113.4", "198.51.100.0/24 twice")})
			if err != nil {
				t.Fatal(err)
			}
			if got := netpolicy.Format(p.Entries); got != "192.0.2.7/32 My desk\n2001:db8:abcd::/48 Head office\n198.51.100.0/24\n203.0.113.4/32" {
				t.Fatalf("stored %q", got)
			}
			for ip, want := range map[string]bool{"192.0.2.7": true, "192.0.2.8": false, "2001:db8:abcd:ffff::1": true, "2001:db8:abce::1": false,
				"::ffff:198.51.100.1": true, "203.0.113.4": true, "::1": false} {
				if f.allows(ip) != want {
					t.Errorf("%s: want %v", ip, want)
				}
			}
			evs := f.events("netpolicy.update")
			last := evs[len(evs)-1]
			if last.Actor.Kind != audit.ActorUser || last.Actor.ID != "1" || last.SourceIP != "192.0.2.7" || len(last.Changes) != 1 ||
				last.Changes[0].Before != "198.51.100.0/24 Branch" {
				t.Fatalf("audit: %+v", last)
			}
		})

		t.Run("a stale version is refused", func(t *testing.T) {
			_, err := f.svc.Update(ctx, f.h, f.admin, netpolicy.Input{Version: 2, Entries: entries("192.0.2.0/24")})
			if strongroom.ErrorCode(err) != strongroom.ECONFLICT || strongroom.ErrorField(err) != "version" {
				t.Fatalf("stale: %v", err)
			}
			if _, err := f.svc.Update(ctx, f.h, f.admin, netpolicy.Input{Entries: entries("192.0.2.0/24")}); strongroom.ErrorField(err) != "version" {
				t.Fatalf("no version: %v", err)
			}
		})

		t.Run("a change on another node is seen within the cache's time", func(t *testing.T) {
			other := netpolicy.New(discard)
			other.Now = f.clock.Now
			if _, err := other.Update(ctx, f.h, f.admin, netpolicy.Input{Version: f.get().Version, Entries: entries("192.0.2.7")}); err != nil {
				t.Fatal(err)
			}
			if !f.allows("203.0.113.4") {
				t.Fatal("the cache was not used")
			}
			f.clock.Add(netpolicy.DefaultTTL)
			if f.allows("203.0.113.4") {
				t.Fatal("the cache outlived its time")
			}
		})

		t.Run("the operator clears it", func(t *testing.T) {
			if _, err := f.svc.Clear(ctx, f.h, ""); strongroom.ErrorField(err) != "operator" {
				t.Fatalf("unnamed operator: %v", err)
			}
			p, err := f.svc.Clear(ctx, f.h, "jsmith")
			if err != nil || len(p.Entries) != 0 || !f.allows("203.0.113.4") {
				t.Fatalf("clear: %+v %v", p, err)
			}
			evs := f.events("netpolicy.clear")
			if len(evs) != 1 || evs[0].Actor != (audit.Actor{Kind: audit.ActorOperator, ID: "jsmith"}) {
				t.Fatalf("audit: %+v", evs)
			}
		})

		t.Run("refusals are audited at most once per address a minute", func(t *testing.T) {
			for range 50 {
				f.svc.RecordRefused(ctx, f.h, netip.MustParseAddr("203.0.113.66"))
				f.svc.RecordRefused(ctx, f.h, netip.MustParseAddr("2001:db8:1:2::"+"1"))
				f.svc.RecordRefused(ctx, f.h, netip.MustParseAddr("2001:db8:1:2::"+"ffff")) // the same /64
			}
			if evs := f.events("netpolicy.refused"); len(evs) != 2 || evs[0].SourceIP != "203.0.113.66" || evs[1].SourceIP != "2001:db8:1:2::1" {
				t.Fatalf("refusals: %+v", evs)
			}
			f.clock.Add(netpolicy.RefusalEvery)
			f.svc.RecordRefused(ctx, f.h, netip.MustParseAddr("203.0.113.66"))
			if evs := f.events("netpolicy.refused"); len(evs) != 3 {
				t.Fatalf("a minute later: %d", len(evs))
			}
		})
	})
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"192.0.2.0/24", "2001:db8::/48", "::ffff:1.2.3.4/120", "1.2.3.4", "fe80::1%eth0", ""} {
		f.Add(s, "label")
	}
	f.Fuzz(func(t *testing.T, cidr, label string) {
		out, err := netpolicy.Check([]netpolicy.EntryInput{{CIDR: cidr, Label: label}})
		if err != nil {
			if strongroom.ErrorCode(err) != strongroom.EINVALID {
				t.Fatalf("%q: %v", cidr, err)
			}
			return
		}
		if len(out) != 1 || out[0].Prefix != out[0].Prefix.Masked() || out[0].Prefix.Addr().Is4In6() {
			t.Fatalf("%q: %+v", cidr, out)
		}
	})
}
