package grants_test

import (
	"strconv"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/grants"
	"strongroom/store"
	"strongroom/store/storetest"
)

func TestSupportGrantedAtOnceAndEndsToTheSecond(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		if g := f.active(); g != nil {
			t.Fatalf("a grant before any request: %+v", g)
		}
		if _, err := f.svc.RequireActive(f.ctx, "firm", f.op, ""); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("RequireActive without a grant: %v", err)
		}
		g := f.file(support(time.Hour))
		if g.State != grants.Active || !g.EndsAt.Equal(f.clock.Now().Add(time.Hour)) {
			t.Fatalf("support under automatic approval: %+v", g)
		}
		f.clock.Add(time.Hour - time.Second)
		if f.active() == nil {
			t.Fatal("the grant ended a second early")
		}
		if _, err := f.svc.RequireActive(f.ctx, "other", f.op, ""); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("a grant for firm opened other: %v", err)
		}
		f.clock.Add(time.Second)
		if g := f.active(); g != nil {
			t.Fatalf("the grant runs past its end: %+v", g)
		}
		if n, err := f.svc.Sweep(f.ctx); err != nil || n != 1 {
			t.Fatalf("sweep: %d, %v", n, err)
		}
		for _, a := range []string{"provider_access.requested", "provider_access.granted", "provider_access.ended"} {
			evs := f.events(f.h, a)
			if len(evs) != 1 || evs[0].Details["grant"] == "" {
				t.Fatalf("%s: %+v", a, evs)
			}
		}
		if evs := f.events(f.h, "provider_access.requested"); evs[0].Actor != (audit.Actor{Kind: audit.ActorOperator, ID: "olga"}) {
			t.Fatalf("requested by %+v", evs[0].Actor)
		}
		if evs := f.events(f.other, "provider_access.requested"); len(evs) != 0 {
			t.Fatalf("firm's grant written in other's trail: %+v", evs)
		}
	})
}

func TestScopeIsReadOnlyAndNamesClasses(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		in := support(time.Hour)
		in.Scope.Areas = []access.Area{access.Documents, access.Cases}
		g := f.file(in)
		s := g.Scope.Subject(g.ID)
		if s.UserID >= 0 {
			t.Fatalf("operator's subject has a user's id %d", s.UserID)
		}
		for _, a := range access.Areas() {
			want := access.None
			if a == access.Documents || a == access.Cases {
				want = access.Read
			}
			if s.Level(a) != want {
				t.Errorf("area %s: %v, want %v", a, s.Level(a), want)
			}
		}
		if len(s.Classes) != 0 {
			t.Errorf("classes without naming any: %v", s.Classes)
		}
		if _, err := f.svc.RequireActive(f.ctx, "firm", f.op, access.Financial); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("financial outside the scope: %v", err)
		}
		if _, err := f.svc.RequireActive(f.ctx, "firm", f.op, access.Cases); err != nil {
			t.Fatal(err)
		}
		all := grants.Scope{}.Subject(1)
		if all.Level(access.Administration) != access.None {
			t.Fatal("an all-areas scope reaches administration")
		}
		p := grants.Principal(f.op, g, "198.51.100.4")
		if err := p.RequireAdmin(); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("operator principal passes RequireAdmin: %v", err)
		}
		if a := p.AuditActor(); a != (audit.Actor{Kind: audit.ActorOperator, ID: "olga"}) {
			t.Fatalf("operator principal audited as %+v", a)
		}
	})
}

func TestRequestChecked(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		_, err := f.svc.File(f.ctx, f.op, "", grants.Request{Tenant: "firm", Reason: "curiosity", Duration: 9 * time.Hour,
			Scope: grants.Scope{Areas: []access.Area{access.Administration}, Classes: []int64{999}}})
		fields := map[string]bool{}
		for _, p := range strongroom.ErrorProblems(err) {
			fields[p.Field] = true
		}
		for _, want := range []string{"reason", "ticket", "duration", "scope.areas", "scope.classes"} {
			if !fields[want] {
				t.Errorf("no problem on %s: %v", want, err)
			}
		}
		_, err = f.svc.File(f.ctx, f.op, "", grants.Request{Tenant: "nosuch", Reason: grants.Support, Ticket: "T", Duration: time.Hour})
		if strongroom.ErrorField(err) != "tenant" {
			t.Fatalf("unknown tenant: %v", err)
		}
		if g := f.active(); g != nil {
			t.Fatal("a refused request left a grant")
		}
	})
}

func TestApprovalRequiredAndExpiresAt12h(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		if err := f.svc.SetApproval(f.ctx, f.h, f.admin, grants.Required); err != nil {
			t.Fatal(err)
		}
		g := f.file(support(time.Hour))
		if g.State != grants.Pending || f.active() != nil {
			t.Fatalf("support with approval required: %+v", g)
		}
		inc := f.file(grants.Request{Tenant: "firm", Reason: grants.Incident, Ticket: "INC-7", Duration: 2 * time.Hour})
		f.clock.Add(grants.PendingFor - time.Second)
		if got, err := f.svc.Get(f.ctx, f.h, f.admin, g.ID); err != nil || got.State != grants.Pending {
			t.Fatalf("expired a second early: %+v %v", got, err)
		}
		// An operator's principal never decides, even under a running grant.
		opp := grants.Principal(f.op, &grants.Grant{ID: 99}, "")
		if _, err := f.svc.Approve(f.ctx, f.h, opp, inc.ID); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("operator approved: %v", err)
		}
		if _, err := f.svc.Approve(f.ctx, f.h, principal(2, access.StaffRole), inc.ID); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("staff approved: %v", err)
		}
		if _, err := f.svc.Approve(f.ctx, f.other, f.admin, inc.ID); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Fatalf("another tenant's administrator approved: %v", err)
		}
		ok, err := f.svc.Approve(f.ctx, f.h, f.admin, inc.ID)
		if err != nil || ok.State != grants.Active || ok.DecidedBy != "user:1" {
			t.Fatalf("approve: %+v %v", ok, err)
		}
		f.clock.Add(time.Second)
		if _, err := f.svc.Approve(f.ctx, f.h, f.admin, g.ID); strongroom.ErrorCode(err) != strongroom.ECONFLICT {
			t.Fatalf("approved an expired request: %v", err)
		}
		exp := f.events(f.h, "provider_access.expired")
		if len(exp) != 1 || exp[0].ObjectID != itoa(g.ID) {
			t.Fatalf("expired events: %+v", exp)
		}
		if got := f.active(); got == nil || got.ID != inc.ID {
			t.Fatalf("the approved incident grant: %+v", got)
		}
		if _, err := f.svc.Revoke(f.ctx, f.h, f.admin, inc.ID); err != nil {
			t.Fatal(err)
		}
		if f.active() != nil {
			t.Fatal("a revoked grant still runs")
		}
		if len(f.events(f.h, "provider_access.approved")) != 1 || len(f.events(f.h, "provider_access.revoked")) != 1 {
			t.Fatal("approve and revoke not in the trail")
		}
		d := f.file(grants.Request{Tenant: "firm", Reason: grants.Legal, Ticket: "L-1", Duration: time.Hour})
		if _, err := f.svc.Deny(f.ctx, f.h, f.admin, d.ID); err != nil {
			t.Fatal(err)
		}
		if len(f.events(f.h, "provider_access.denied")) != 1 || f.active() != nil {
			t.Fatal("deny")
		}
		rep, err := f.h.Audit.Verify(f.ctx)
		if err != nil || !rep.OK() {
			t.Fatalf("audit verify: %+v %v", rep, err)
		}
	})
}

func TestIncidentWaitsEvenWhenAutomatic(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		for _, r := range []grants.Reason{grants.Incident, grants.Legal} {
			g := f.file(grants.Request{Tenant: "firm", Reason: r, Ticket: "X-1", Duration: time.Hour})
			if g.State != grants.Pending {
				t.Fatalf("%s granted without approval", r)
			}
		}
		// The operator may withdraw a pending request.
		gs, err := f.svc.Own(f.ctx, f.op)
		if err != nil || len(gs) != 2 {
			t.Fatalf("own: %v %v", gs, err)
		}
		if _, err := f.svc.End(f.ctx, f.op, "", gs[0].ID); err != nil {
			t.Fatal(err)
		}
		other := *f.op
		other.ID, other.Name = 8, "oscar"
		if _, err := f.svc.End(f.ctx, &other, "", gs[1].ID); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Fatalf("another operator ended olga's request: %v", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
