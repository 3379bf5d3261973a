package standby

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"strongroom"
	"strongroom/backup"
	"strongroom/blob"
)

// Discover returns the slug of every tenant with objects on t.
func Discover(ctx context.Context, t blob.Store) ([]string, error) {
	var slugs []string
	seen := map[string]bool{}
	err := t.List(ctx, "tenants/", func(info blob.Info) error {
		rest := strings.TrimPrefix(info.Key, "tenants/")
		slug, _, ok := strings.Cut(rest, "/")
		if ok && !seen[slug] && strongroom.ValidateSlug(slug) == nil {
			seen[slug] = true
			slugs = append(slugs, slug)
		}
		return nil
	})
	return slugs, err
}

// Result is what one pass did for one tenant.
type Result struct {
	Slug string
	// Restored names the backup restored in this pass; empty when the
	// copy held was already the newest (or nothing could be restored).
	Restored string
	Err      error
}

// Pass looks at every tenant on t once and restores each one's newest
// committed backup that is newer than the copy held.
func (s *Service) Pass(ctx context.Context, t blob.Store) ([]Result, error) {
	slugs, err := Discover(ctx, t)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, slug := range slugs {
		if ctx.Err() != nil {
			break
		}
		id, err := s.SyncTenant(ctx, t, slug)
		out = append(out, Result{Slug: slug, Restored: id, Err: err})
	}
	return out, ctx.Err()
}

// SyncTenant restores slug's newest backup on t when it is newer than
// the copy held, trying older ones (still newer than the copy) when the
// newest is refused. It returns the id restored, or "" with the copy
// held left as it was.
func (s *Service) SyncTenant(ctx context.Context, t blob.Store, slug string) (string, error) {
	state, err := tenantState(ctx, s.Control, slug)
	if err != nil {
		return "", err
	}
	state.Slug, state.CheckedAt = slug, s.now()
	id, err := s.syncTenant(ctx, t, &state)
	if id != "" {
		// The swap recorded the new copy; keep what this pass learned.
		held, rerr := tenantState(ctx, s.Control, slug)
		if rerr == nil {
			held.CheckedAt, held.Refused = state.CheckedAt, state.Refused
			state = held
		}
	}
	if err != nil {
		state.LastError, state.LastErrorAt = describe(err), s.now()
		s.log().Warn("standby restore failed; the copy held stays", "tenant", slug, "err", err)
	}
	if perr := putTenantState(context.WithoutCancel(ctx), s.Control.DB(), state); perr != nil && err == nil {
		err = perr
	}
	return id, err
}

func (s *Service) syncTenant(ctx context.Context, t blob.Store, state *TenantState) (string, error) {
	entries, err := backup.List(ctx, t, state.Slug)
	if err != nil {
		return "", err
	}
	var firstErr error
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.ID <= state.BackupID {
			break
		}
		if state.refused(e.ID) {
			continue
		}
		err := s.restore(ctx, t, state.Slug, e)
		if err == nil {
			return e.ID, firstErr
		}
		if firstErr == nil {
			firstErr = err
		}
		if !refusedByBackup(err) {
			return "", err // the target or this machine: try again next pass
		}
		state.refuse(e.ID)
	}
	return "", firstErr
}

func (s *Service) restore(ctx context.Context, t blob.Store, slug string, e backup.Entry) error {
	out, st, err := s.restoreStaged(ctx, t, slug, e.ID)
	if err != nil {
		return err
	}
	old := ""
	if live, err := s.Control.FindTenant(ctx, slug); err == nil {
		old = live.Placement
	} else if strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
		st.remove()
		return err
	}
	rec := swapRecord{Slug: slug, Tag: st.tag, DisplayName: out.Tenant.DisplayName, WrappedKey: out.Tenant.WrappedKey,
		NewPlacement: out.Tenant.Placement, OldPlacement: old, BackupID: e.ID, BackupTime: e.Time, Target: t.Name()}
	if err := s.swap(ctx, rec); err != nil {
		return err
	}
	s.log().Info("standby copy replaced", "tenant", slug, "backup", e.ID)
	return nil
}

// describe is the safe message of an error for the status page.
func describe(err error) string {
	var e *strongroom.Error
	if errors.As(err, &e) {
		return e.Message
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "The restore was stopped before it finished; the copy held stays."
	}
	return "The restore failed (the cause is logged); the copy held stays."
}

// Run makes a pass every interval until ctx ends or the installation's
// role leaves standby (promote asks for that); a pass under way is then
// cancelled, and its staged restore removed.
func (s *Service) Run(ctx context.Context, t blob.Store, every time.Duration, passed func([]Result, error)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		s.watchRole(ctx, cancel)
	}()
	defer func() { cancel(); <-stopped }()
	for {
		res, err := s.Pass(ctx, t)
		if ctx.Err() != nil {
			return s.stopReason(context.WithoutCancel(ctx))
		}
		if passed != nil {
			passed(res, err)
		}
		select {
		case <-ctx.Done():
			return s.stopReason(context.WithoutCancel(ctx))
		case <-time.After(every):
		}
	}
}

// watchRole cancels when the role is no longer standby.
func (s *Service) watchRole(ctx context.Context, cancel func()) {
	tick := time.NewTicker(RolePoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if r, err := ReadRole(ctx, s.Control); err == nil && r != RoleStandby {
				cancel()
				return
			}
		}
	}
}

// RolePoll is how often a running standby looks for a promotion.
var RolePoll = time.Second

// ErrPromoting ends Run when a promotion began.
var ErrPromoting = errors.New("the installation is being promoted; the standby stopped")

func (s *Service) stopReason(ctx context.Context) error {
	if r, err := ReadRole(ctx, s.Control); err == nil && r != RoleStandby {
		return ErrPromoting
	}
	return nil
}

// Become makes this installation a standby, or says why it cannot be one:
// a promoted installation, or one with tenants of its own, is a primary
// whose tenants a standby would overwrite.
func Become(ctx context.Context, s *Service) error {
	role, err := ReadRole(ctx, s.Control)
	if err != nil {
		return err
	}
	switch role {
	case RoleStandby:
		return nil
	case RolePromoted:
		at, _ := PromotedAt(ctx, s.Control)
		return strongroom.Errorf(strongroom.ECONFLICT, "This installation was promoted from standby on %s and is a primary now; \"strongroom standby\" will not overwrite its tenants. Make a new standby on an empty data directory.",
			at.UTC().Format("2006-01-02 15:04Z"))
	case RolePromoting:
		return strongroom.Errorf(strongroom.ECONFLICT, "This installation is being promoted; finish with \"strongroom standby promote\".")
	}
	ts, err := s.Control.AllTenants(ctx)
	if err != nil {
		return err
	}
	if len(ts) > 0 {
		return strongroom.Errorf(strongroom.ECONFLICT, "This installation has tenants of its own (%d) and is not a standby; run the standby on an empty data directory (or database).", len(ts))
	}
	if err := SetRole(ctx, s.Control, RoleStandby, s.now()); err != nil {
		return fmt.Errorf("record the standby role: %w", err)
	}
	return nil
}
