package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"strongroom"
	"strongroom/jobs"
)

func hourly(name, tenant string) jobs.Schedule {
	return jobs.Schedule{Name: name, Kind: "work", Tenant: tenant, Every: time.Hour}
}

func schedule(t *testing.T, q *jobs.Store, sc jobs.Schedule) {
	t.Helper()
	if err := q.Schedule(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
}

func scheduleOf(t *testing.T, q *jobs.Store, name string) jobs.Schedule {
	t.Helper()
	all, err := q.Schedules(context.Background(), jobs.ScheduleFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range all {
		if sc.Name == name {
			return sc
		}
	}
	t.Fatalf("no schedule %s", name)
	return jobs.Schedule{}
}

// A restart neither skips nor doubles a run: the job and the schedule's
// next run are written together, so a runner that failed between them
// left neither, and a restarted runner at the same moment finds nothing due.
func TestScheduleRestartNeitherSkipsNorDoubles(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.tenant(t, "acme", strongroom.TenantActive)
		var c counter
		register := func(r *jobs.Runner) { r.Register("work", c.handle(nil), jobs.KindOptions{}) }
		first, q := e.runner(t, "first", register)
		schedule(t, q, hourly("purge/acme", "acme"))
		if runDue(t, first) != 0 {
			t.Fatal("a schedule ran before its first time")
		}
		e.clock.Set(time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC))
		if runDue(t, first) != 1 {
			t.Fatal("the 11:00 run did not happen")
		}
		restarted, q2 := e.runner(t, "restarted", register)
		if runDue(t, restarted) != 0 || c.n("acme") != 1 {
			t.Fatalf("after a restart at the same moment the handler ran %d times", c.n("acme"))
		}

		// The 12:00 run fails between making the job and moving the
		// schedule: neither is kept, and the next pass makes it once.
		e.clock.Set(time.Date(2026, 3, 2, 12, 0, 30, 0, time.UTC))
		jobs.SetFault(q2, func(stage string) error {
			if stage == "schedule-enqueued" {
				return errors.New("killed")
			}
			return nil
		})
		if _, err := restarted.RunDue(context.Background()); err == nil {
			t.Fatal("the fault did not fail the pass")
		}
		if n := e.count(t, `SELECT COUNT(*) FROM jobs`); n != 1 {
			t.Fatalf("%d jobs after a pass that failed midway", n)
		}
		jobs.SetFault(q2, nil)
		if runDue(t, restarted) != 1 || runDue(t, first) != 0 || c.n("acme") != 2 {
			t.Fatalf("handler ran %d times by 12:00, want 2", c.n("acme"))
		}
		keys := e.count(t, `SELECT COUNT(DISTINCT unique_key) FROM jobs WHERE unique_key IN (?, ?)`,
			"schedule:purge/acme@2026-03-02T11:00:00.000000Z", "schedule:purge/acme@2026-03-02T12:00:00.000000Z")
		if keys != 2 {
			t.Fatalf("%d of the two runs' keys found", keys)
		}
		sc := scheduleOf(t, q, "purge/acme")
		if !sc.NextRunAt.Equal(time.Date(2026, 3, 2, 13, 0, 0, 0, time.UTC)) || sc.LastState != jobs.Done || sc.LastSuccessAt.IsZero() {
			t.Fatalf("schedule after two runs: %+v", sc)
		}
	})
}

// Runs missed while no runner was up make one job at start, not one per
// interval missed.
func TestScheduleMissedRunsRunOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.tenant(t, "acme", strongroom.TenantActive)
		var c counter
		r, q := e.runner(t, "r", func(r *jobs.Runner) { r.Register("work", c.handle(nil), jobs.KindOptions{}) })
		schedule(t, q, hourly("purge/acme", "acme"))
		e.clock.Add(5*time.Hour + 10*time.Minute) // down from 10:30 to 15:40
		if n := runDue(t, r); n != 1 || c.n("acme") != 1 {
			t.Fatalf("%d jobs ran after five missed runs, want 1", n)
		}
		if runDue(t, r) != 0 {
			t.Fatal("a second job ran for the missed runs")
		}
		if sc := scheduleOf(t, q, "purge/acme"); !sc.NextRunAt.Equal(time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)) {
			t.Fatalf("next run %s, want 16:00", sc.NextRunAt)
		}
	})
}

// Two nodes making the jobs of the same due schedules at once make one
// job per schedule and due time.
func TestScheduleRaceMakesOneJob(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.tenant(t, "acme", strongroom.TenantActive)
		for i := range 40 {
			schedule(t, e.q, hourly(fmt.Sprintf("s%02d", i), "acme"))
		}
		for round := range 3 {
			e.clock.Add(time.Hour)
			var wg sync.WaitGroup
			for range 4 {
				q := e.store()
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := q.EnqueueDue(context.Background()); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if n := e.count(t, `SELECT COUNT(*) FROM jobs`); n != 40*(round+1) {
				t.Fatalf("round %d: %d jobs, want %d", round, n, 40*(round+1))
			}
		}
	})
}

// Phases are a hash of name and tenant: tenants spread over the interval,
// and the same schedule keeps its phase however often it is upserted.
func TestSchedulePhaseIsStableAndSpread(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		seen := map[int64]bool{}
		for i := range 200 {
			p := jobs.Phase(fmt.Sprintf("backup/t%d", i), fmt.Sprintf("t%d", i), time.Hour)
			if p < 0 || p >= 3600 {
				t.Fatalf("phase %d outside the hour", p)
			}
			seen[p/60] = true
		}
		if len(seen) < 40 {
			t.Fatalf("200 tenants fall into %d of 60 minutes", len(seen))
		}
		e.tenant(t, "acme", strongroom.TenantActive)
		sc := jobs.Schedule{Name: "backup/acme", Kind: "work", Tenant: "acme", Every: 4 * time.Hour, Jitter: 4 * time.Hour}
		schedule(t, e.q, sc)
		next := scheduleOf(t, e.q, sc.Name).NextRunAt
		offset := next.Unix() % (4 * 3600)
		if want := jobs.Phase(sc.Name, sc.Tenant, sc.Jitter); offset != want {
			t.Fatalf("next run %s is %d s into its interval, want %d", next, offset, want)
		}
		e.clock.Add(time.Minute)
		schedule(t, e.store(), sc) // as a restarted process would
		if again := scheduleOf(t, e.q, sc.Name).NextRunAt; !again.Equal(next) {
			t.Fatalf("upserting again moved the next run from %s to %s", next, again)
		}
		sc.Every = 2 * time.Hour
		sc.Jitter = time.Hour
		schedule(t, e.q, sc)
		if moved := scheduleOf(t, e.q, sc.Name).NextRunAt; moved.Unix()%(2*3600) != jobs.Phase(sc.Name, sc.Tenant, sc.Jitter) {
			t.Fatalf("a new interval kept the old grid: %s", moved)
		}
	})
}

// A per-tenant template keeps one schedule per active tenant: made for a
// new tenant, removed for a disabled or removed one.
func TestEachTenantFollowsTheTenants(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for _, s := range []string{"acme", "beta"} {
			e.tenant(t, s, strongroom.TenantActive)
		}
		e.tenant(t, "half", strongroom.TenantProvisioning)
		var c counter
		r, q := e.runner(t, "r", func(r *jobs.Runner) {
			r.Register("backup", c.handle(nil), jobs.KindOptions{})
			r.EachTenant(jobs.Schedule{Name: "backup", Kind: "backup", Every: 4 * time.Hour, Jitter: 4 * time.Hour})
		})
		names := func() []string {
			all, err := q.Schedules(context.Background(), jobs.ScheduleFilter{Kind: "backup"})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, sc := range all {
				if sc.Tenant == "" || sc.Name != jobs.TemplateName("backup", sc.Tenant) {
					t.Fatalf("schedule %+v", sc)
				}
				out = append(out, sc.Tenant)
			}
			return out
		}
		runDue(t, r)
		if got := fmt.Sprint(names()); got != "[acme beta]" {
			t.Fatalf("schedules for %s", got)
		}
		// An explicit schedule of a tenant that goes goes with it.
		schedule(t, q, jobs.Schedule{Name: "report/beta", Kind: "backup", Tenant: "beta", Every: time.Hour})
		e.tenant(t, "gamma", strongroom.TenantActive)
		e.setStatus(t, "acme", strongroom.TenantDisabled)
		if _, err := e.db.ExecContext(context.Background(), `DELETE FROM tenants WHERE slug = 'beta'`); err != nil {
			t.Fatal(err)
		}
		runDue(t, r)
		if got := fmt.Sprint(names()); got != "[gamma]" {
			t.Fatalf("schedules for %s after changes", got)
		}
		e.clock.Add(4 * time.Hour)
		runDue(t, r)
		if c.total() != 1 || c.n("gamma") != 1 {
			t.Fatalf("backups ran for %v", c.calls)
		}
	})
}
