package dashboards_test

import (
	"context"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/dashboards"
	"strongroom/identity"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/postgres"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// world is one tenant (as `tenant create` makes it) with users whose
// principals carry the grants a test gives them.
type world struct {
	t   *testing.T
	e   store.Engine
	h   *tenancy.Handle
	svc *dashboards.Service
	now time.Time
	// admin edits every area, administration included.
	admin *identity.Principal
}

func newWorld(t *testing.T, e store.Engine) *world {
	t.Helper()
	h, _ := seedtest.Tenant(t, e)
	w := &world{t: t, e: e, h: h, svc: dashboards.New(), now: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	w.svc.Now = func() time.Time { return w.now }
	w.admin = w.user("admin2", allAreas(access.EditGrant))
	return w
}

func forEachEngine(t *testing.T, fn func(t *testing.T, w *world)) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) { fn(t, newWorld(t, e)) })
}

// otherTenant makes a second tenant on another engine of the same kind.
func (w *world) otherTenant() *tenancy.Handle {
	w.t.Helper()
	var e store.Engine
	if _, ok := w.e.(*postgres.Engine); ok {
		e = storetest.NewPostgres(w.t)
	} else {
		e = storetest.NewSQLite(w.t)
	}
	h, _ := seedtest.Tenant(w.t, e)
	return h
}

func allAreas(g access.Grant) map[access.Area]access.Grant {
	out := map[access.Area]access.Grant{}
	for _, a := range access.Areas() {
		out[a] = g
	}
	return out
}

// grants is a role's grants: dashboards at level, nothing else.
func dashboardsAt(g access.Grant) map[access.Area]access.Grant {
	if g == access.NoGrant {
		return map[access.Area]access.Grant{access.Cases: access.ReadGrant}
	}
	return map[access.Area]access.Grant{access.Dashboards: g}
}

// user inserts an account and returns its principal with the grants.
func (w *world) user(name string, grants map[access.Area]access.Grant) *identity.Principal {
	w.t.Helper()
	now := store.FormatTime(w.now)
	var id int64
	err := w.h.DB.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRowContext(context.Background(), `INSERT INTO users (username, username_key, display_name, status, password_hash,
			password_temporary, password_changed_at, created_at, updated_at) VALUES (?, ?, '', 'active', 'x', 0, ?, ?, ?) RETURNING id`,
			name, name, now, now, now).Scan(&id)
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return principal(id, grants)
}

func principal(id int64, grants map[access.Area]access.Grant) *identity.Principal {
	return &identity.Principal{User: &identity.User{ID: id, Username: "u"}, IP: "192.0.2.9",
		Subject: access.NewSubject(id, false, nil, []access.Role{{Name: "r", Grants: grants}})}
}

// with returns p with other grants: the same user after a role change.
func with(p *identity.Principal, grants map[access.Area]access.Grant) *identity.Principal {
	return principal(p.User.ID, grants)
}

func (w *world) group(name string, members ...*identity.Principal) *dashboards.Group {
	w.t.Helper()
	ctx := context.Background()
	g, err := w.svc.CreateGroup(ctx, w.h, w.admin, dashboards.GroupInput{Name: name})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, m := range members {
		if err := w.svc.AddMember(ctx, w.h, w.admin, g.ID, m.User.ID); err != nil {
			w.t.Fatal(err)
		}
	}
	return g
}

func (w *world) dashboard(owner *identity.Principal, name string) *dashboards.Dashboard {
	w.t.Helper()
	d, err := w.svc.CreateDashboard(context.Background(), w.h, owner, dashboards.DashboardInput{Name: name})
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

func kpi(title string) dashboards.WidgetInput {
	return dashboards.WidgetInput{Kind: dashboards.KindKPI, Title: title, Source: "crm.pipeline"}
}

// events returns the audit events with action ("": all), oldest first.
func (w *world) events(action string) []audit.Event {
	w.t.Helper()
	evs, err := w.h.Audit.Events(context.Background(), 0, 1_000_000)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []audit.Event
	for _, e := range evs {
		if action == "" || e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func code(err error) string { return strongroom.ErrorCode(err) }

func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := code(err); got != want {
		t.Errorf("%s: %v (code %q), want %q", what, err, got, want)
	}
}
