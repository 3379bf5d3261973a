package drill

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"strongroom/audit"
	"strongroom/store"
)

// What a drill leaves: a row in restore_drills (control migration 0005)
// and a backup.drill event in the tenant's trail. Neither holds a secret:
// the target is its redacted name, the error the restore's safe message.

func (s *Service) record(ctx context.Context, d Drill) error {
	result := "failed"
	if d.OK {
		result = "ok"
	}
	backupTime := ""
	if !d.BackupTime.IsZero() {
		backupTime = store.FormatTime(d.BackupTime)
	}
	_, err := s.Control.DB().ExecContext(ctx, `INSERT INTO restore_drills
		(tenant_slug, target, backup_id, backup_time, started_at, duration_ms, result, part, error, bytes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.Tenant, d.Target, d.BackupID, backupTime, store.FormatTime(d.Started), d.Duration.Milliseconds(),
		result, d.Part, d.Error, d.Bytes)
	if err != nil {
		return fmt.Errorf("record restore drill of %s: %w", d.Tenant, err)
	}
	return nil
}

// audit appends backup.drill to the live tenant's trail: result,
// duration and target, and what failed.
func (s *Service) audit(ctx context.Context, d Drill) error {
	if s.Tenants == nil {
		return nil
	}
	h, release, err := s.Tenants.Get(ctx, d.Tenant)
	if err != nil {
		return err
	}
	defer release()
	result := "failed"
	if d.OK {
		result = "ok"
	}
	e := audit.Event{Actor: audit.Actor{Kind: audit.ActorSystem}, Action: "backup.drill",
		ObjectType: "backup", ObjectID: d.BackupID,
		Details: map[string]string{"target": d.Target, "result": result,
			"duration_ms": fmt.Sprint(d.Duration.Milliseconds())}}
	if d.Slow {
		e.Details["slow"] = "true"
	}
	if !d.OK {
		e.Details["part"], e.Details["error"] = d.Part, d.Error
	}
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := h.Audit.AppendBatch(ctx, tx, []audit.Event{e})
		return err
	})
}

// nextTarget is the index of the target slug was drilled on longest ago;
// one never drilled comes first, the earliest in the configuration.
func (s *Service) nextTarget(ctx context.Context, slug string) (int, error) {
	if len(s.Targets) == 0 {
		return 0, fmt.Errorf("restore drill of %s: no backup target is configured", slug)
	}
	s.turn.Lock()
	defer s.turn.Unlock()
	rows, err := s.Control.DB().QueryContext(ctx, `SELECT target, MAX(started_at) FROM restore_drills
		WHERE tenant_slug = ? GROUP BY target`, slug)
	if err != nil {
		return 0, fmt.Errorf("read restore drills of %s: %w", slug, err)
	}
	defer rows.Close()
	last := map[string]string{}
	for rows.Next() {
		var target, at string
		if err := rows.Scan(&target, &at); err != nil {
			return 0, err
		}
		last[target] = at
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	best := 0
	for i, t := range s.Targets {
		at, ok := last[t.Name()]
		if !ok {
			return i, nil
		}
		if at < last[s.Targets[best].Name()] {
			best = i
		}
	}
	return best, nil
}

// Record is one drill as recorded.
type Record struct {
	Target     string
	BackupID   string
	BackupTime time.Time
	Started    time.Time
	Duration   time.Duration
	OK         bool
	Part       string
	Error      string
	Bytes      int64

	id int64 // orders drills that started in the same microsecond
}

// LastBackup is the newest copy of a tenant's backup on one target, as
// the control plane recorded it.
type LastBackup struct {
	ID       string
	Started  time.Time
	Status   string // completed or failed (the copy's)
	Size     int64
	Verified time.Time
	Error    string
}

// TargetStatus is what a tenant's administrator sees of one target.
type TargetStatus struct {
	Target string // redacted name
	// LastBackup is nil when no backup was recorded on the target.
	LastBackup *LastBackup
	// LastOK is the newest successful drill; LastFailed the newest failed
	// one when it is newer than LastOK. Either may be nil.
	LastOK, LastFailed *Record
}

// Status returns, per configured target in order, the last backup of
// slug and its last drills. Only slug's rows are read.
func (s *Service) Status(ctx context.Context, slug string) ([]TargetStatus, error) {
	out := make([]TargetStatus, len(s.Targets))
	for i, t := range s.Targets {
		out[i].Target = t.Name()
		var err error
		if out[i].LastBackup, err = s.lastBackup(ctx, slug, t.Name()); err != nil {
			return nil, err
		}
		if out[i].LastOK, err = s.lastDrill(ctx, slug, t.Name(), "ok"); err != nil {
			return nil, err
		}
		failed, err := s.lastDrill(ctx, slug, t.Name(), "failed")
		if err != nil {
			return nil, err
		}
		if failed != nil && (out[i].LastOK == nil || newer(failed, out[i].LastOK)) {
			out[i].LastFailed = failed
		}
	}
	return out, nil
}

func (s *Service) lastBackup(ctx context.Context, slug, target string) (*LastBackup, error) {
	var b LastBackup
	var started string
	var verified sql.NullString
	err := s.Control.DB().QueryRowContext(ctx, `SELECT b.id, b.started_at, c.status, c.size, c.verified_at, c.error
		FROM backups b JOIN backup_copies c ON c.backup_id = b.id
		WHERE b.tenant_slug = ? AND c.target = ? ORDER BY b.started_at DESC, b.id DESC LIMIT 1`, slug, target).
		Scan(&b.ID, &started, &b.Status, &b.Size, &verified, &b.Error)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read last backup of %s: %w", slug, err)
	}
	b.Started, _ = store.ParseTime(started)
	if verified.Valid && verified.String != "" {
		b.Verified, _ = store.ParseTime(verified.String)
	}
	return &b, nil
}

func (s *Service) lastDrill(ctx context.Context, slug, target, result string) (*Record, error) {
	var r Record
	var backupTime, started string
	var ms int64
	err := s.Control.DB().QueryRowContext(ctx, `SELECT id, target, backup_id, backup_time, started_at, duration_ms, part, error, bytes
		FROM restore_drills WHERE tenant_slug = ? AND target = ? AND result = ?
		ORDER BY started_at DESC, id DESC LIMIT 1`, slug, target, result).
		Scan(&r.id, &r.Target, &r.BackupID, &backupTime, &started, &ms, &r.Part, &r.Error, &r.Bytes)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read restore drills of %s: %w", slug, err)
	}
	r.OK = result == "ok"
	r.Duration = time.Duration(ms) * time.Millisecond
	r.Started, _ = store.ParseTime(started)
	if backupTime != "" {
		r.BackupTime, _ = store.ParseTime(backupTime)
	}
	return &r, nil
}

func newer(a, b *Record) bool {
	return a.Started.After(b.Started) || a.Started.Equal(b.Started) && a.id > b.id
}
