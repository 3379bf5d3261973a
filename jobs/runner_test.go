package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/jobs"
	"strongroom/jobs/jobstest"
)

func TestEnqueueChecksItsInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.tenant(t, "acme", strongroom.TenantActive)
		// The runner's store knows the kinds' rules.
		_, q := e.runner(t, "checker", func(r *jobs.Runner) {
			r.Register("tenant.work", (&counter{}).handle(nil), jobs.KindOptions{})
			r.Register("site.work", (&counter{}).handle(nil), jobs.KindOptions{Installation: true})
		})
		ctx := context.Background()
		for _, c := range []struct {
			job   jobs.Job
			field string
		}{
			{jobs.Job{Kind: ""}, "kind"},
			{jobs.Job{Kind: "has space", Tenant: "acme"}, "kind"},
			{jobs.Job{Kind: "tenant.work", Tenant: "acme", Payload: json.RawMessage(`{"a":`)}, "payload"},
			{jobs.Job{Kind: "tenant.work"}, "tenant"},
			{jobs.Job{Kind: "site.work", Tenant: "acme"}, "tenant"},
			{jobs.Job{Kind: "tenant.work", Tenant: "nobody"}, "tenant"},
			{jobs.Job{Kind: "tenant.work", Tenant: "Bad Slug"}, "tenant"},
			{jobs.Job{Kind: "tenant.work", Tenant: "acme", MaxAttempts: -1}, "max_attempts"},
		} {
			_, err := q.Enqueue(ctx, c.job)
			if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != c.field {
				t.Errorf("%+v: %v, want an error naming %s", c.job, err, c.field)
			}
		}
		if n := e.count(t, `SELECT COUNT(*) FROM jobs`); n != 0 {
			t.Fatalf("%d jobs stored after refused input", n)
		}
		if err := q.Schedule(ctx, jobs.Schedule{Name: "s", Kind: "tenant.work", Tenant: "acme", Every: time.Hour, Jitter: 2 * time.Hour}); strongroom.ErrorField(err) != "jitter" {
			t.Errorf("jitter over the interval: %v", err)
		}
		if err := q.Schedule(ctx, jobs.Schedule{Name: "s", Kind: "tenant.work", Tenant: "acme", Every: 1500 * time.Millisecond}); strongroom.ErrorField(err) != "every" {
			t.Errorf("interval of a second and a half: %v", err)
		}
	})
}

func TestUniqueJobIsEnqueuedOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.tenant(t, "acme", strongroom.TenantActive)
		var c counter
		r, _ := e.runner(t, "r", func(r *jobs.Runner) { r.Register("work", c.handle(nil), jobs.KindOptions{}) })
		j := jobs.Job{Kind: "work", Tenant: "acme", UniqueKey: "backup:acme"}
		first := e.enqueue(t, j)
		if again := e.enqueue(t, j); again != first {
			t.Fatalf("a duplicate of queued job %d was enqueued as %d", first, again)
		}
		if n := runDue(t, r); n != 1 || c.n("acme") != 1 {
			t.Fatalf("ran %d jobs, handler called %d times", n, c.n("acme"))
		}
		if next := e.enqueue(t, j); next == first {
			t.Fatal("a job whose unique twin is done was not enqueued")
		}
	})
}

func TestHandlerGetsTheJobsTenant(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for _, s := range []string{"acme", "beta"} {
			e.tenant(t, s, strongroom.TenantActive)
		}
		seen := map[int64]string{}
		r, _ := e.runner(t, "r", func(r *jobs.Runner) {
			r.Register("work", func(ctx context.Context, j jobs.Job) error {
				seen[j.ID] = j.Tenant
				return nil
			}, jobs.KindOptions{})
		})
		a := e.enqueue(t, jobs.Job{Kind: "work", Tenant: "acme", Payload: json.RawMessage(`{"n":1}`)})
		b := e.enqueue(t, jobs.Job{Kind: "work", Tenant: "beta"})
		jobstest.Drain(t, r)
		if seen[a] != "acme" || seen[b] != "beta" {
			t.Fatalf("handler saw tenants %v", seen)
		}
		if j := e.job(t, a); j.State != jobs.Done || string(j.Payload) != `{"n":1}` || j.FinishedAt.IsZero() {
			t.Fatalf("job after success: %+v", j)
		}
	})
}

// A job whose tenant is gone, half-made or disabled is not run and is
// recorded as failed, saying why; so is one naming the wrong kind of
// tenant for its kind.
func TestJobFailsClosedWithoutItsTenant(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for _, s := range []string{"gone", "halfmade", "off", "fine"} {
			e.tenant(t, s, strongroom.TenantActive)
		}
		ids := map[string]int64{}
		for _, s := range []string{"gone", "halfmade", "off", "fine"} {
			ids[s] = e.enqueue(t, jobs.Job{Kind: "work", Tenant: s})
		}
		// Enqueued by a process that does not know the kinds' rules.
		ids["site-with-tenant"] = e.enqueue(t, jobs.Job{Kind: "site", Tenant: "fine"})
		ids["work-without-tenant"] = e.enqueue(t, jobs.Job{Kind: "work"})
		if _, err := e.db.ExecContext(context.Background(), `DELETE FROM tenants WHERE slug = 'gone'`); err != nil {
			t.Fatal(err)
		}
		e.setStatus(t, "halfmade", strongroom.TenantProvisioning)
		e.setStatus(t, "off", strongroom.TenantDisabled)

		var work, site counter
		r, _ := e.runner(t, "r", func(r *jobs.Runner) {
			r.Register("work", work.handle(nil), jobs.KindOptions{})
			r.Register("site", site.handle(nil), jobs.KindOptions{Installation: true})
		})
		jobstest.Drain(t, r)
		if work.total() != 1 || work.n("fine") != 1 || site.total() != 0 {
			t.Fatalf("handlers called for %v and %v; want only fine's work", work.calls, site.calls)
		}
		for name, want := range map[string]string{
			"gone":                `Tenant "gone" does not exist; the job was not run.`,
			"halfmade":            `Tenant "halfmade" is still being created; the job was not run.`,
			"off":                 `Tenant "off" is disabled; the job was not run.`,
			"site-with-tenant":    "The job names a tenant, but its kind works on the installation; it was not run.",
			"work-without-tenant": "The job names no tenant, but its kind works on one; it was not run.",
		} {
			j := e.job(t, ids[name])
			if j.State != jobs.Failed || j.LastError != want || j.Attempts != 1 {
				t.Errorf("%s: state %s after %d attempts, error %q; want failed with %q", name, j.State, j.Attempts, j.LastError, want)
			}
		}
	})
}

// A failing job is retried with growing waits, at most its attempts, then
// is dead; the error recorded is the safe message, not the cause.
func TestFailedJobBacksOffThenDies(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.tenant(t, "acme", strongroom.TenantActive)
		var c counter
		r, _ := e.runner(t, "r", func(r *jobs.Runner) {
			r.Register("flaky", c.handle(errors.New("dial tcp 10.0.0.7: password=hunter2 refused")),
				jobs.KindOptions{MaxAttempts: 3, Backoff: time.Minute, MaxBackoff: time.Hour})
		})
		id := e.enqueue(t, jobs.Job{Kind: "flaky", Tenant: "acme"})
		for attempt := 1; attempt <= 3; attempt++ {
			if n := runDue(t, r); n != 1 {
				t.Fatalf("attempt %d: %d jobs ran", attempt, n)
			}
			if n := runDue(t, r); n != 0 {
				t.Fatalf("attempt %d was retried without waiting", attempt)
			}
			j := e.job(t, id)
			if strings.Contains(j.LastError, "hunter2") || j.LastError == "" {
				t.Fatalf("recorded error %q", j.LastError)
			}
			if attempt == 3 {
				if j.State != jobs.Dead {
					t.Fatalf("after the last attempt: %s", j.State)
				}
				break
			}
			wait := time.Minute << (attempt - 1)
			if got := j.RunAt.Sub(e.clock.Now()); j.State != jobs.Queued || got < wait || got > wait*3/2 {
				t.Fatalf("attempt %d: %s, retry in %s, want between %s and %s", attempt, j.State, got, wait, wait*3/2)
			}
			e.clock.Set(j.RunAt)
		}
		e.clock.Add(48 * time.Hour)
		if runDue(t, r) != 0 || c.n("acme") != 3 {
			t.Fatalf("handler called %d times, want 3", c.n("acme"))
		}
	})
}

func TestPanicIsAFailedAttempt(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.tenant(t, "acme", strongroom.TenantActive)
		var c counter
		r, _ := e.runner(t, "r", func(r *jobs.Runner) {
			r.Register("boom", func(context.Context, jobs.Job) error { panic("nil map") }, jobs.KindOptions{})
			r.Register("fine", c.handle(nil), jobs.KindOptions{})
		})
		boom := e.enqueue(t, jobs.Job{Kind: "boom", Tenant: "acme"})
		e.enqueue(t, jobs.Job{Kind: "fine", Tenant: "acme"})
		if n := runDue(t, r); n != 2 {
			t.Fatalf("%d jobs ran", n)
		}
		j := e.job(t, boom)
		if j.State != jobs.Queued || j.Attempts != 1 || strings.Contains(j.LastError, "nil map") || strings.Contains(j.LastError, "goroutine") {
			t.Fatalf("after a panic: %s, %d attempts, %q", j.State, j.Attempts, j.LastError)
		}
		if c.n("acme") != 1 {
			t.Fatal("the runner stopped running jobs after a panic")
		}
		figures := map[string]float64{}
		for _, f := range r.Figures() {
			figures[f.Name] = f.Value()
		}
		if figures["jobs_boom_failed_attempts_total"] != 1 || figures["jobs_fine_failed_attempts_total"] != 0 {
			t.Fatalf("figures %v", figures)
		}
	})
}

// A job whose runner was killed midway (its lease runs out) is taken back
// and run again by another runner, after backoff; killed on its last
// attempt, it is dead.
func TestKilledJobIsRetriedAfterItsLease(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.tenant(t, "acme", strongroom.TenantActive)
		var c counter
		r, _ := e.runner(t, "survivor", func(r *jobs.Runner) {
			r.Register("work", c.handle(nil), jobs.KindOptions{MaxAttempts: 2, Backoff: time.Minute})
		})
		ctx := context.Background()
		id := e.enqueue(t, jobs.Job{Kind: "work", Tenant: "acme"})
		// What a killed process leaves: a running job under its lease.
		if got, err := e.q.Claim(ctx, "killed", []string{"work"}, 10, time.Minute); err != nil || len(got) != 1 {
			t.Fatalf("claim: %v, %v", got, err)
		}
		if runDue(t, r) != 0 {
			t.Fatal("a job under another runner's lease was run")
		}
		e.clock.Add(61 * time.Second)
		runDue(t, r) // takes it back, with backoff
		j := e.job(t, id)
		if j.State != jobs.Queued || j.LeaseOwner != "" || !strings.Contains(j.LastError, "lease expired") || c.total() != 0 {
			t.Fatalf("after the lease ran out: %+v", j)
		}
		e.clock.Set(j.RunAt)
		if runDue(t, r) != 1 || e.job(t, id).State != jobs.Done || e.job(t, id).Attempts != 2 {
			t.Fatalf("the retry: %+v", e.job(t, id))
		}

		// Killed on its last attempt: dead, not run a third time.
		last := e.enqueue(t, jobs.Job{Kind: "work", Tenant: "acme", MaxAttempts: 1})
		if got, err := e.q.Claim(ctx, "killed", []string{"work"}, 10, time.Minute); err != nil || len(got) != 1 {
			t.Fatalf("claim: %v, %v", got, err)
		}
		e.clock.Add(time.Hour)
		runDue(t, r)
		e.clock.Add(time.Hour)
		runDue(t, r)
		if j := e.job(t, last); j.State != jobs.Dead || c.total() != 1 {
			t.Fatalf("killed on its last attempt: %s, handler called %d times", j.State, c.total())
		}
	})
}

// A runner that lost a job's lease cannot record its outcome over the
// runner that took the job.
func TestLostLeaseCannotOverwrite(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.tenant(t, "acme", strongroom.TenantActive)
		ctx := context.Background()
		id := e.enqueue(t, jobs.Job{Kind: "work", Tenant: "acme"})
		if _, err := e.q.Claim(ctx, "slow", []string{"work"}, 1, time.Minute); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(2 * time.Minute)
		r, _ := e.runner(t, "other", func(r *jobs.Runner) {
			r.Register("work", func(context.Context, jobs.Job) error { return nil }, jobs.KindOptions{Backoff: time.Second})
		})
		runDue(t, r)
		if lost, err := e.q.Extend(ctx, "slow", []int64{id}, time.Minute); err != nil || len(lost) != 1 {
			t.Fatalf("extend by the old owner: lost %v, %v", lost, err)
		}
		e.clock.Add(time.Minute)
		if _, err := e.q.Claim(ctx, "other", []string{"work"}, 1, time.Minute); err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{
			e.q.Complete(ctx, "slow", id),
			e.q.Fail(ctx, "slow", id, "x", jobs.Failed, time.Time{}),
			e.q.Release(ctx, "slow", id),
		} {
			if !errors.Is(err, jobs.ErrLeaseLost) {
				t.Errorf("the old owner reported: %v", err)
			}
		}
		if j := e.job(t, id); j.State != jobs.Running || j.LeaseOwner != "other" {
			t.Fatalf("the job after the old owner's reports: %+v", j)
		}
	})
}

// Close cancels running handlers, waits for them and hands their jobs
// back unspent, so another runner takes them at once.
func TestCloseDrainsAndHandsBack(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.tenant(t, "acme", strongroom.TenantActive)
		running := make(chan struct{})
		stopped := false
		q := jobs.NewStore(e.db)
		r := jobs.NewRunner(q, jobs.Config{Owner: "closing", Poll: 10 * time.Millisecond})
		r.Register("long", func(ctx context.Context, j jobs.Job) error {
			close(running)
			<-ctx.Done()
			stopped = true
			return ctx.Err()
		}, jobs.KindOptions{})
		id, err := q.Enqueue(context.Background(), jobs.Job{Kind: "long", Tenant: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		r.Start()
		<-running
		if err := r.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if !stopped {
			t.Fatal("Close returned before the handler did")
		}
		j, _ := q.Get(context.Background(), id)
		if j.State != jobs.Queued || j.Attempts != 0 || j.LeaseOwner != "" {
			t.Fatalf("the job after Close: %+v", j)
		}
		var c counter
		other := jobs.NewRunner(jobs.NewStore(e.db), jobs.Config{Owner: "next"})
		other.Register("long", c.handle(nil), jobs.KindOptions{})
		defer other.Close(context.Background())
		if n, err := other.RunDue(context.Background()); err != nil || n != 1 || c.total() != 1 {
			t.Fatalf("another runner ran %d jobs: %v", n, err)
		}
	})
}

// TestLongJobRecordsItsSuccess: a handler that runs longer than the time
// allowed to record an outcome still records that it succeeded, rather than
// staying "running" until its lease runs out and being run again.
func TestLongJobRecordsItsSuccess(t *testing.T) {
	defer jobs.SetReportTimeout(200 * time.Millisecond)()
	forEachEngine(t, func(t *testing.T, e *env) {
		e.tenant(t, "acme", strongroom.TenantActive)
		r, _ := e.runner(t, "r", func(r *jobs.Runner) {
			r.Register("slow", func(ctx context.Context, j jobs.Job) error {
				time.Sleep(600 * time.Millisecond)
				return nil
			}, jobs.KindOptions{})
		})
		e.enqueue(t, jobs.Job{Kind: "slow", Tenant: "acme"})
		if n := runDue(t, r); n != 1 {
			t.Fatalf("ran %d jobs", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM jobs WHERE state = 'done'`); n != 1 {
			t.Fatalf("the slow job is not recorded as done (%d done)", n)
		}
	})
}
