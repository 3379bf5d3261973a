package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/store"
	"strongroom/tenancy"
)

// What a run leaves behind besides the objects: a row per backup and per
// copy in the control plane, an audit event per copy in the tenant, and the
// figures the metrics expose.

func (s *Service) recordStart(ctx context.Context, slug, id string, started time.Time) error {
	err := s.control().InTx(ctx, func(tx *store.Tx) error {
		// A run still "running" from a process that was killed is over:
		// no backup is ever that long under way (its objects, without a
		// marker, are removed by Cleanup).
		if _, err := tx.ExecContext(ctx, `UPDATE backups SET status = 'failed', error = ?, finished_at = ?
			WHERE tenant_slug = ? AND status = 'running' AND started_at < ?`,
			"The backup was interrupted.", store.FormatTime(started), slug, store.FormatTime(started.Add(-s.orphanAge()))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO backups (id, tenant_slug, started_at, status) VALUES (?, ?, ?, 'running')`,
			id, slug, store.FormatTime(started))
		return err
	})
	if err != nil {
		return fmt.Errorf("record backup of %s: %w", slug, err)
	}
	return nil
}

func (s *Service) recordEnd(ctx context.Context, res *Result) error {
	ok := 0
	for _, c := range res.Copies {
		if c.OK {
			ok++
		}
	}
	status := "completed"
	switch {
	case ok == 0:
		status = "failed"
	case ok < len(res.Copies):
		status = "partial"
	}
	res.Status = status
	err := s.control().InTx(ctx, func(tx *store.Tx) error {
		for _, c := range res.Copies {
			st, verified := "failed", any(nil)
			if c.OK {
				st, verified = "completed", store.FormatTime(c.VerifiedAt)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO backup_copies (backup_id, target, status, attempts, error, size, duration_ms, verified_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, res.ID, c.Target, st, c.Attempts, c.Error, c.Size, c.Duration.Milliseconds(), verified); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE backups SET status = ?, finished_at = ?, error = ? WHERE id = ?`,
			status, store.FormatTime(s.now()), res.Error, res.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("record backup %s: %w", res.ID, err)
	}
	return nil
}

// auditCopies writes backup.completed or backup.failed for each copy into
// the tenant's trail: the target by its redacted name, never a secret.
func auditCopies(ctx context.Context, h *tenancy.Handle, res *Result) error {
	events := make([]audit.Event, 0, len(res.Copies))
	for _, c := range res.Copies {
		e := audit.Event{Actor: audit.Actor{Kind: audit.ActorSystem}, Action: "backup.completed",
			ObjectType: "backup", ObjectID: res.ID,
			Details: map[string]string{"target": c.Target, "attempts": fmt.Sprint(c.Attempts)}}
		if c.OK {
			e.Details["size"] = fmt.Sprint(c.Size)
		} else {
			e.Action = "backup.failed"
			e.Details["error"] = c.Error
		}
		events = append(events, e)
	}
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := h.Audit.AppendBatch(ctx, tx, events)
		return err
	})
}

// safeMessage is what may be recorded of an error: the message of a
// Strongroom error (written for people, free of secrets), or a plain word.
func safeMessage(err error) string {
	var e *strongroom.Error
	if errors.As(err, &e) {
		return e.Message
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "The backup was interrupted."
	}
	var be *backupError
	if errors.As(err, &be) {
		return be.msg
	}
	return "The target failed; the server log has the details."
}

// backupError is a failure whose text is safe to record.
type backupError struct {
	msg   string
	cause error
}

func (e *backupError) Error() string { return e.msg }
func (e *backupError) Unwrap() error { return e.cause }

// figures are the per-target numbers the metrics show.
type figures struct {
	mu          sync.Mutex
	loaded      bool
	lastSuccess map[string]time.Time
	failures    map[string]int64
}

func (f *figures) note(c Copy) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lastSuccess == nil {
		f.lastSuccess, f.failures = map[string]time.Time{}, map[string]int64{}
	}
	failed := int64(c.Attempts)
	if c.OK {
		failed--
		if c.VerifiedAt.After(f.lastSuccess[c.Target]) {
			f.lastSuccess[c.Target] = c.VerifiedAt
		}
	}
	f.failures[c.Target] += failed
}

// LoadFigures reads the last success and the failed attempts of every
// target from the control plane, so the metrics start from what earlier
// processes did.
func (s *Service) LoadFigures(ctx context.Context) error {
	rows, err := s.control().QueryContext(ctx, `SELECT target, MAX(verified_at),
		SUM(CASE WHEN status = 'completed' THEN attempts - 1 ELSE attempts END) FROM backup_copies GROUP BY target`)
	if err != nil {
		return fmt.Errorf("read backup figures: %w", err)
	}
	defer rows.Close()
	f := &s.figures
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastSuccess, f.failures = map[string]time.Time{}, map[string]int64{}
	for rows.Next() {
		var target string
		var last sql.NullString
		var failed int64
		if err := rows.Scan(&target, &last, &failed); err != nil {
			return err
		}
		if last.Valid {
			f.lastSuccess[target], _ = store.ParseTime(last.String)
		}
		f.failures[target] = failed
	}
	f.loaded = true
	return rows.Err()
}

// TargetStat is what the metrics and the status page show of one target:
// its position in the configuration, its redacted name, the time of its
// last verified copy (zero for never) and its failed attempts.
type TargetStat struct {
	Index       int
	Name        string
	LastSuccess time.Time
	Failures    int64
}

// TargetStats returns the figures of every target, in configuration order.
func (s *Service) TargetStats() []TargetStat {
	s.figures.mu.Lock()
	defer s.figures.mu.Unlock()
	out := make([]TargetStat, len(s.Targets))
	for i, t := range s.Targets {
		name := t.Name()
		out[i] = TargetStat{Index: i, Name: name, LastSuccess: s.figures.lastSuccess[name], Failures: s.figures.failures[name]}
	}
	return out
}
