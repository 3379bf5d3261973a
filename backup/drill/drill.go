// Package drill runs restore drills: the newest backup of a tenant on one
// target is restored into a scratch location — a temporary directory with
// a control database and a tenant database of its own — by the same
// backup.Restorer and with the same checks as a real restore, then the
// scratch location is removed. The live tenant, its files and its control
// row are never touched; only the drill's record (control plane), its audit
// event (the tenant's trail) and the figures are written. See
// docs/architecture.md, "Restore drills".
package drill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"filippo.io/age"

	"strongroom"
	"strongroom/backup"
	"strongroom/blob"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/tenancy"
)

// DefaultSlowAfter is a quarter of the one-hour restore promise: a drill
// whose restore takes longer is alerted on even when it succeeds.
const DefaultSlowAfter = 15 * time.Minute

// scratchPrefix names the scratch directories under ScratchDir.
const scratchPrefix = ".drill-"

// Tenants opens the live tenant (tenancy.Registry), only to append the
// drill's audit event to its trail.
type Tenants interface {
	Get(ctx context.Context, slug string) (*tenancy.Handle, func(), error)
}

// Service runs and records drills.
type Service struct {
	// Control is the live control plane: the tenant's row is read there
	// and every drill recorded (restore_drills).
	Control *store.Control
	Tenants Tenants
	// Targets are the backup targets, in the configuration's order.
	Targets    []blob.Store
	Keeper     keys.Keeper
	Identities []age.Identity
	// SchemaVersion is the newest tenant schema this binary knows.
	SchemaVersion int
	// ScratchDir is where scratch locations are made (the data disk).
	ScratchDir string
	// Scratch returns the engine of a scratch location: a SQLite engine
	// over dir (cmd/strongroom passes sqlite.New; only cmd imports engines).
	Scratch func(dir string) (store.Engine, error)
	// AfterLoad is the restore's hook (erasures re-applied), as a real
	// restore would run it.
	AfterLoad func(ctx context.Context, h *tenancy.Handle, from string) error
	// SlowAfter is the restore time past which a successful drill is
	// alerted on (default DefaultSlowAfter).
	SlowAfter time.Duration
	Log       *slog.Logger
	Now       func() time.Time

	figures figures
	turn    sync.Mutex // one choice of the next target at a time
}

// Drill is the outcome of one drill.
type Drill struct {
	Tenant     string
	Target     string // redacted name
	BackupID   string
	BackupTime time.Time
	Started    time.Time
	Duration   time.Duration
	OK         bool
	// Part is what failed ("data part (…)", "table cases", "listing"),
	// Error the safe message; both empty when OK.
	Part, Error string
	Bytes       int64
	// Slow is set when the restore took longer than SlowAfter.
	Slow bool
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

func (s *Service) slowAfter() time.Duration {
	if s.SlowAfter > 0 {
		return s.SlowAfter
	}
	return DefaultSlowAfter
}

// Run drills slug on the target whose turn it is: the one this tenant
// was drilled on longest ago (never first, in configuration order).
func (s *Service) Run(ctx context.Context, slug string) (Drill, error) {
	if err := s.checkTenant(ctx, slug); err != nil {
		return Drill{}, err
	}
	i, err := s.nextTarget(ctx, slug)
	if err != nil {
		return Drill{}, err
	}
	return s.RunTarget(ctx, slug, i)
}

// RunTarget drills slug on Targets[i]. A drill that ran is recorded,
// audited and counted whatever its result; the error is non-nil when it
// failed (a *strongroom.Error with the safe message).
func (s *Service) RunTarget(ctx context.Context, slug string, i int) (Drill, error) {
	if i < 0 || i >= len(s.Targets) {
		return Drill{}, strongroom.FieldError("target", "There is no backup target %d.", i)
	}
	if err := s.checkTenant(ctx, slug); err != nil {
		return Drill{}, err
	}
	if len(s.Identities) == 0 {
		return Drill{}, strongroom.FieldError("backup-identity", "Restore drills need the age identity that opens the backups (--backup-identity).")
	}
	t := s.Targets[i]
	d := Drill{Tenant: slug, Target: t.Name(), Started: s.now()}
	err := s.drill(ctx, t, &d)
	d.Duration = s.now().Sub(d.Started)
	d.OK = err == nil
	d.Slow = d.Duration > s.slowAfter()
	if err != nil {
		d.Error = safeMessage(err)
		d.Part = failingPart(d.Error, d.BackupID, slug)
		s.log().Error("restore drill failed", "tenant", slug, "target", d.Target, "backup", d.BackupID,
			"part", d.Part, "error", err)
	} else if d.Slow {
		s.log().Error("restore drill slower than allowed", "tenant", slug, "target", d.Target, "backup", d.BackupID,
			"duration", d.Duration.Round(time.Second), "allowed", s.slowAfter())
	} else {
		s.log().Info("restore drill passed", "tenant", slug, "target", d.Target, "backup", d.BackupID,
			"duration", d.Duration.Round(time.Millisecond))
	}
	// The record outlives the request that asked for it.
	rctx := context.WithoutCancel(ctx)
	recErr := s.record(rctx, d)
	s.figures.note(d)
	if aerr := s.audit(rctx, d); aerr != nil {
		s.log().Error("restore drill: audit event not written", "tenant", slug, "error", aerr)
		recErr = errors.Join(recErr, aerr)
	}
	if err != nil {
		return d, &strongroom.Error{Code: codeOf(err), Message: d.Error}
	}
	return d, recErr
}

// checkTenant fails closed: a tenant that is missing, half-made or
// disabled is not drilled, and nothing is recorded for it.
func (s *Service) checkTenant(ctx context.Context, slug string) error {
	if err := strongroom.ValidateSlug(slug); err != nil {
		return err
	}
	tn, err := s.Control.FindTenant(ctx, slug)
	if err != nil {
		return err
	}
	if tn == nil || tn.Status != strongroom.TenantActive {
		return strongroom.Errorf(strongroom.ENOTFOUND, "Tenant %q is not an active tenant; no drill was run.", slug)
	}
	return nil
}

// drill restores the newest backup on t into a scratch location that is
// removed before it returns, whatever happened.
func (s *Service) drill(ctx context.Context, t blob.Store, d *Drill) (err error) {
	entries, err := backup.List(ctx, t, d.Tenant)
	if err != nil {
		return fmt.Errorf("listing: %w", err)
	}
	if len(entries) == 0 {
		return strongroom.Errorf(strongroom.ENOTFOUND, "%s holds no backup of tenant %q.", t.Name(), d.Tenant)
	}
	newest := newestEntry(entries)
	d.BackupID, d.BackupTime, d.Bytes = newest.ID, newest.Time, newest.Size
	s.removeStale()
	if err := os.MkdirAll(s.ScratchDir, 0o700); err != nil {
		return fmt.Errorf("scratch directory: %w", err)
	}
	dir, err := os.MkdirTemp(s.ScratchDir, scratchPrefix)
	if err != nil {
		return fmt.Errorf("scratch directory: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil {
			s.log().Error("restore drill: scratch directory not removed", "dir", dir, "error", rerr)
			err = errors.Join(err, fmt.Errorf("remove scratch directory: %w", rerr))
		}
	}()
	return s.restore(ctx, t, dir, newest.ID, d.Tenant)
}

// newestEntry is the backup taken last. Not simply the last listed: ids
// sort by the second they were taken in, then by random bits, so two
// backups of one second may be listed in either order.
func newestEntry(entries []backup.Entry) backup.Entry {
	newest := entries[0]
	for _, e := range entries[1:] {
		if e.Time.After(newest.Time) || e.Time.Equal(newest.Time) && e.ID > newest.ID {
			newest = e
		}
	}
	return newest
}

// restore runs the real Restorer against a control plane and engine of
// the scratch directory's own.
func (s *Service) restore(ctx context.Context, t blob.Store, dir, id, slug string) error {
	e, err := s.Scratch(filepath.Join(dir, "data"))
	if err != nil {
		return fmt.Errorf("scratch engine: %w", err)
	}
	defer e.Close()
	ctx = store.WithTimeout(ctx, 0) // a whole tenant is loaded: not bounded like a request
	cdb, err := e.OpenControl(ctx)
	if err != nil {
		return fmt.Errorf("scratch control database: %w", err)
	}
	defer cdb.Close()
	log := s.log().With("drill", slug)
	tenants := tenancy.NewService(e, store.NewControl(cdb), s.Keeper, log)
	tenants.Checkpoints = filepath.Join(dir, "checkpoints")
	if err := tenants.CheckMasterKey(ctx); err != nil {
		return fmt.Errorf("scratch control database: %w", err)
	}
	r := &backup.Restorer{Tenants: tenants, Keeper: s.Keeper, Identities: s.Identities,
		FilesDir: filepath.Join(dir, "files"), CheckpointDir: tenants.Checkpoints, TmpDir: dir,
		SchemaVersion: s.SchemaVersion, AfterLoad: s.AfterLoad, Log: log}
	_, err = r.Restore(ctx, t, backup.RestoreOptions{Slug: slug, BackupID: id})
	return err
}

// removeStale removes scratch directories a killed process left a day or
// more ago (a drill in progress on another runner is younger).
func (s *Service) removeStale() {
	entries, _ := os.ReadDir(s.ScratchDir)
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !e.IsDir() || !strings.HasPrefix(e.Name(), scratchPrefix) || s.now().Sub(info.ModTime()) < 24*time.Hour {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.ScratchDir, e.Name())); err == nil {
			s.log().Info("removed what a stopped restore drill left", "dir", e.Name())
		}
	}
}

// safeMessage is what may be recorded and shown of a drill's failure.
func safeMessage(err error) string {
	var e *strongroom.Error
	if errors.As(err, &e) {
		return e.Message
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "The drill was interrupted."
	}
	if strings.HasPrefix(err.Error(), "listing: ") {
		return "The target's backups could not be listed; the server log has the details."
	}
	return "The drill could not run; the server log has the details."
}

func codeOf(err error) string {
	if c := strongroom.ErrorCode(store.Classify(err)); c != "" && c != strongroom.EINTERNAL {
		return c
	}
	return strongroom.EINVALID
}

// failingPart names what failed from the restore's safe message
// ("Backup ID of SLUG: PART: why; nothing was restored.").
func failingPart(msg, id, slug string) string {
	switch {
	case id == "":
		return "listing"
	case strings.HasPrefix(msg, "Backup "+id+" of "+slug+": "):
		rest := strings.TrimPrefix(msg, "Backup "+id+" of "+slug+": ")
		if i := strings.Index(rest, ": "); i > 0 {
			// "data part (tenants/…/data.sr.age)": the key is in the message.
			part, _, _ := strings.Cut(rest[:i], " (")
			return part
		}
	case strings.Contains(msg, "the manifest"), strings.Contains(msg, "manifest"):
		return "manifest"
	case strings.Contains(msg, "scratch"):
		return "scratch location"
	}
	return "restore"
}
