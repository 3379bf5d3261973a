package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/identity/password"
	"strongroom/keys"
	"strongroom/operators"
	"strongroom/store"
	"strongroom/store/postgres"
	"strongroom/store/sqlite"
	"strongroom/tenancy"
)

// app is what every command needs: the engine, the control plane, the
// master key and the tenant service.
type app struct {
	engine   store.Engine
	db       *store.DB
	control  *store.Control
	keeper   keys.Keeper
	tenants  *tenancy.Service
	identity *identity.Service
	// operators is the operator realm in the control plane.
	operators *operators.Service
	hasher    *password.Hasher
	throttle  *identity.Throttle
	log       *slog.Logger
	// adminPassword is the temporary password of the first administrator
	// of the tenant created last (read from --admin-password-file or made).
	adminPassword   string
	adminPasswordIn string
	// keyNotes tell the operator where the master key is when it was
	// just made, or is at a place it should be moved from.
	keyNotes []string
}

// openApp opens storage and the master key, refusing to go on when the key
// is missing or is not this installation's.
func openApp(ctx context.Context, cfg StorageConfig, log *slog.Logger) (*app, error) {
	engine, err := newEngine(cfg)
	if err != nil {
		return nil, err
	}
	db, err := engine.OpenControl(ctx)
	if err != nil {
		return nil, err
	}
	a := &app{engine: engine, db: db, control: store.NewControl(db), log: log}
	if err := a.openKeeper(ctx, cfg); err != nil {
		a.Close()
		return nil, err
	}
	a.throttle = identity.NewThrottle(20, 30*time.Second)
	a.hasher = password.NewHasher(password.DefaultParams, 0)
	a.identity = identity.New(a.hasher, a.throttle, log)
	a.operators = operators.New(db, a.keeper, a.hasher, log)
	a.tenants = tenancy.NewService(engine, a.control, a.keeper, log)
	a.tenants.Checkpoints = cfg.checkpoints()
	a.tenants.Initialize = func(ctx context.Context, h *tenancy.Handle) error {
		pw, err := a.identity.Bootstrap(ctx, h, a.adminPasswordIn)
		a.adminPassword = pw
		if err != nil {
			return err
		}
		// The first events are signed at once, not when the tenant is
		// first opened.
		_, err = h.Audit.SignTail(ctx)
		return err
	}
	if err := a.tenants.CheckMasterKey(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func newEngine(cfg StorageConfig) (store.Engine, error) {
	if cfg.DBTimeout < 0 {
		return nil, strongroom.FieldError("db-timeout", "The database timeout must not be negative.")
	}
	if cfg.Database != "" {
		if !strings.HasPrefix(cfg.Database, "postgres://") && !strings.HasPrefix(cfg.Database, "postgresql://") {
			return nil, fmt.Errorf("--database must be a postgres:// URL; leave it empty to use SQLite in the data directory")
		}
		e, err := postgres.New(cfg.Database)
		if err != nil {
			return nil, err
		}
		e.Timeout = cfg.DBTimeout
		return e, nil
	}
	if err := cfg.checkTenantMemory(); err != nil {
		return nil, err
	}
	e, err := sqlite.New(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	e.Timeout = cfg.DBTimeout
	e.Tune(cfg.sqliteTuning())
	return e, nil
}

func (c StorageConfig) checkTenantMemory() error {
	switch {
	case c.MaxOpenTenants < 0:
		return strongroom.FieldError("max-open-tenants", "The number of open tenant databases must not be negative.")
	case c.TenantPageCache < 0:
		return strongroom.FieldError("tenant-page-cache", "The page cache must not be negative.")
	case c.TenantMmap < 0:
		return strongroom.FieldError("tenant-mmap", "The memory map must not be negative.")
	}
	return nil
}

// Defaults of --max-open-tenants and --tenant-page-cache: 2 MiB for
// each connection of each tenant that may be open, SQLite's own default.
// A reader empties its cache whenever the database was written since its
// last read, and every search writes its audit event, so a larger cache
// is refilled for every search: searches measured slower with 6.4 MiB.
const (
	defaultMaxOpenTenants  = 32
	defaultTenantPageCache = defaultMaxOpenTenants * sqlite.ConnsPerTenant * 2
)

// maxOpenTenants is MaxOpenTenants, or its default when unset (0).
func (c StorageConfig) maxOpenTenants() int {
	if c.MaxOpenTenants == 0 {
		return defaultMaxOpenTenants
	}
	return c.MaxOpenTenants
}

// sqliteTuning shares the page cache out over the connections of the
// tenant databases that may be open at once, so that together they never
// hold more than --tenant-page-cache.
func (c StorageConfig) sqliteTuning() sqlite.Tuning {
	const mib = 1 << 20
	return sqlite.Tuning{
		CacheSize: int64(c.TenantPageCache) * mib / int64(c.maxOpenTenants()*sqlite.ConnsPerTenant),
		MmapSize:  int64(c.TenantMmap) * mib,
	}
}

// openKeeper opens the master key. A key file is made only on the very first
// start, when the installation has no record of a key yet; later, a missing
// file is an error, never a silent new key that would orphan every tenant.
func (a *app) openKeeper(ctx context.Context, cfg StorageConfig) error {
	recorded, err := tenancy.HasMasterKeyCheck(ctx, a.control)
	if err != nil {
		return err
	}
	url := cfg.keyURL()
	made := "" // the default key file, when this start makes it
	if url == "" {
		path, warning, err := defaultKeyFile()
		if err != nil {
			return err
		}
		if warning != "" {
			a.log.Warn(warning, "master_key_file", path)
			a.keyNotes = append(a.keyNotes, "Warning: "+warning)
		} else if _, err := os.Stat(path); err != nil && !recorded {
			made = path
		}
		url = path
	}
	if path, ok := keys.FileKeeperPath(url); ok && cfg.Database == "" && inside(path, cfg.DataDir) {
		a.log.Warn("the master key file is inside the data directory; keep it out of the data directory's backups",
			"master_key_file", path)
	}
	if a.keeper, err = keys.Open(ctx, url, !recorded); err != nil {
		return err
	}
	if made != "" {
		// Logged for every command, as any of them may be the first.
		a.log.Warn("made a new master key; back it up apart from the data: without it the data cannot be read", "master_key_file", made)
		a.keyNotes = append(a.keyNotes, fmt.Sprintf("Created the master key %s (mode 0600). Back it up apart from the data: without it the data cannot be read.", made))
	}
	return nil
}

// inside reports whether path lies within dir.
func inside(path, dir string) bool {
	ap, err1 := filepath.Abs(path)
	ad, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(ad, ap)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func (a *app) Close() {
	if a.keeper != nil {
		a.keeper.Close()
	}
	a.db.Close()
	a.engine.Close()
}
