// Package backup writes encrypted, signed backups of tenants to several
// independent object stores (targets) and restores a tenant from any one
// of them onto a server that has only the master key and the backup
// identity. See docs/architecture.md, "Backups", for the layout and the
// chain of trust.
package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"filippo.io/age"

	"strongroom"
	"strongroom/blob"
	"strongroom/store"
	"strongroom/tenancy"
)

// MaxTargets is how many targets a server may write to.
const MaxTargets = 5

// Service backs tenants up. A job handler calls RunTenant or RunAll; the
// service has no schedule of its own.
type Service struct {
	Registry   *tenancy.Registry
	Control    *store.Control
	Targets    []blob.Store
	Recipients []age.Recipient
	// FilesDir holds the tenants' document files (FilesDir/SLUG/KEY);
	// CheckpointDir their audit checkpoint files (CheckpointDir/SLUG).
	FilesDir, CheckpointDir string
	// TmpDir is where a snapshot may make its temporary copy.
	TmpDir string
	Log    *slog.Logger
	Now    func() time.Time
	// Attempts is how often a target is tried within one run (default 4);
	// Backoff the first wait between tries (default 2 s), doubled each time.
	Attempts int
	Backoff  time.Duration
	// OrphanAge is how old objects of a backup without a commit marker
	// must be before they are removed (default a day): younger ones may
	// belong to a backup still being written.
	OrphanAge time.Duration
	// KeystoreRetention is how long key store parts are kept (default 35
	// days). The audit subject keys are what erasing a person deletes;
	// keeping them briefly bounds how long an erased person's values stay
	// readable in a restore of an old backup.
	KeystoreRetention time.Duration
	// Stall is how long a target may go without moving a byte before its
	// copy is given up as failed (default two minutes).
	Stall time.Duration
	// Ledger, when set, returns the tenant's erasure ledger (erasure
	// ExportLedger) to copy to every target after each run (WriteLedger).
	Ledger func(ctx context.Context, slug string) ([]byte, error)

	sleep   func(context.Context, time.Duration) error
	figures figures
}

// Result is what a run did for one tenant.
type Result struct {
	Tenant string
	ID     string
	// Status is completed (every target), partial or failed.
	Status string
	// Error is why nothing could be written (no target was tried).
	Error  string
	Copies []Copy
}

// Copy is the outcome on one target.
type Copy struct {
	Target     string
	OK         bool
	Attempts   int
	Error      string // safe to show and record
	Size       int64  // bytes written to the target
	Duration   time.Duration
	VerifiedAt time.Time
	// Uploaded and Reused count document files sent and found already there.
	Uploaded, Reused int
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func (s *Service) control() *store.DB { return s.Control.DB() }

func (s *Service) wait(ctx context.Context, d time.Duration) error {
	if s.sleep != nil {
		return s.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RunTenant backs up the tenant slug to every target. Each target is
// written and verified on its own: one that fails is retried with growing
// waits while the others go on, and the run fails only when no target has
// a verified copy.
func (s *Service) RunTenant(ctx context.Context, slug string) (Result, error) {
	res := Result{Tenant: slug}
	if len(s.Targets) == 0 {
		return res, strongroom.FieldError("backup-target", "No backup target is configured.")
	}
	h, release, err := s.Registry.Get(ctx, slug)
	if err != nil {
		return res, err
	}
	defer release()
	started := s.now()
	res.ID = newID(started)
	// Bookkeeping outlives a cancelled run, so an interrupted backup is
	// recorded as failed rather than left running. Its deadline starts
	// afresh after the copies: a large tenant takes minutes to copy.
	book, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	if err := s.recordStart(book, slug, res.ID, started); err != nil {
		cancel()
		return res, err
	}
	cancel()
	copies := s.runTargets(ctx, h, res.ID, started)
	book, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	res.Copies = copies
	for _, c := range copies {
		s.figures.note(c)
		if !c.OK {
			s.log().Warn("backup copy failed", "tenant", slug, "backup", res.ID, "target", c.Target, "attempts", c.Attempts, "err", c.Error)
		}
	}
	if err := auditCopies(book, h, &res); err != nil {
		s.log().Error("audit backup", "tenant", slug, "err", err)
	}
	if err := s.recordEnd(book, &res); err != nil {
		return res, err
	}
	s.writeLedger(book, slug)
	for _, t := range s.Targets {
		if err := s.Cleanup(ctx, t, slug); err != nil {
			s.log().Warn("remove unfinished backups", "tenant", slug, "target", t.Name(), "err", err)
		}
	}
	if res.Status == "failed" {
		return res, strongroom.Errorf(strongroom.EUNAVAILABLE, "No backup target took the backup of %s: %s", slug, copies[0].Error)
	}
	return res, nil
}

// runTargets writes the backup to every target at once, then retries the
// targets that failed, each alone, until they succeed or run out of tries.
func (s *Service) runTargets(ctx context.Context, h *tenancy.Handle, id string, started time.Time) []Copy {
	attempts := s.Attempts
	if attempts <= 0 {
		attempts = 4
	}
	backoff := s.Backoff
	if backoff <= 0 {
		backoff = 2 * time.Second
	}
	copies := make([]Copy, len(s.Targets))
	pending := make([]int, len(s.Targets))
	for i, t := range s.Targets {
		copies[i].Target = t.Name()
		pending[i] = i
	}
	for try := 1; try <= attempts && len(pending) > 0; try++ {
		if try > 1 {
			if err := s.wait(ctx, backoff<<(try-2)); err != nil {
				break
			}
		}
		batches := [][]int{pending} // the first try shares one snapshot
		if try > 1 {
			batches = nil
			for _, i := range pending {
				batches = append(batches, []int{i})
			}
		}
		var failed []int
		for _, batch := range batches {
			for _, i := range batch {
				copies[i].Attempts++
			}
			for k, out := range s.attempt(ctx, h, id, started, batch) {
				i := batch[k]
				if out.OK {
					out.Attempts = copies[i].Attempts
					copies[i] = out
				} else {
					copies[i].Error, copies[i].Duration = out.Error, out.Duration
					failed = append(failed, i)
				}
			}
		}
		pending = failed
		if ctx.Err() != nil {
			break
		}
	}
	return copies
}

// RunAll backs up every active tenant, one after the other, and returns
// every result; the error joins those of the tenants that failed.
func (s *Service) RunAll(ctx context.Context) ([]Result, error) {
	ts, err := s.Control.ListTenants(ctx)
	if err != nil {
		return nil, err
	}
	var out []Result
	var errs []error
	for _, t := range ts {
		if t.Status != strongroom.TenantActive {
			continue
		}
		res, err := s.RunTenant(ctx, t.Slug)
		out = append(out, res)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.Slug, err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	return out, errors.Join(errs...)
}
