package cases_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/store/storetest"
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

// fixture is one tenant with two security classes (A and B) and a user
// row to make responsible for cases.
type fixture struct {
	t              *testing.T
	svc            *cases.Service
	h              *tenancy.Handle
	clock          *clock
	admin          *identity.Principal
	classA, classB int64
	userID         int64
	year           string // of the scenario's clock
}

// scenarios are the tests that need a tenant. Making a tenant database
// takes seconds on PostgreSQL, so TestCases makes one per engine and runs
// every scenario on it. Each scenario gets a service and clock of its own,
// its clock in a year of its own (so generated case numbers start at
// YEAR-00001), and must only count rows and events it made.
var scenarios = []struct {
	name string
	fn   func(t *testing.T, f *fixture)
}{
	{"CRUD", testCaseCRUD},
	{"BadCaseInput", testCaseBadInput},
	{"RollbackLeavesNoEvent", testRollbackLeavesNoEvent},
	{"MDLGroups", testMDLGroups},
	{"Visibility", testVisibility},
	{"Areas", testAreas},
	{"RestrictedEdits", testRestrictedEdits},
	{"Inheritance", testInheritance},
	{"StaleVersions", testStaleVersions},
	{"RecordInput", testRecordInput},
	{"Contacts", testContacts},
	{"Pagination", testPagination},
	{"ListQueries", testListQueries},
	{"CaseListParams", testCaseListParams},
	{"ImportCases", testImportCases},
	{"ImportFinancial", testImportFinancial},
	{"AllProblemsAtOnce", testAllProblemsAtOnce},
	{"ClosedDate", testClosedDate},
	{"ImportListsEveryProblem", testImportListsEveryProblem},
	// These two purge whatever earlier scenarios deleted: keep them last.
	{"SoftDeleteAndPurge", testSoftDeleteAndPurge},
	{"Purger", testPurger},
}

func TestCases(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		t.Cleanup(func() { e.Close() })
		base := newFixture(t, e)
		for i, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) { sc.fn(t, base.scenario(t, 2030+i)) })
		}
	})
}

// scenario returns a copy of the fixture for one scenario: its own test,
// service and clock (at the start of March of year).
func (f *fixture) scenario(t *testing.T, year int) *fixture {
	g := *f
	g.t = t
	g.clock = &clock{now: time.Date(year, 3, 2, 9, 0, 0, 0, time.UTC)}
	g.svc = cases.New(discard)
	g.svc.Now = g.clock.Now
	g.year = strconv.Itoa(year)
	return &g
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
	control := store.NewControl(db)
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
	f := &fixture{t: t, h: h, clock: &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}
	f.svc = cases.New(discard)
	f.svc.Now = f.clock.Now
	f.classA = f.exec(`INSERT INTO security_classes (name, name_key) VALUES ('Class A', 'class a') RETURNING id`)
	f.classB = f.exec(`INSERT INTO security_classes (name, name_key) VALUES ('Class B', 'class b') RETURNING id`)
	// The administrator holds both classes: nobody may classify a record
	// so that they themselves can no longer see it.
	f.admin = principal(1, false, []int64{f.classA, f.classB}, everything())
	now := store.FormatTime(f.clock.Now())
	f.userID = f.exec(`INSERT INTO users (username, username_key, display_name, status, password_hash, password_temporary,
		password_changed_at, created_at, updated_at) VALUES ('lawyer', 'lawyer', 'Lena Lawyer', 'active', 'x', 0, ?, ?, ?) RETURNING id`, now, now, now)
	return f
}

// exec runs an insert returning an id.
func (f *fixture) exec(query string, args ...any) int64 {
	f.t.Helper()
	var id int64
	err := f.h.DB.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRowContext(context.Background(), query, args...).Scan(&id)
	})
	if err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return id
}

// count counts rows with a query of the test's own (not through access:
// it checks what is stored).
func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.h.DB.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// events returns every audit event of the tenant.
func (f *fixture) events() []audit.Event {
	f.t.Helper()
	evs, err := f.h.Audit.Events(context.Background(), 0, 1_000_000)
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}

// lastEvent returns the latest audit event.
func (f *fixture) lastEvent() audit.Event {
	f.t.Helper()
	evs := f.events()
	if len(evs) == 0 {
		f.t.Fatal("no audit events")
	}
	return evs[len(evs)-1]
}

func everything() map[access.Area]access.Grant {
	g := map[access.Area]access.Grant{}
	for _, a := range access.Areas() {
		g[a] = access.EditGrant
	}
	return g
}

// grants gives level g on the named areas.
func grants(g access.Grant, areas ...access.Area) map[access.Area]access.Grant {
	out := map[access.Area]access.Grant{}
	for _, a := range areas {
		out[a] = g
	}
	return out
}

func principal(id int64, restricted bool, classes []int64, g map[access.Area]access.Grant) *identity.Principal {
	return &identity.Principal{User: &identity.User{ID: id, Username: "u"}, IP: "192.0.2.7",
		Subject: access.NewSubject(id, restricted, classes, []access.Role{{Name: "r", Grants: g}})}
}

// newCase opens a case as the administrator.
func (f *fixture) newCase(title string, classes ...int64) *cases.Case {
	f.t.Helper()
	c, err := f.svc.CreateCase(context.Background(), f.h, f.admin, cases.CaseInput{Title: title, Client: "Client of " + title,
		PracticeGroup: "Litigation", Classes: classes})
	if err != nil {
		f.t.Fatalf("create case %q: %v", title, err)
	}
	return c
}

func (f *fixture) newFinancial(caseID int64, amount string, classes ...int64) *cases.Financial {
	f.t.Helper()
	r, err := f.svc.CreateFinancial(context.Background(), f.h, f.admin, caseID, cases.FinancialInput{Kind: "fee", Amount: amount,
		Currency: "EUR", OccurredOn: "2026-02-01", Description: "Fee " + amount, Classes: classes})
	if err != nil {
		f.t.Fatalf("create financial record: %v", err)
	}
	return r
}

// wantCode fails unless err has the code (and, when given, the field).
func wantCode(t *testing.T, err error, code string, field ...string) {
	t.Helper()
	if got := strongroom.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	if len(field) > 0 && strongroom.ErrorField(err) != field[0] {
		t.Fatalf("error %v: field %q, want %q", err, strongroom.ErrorField(err), field[0])
	}
}
