// Package standby keeps a warm standby of every tenant on a backup target:
// it restores each tenant's newest committed backup into a database beside
// the copy it holds and swaps the two only once the new restore passed
// every check of backup.Restorer, so a failed restore leaves the previous
// copy in place. The standby serves nothing; promotion makes it a primary.
package standby

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"

	"strongroom"
	"strongroom/backup"
	"strongroom/blob"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/tenancy"
)

// Service restores tenants from a target into this installation.
type Service struct {
	Engine     store.Engine
	Control    *store.Control
	Keeper     keys.Keeper
	Identities []age.Identity
	// DataDir holds the staging directories (and downloads); FilesDir and
	// CheckpointDir are the installation's.
	DataDir, FilesDir, CheckpointDir string
	SchemaVersion                    int
	// OpenStageControl opens (creating) a scratch control-plane database in
	// dir for one staged restore: its provisioning row is what a sweep
	// needs to remove a staged database a crash left.
	OpenStageControl func(ctx context.Context, dir string) (*store.DB, error)
	// AfterLoad, when set, returns the hook each restore from target runs
	// on the loaded tenant before it is accepted (the erasure ledger is
	// re-applied there), like backup.Restorer.AfterLoad.
	AfterLoad func(target blob.Store) func(ctx context.Context, h *tenancy.Handle, from string) error
	Log       *slog.Logger
	Now       func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// stage is where one staged restore lives: a directory of the same name
// (.standby-TAG) under the data, files and checkpoint directories, so
// that moving its results into place is a rename on one file system.
type stage struct{ tag, data, files, checkpoints string }

const stagePrefix = ".standby-"

func (s *Service) newStage() (stage, error) {
	var b [4]byte
	rand.Read(b[:])
	st := s.stageOf(hex.EncodeToString(b[:]))
	for _, d := range []string{st.data, st.files, st.checkpoints} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return st, fmt.Errorf("staging directory: %w", err)
		}
	}
	return st, nil
}

func (s *Service) stageOf(tag string) stage {
	n := stagePrefix + tag
	return stage{tag: tag, data: filepath.Join(s.DataDir, n), files: filepath.Join(s.FilesDir, n),
		checkpoints: filepath.Join(s.CheckpointDir, n)}
}

func (st stage) remove() {
	for _, d := range []string{st.data, st.files, st.checkpoints} {
		os.RemoveAll(d)
	}
}

// restoreStaged restores backup id of slug beside the live copy. On
// success the staged database, files and checkpoints are complete and
// checked; on failure nothing of it is left.
func (s *Service) restoreStaged(ctx context.Context, t blob.Store, slug, id string) (*backup.Restored, stage, error) {
	st, err := s.newStage()
	if err != nil {
		st.remove()
		return nil, st, err
	}
	db, err := s.OpenStageControl(ctx, st.data)
	if err != nil {
		st.remove()
		return nil, st, err
	}
	defer db.Close()
	tenants := tenancy.NewService(stagingEngine{Engine: s.Engine, tag: st.tag}, store.NewControl(db), s.Keeper, s.log())
	tenants.Checkpoints = st.checkpoints
	r := &backup.Restorer{Tenants: tenants, Keeper: s.Keeper, Identities: s.Identities,
		FilesDir: st.files, CheckpointDir: st.checkpoints, TmpDir: st.data,
		SchemaVersion: s.SchemaVersion, Log: s.log()}
	if s.AfterLoad != nil {
		r.AfterLoad = s.AfterLoad(t)
	}
	out, err := r.Restore(store.WithTimeout(ctx, 0), t, backup.RestoreOptions{Slug: slug, BackupID: id})
	if err != nil {
		st.remove()
		return nil, st, err
	}
	return out, st, nil
}

// refusedByBackup tells a failure of the backup itself (damaged, not this
// installation's, too new) from one of the target or this machine, which
// the next pass tries again.
func refusedByBackup(err error) bool {
	switch strongroom.ErrorCode(err) {
	case strongroom.EINVALID, strongroom.ECONFLICT:
		return true
	}
	return false
}
