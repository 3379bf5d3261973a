package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"strongroom"
	"strongroom/store"
)

// Queue is what work is put on and taken from. Store implements it over the
// control-plane database, once for both engines.
type Queue interface {
	// Enqueue adds a job and returns its id. A job whose UniqueKey matches
	// a queued or running one is not added: the id returned is that one's.
	Enqueue(ctx context.Context, j Job) (int64, error)
	// Schedule adds or updates a schedule (by name).
	Schedule(ctx context.Context, s Schedule) error
	// Unschedule removes a schedule; its jobs already queued stay.
	Unschedule(ctx context.Context, name string) error
	// Claim takes up to n due queued jobs of the given kinds for owner,
	// leased until lease from now, their attempts counted.
	Claim(ctx context.Context, owner string, kinds []string, n int, lease time.Duration) ([]Job, error)
	// Extend renews owner's leases on ids and returns those it no longer holds.
	Extend(ctx context.Context, owner string, ids []int64, lease time.Duration) (lost []int64, err error)
	// Complete records a job's success.
	Complete(ctx context.Context, owner string, id int64) error
	// Fail records a failed attempt and what follows: Queued again at
	// retryAt, Failed for good, or Dead (its attempts spent).
	Fail(ctx context.Context, owner string, id int64, reason string, next State, retryAt time.Time) error
	// Release hands a claimed job back unrun (a runner shutting down),
	// its attempt not counted.
	Release(ctx context.Context, owner string, id int64) error
}

// Store is the Queue kept in the control-plane database.
type Store struct {
	db *store.DB
	// Now is the clock; tests replace it.
	Now func() time.Time

	mu sync.RWMutex
	// kinds are the kinds registered in this process, for the tenant rule
	// at enqueue.
	kinds map[string]KindOptions
	// fault, when set by tests, fails a stage of a transaction.
	fault func(stage string) error
	// notify, when set, is told of a job enqueued here.
	notify func()
}

var _ Queue = (*Store)(nil)

// NewStore returns the queue kept in db, the control-plane database.
func NewStore(db *store.DB) *Store {
	return &Store{db: db, Now: time.Now, kinds: map[string]KindOptions{}}
}

func (s *Store) now() time.Time { return s.Now().UTC() }

func (s *Store) kind(k string) (KindOptions, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.kinds[k]
	return o, ok
}

func (s *Store) stage(name string) error {
	if s.fault == nil {
		return nil
	}
	return s.fault(name)
}

// Enqueue implements Queue.
func (s *Store) Enqueue(ctx context.Context, j Job) (int64, error) {
	if err := s.checkJob(ctx, &j); err != nil {
		return 0, err
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		id, err = s.insert(ctx, tx, j)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue a %s job: %w", j.Kind, err)
	}
	if s.notify != nil {
		s.notify()
	}
	return id, nil
}

// checkJob validates j and fills its defaults.
func (s *Store) checkJob(ctx context.Context, j *Job) error {
	if err := validName("kind", j.Kind); err != nil {
		return err
	}
	if _, err := payloadText(j.Payload); err != nil {
		return err
	}
	if len(j.UniqueKey) > 300 {
		return strongroom.FieldError("unique_key", "A unique key is at most 300 characters.")
	}
	if j.MaxAttempts < 0 {
		return strongroom.FieldError("max_attempts", "The number of attempts must not be negative.")
	}
	opts, known := s.kind(j.Kind)
	if j.RunAt.IsZero() {
		j.RunAt = s.now()
	}
	return s.checkTenant(ctx, j.Kind, j.Tenant, opts, known)
}

// checkTenant applies the tenant rule to a job or schedule being made: an
// installation-wide kind names no tenant, any other kind an existing one.
func (s *Store) checkTenant(ctx context.Context, kind, tenant string, opts KindOptions, known bool) error {
	switch {
	case known && opts.Installation && tenant != "":
		return strongroom.FieldError("tenant", "Jobs of kind %s are the installation's and name no tenant.", kind)
	case known && !opts.Installation && tenant == "":
		return strongroom.FieldError("tenant", "Jobs of kind %s must name their tenant.", kind)
	case tenant == "":
		return nil
	}
	if err := strongroom.ValidateSlug(tenant); err != nil {
		return strongroom.FieldError("tenant", "%s", strongroom.ErrorMessage(err))
	}
	status, err := s.tenantStatus(ctx, tenant)
	if err != nil {
		return err
	}
	if status == "" || status == string(strongroom.TenantProvisioning) {
		return strongroom.FieldError("tenant", "No tenant %q.", tenant)
	}
	return nil
}

// tenantStatus reads a tenant's status; "" when there is no such tenant.
func (s *Store) tenantStatus(ctx context.Context, slug string) (string, error) {
	var status string
	err := s.db.QueryRowContext(ctx, `SELECT status FROM tenants WHERE slug = ?`, slug).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("look up tenant %q: %w", slug, err)
	}
	return status, nil
}

func defaultAttempts(o KindOptions) int {
	if o.MaxAttempts > 0 {
		return o.MaxAttempts
	}
	return DefaultMaxAttempts
}

// insert adds j in tx; a unique job already queued or running is not added
// again, and its id is returned instead.
func (s *Store) insert(ctx context.Context, tx *store.Tx, j Job) (int64, error) {
	payload, _ := payloadText(j.Payload)
	now := store.FormatTime(s.now())
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO jobs (kind, tenant, payload, state, run_at, max_attempts, unique_key, schedule, created_at)
		VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		j.Kind, j.Tenant, payload, store.FormatTime(j.RunAt), j.MaxAttempts, j.UniqueKey, j.Schedule, now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) && j.UniqueKey != "" {
		err = tx.QueryRowContext(ctx, `SELECT id FROM jobs WHERE unique_key = ? AND state IN ('queued', 'running')`, j.UniqueKey).Scan(&id)
	}
	if err != nil {
		return 0, err
	}
	return id, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
