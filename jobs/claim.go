package jobs

import (
	"context"
	"fmt"
	"time"

	"strongroom/store"
)

const jobColumns = `id, kind, tenant, payload, state, run_at, attempts, max_attempts, last_error,
	lease_owner, lease_until, unique_key, schedule, created_at, started_at, finished_at`

func scanJob(row interface{ Scan(...any) error }) (Job, error) {
	var j Job
	var payload, state, runAt, leaseUntil, created, started, finished string
	err := row.Scan(&j.ID, &j.Kind, &j.Tenant, &payload, &state, &runAt, &j.Attempts, &j.MaxAttempts, &j.LastError,
		&j.LeaseOwner, &leaseUntil, &j.UniqueKey, &j.Schedule, &created, &started, &finished)
	if err != nil {
		return j, err
	}
	j.Payload, j.State = []byte(payload), State(state)
	for _, t := range []struct {
		s string
		t *time.Time
	}{{runAt, &j.RunAt}, {leaseUntil, &j.LeaseUntil}, {created, &j.CreatedAt}, {started, &j.StartedAt}, {finished, &j.FinishedAt}} {
		if *t.t, err = parseOptional(t.s); err != nil {
			return j, err
		}
	}
	return j, nil
}

// parseOptional reads a stored time; ” is the zero time.
func parseOptional(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return store.ParseTime(s)
}

// Claim implements Queue. On PostgreSQL the rows are locked with SKIP
// LOCKED, so runners on several nodes claiming at once each get other
// jobs and none waits for another; on SQLite the one writer does the same.
func (s *Store) Claim(ctx context.Context, owner string, kinds []string, n int, lease time.Duration) ([]Job, error) {
	if len(kinds) == 0 || n <= 0 {
		return nil, nil
	}
	now := s.now()
	args := []any{}
	for _, k := range kinds {
		args = append(args, k)
	}
	// A cheap read first: polling an idle queue never takes the writer.
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE state = 'queued' AND run_at <= ? AND kind IN (`+
		store.Placeholders(len(kinds))+`) LIMIT 1) due`, append([]any{store.FormatTime(now)}, args...)...).Scan(&one)
	if err != nil || one == 0 {
		return nil, err
	}
	lock := ""
	if s.db.Dialect == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	q := `UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_until = ?, started_at = ?
		WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= ? AND kind IN (` + store.Placeholders(len(kinds)) + `)
		ORDER BY run_at, id LIMIT ?` + lock + `) RETURNING ` + jobColumns
	all := append([]any{owner, store.FormatTime(now.Add(lease)), store.FormatTime(now), store.FormatTime(now)}, args...)
	all = append(all, n)
	var claimed []Job
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		claimed = claimed[:0]
		rows, err := tx.QueryContext(ctx, q, all...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			claimed = append(claimed, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	return claimed, nil
}

// Extend implements Queue.
func (s *Store) Extend(ctx context.Context, owner string, ids []int64, lease time.Duration) ([]int64, error) {
	if err := s.stage("extend"); err != nil {
		return nil, fmt.Errorf("extend leases: %w", err)
	}
	until := store.FormatTime(s.now().Add(lease))
	var lost []int64
	for _, id := range ids {
		res, err := s.db.ExecContext(ctx, `UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ? AND state = 'running'`, until, id, owner)
		if err != nil {
			return lost, fmt.Errorf("extend lease of job %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			lost = append(lost, id)
		}
	}
	return lost, nil
}

// Complete implements Queue. A job made by a schedule records the success
// on its schedule in the same transaction.
func (s *Store) Complete(ctx context.Context, owner string, id int64) error {
	now := store.FormatTime(s.now())
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var schedule string
		err := tx.QueryRowContext(ctx, `UPDATE jobs SET state = 'done', finished_at = ?, lease_owner = '', lease_until = '', last_error = ''
			WHERE id = ? AND lease_owner = ? AND state = 'running' RETURNING schedule`, now, id, owner).Scan(&schedule)
		if err != nil {
			return leaseLost(err)
		}
		if schedule != "" {
			_, err = tx.ExecContext(ctx, `UPDATE job_schedules SET last_success_at = ? WHERE name = ?`, now, schedule)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("complete job %d: %w", id, err)
	}
	return nil
}

// Fail implements Queue.
func (s *Store) Fail(ctx context.Context, owner string, id int64, reason string, next State, retryAt time.Time) error {
	finished, runAt := store.FormatTime(s.now()), store.FormatTime(retryAt)
	switch next {
	case Queued:
		finished = ""
	case Failed, Dead:
		runAt = ""
	default:
		return fmt.Errorf("record failure of job %d: a failed job cannot become %s", id, next)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE jobs SET state = ?, run_at = CASE WHEN ? = '' THEN run_at ELSE ? END,
			finished_at = ?, last_error = ?, lease_owner = '', lease_until = ''
		WHERE id = ? AND lease_owner = ? AND state = 'running'`,
		string(next), runAt, runAt, finished, reason, id, owner)
	if err != nil {
		return fmt.Errorf("record failure of job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("record failure of job %d: %w", id, ErrLeaseLost)
	}
	return nil
}

// Release implements Queue: the job is queued again at once, as if never
// claimed, for this runner or another.
func (s *Store) Release(ctx context.Context, owner string, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE jobs SET state = 'queued', attempts = attempts - 1, lease_owner = '', lease_until = '', started_at = ''
		WHERE id = ? AND lease_owner = ? AND state = 'running'`, id, owner)
	if err != nil {
		return fmt.Errorf("release job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("release job %d: %w", id, ErrLeaseLost)
	}
	return nil
}

func leaseLost(err error) error {
	if isNoRows(err) {
		return ErrLeaseLost
	}
	return err
}

// expiredReason is what a job whose runner vanished records.
const expiredReason = "The runner running this job stopped before it finished (its lease expired); it is tried again."

// Reap takes back the jobs of the given kinds whose leases expired — their
// runner was killed or lost the database — and queues them again after
// their backoff, or marks them dead when their attempts (policy's
// maximum) are spent. It returns how many it took back.
func (s *Store) Reap(ctx context.Context, kinds []string, policy func(Job) (maxAttempts int, backoff time.Duration)) (int, error) {
	if len(kinds) == 0 {
		return 0, nil
	}
	now := s.now()
	lock := ""
	if s.db.Dialect == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	args := []any{store.FormatTime(now)}
	for _, k := range kinds {
		args = append(args, k)
	}
	// A cheap read first: a pass with no expired lease never takes the writer.
	var any int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE state = 'running' AND lease_until < ? AND kind IN (`+
		store.Placeholders(len(kinds))+`) LIMIT 1) expired`, args...).Scan(&any)
	if err != nil || any == 0 {
		return 0, err
	}
	n := 0
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE state = 'running' AND lease_until < ? AND kind IN (`+
			store.Placeholders(len(kinds))+`) ORDER BY id LIMIT 100`+lock, args...)
		if err != nil {
			return err
		}
		var expired []Job
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				rows.Close()
				return err
			}
			expired = append(expired, j)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, j := range expired {
			limit, wait := policy(j)
			state, finished := "queued", ""
			if j.Attempts >= limit {
				state, finished = "dead", store.FormatTime(now)
			}
			_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = ?, run_at = ?, finished_at = ?, last_error = ?, lease_owner = '', lease_until = ''
				WHERE id = ? AND state = 'running' AND lease_owner = ?`,
				state, store.FormatTime(now.Add(wait)), finished, expiredReason, j.ID, j.LeaseOwner)
			if err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("take back expired jobs: %w", err)
	}
	return n, nil
}
