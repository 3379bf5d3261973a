package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"time"

	"strongroom"
	"strongroom/store"
)

// phase is a schedule's offset into its interval, in seconds: a hash of
// its name and tenant, below jitter. It depends on nothing else, so every
// node and every restart computes the same one.
func phase(name, tenant string, jitter time.Duration) int64 {
	j := int64(jitter / time.Second)
	if j <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write([]byte(tenant))
	return int64(h.Sum64() % uint64(j))
}

// nextAfter is the first point of the grid k×every+phase (Unix seconds)
// strictly after now.
func nextAfter(now time.Time, every time.Duration, phase int64) time.Time {
	e := int64(every / time.Second)
	d := now.Unix() - phase
	k := d / e
	if d < 0 && d%e != 0 {
		k-- // floor, not truncation, before 1970
	}
	return time.Unix((k+1)*e+phase, 0).UTC()
}

// checkSchedule validates sc and fills its defaults.
func (s *Store) checkSchedule(ctx context.Context, sc *Schedule) error {
	if err := checkShape(sc); err != nil {
		return err
	}
	opts, known := s.kind(sc.Kind)
	return s.checkTenant(ctx, sc.Kind, sc.Tenant, opts, known)
}

// checkShape checks what a schedule says, apart from its tenant.
func checkShape(sc *Schedule) error {
	if err := validName("name", sc.Name); err != nil {
		return err
	}
	if err := validName("kind", sc.Kind); err != nil {
		return err
	}
	if _, err := payloadText(sc.Payload); err != nil {
		return err
	}
	if sc.Every < time.Second || sc.Every%time.Second != 0 {
		return strongroom.FieldError("every", "A schedule's interval is a whole number of seconds, at least one.")
	}
	if sc.Jitter < 0 || sc.Jitter > sc.Every {
		return strongroom.FieldError("jitter", "A schedule's jitter is between zero and its interval.")
	}
	if sc.MaxAttempts < 0 {
		return strongroom.FieldError("max_attempts", "The number of attempts must not be negative.")
	}
	return nil
}

// Schedule implements Queue. Upserting an unchanged interval and jitter
// keeps the next run where it was; a changed one starts on the new grid.
func (s *Store) Schedule(ctx context.Context, sc Schedule) error {
	if err := s.checkSchedule(ctx, &sc); err != nil {
		return err
	}
	if err := s.upsert(ctx, sc); err != nil {
		return fmt.Errorf("schedule %s: %w", sc.Name, err)
	}
	return nil
}

func (s *Store) upsert(ctx context.Context, sc Schedule) error {
	now := s.now()
	payload, _ := payloadText(sc.Payload)
	next := nextAfter(now, sc.Every, phase(sc.Name, sc.Tenant, sc.Jitter))
	_, err := s.db.ExecContext(ctx, `INSERT INTO job_schedules
			(name, kind, tenant, payload, every_seconds, jitter_seconds, max_attempts, template, next_run_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, tenant = excluded.tenant, payload = excluded.payload,
			max_attempts = excluded.max_attempts, template = excluded.template,
			next_run_at = CASE WHEN job_schedules.every_seconds <> excluded.every_seconds
				OR job_schedules.jitter_seconds <> excluded.jitter_seconds OR job_schedules.tenant <> excluded.tenant
				THEN excluded.next_run_at ELSE job_schedules.next_run_at END,
			every_seconds = excluded.every_seconds, jitter_seconds = excluded.jitter_seconds`,
		sc.Name, sc.Kind, sc.Tenant, payload, int64(sc.Every/time.Second), int64(sc.Jitter/time.Second), sc.MaxAttempts,
		sc.Template, store.FormatTime(next), store.FormatTime(now))
	return err
}

// Unschedule implements Queue.
func (s *Store) Unschedule(ctx context.Context, name string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM job_schedules WHERE name = ?`, name); err != nil {
		return fmt.Errorf("remove schedule %s: %w", name, err)
	}
	return nil
}

// due is a schedule whose next run has come.
type due struct {
	name, kind, tenant, payload string
	every, jitter               int64
	maxAttempts                 int
	next                        string
}

// EnqueueDue makes the job of every schedule whose next run has come and
// moves the schedule to its next run after now, both in one transaction:
// a crash leaves either both or neither, so a restart neither skips nor
// doubles a run. Runs missed while no runner was up make one job, not one
// per missed interval. Two runners racing for a schedule make one job: the
// schedule moves only from the next run it was read with.
func (s *Store) EnqueueDue(ctx context.Context) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, kind, tenant, payload, every_seconds, jitter_seconds, max_attempts, next_run_at
		FROM job_schedules WHERE next_run_at <= ? ORDER BY next_run_at, name LIMIT 200`, store.FormatTime(s.now()))
	if err != nil {
		return 0, fmt.Errorf("read due schedules: %w", err)
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.name, &d.kind, &d.tenant, &d.payload, &d.every, &d.jitter, &d.maxAttempts, &d.next); err != nil {
			rows.Close()
			return 0, fmt.Errorf("read due schedules: %w", err)
		}
		list = append(list, d)
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("read due schedules: %w", err)
	}
	made := 0
	for _, d := range list {
		ok, err := s.enqueueRun(ctx, d)
		if err != nil {
			return made, fmt.Errorf("run schedule %s: %w", d.name, err)
		}
		if ok {
			made++
		}
	}
	if made > 0 && s.notify != nil {
		s.notify()
	}
	return made, nil
}

// enqueueRun makes one due schedule's job; false when another runner did.
func (s *Store) enqueueRun(ctx context.Context, d due) (bool, error) {
	now := s.now()
	dueAt, err := store.ParseTime(d.next)
	if err != nil {
		return false, err
	}
	every := time.Duration(d.every) * time.Second
	next := nextAfter(now, every, phase(d.name, d.tenant, time.Duration(d.jitter)*time.Second))
	made := false
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		made = false
		res, err := tx.ExecContext(ctx, `UPDATE job_schedules SET next_run_at = ?, last_run_at = ? WHERE name = ? AND next_run_at = ?`,
			store.FormatTime(next), store.FormatTime(now), d.name, d.next)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		id, err := s.insert(ctx, tx, Job{Kind: d.kind, Tenant: d.tenant, Payload: json.RawMessage(d.payload), RunAt: dueAt,
			UniqueKey: "schedule:" + d.name + "@" + d.next, MaxAttempts: d.maxAttempts, Schedule: d.name})
		if err != nil {
			return err
		}
		if err := s.stage("schedule-enqueued"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE job_schedules SET last_job = ? WHERE name = ?`, id, d.name); err != nil {
			return err
		}
		made = true
		return nil
	})
	return made, err
}

// TemplateName is the name of the schedule a per-tenant template keeps
// for tenant.
func TemplateName(template, tenant string) string { return template + "/" + tenant }

// SyncTenants keeps the schedules of per-tenant templates in step with the
// tenants: one schedule per template and active tenant (made when missing,
// updated when the template changed), none for a tenant that is disabled
// or gone. Schedules of any kind whose tenant no longer exists are removed
// too. It returns how many schedules it made or changed.
func (s *Store) SyncTenants(ctx context.Context, templates []Schedule) (int, error) {
	active, err := s.activeTenants(ctx)
	if err != nil {
		return 0, err
	}
	changed := 0
	for _, t := range templates {
		have, err := s.Schedules(ctx, ScheduleFilter{Template: t.Name})
		if err != nil {
			return changed, err
		}
		byName := map[string]Schedule{}
		for _, sc := range have {
			byName[sc.Name] = sc
		}
		for _, slug := range active {
			want := t
			want.Name, want.Tenant, want.Template = TemplateName(t.Name, slug), slug, t.Name
			if old, ok := byName[want.Name]; ok && sameSchedule(old, want) {
				continue
			}
			if err := s.upsert(ctx, want); err != nil {
				return changed, fmt.Errorf("schedule %s: %w", want.Name, err)
			}
			changed++
		}
		if _, err := s.db.ExecContext(ctx, `DELETE FROM job_schedules WHERE template = ?
			AND tenant NOT IN (SELECT slug FROM tenants WHERE status = 'active')`, t.Name); err != nil {
			return changed, fmt.Errorf("remove schedules of %s for inactive tenants: %w", t.Name, err)
		}
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM job_schedules WHERE tenant <> '' AND tenant NOT IN (SELECT slug FROM tenants)`); err != nil {
		return changed, fmt.Errorf("remove schedules of removed tenants: %w", err)
	}
	return changed, nil
}

func sameSchedule(a, b Schedule) bool {
	pa, _ := payloadText(a.Payload)
	pb, _ := payloadText(b.Payload)
	return a.Kind == b.Kind && a.Tenant == b.Tenant && pa == pb && a.Every == b.Every && a.Jitter == b.Jitter &&
		a.MaxAttempts == b.MaxAttempts && a.Template == b.Template
}

func (s *Store) activeTenants(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT slug FROM tenants WHERE status = 'active' ORDER BY slug`)
	if err != nil {
		return nil, fmt.Errorf("list active tenants: %w", err)
	}
	defer rows.Close()
	var slugs []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("list active tenants: %w", err)
		}
		slugs = append(slugs, s)
	}
	return slugs, rows.Err()
}
