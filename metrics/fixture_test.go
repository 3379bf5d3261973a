package metrics_test

import (
	"context"
	"testing"
	"time"

	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/metrics"
	"strongroom/seed"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/tenancy"
)

// now is the clock of these tests.
var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func service() *metrics.Service {
	s := metrics.New()
	s.Now = func() time.Time { return now }
	return s
}

// principal is a user with the given roles, classes and restriction.
func principal(id int64, restricted bool, classes []int64, roles ...access.Role) *identity.Principal {
	return &identity.Principal{User: &identity.User{ID: id}, Subject: access.NewSubject(id, restricted, classes, roles), IP: "192.0.2.7"}
}

func role(grants map[access.Area]access.Grant) access.Role {
	return access.Role{Name: "r", Grants: grants}
}

var (
	dashEdit = role(map[access.Area]access.Grant{access.Dashboards: access.EditGrant})
	dashRead = role(map[access.Area]access.Grant{access.Dashboards: access.ReadGrant})
)

// tenant is a fresh tenant and its administrator.
func tenant(t *testing.T, e store.Engine) (*tenancy.Handle, *identity.Principal) {
	t.Helper()
	h, _ := seedtest.Tenant(t, e)
	admin, err := seed.AdminPrincipal(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	return h, admin
}

func events(t *testing.T, h *tenancy.Handle, action string) []audit.Event {
	t.Helper()
	evs, err := h.Audit.Events(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Event
	for _, e := range evs {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func countPoints(t *testing.T, h *tenancy.Handle) int {
	t.Helper()
	var n int
	if err := h.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM metric_points`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
