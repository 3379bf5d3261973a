package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"strongroom"
	"strongroom/jobs"
	"strongroom/jobs/jobstest"
)

// A runner whose lease was taken back stops the job's handler and records
// nothing over the runner that took it.
func TestLostLeaseStopsTheHandler(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.tenant(t, "acme", strongroom.TenantActive)
		running, stopped := make(chan struct{}), make(chan error, 1)
		a, _ := e.runner(t, "a", func(r *jobs.Runner) {
			r.Register("long", func(ctx context.Context, j jobs.Job) error {
				close(running)
				<-ctx.Done()
				stopped <- ctx.Err()
				return errors.New("stopped")
			}, jobs.KindOptions{})
		})
		b, _ := e.runner(t, "b", func(r *jobs.Runner) {
			r.Register("long", func(context.Context, jobs.Job) error { return nil }, jobs.KindOptions{Backoff: time.Hour})
		})
		id := e.enqueue(t, jobs.Job{Kind: "long", Tenant: "acme"})
		done := make(chan struct{})
		go func() {
			defer close(done)
			a.RunDue(context.Background())
		}()
		<-running
		e.clock.Add(2 * time.Minute) // a's lease runs out without a renewal
		runDue(t, b)
		jobs.Heartbeat(a)
		if err := <-stopped; err == nil {
			t.Fatal("the handler's context did not end")
		}
		<-done
		j := e.job(t, id)
		if j.State != jobs.Queued || j.LeaseOwner != "" || j.Attempts != 1 {
			t.Fatalf("the job after its lease was lost: %+v", j)
		}
	})
}

func TestReadAPIAndFigures(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for _, s := range []string{"acme", "beta"} {
			e.tenant(t, s, strongroom.TenantActive)
		}
		ctx := context.Background()
		r, q := e.runner(t, "r", func(r *jobs.Runner) {
			r.Register("ok", func(context.Context, jobs.Job) error { return nil }, jobs.KindOptions{})
			r.Register("bad", func(context.Context, jobs.Job) error { return jobs.Permanent(errors.New("no")) }, jobs.KindOptions{})
		})
		for _, s := range []string{"acme", "beta"} {
			schedule(t, q, jobs.Schedule{Name: "ok/" + s, Kind: "ok", Tenant: s, Every: time.Hour})
			e.enqueue(t, jobs.Job{Kind: "bad", Tenant: s})
		}
		e.clock.Add(time.Hour)
		jobstest.Drain(t, r)
		acme, err := q.List(ctx, jobs.Filter{Tenant: "acme"})
		if err != nil || len(acme) != 2 || acme[0].ID < acme[1].ID {
			t.Fatalf("acme's jobs: %+v, %v", acme, err)
		}
		for _, j := range acme {
			if j.Tenant != "acme" {
				t.Fatalf("acme's list holds %+v", j)
			}
		}
		page, _ := q.List(ctx, jobs.Filter{Kind: "bad", Limit: 1})
		next, _ := q.List(ctx, jobs.Filter{Kind: "bad", Limit: 1, Before: page[0].ID})
		if len(page) != 1 || len(next) != 1 || next[0].ID >= page[0].ID || next[0].State != jobs.Failed ||
			next[0].LastError != "The job failed; the details are in the server log." {
			t.Fatalf("pages %+v %+v", page, next)
		}
		scs, _ := q.Schedules(ctx, jobs.ScheduleFilter{Tenant: "beta"})
		if len(scs) != 1 || scs[0].LastState != jobs.Done || !scs[0].LastSuccessAt.Equal(e.clock.Now()) || scs[0].LastJob == 0 {
			t.Fatalf("beta's schedules: %+v", scs)
		}
		figures := map[string]float64{}
		for _, f := range r.Figures() {
			figures[f.Name] = f.Value()
		}
		if figures["jobs_bad_failed"] != 2 || figures["jobs_ok_failed"] != 0 ||
			figures["jobs_ok_schedule_oldest_success_timestamp_seconds"] != float64(e.clock.Now().Unix()) {
			t.Fatalf("figures %v", figures)
		}

		// Pruning keeps what is recent and failed jobs longer than done ones.
		e.clock.Add(jobs.KeepDone + time.Hour)
		if n, err := q.Prune(ctx, jobs.KeepDone, jobs.KeepFailed); err != nil || n != 2 {
			t.Fatalf("pruned %d: %v", n, err)
		}
		if left, _ := q.List(ctx, jobs.Filter{}); len(left) != 2 || left[0].State != jobs.Failed {
			t.Fatalf("left after pruning: %+v", left)
		}
	})
}
