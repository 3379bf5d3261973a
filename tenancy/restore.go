package tenancy

import (
	"context"
	"fmt"

	"strongroom"
	"strongroom/store"
)

// RestorePlan says how to bring back a tenant from a backup.
type RestorePlan struct {
	Slug, DisplayName string
	// SealedAs, when set, is the slug the backup's sealed values are bound
	// to, if not Slug: the tenant is a copy of that one (Handle.SealedAs).
	SealedAs string
	// WrappedKey is the tenant's data key wrapped by the master key, as
	// the backup recorded it; the tenant keeps it.
	WrappedKey []byte
	// Load fills the new, migrated database (and the files outside it)
	// before its audit log is opened: the log's signing key comes with
	// the data.
	Load func(ctx context.Context, db *store.DB, dataKey []byte) error
	// Check runs on the loaded tenant before it goes live: hooks that
	// re-apply later decisions (erasures), integrity checks.
	Check func(ctx context.Context, h *Handle) error
	// Undo removes what Load made outside the database and the checkpoint
	// directory (document files); it runs when the restore fails.
	Undo func()
}

// Restore creates a tenant from a backup, all or nothing, like Create: the
// control-plane row is provisioning (invisible) until the database is
// made, loaded and checked; any failure removes the database, the
// checkpoint files, what Undo removes, and the row. A crash midway leaves
// a provisioning row that Sweep removes.
func (s *Service) Restore(ctx context.Context, p RestorePlan) (*strongroom.Tenant, error) {
	if err := strongroom.ValidateSlug(p.Slug); err != nil {
		return nil, err
	}
	if err := strongroom.ValidateDisplayName(p.DisplayName); err != nil {
		return nil, err
	}
	dataKey, err := s.keeper.Unwrap(ctx, p.WrappedKey)
	if err != nil {
		return nil, strongroom.Errorf(strongroom.EINVALID, "The backup's data key does not open with this server's master key.")
	}
	defer clear(dataKey)
	t := &strongroom.Tenant{
		Slug: p.Slug, DisplayName: p.DisplayName, Placement: s.engine.Placement(p.Slug),
		CreatedAt: s.Now().UTC(), WrappedKey: p.WrappedKey,
	}
	if err := s.control.InsertProvisioning(ctx, t); err != nil {
		return nil, err
	}
	if err := s.restore(ctx, t, dataKey, p); err != nil {
		cleanup := context.WithoutCancel(ctx)
		if derr := s.engine.DropTenantDB(cleanup, t.Placement); derr != nil {
			s.log.Error("remove database of failed restore", "tenant", p.Slug, "err", derr)
		}
		s.removeCheckpoints(p.Slug)
		if p.Undo != nil {
			p.Undo()
		}
		if derr := s.control.DeleteProvisioning(cleanup, p.Slug); derr != nil {
			s.log.Error("remove row of failed restore", "tenant", p.Slug, "err", derr)
		}
		return nil, err
	}
	t.Status = strongroom.TenantActive
	s.log.Info("tenant restored", "tenant", p.Slug)
	return t, nil
}

func (s *Service) restore(ctx context.Context, t *strongroom.Tenant, dataKey []byte, p RestorePlan) error {
	placement, err := s.engine.CreateTenantDB(ctx, t.Slug)
	if err != nil {
		return err
	}
	t.Placement = placement
	db, err := s.engine.OpenTenantDB(ctx, t.Slug, placement)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := p.Load(ctx, db, dataKey); err != nil {
		return err
	}
	if err := store.CheckTenantInfo(ctx, db, t.Slug); err != nil {
		return fmt.Errorf("restored database: %w", err)
	}
	if p.SealedAs != "" && p.SealedAs != t.Slug {
		if err := store.SetSealedAs(ctx, db, p.SealedAs); err != nil {
			return err
		}
	}
	h, err := NewHandle(ctx, t, db, dataKey, s.Checkpoints)
	if err != nil {
		return err
	}
	if p.Check != nil {
		if err := p.Check(ctx, h); err != nil {
			return err
		}
	}
	if s.AfterCreateDB != nil {
		if err := s.AfterCreateDB(t.Slug); err != nil {
			return err
		}
	}
	return s.control.ActivateTenant(ctx, t.Slug, placement, s.Now())
}
