package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"strongroom"
	"strongroom/jobs"
)

// A running job's lease is renewed while its handler runs; when renewal
// fails (the database is unreachable) so long that the lease would run out
// before the next try, the handler is stopped: another runner may take
// the job once the lease has run out, and it must not run twice at once.
func TestLeaseRenewedOrHandlerStopped(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.tenant(t, "acme", strongroom.TenantActive)
		running, stopped := make(chan struct{}), make(chan struct{})
		a, q := e.runner(t, "a", func(r *jobs.Runner) {
			r.Register("long", func(ctx context.Context, j jobs.Job) error {
				close(running)
				<-ctx.Done()
				close(stopped)
				return ctx.Err()
			}, jobs.KindOptions{})
		})
		id := e.enqueue(t, jobs.Job{Kind: "long", Tenant: "acme"})
		done := make(chan struct{})
		go func() {
			defer close(done)
			a.RunDue(context.Background())
		}()
		<-running
		for range 3 { // three renewals, each 50 s on: never within 20 s of running out
			e.clock.Add(50 * time.Second)
			jobs.Heartbeat(a)
			if j := e.job(t, id); j.State != jobs.Running || !j.LeaseUntil.Equal(e.clock.Now().Add(time.Minute)) {
				t.Fatalf("after a renewal: %+v", j)
			}
		}
		select {
		case <-stopped:
			t.Fatal("a handler whose lease was renewed was stopped")
		default:
		}
		jobs.SetFault(q, func(stage string) error {
			if stage == "extend" {
				return errors.New("connection refused")
			}
			return nil
		})
		e.clock.Add(30 * time.Second) // the renewal fails with 30 s left: time for another try
		jobs.Heartbeat(a)
		select {
		case <-stopped:
			t.Fatal("stopped with half the lease left")
		default:
		}
		e.clock.Add(15 * time.Second) // 15 s left, and the renewal fails again
		jobs.Heartbeat(a)
		<-stopped
		<-done
		if j := e.job(t, id); j.State != jobs.Running || j.Attempts != 1 {
			t.Fatalf("a runner that could not renew recorded %+v", j)
		}
	})
}
