package standby

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"strongroom"
	"strongroom/store"
)

// swapRecord is written once a staged restore passed its checks and before
// anything live is touched; a crash after it is rolled forward (every part
// of the new copy is complete), a crash before it leaves only a stage that
// recover sweeps.
type swapRecord struct {
	Slug         string    `json:"slug"`
	Tag          string    `json:"tag"`
	DisplayName  string    `json:"display_name"`
	WrappedKey   []byte    `json:"wrapped_key"`
	NewPlacement string    `json:"new_placement"`
	OldPlacement string    `json:"old_placement,omitempty"`
	BackupID     string    `json:"backup_id"`
	BackupTime   time.Time `json:"backup_time"`
	Target       string    `json:"target"`
	// Committed: the tenants row names the new copy; only the old one's
	// removal is left.
	Committed bool `json:"committed"`
}

// swap makes the staged copy the tenant's: the document and checkpoint
// directories are moved into place (the old ones into the stage), then
// one control-plane transaction points the tenants row at the new
// database and records the backup held; the old database goes last.
func (s *Service) swap(ctx context.Context, rec swapRecord) error {
	ctx = context.WithoutCancel(ctx) // half a swap is worse than a late one
	b, _ := json.Marshal(rec)
	if err := setSetting(ctx, s.Control.DB(), swapPrefix+rec.Slug, b); err != nil {
		return err
	}
	return s.finishSwap(ctx, rec)
}

func (s *Service) finishSwap(ctx context.Context, rec swapRecord) error {
	st := s.stageOf(rec.Tag)
	if !rec.Committed {
		for _, d := range []struct{ live, staged string }{
			{filepath.Join(s.FilesDir, rec.Slug), filepath.Join(st.files, rec.Slug)},
			{filepath.Join(s.CheckpointDir, rec.Slug), filepath.Join(st.checkpoints, rec.Slug)},
		} {
			if err := moveInto(d.live, d.staged, filepath.Join(filepath.Dir(d.staged), ".old")); err != nil {
				return fmt.Errorf("swap the copies of %q: %w", rec.Slug, err)
			}
		}
		if err := s.commitSwap(ctx, rec); err != nil {
			return err
		}
		rec.Committed = true
	}
	if rec.OldPlacement != "" && rec.OldPlacement != rec.NewPlacement {
		if err := s.Engine.DropTenantDB(ctx, rec.OldPlacement); err != nil {
			s.log().Warn("remove the previous standby copy", "tenant", rec.Slug, "err", err)
			return nil // retried by the next recover: the record stays
		}
	}
	st.remove()
	if _, err := s.Control.DB().ExecContext(ctx, `DELETE FROM settings WHERE name = ?`, swapPrefix+rec.Slug); err != nil {
		return fmt.Errorf("finish the swap of %q: %w", rec.Slug, err)
	}
	return nil
}

// moveInto puts staged at live, moving what live held to old. Run again
// after a crash it finishes what is left (staged gone: done).
func moveInto(live, staged, old string) error {
	if _, err := os.Stat(staged); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(live); err == nil {
		os.RemoveAll(old)
		if err := os.Rename(live, old); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(live), 0o700); err != nil {
		return err
	}
	return os.Rename(staged, live)
}

func (s *Service) commitSwap(ctx context.Context, rec swapRecord) error {
	state, err := tenantState(ctx, s.Control, rec.Slug)
	if err != nil {
		return err
	}
	now := s.now()
	state.BackupID, state.BackupTime, state.RestoredAt, state.Target = rec.BackupID, rec.BackupTime, now, rec.Target
	state.LastError, state.LastErrorAt = "", time.Time{}
	rec.Committed = true
	sb, _ := json.Marshal(state)
	rb, _ := json.Marshal(rec)
	return s.Control.DB().InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tenants SET display_name = ?, placement = ?, wrapped_key = ?, status = ?, updated_at = ?
			WHERE slug = ? AND status <> ?`, rec.DisplayName, rec.NewPlacement, rec.WrappedKey, string(strongroom.TenantActive),
			store.FormatTime(now), rec.Slug, string(strongroom.TenantProvisioning))
		if err != nil {
			return fmt.Errorf("point tenant %q at its new copy: %w", rec.Slug, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tenants (slug, display_name, status, placement, wrapped_key, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, rec.Slug, rec.DisplayName, string(strongroom.TenantActive), rec.NewPlacement,
				rec.WrappedKey, store.FormatTime(now), store.FormatTime(now)); err != nil {
				return fmt.Errorf("record tenant %q: %w", rec.Slug, err)
			}
		}
		if err := setSettingTx(ctx, tx, tenantPrefix+rec.Slug, sb); err != nil {
			return err
		}
		return setSettingTx(ctx, tx, swapPrefix+rec.Slug, rb)
	})
}

// Recover puts right what a stopped standby left: swaps whose new copy
// was complete are finished, and stages of restores that never finished
// (their staged database included) are removed.
func (s *Service) Recover(ctx context.Context) error {
	pending := map[string]bool{}
	rows, err := s.Control.DB().QueryContext(ctx, `SELECT value FROM settings WHERE name LIKE ?`, swapPrefix+"%")
	if err != nil {
		return fmt.Errorf("read pending swaps: %w", err)
	}
	var recs []swapRecord
	for rows.Next() {
		var v []byte
		var rec swapRecord
		if rows.Scan(&v) == nil && json.Unmarshal(v, &rec) == nil {
			recs = append(recs, rec)
		}
	}
	rows.Close()
	for _, rec := range recs {
		pending[rec.Tag] = true
		if err := s.finishSwap(ctx, rec); err != nil {
			return err
		}
		s.log().Info("finished a swap a stopped standby left", "tenant", rec.Slug)
	}
	entries, _ := os.ReadDir(s.DataDir)
	for _, e := range entries {
		tag, ok := strings.CutPrefix(e.Name(), stagePrefix)
		if !ok || !e.IsDir() || pending[tag] {
			continue
		}
		s.sweepStage(ctx, s.stageOf(tag))
	}
	return nil
}

// sweepStage drops the staged database of an unfinished restore (its
// provisioning row in the stage's control plane names it) and the stage.
func (s *Service) sweepStage(ctx context.Context, st stage) {
	if _, err := os.Stat(filepath.Join(st.data, "control.db")); err == nil {
		if db, err := s.OpenStageControl(ctx, st.data); err == nil {
			// Nothing in a stage without a swap record was ever live, the
			// finished restores in it included.
			all, err := store.NewControl(db).AllTenants(ctx)
			for _, t := range all {
				if derr := s.Engine.DropTenantDB(ctx, t.Placement); derr != nil {
					err = derr
				}
			}
			if err != nil {
				s.log().Warn("remove a staged copy a stopped standby left", "err", err)
			}
			db.Close()
		}
	}
	st.remove()
}
