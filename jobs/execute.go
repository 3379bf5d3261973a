package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"strongroom"
)

// reportTimeout bounds recording a job's outcome, which happens even while
// the runner closes.
var reportTimeout = 10 * time.Second

// start runs j in the background; the channel is closed when it is done.
func (r *Runner) start(j Job) chan struct{} {
	r.mu.Lock()
	reg := r.handlers[j.Kind]
	timeout := cmp.Or(max(reg.opts.Timeout, 0), time.Hour)
	ctx, cancel := context.WithTimeout(r.ctx, timeout)
	ru := &run{job: j, cancel: cancel, leaseUntil: j.LeaseUntil}
	r.running[j.ID] = ru
	r.mu.Unlock()
	r.inflight.Add(1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer r.inflight.Done()
		defer func() {
			cancel()
			r.mu.Lock()
			delete(r.running, j.ID)
			r.mu.Unlock()
			r.poke() // a worker is free: look for the next job now
		}()
		r.execute(ctx, ru, reg, timeout)
	}()
	return done
}

// execute checks j's tenant, runs its handler and records how it went.
func (r *Runner) execute(ctx context.Context, ru *run, reg registered, timeout time.Duration) {
	j := ru.job
	log := r.log.With("job", j.ID, "kind", j.Kind, "tenant", j.Tenant, "attempt", j.Attempts)
	report, cancel := context.WithTimeout(context.WithoutCancel(ctx), reportTimeout)
	defer cancel()
	refusal, err := r.refusal(ctx, j, reg.opts)
	if err != nil && r.ctx.Err() != nil {
		r.release(report, log, j) // the shutdown cut the check short
		return
	}
	if err != nil {
		r.fail(report, log, j, "The control database could not be read to check the job's tenant; it is tried again.", err, false)
		return
	}
	if refusal != "" {
		// Fail closed: the handler is never called for a tenant that
		// cannot be served, nor for a job that names the wrong kind of one.
		r.fail(report, log, j, refusal, nil, true)
		return
	}
	began := time.Now()
	err = call(ctx, reg.handler, j)
	// The outcome gets its own time, counted from now: a handler that ran
	// longer than reportTimeout (a backup of an hour) must still be able to
	// record that it succeeded, or it would be run again.
	cancel()
	report, cancel = context.WithTimeout(context.WithoutCancel(ctx), reportTimeout)
	defer cancel()
	r.mu.Lock()
	lost := ru.lost
	r.mu.Unlock()
	switch {
	case lost:
		// Another runner owns the job now; nothing of ours is recorded.
	case err == nil:
		if cerr := r.q.Complete(report, r.cfg.Owner, j.ID); cerr != nil {
			log.Error("jobs: record success", "err", cerr)
			return
		}
		log.Debug("job done", "took", time.Since(began).Round(time.Millisecond).String())
	case r.ctx.Err() != nil:
		r.release(report, log, j) // stopped by the shutdown, not by its own fault
	default:
		r.fail(report, log, j, safeReason(ctx, err, timeout), err, IsPermanent(err))
	}
}

// release hands j back at shutdown, its attempt not counted.
func (r *Runner) release(ctx context.Context, log *slog.Logger, j Job) {
	if err := r.q.Release(ctx, r.cfg.Owner, j.ID); err != nil {
		log.Warn("jobs: hand back a job at shutdown", "err", err)
		return
	}
	log.Info("job handed back at shutdown")
}

// refusal says why j must not run here, or "" when it may.
func (r *Runner) refusal(ctx context.Context, j Job, opts KindOptions) (string, error) {
	switch {
	case opts.Installation && j.Tenant != "":
		return "The job names a tenant, but its kind works on the installation; it was not run.", nil
	case opts.Installation:
		return "", nil
	case j.Tenant == "":
		return "The job names no tenant, but its kind works on one; it was not run.", nil
	}
	status, err := r.q.tenantStatus(ctx, j.Tenant)
	if err != nil {
		return "", err
	}
	switch strongroom.TenantStatus(status) {
	case strongroom.TenantActive:
		return "", nil
	case "":
		return fmt.Sprintf("Tenant %q does not exist; the job was not run.", j.Tenant), nil
	case strongroom.TenantProvisioning:
		return fmt.Sprintf("Tenant %q is still being created; the job was not run.", j.Tenant), nil
	case strongroom.TenantDisabled:
		return fmt.Sprintf("Tenant %q is disabled; the job was not run.", j.Tenant), nil
	default:
		return fmt.Sprintf("Tenant %q is not active; the job was not run.", j.Tenant), nil
	}
}

// errPanic is what a handler's panic becomes.
var errPanic = errors.New("job handler panicked")

// call runs h, turning a panic into an error: a failed attempt, not a crash.
func call(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v\n%s", errPanic, p, debug.Stack())
		}
	}()
	return h(ctx, j)
}

// safeReason is the text recorded for a failed attempt: a Strongroom
// error's message (safe to show by its contract), or a plain statement
// pointing at the log, which has the cause.
func safeReason(ctx context.Context, err error, timeout time.Duration) string {
	var safe *strongroom.Error
	switch {
	case errors.Is(err, errPanic):
		return "The job's handler failed unexpectedly; the details are in the server log."
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("The job took longer than its limit of %s and was stopped.", timeout)
	case errors.As(err, &safe):
		return safe.Message
	}
	return "The job failed; the details are in the server log."
}

// fail records a failed attempt (or a refusal, permanent) and logs its cause.
func (r *Runner) fail(ctx context.Context, log *slog.Logger, j Job, reason string, cause error, permanent bool) {
	retryAt := r.q.now().Add(r.backoff(j))
	next := Queued
	switch {
	case permanent:
		next = Failed
	case j.Attempts >= j.MaxAttempts:
		next = Dead
	}
	if err := r.q.Fail(ctx, r.cfg.Owner, j.ID, reason, next, retryAt); err != nil {
		log.Error("jobs: record failure", "err", err, "reason", reason)
		return
	}
	r.stats.failed(j.Kind)
	args := []any{"reason", reason}
	if cause != nil {
		args = append(args, "err", cause.Error())
	}
	switch next {
	case Failed:
		log.Warn("job failed for good", args...)
	case Dead:
		log.Error("job dead: every attempt failed", args...)
	default:
		log.Warn("job attempt failed; it is tried again", append(args, "retry_at", retryAt)...)
	}
}

// policy is what a job's kind says of its attempts and backoff here.
func (r *Runner) policy(j Job) (int, time.Duration) {
	r.mu.Lock()
	opts := r.handlers[j.Kind].opts
	r.mu.Unlock()
	limit := j.MaxAttempts
	if limit == 0 {
		limit = defaultAttempts(opts)
	}
	return limit, r.backoff(j)
}

// backoff is the wait before j's next attempt: the kind's backoff doubled
// for each attempt made after the first, capped, plus up to half again at
// random so that jobs that failed together do not retry together.
func (r *Runner) backoff(j Job) time.Duration {
	r.mu.Lock()
	opts := r.handlers[j.Kind].opts
	r.mu.Unlock()
	base := cmp.Or(max(opts.Backoff, 0), 30*time.Second)
	ceiling := cmp.Or(max(opts.MaxBackoff, 0), time.Hour)
	d := base
	for i := 1; i < j.Attempts && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return d + rand.N(d/2+1)
}

// PruneKind is the built-in job that removes finished jobs, daily.
const PruneKind = "jobs.prune"

// Finished jobs are kept this long, for pages and operators.
const (
	KeepDone   = 14 * 24 * time.Hour
	KeepFailed = 90 * 24 * time.Hour
)

func (r *Runner) prune(ctx context.Context, _ Job) error {
	n, err := r.q.Prune(ctx, KeepDone, KeepFailed)
	if err == nil && n > 0 {
		r.log.Info("removed finished jobs", "count", n)
	}
	return err
}
