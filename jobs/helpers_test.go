package jobs_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"strongroom"
	"strongroom/jobs"
	"strongroom/jobs/jobstest"
	"strongroom/store"
	"strongroom/store/storetest"
)

type clock = jobstest.Clock

func newClock() *clock { return jobstest.NewClock(time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)) }

// env is a control database with a queue over it and a fake clock.
type env struct {
	db    *store.DB
	q     *jobs.Store
	clock *clock
}

func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		db, err := engine.OpenControl(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close(); engine.Close() })
		e := &env{db: db, clock: newClock()}
		e.q = e.store()
		fn(t, e)
	})
}

// store is another queue over the same database, as another process or
// node would have, on the same clock.
func (e *env) store() *jobs.Store {
	q := jobs.NewStore(e.db)
	q.Now = e.clock.Now
	return q
}

// runner is a runner over a queue of its own, with the kinds registered.
func (e *env) runner(t *testing.T, owner string, register func(r *jobs.Runner)) (*jobs.Runner, *jobs.Store) {
	t.Helper()
	q := e.store()
	r := jobs.NewRunner(q, jobs.Config{Owner: owner, Lease: time.Minute})
	if register != nil {
		register(r)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	return r, q
}

// tenant records a tenant with the given status.
func (e *env) tenant(t *testing.T, slug string, status strongroom.TenantStatus) {
	t.Helper()
	ctx := context.Background()
	c := store.NewControl(e.db)
	tn := &strongroom.Tenant{Slug: slug, DisplayName: slug, Placement: slug, WrappedKey: []byte("k"), CreatedAt: e.clock.Now()}
	if err := c.InsertProvisioning(ctx, tn); err != nil {
		t.Fatal(err)
	}
	if status == strongroom.TenantProvisioning {
		return
	}
	if err := c.ActivateTenant(ctx, slug, slug, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if status == strongroom.TenantDisabled {
		e.setStatus(t, slug, status)
	}
}

func (e *env) setStatus(t *testing.T, slug string, status strongroom.TenantStatus) {
	t.Helper()
	if _, err := e.db.ExecContext(context.Background(), `UPDATE tenants SET status = ? WHERE slug = ?`, string(status), slug); err != nil {
		t.Fatal(err)
	}
}

func (e *env) job(t *testing.T, id int64) jobs.Job {
	t.Helper()
	j, err := e.q.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) enqueue(t *testing.T, j jobs.Job) int64 {
	t.Helper()
	id, err := e.q.Enqueue(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func runDue(t *testing.T, r *jobs.Runner) int {
	t.Helper()
	n, err := r.RunDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// counter counts a handler's calls by tenant.
type counter struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *counter) handle(err error) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.calls == nil {
			c.calls = map[string]int{}
		}
		c.calls[j.Tenant]++
		return err
	}
}

func (c *counter) n(tenant string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[tenant]
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}
