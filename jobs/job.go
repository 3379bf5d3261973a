// Package jobs is Strongroom's one runner of background work: durable jobs
// and periodic schedules kept in the control-plane database, claimed under
// a lease by any number of runners (several nodes on PostgreSQL), retried
// with exponential backoff, and run only for the tenant each job names.
//
// A job names its tenant explicitly (Job.Tenant); a handler learns its
// tenant from the job and from nothing else, and the runner refuses, before
// the handler is called, a job whose tenant is missing, still being created
// or disabled. Kinds registered as installation-wide take no tenant.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode"

	"strongroom"
)

// State is where a job is in its life.
type State string

const (
	Queued  State = "queued"  // waiting for its run_at, or for a retry
	Running State = "running" // claimed by a runner, under a lease
	Done    State = "done"    // its handler succeeded
	Failed  State = "failed"  // refused or failed for good, without retries (see LastError)
	Dead    State = "dead"    // every attempt failed
)

// DefaultMaxAttempts is how often a job is tried when neither it nor its
// kind says otherwise.
const DefaultMaxAttempts = 5

// Job is one unit of background work.
type Job struct {
	ID   int64
	Kind string
	// Tenant is the slug of the tenant the job works on; empty only for
	// kinds registered as installation-wide.
	Tenant  string
	Payload json.RawMessage
	// RunAt is the earliest time the job may run; zero means now.
	RunAt time.Time
	// UniqueKey, when set, makes enqueueing a no-op while a job with the
	// same key is queued or running.
	UniqueKey string
	// MaxAttempts bounds the tries; 0 takes the kind's (or DefaultMaxAttempts)
	// as the runner running it has it registered.
	MaxAttempts int

	// Set by the queue.
	Schedule   string // the schedule that made the job, if one did
	State      State
	Attempts   int
	LastError  string // safe to show: never a stack trace, SQL or secret
	LeaseOwner string
	LeaseUntil time.Time
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
}

// Schedule makes a job of Kind for Tenant every Every. Its runs fall on a
// fixed grid: multiples of Every since the Unix epoch, shifted by a phase
// in [0, Jitter) that is a hash of Name and Tenant — so tenants spread out
// over the interval, and a restart or a re-upsert keeps the same phase.
type Schedule struct {
	Name        string
	Kind        string
	Tenant      string
	Payload     json.RawMessage
	Every       time.Duration
	Jitter      time.Duration
	MaxAttempts int
	// Template is the per-tenant template (Runner.EachTenant) that keeps
	// this schedule; empty for schedules made with Queue.Schedule.
	Template string

	// Set by the queue.
	NextRunAt     time.Time
	LastRunAt     time.Time // when it last made a job
	LastJob       int64     // the job it made last
	LastState     State     // that job's state, "" when it has been pruned
	LastSuccessAt time.Time // when one of its jobs last succeeded
	CreatedAt     time.Time
}

// Handler does a job's work. ctx ends when the runner closes, the job's
// timeout passes or its lease is lost; a handler must return then.
type Handler func(ctx context.Context, job Job) error

// KindOptions are a kind's settings, given to Runner.Register.
type KindOptions struct {
	// Installation marks a kind whose jobs are the installation's and
	// name no tenant; every other kind's jobs must name one.
	Installation bool
	// MaxAttempts bounds the tries of the kind's jobs that do not say
	// (0: DefaultMaxAttempts).
	MaxAttempts int
	// Timeout bounds one attempt (0: an hour).
	Timeout time.Duration
	// Backoff is the wait after the first failed attempt, doubled after
	// each further one up to MaxBackoff, plus up to half of it at random
	// (0: 30 s; MaxBackoff 0: an hour).
	Backoff, MaxBackoff time.Duration
}

// permanent marks an error after which a job is not tried again.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that the job fails for good (state failed) rather
// than being retried: for input that will never work.
func Permanent(err error) error { return permanent{err} }

// IsPermanent reports whether err was wrapped by Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// ErrLeaseLost is returned when a runner reports on a job whose lease it no
// longer holds: it expired and another runner may have taken the job.
var ErrLeaseLost = errors.New("the job's lease was lost: another runner may have taken it")

// validName checks a kind or schedule name: short, printable, no spaces.
func validName(field, s string) error {
	if s == "" {
		return strongroom.FieldError(field, "A %s is required.", field)
	}
	if len(s) > 100 || strings.IndexFunc(s, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsPrint(r) || r == ' ' }) >= 0 {
		return strongroom.FieldError(field, "A %s is at most 100 printable ASCII characters without spaces.", field)
	}
	return nil
}

// payloadText checks and normalises a payload: empty is {}.
func payloadText(p json.RawMessage) (string, error) {
	if len(p) == 0 {
		return "{}", nil
	}
	if !json.Valid(p) {
		return "", strongroom.FieldError("payload", "The payload must be valid JSON.")
	}
	return string(p), nil
}
