package jobs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"strongroom/store"
)

// Filter picks jobs to list; empty fields match everything.
type Filter struct {
	Tenant string
	Kind   string
	State  State
	// Before lists only jobs with smaller ids (the next page).
	Before int64
	// Limit is at most 500 (0: 50).
	Limit int
}

// List returns jobs, newest first.
func (s *Store) List(ctx context.Context, f Filter) ([]Job, error) {
	var where []string
	var args []any
	for _, c := range []struct {
		col string
		v   string
	}{{"tenant", f.Tenant}, {"kind", f.Kind}, {"state", string(f.State)}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	q := `SELECT ` + jobColumns + ` FROM jobs`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q += ` ORDER BY id DESC LIMIT ?`
	rows, err := s.db.QueryContext(ctx, q, append(args, min(limit, 500))...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// Get returns one job.
func (s *Store) Get(ctx context.Context, id int64) (Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
	if err != nil {
		return j, fmt.Errorf("read job %d: %w", id, err)
	}
	return j, nil
}

// ScheduleFilter picks schedules to list; empty fields match everything.
type ScheduleFilter struct {
	Tenant   string
	Kind     string
	Template string
}

// Schedules returns schedules by name, each with the state of the job it
// made last: when each ran last, and how that went.
func (s *Store) Schedules(ctx context.Context, f ScheduleFilter) ([]Schedule, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"s.tenant", f.Tenant}, {"s.kind", f.Kind}, {"s.template", f.Template}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	q := `SELECT s.name, s.kind, s.tenant, s.payload, s.every_seconds, s.jitter_seconds, s.max_attempts, s.template,
		s.next_run_at, s.last_run_at, s.last_job, COALESCE(j.state, ''), s.last_success_at, s.created_at
		FROM job_schedules s LEFT JOIN jobs j ON j.id = s.last_job`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY s.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	defer rows.Close()
	var out []Schedule
	for rows.Next() {
		sc, err := scanSchedule(rows)
		if err != nil {
			return nil, fmt.Errorf("list schedules: %w", err)
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

func scanSchedule(rows *store.Rows) (Schedule, error) {
	var sc Schedule
	var payload, state, next, last, success, created string
	var every, jitter int64
	err := rows.Scan(&sc.Name, &sc.Kind, &sc.Tenant, &payload, &every, &jitter, &sc.MaxAttempts, &sc.Template,
		&next, &last, &sc.LastJob, &state, &success, &created)
	if err != nil {
		return sc, err
	}
	sc.Payload, sc.LastState = []byte(payload), State(state)
	sc.Every, sc.Jitter = time.Duration(every)*time.Second, time.Duration(jitter)*time.Second
	for _, t := range []struct {
		s string
		t *time.Time
	}{{next, &sc.NextRunAt}, {last, &sc.LastRunAt}, {success, &sc.LastSuccessAt}, {created, &sc.CreatedAt}} {
		if *t.t, err = parseOptional(t.s); err != nil {
			return sc, err
		}
	}
	return sc, nil
}

// Counts are figures of the queue as a whole, for metrics.
type Counts struct {
	// ByKind counts jobs per kind and state (failed, dead, queued, running).
	ByKind map[string]map[State]int
	// OldestSuccess is, per kind with schedules, the earliest of their
	// last successes (a schedule that never succeeded counts from when it
	// was made): how stale the stalest tenant's run is.
	OldestSuccess map[string]time.Time
}

// Count reads the figures metrics show. Done jobs are not counted: they
// are most of the table and say nothing an alert needs.
func (s *Store) Count(ctx context.Context) (Counts, error) {
	c := Counts{ByKind: map[string]map[State]int{}, OldestSuccess: map[string]time.Time{}}
	rows, err := s.db.QueryContext(ctx, `SELECT kind, state, COUNT(*) FROM jobs WHERE state <> 'done' GROUP BY kind, state`)
	if err != nil {
		return c, fmt.Errorf("count jobs: %w", err)
	}
	for rows.Next() {
		var kind, state string
		var n int
		if err := rows.Scan(&kind, &state, &n); err != nil {
			rows.Close()
			return c, fmt.Errorf("count jobs: %w", err)
		}
		if c.ByKind[kind] == nil {
			c.ByKind[kind] = map[State]int{}
		}
		c.ByKind[kind][State(state)] = n
	}
	if err := rows.Close(); err != nil {
		return c, fmt.Errorf("count jobs: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT kind, MIN(CASE WHEN last_success_at = '' THEN created_at ELSE last_success_at END)
		FROM job_schedules GROUP BY kind`)
	if err != nil {
		return c, fmt.Errorf("read schedule successes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, at string
		if err := rows.Scan(&kind, &at); err != nil {
			return c, fmt.Errorf("read schedule successes: %w", err)
		}
		if c.OldestSuccess[kind], err = store.ParseTime(at); err != nil {
			return c, err
		}
	}
	return c, rows.Err()
}

// Prune removes finished jobs: done ones older than keepDone, failed and
// dead ones older than keepFailed (kept longer: they are what an operator
// looks into). It returns how many it removed.
func (s *Store) Prune(ctx context.Context, keepDone, keepFailed time.Duration) (int64, error) {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `DELETE FROM jobs WHERE (state = 'done' AND finished_at < ?)
		OR (state IN ('failed', 'dead') AND finished_at < ?)`,
		store.FormatTime(now.Add(-keepDone)), store.FormatTime(now.Add(-keepFailed)))
	if err != nil {
		return 0, fmt.Errorf("prune finished jobs: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
