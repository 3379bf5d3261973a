// Package tenancy creates, lists, disables and enables tenants, and hands a
// request the database of the one tenant it names. It is the only code that
// both reads the control plane and opens tenant databases.
package tenancy

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"strongroom"
	"strongroom/keys"
	"strongroom/store"
)

// masterKeyCheck is the control-plane setting that tells whether the master
// key in hand is the one this installation's tenant keys are wrapped with.
const masterKeyCheck = "master_key_check"

// Service manages tenants.
type Service struct {
	engine  store.Engine
	control *store.Control
	keeper  keys.Keeper
	log     *slog.Logger
	Now     func() time.Time

	// Initialize, when set, fills a new tenant's database (its first
	// administrator, say) before the tenant is activated; a failure there
	// undoes the whole creation.
	Initialize func(ctx context.Context, h *Handle) error
	// Checkpoints is where tenants' audit checkpoints are written.
	Checkpoints string

	// AfterCreateDB, when set, runs after a tenant's database is made and
	// before the tenant is activated: tests inject faults there.
	AfterCreateDB func(slug string) error
}

// NewService returns a tenant service.
func NewService(engine store.Engine, control *store.Control, keeper keys.Keeper, log *slog.Logger) *Service {
	return &Service{engine: engine, control: control, keeper: keeper, log: log, Now: time.Now}
}

// HasMasterKeyCheck reports whether this installation has recorded which
// master key it uses; before the first start it has not, and only then may
// a new key file be made.
func HasMasterKeyCheck(ctx context.Context, control *store.Control) (bool, error) {
	_, ok, err := control.Setting(ctx, masterKeyCheck)
	return ok, err
}

// CheckMasterKey verifies the master key against the installation's record,
// recording it on the first start.
func (s *Service) CheckMasterKey(ctx context.Context) error {
	check, ok, err := s.control.Setting(ctx, masterKeyCheck)
	if err != nil {
		return err
	}
	if !ok {
		check, err = keys.MakeCheck(ctx, s.keeper)
		if err != nil {
			return fmt.Errorf("record master key: %w", err)
		}
		if stored, err := s.control.PutSettingOnce(ctx, masterKeyCheck, check); err != nil || stored {
			return err
		}
		// Another process recorded its key first: ours must match it.
		if check, _, err = s.control.Setting(ctx, masterKeyCheck); err != nil {
			return err
		}
	}
	return keys.VerifyCheck(ctx, s.keeper, check)
}

// Create makes a tenant: its data key, its database and its control-plane
// row. It is all-or-nothing: on any failure it removes what it made, and a
// crash midway leaves only a provisioning row that Sweep removes.
func (s *Service) Create(ctx context.Context, slug, displayName string) (*strongroom.Tenant, error) {
	if err := strongroom.ValidateSlug(slug); err != nil {
		return nil, err
	}
	if err := strongroom.ValidateDisplayName(displayName); err != nil {
		return nil, err
	}
	dataKey, err := keys.NewDataKey()
	if err != nil {
		return nil, err
	}
	wrapped, err := s.keeper.Wrap(ctx, dataKey)
	if err != nil {
		return nil, fmt.Errorf("wrap data key of tenant %q: %w", slug, err)
	}
	t := &strongroom.Tenant{
		Slug: slug, DisplayName: displayName, Placement: s.engine.Placement(slug),
		CreatedAt: s.Now().UTC(), WrappedKey: wrapped,
	}
	if err := s.control.InsertProvisioning(ctx, t); err != nil {
		return nil, err
	}
	if err := s.provision(ctx, t, dataKey); err != nil {
		cleanup := context.WithoutCancel(ctx)
		if derr := s.engine.DropTenantDB(cleanup, t.Placement); derr != nil {
			s.log.Error("remove database of failed tenant", "tenant", slug, "err", derr)
		}
		s.removeCheckpoints(slug)
		if derr := s.control.DeleteProvisioning(cleanup, slug); derr != nil {
			s.log.Error("remove row of failed tenant", "tenant", slug, "err", derr)
		}
		return nil, err
	}
	t.Status = strongroom.TenantActive
	s.log.Info("tenant created", "tenant", slug)
	return t, nil
}

func (s *Service) provision(ctx context.Context, t *strongroom.Tenant, dataKey []byte) error {
	placement, err := s.engine.CreateTenantDB(ctx, t.Slug)
	if err != nil {
		return err
	}
	t.Placement = placement
	if s.Initialize != nil {
		if err := s.initialize(ctx, t, dataKey); err != nil {
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

// removeCheckpoints removes the audit checkpoint files of a tenant that
// never came to be.
func (s *Service) removeCheckpoints(slug string) {
	if s.Checkpoints == "" || strongroom.ValidateSlug(slug) != nil {
		return
	}
	if err := os.RemoveAll(filepath.Join(s.Checkpoints, slug)); err != nil {
		s.log.Error("remove checkpoints of failed tenant", "tenant", slug, "err", err)
	}
}

func (s *Service) initialize(ctx context.Context, t *strongroom.Tenant, dataKey []byte) error {
	db, err := s.engine.OpenTenantDB(ctx, t.Slug, t.Placement)
	if err != nil {
		return err
	}
	defer db.Close()
	h, err := NewHandle(ctx, t, db, dataKey, s.Checkpoints)
	if err != nil {
		return err
	}
	return s.Initialize(ctx, h)
}

// Sweep removes tenants whose creation never finished (the process that
// made them died): their database and their row.
func (s *Service) Sweep(ctx context.Context) error {
	ts, err := s.control.ListProvisioning(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if err := s.engine.DropTenantDB(ctx, t.Placement); err != nil {
			return fmt.Errorf("remove unfinished tenant %q: %w", t.Slug, err)
		}
		s.removeCheckpoints(t.Slug)
		if err := s.control.DeleteProvisioning(ctx, t.Slug); err != nil {
			return err
		}
		s.log.Warn("removed unfinished tenant", "tenant", t.Slug)
	}
	return nil
}

// List returns every tenant.
func (s *Service) List(ctx context.Context) ([]*strongroom.Tenant, error) {
	return s.control.ListTenants(ctx)
}

// Show returns one tenant.
func (s *Service) Show(ctx context.Context, slug string) (*strongroom.Tenant, error) {
	return s.control.FindTenant(ctx, slug)
}

// Disable makes every request to the tenant answer that it is disabled.
func (s *Service) Disable(ctx context.Context, slug string) error {
	return s.setStatus(ctx, slug, strongroom.TenantDisabled)
}

// Enable restores a disabled tenant.
func (s *Service) Enable(ctx context.Context, slug string) error {
	return s.setStatus(ctx, slug, strongroom.TenantActive)
}

func (s *Service) setStatus(ctx context.Context, slug string, status strongroom.TenantStatus) error {
	if err := s.control.SetTenantStatus(ctx, slug, status, s.Now()); err != nil {
		return err
	}
	s.log.Info("tenant status changed", "tenant", slug, "status", string(status))
	return nil
}

// RotateMasterKey re-wraps every tenant's data key with the keeper to, in
// one control-plane transaction. No tenant data is read or rewritten.
func (s *Service) RotateMasterKey(ctx context.Context, to keys.Keeper) (int, error) {
	ts, err := s.control.AllTenants(ctx)
	if err != nil {
		return 0, err
	}
	wrapped := make(map[int64][]byte, len(ts))
	for _, t := range ts {
		w, err := keys.Rewrap(ctx, s.keeper, to, t.WrappedKey)
		if err != nil {
			return 0, fmt.Errorf("rewrap key of tenant %q: %w", t.Slug, err)
		}
		wrapped[t.ID] = w
	}
	check, err := keys.MakeCheck(ctx, to)
	if err != nil {
		return 0, err
	}
	if err := s.control.Rekey(ctx, wrapped, masterKeyCheck, check); err != nil {
		return 0, err
	}
	s.keeper = to
	s.log.Info("master key rotated", "tenants", len(ts))
	return len(ts), nil
}
