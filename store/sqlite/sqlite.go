// Package sqlite is the embedded engine: the control plane and each tenant
// in a SQLite file of its own under the data directory, opened with WAL,
// foreign keys and a busy timeout, through modernc.org/sqlite (no cgo).
package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"strongroom"
	"strongroom/store"
)

//go:embed migrations
var migrationFS embed.FS

// Engine keeps databases as files under a data directory:
//
//	DATA/control.db          the control plane
//	DATA/tenants/SLUG.db     one file per tenant
type Engine struct {
	dataDir string
	// Timeout bounds each operation on the databases the engine opens
	// (store.DB.Timeout), and is how long a writer waits for another
	// process's lock (busy_timeout); 0 means store.DefaultTimeout.
	Timeout time.Duration
	tuning  Tuning
}

// Tuning sizes the memory each tenant database's connections read through
// (the control plane keeps SQLite's defaults: it is small).
type Tuning struct {
	// CacheSize is the page cache of each connection, in bytes (PRAGMA
	// cache_size); 0 keeps SQLite's default of 2 MiB. It is memory of this
	// process, held while the database is open.
	CacheSize int64
	// MmapSize is how much of the file each connection reads through a
	// memory map (PRAGMA mmap_size) instead of copying pages into its cache;
	// 0: none. The mapped pages are the kernel's file cache, shared by the
	// connections and given back under memory pressure; what is mapped is
	// address space. A reader unmaps the whole file when it finds that the
	// database was written since its last read, so with frequent writes
	// the map is rebuilt over and over.
	MmapSize int64
}

// ConnsPerTenant is how many connections an open tenant database holds at
// most: one writer and the read pool.
const ConnsPerTenant = 1 + readConns

const readConns = 4

// Tune sets the tuning of the tenant databases opened from now on.
func (e *Engine) Tune(t Tuning) { e.tuning = t }

var _ store.Engine = (*Engine)(nil)

// New returns the engine for dataDir, creating the directory (0700) when
// absent and checking that it can be written to.
func New(dataDir string) (*Engine, error) {
	if dataDir == "" {
		return nil, strongroom.FieldError("data-dir", "A data directory is required.")
	}
	for _, dir := range []string{dataDir, filepath.Join(dataDir, "tenants")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, strongroom.Errorf(strongroom.EUNAVAILABLE, "Cannot create the data directory %s: %s.", dir, pathProblem(err))
		}
	}
	probe, err := os.CreateTemp(dataDir, ".write-check-*")
	if err != nil {
		return nil, strongroom.Errorf(strongroom.EUNAVAILABLE, "The data directory %s is not writable: %s.", dataDir, pathProblem(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return &Engine{dataDir: dataDir}, nil
}

// pathProblem describes a file-system error without Go's operation prefix.
func pathProblem(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func (e *Engine) Dialect() store.Dialect { return store.SQLite }
func (e *Engine) Close() error           { return nil }

// DataDir returns the directory the engine keeps its files in.
func (e *Engine) DataDir() string { return e.dataDir }

func (e *Engine) OpenControl(ctx context.Context) (*store.DB, error) {
	path := filepath.Join(e.dataDir, "control.db")
	if err := createFile(path, false); err != nil {
		return nil, err
	}
	db, err := e.open(path, "control plane", Tuning{})
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, db, "migrations/control"); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// TenantPath returns the file of the tenant with placement p.
func (e *Engine) TenantPath(placement string) string {
	return filepath.Join(e.dataDir, filepath.FromSlash(placement))
}

func (e *Engine) Placement(slug string) string { return "tenants/" + slug + ".db" }

func (e *Engine) CreateTenantDB(ctx context.Context, slug string) (string, error) {
	placement := e.Placement(slug)
	path := e.TenantPath(placement)
	if err := createFile(path, true); err != nil {
		return "", err
	}
	db, err := e.open(path, "tenant "+slug, Tuning{})
	if err == nil {
		err = migrate(ctx, db, "migrations/tenant")
		if err == nil {
			err = store.InitTenantInfo(ctx, db, slug)
		}
		db.Close()
	}
	if err != nil {
		removeFiles(path)
		return "", err
	}
	return placement, nil
}

func (e *Engine) OpenTenantDB(ctx context.Context, slug, placement string) (*store.DB, error) {
	path := e.TenantPath(placement)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("tenant %q database file %s: %w", slug, path, err)
	}
	db, err := e.open(path, "tenant "+slug, e.tuning)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, db, "migrations/tenant"); err != nil {
		db.Close()
		return nil, err
	}
	if err := store.CheckTenantInfo(ctx, db, slug); err != nil {
		db.Close()
		return nil, err
	}
	// Statistics for indexes a migration just made, or for tables that
	// grew while the database was closed. A failure here costs only
	// plans, not data: the database opens anyway.
	_ = db.Optimize(ctx)
	return db, nil
}

func (e *Engine) DropTenantDB(ctx context.Context, placement string) error {
	if placement == "" || strings.Contains(placement, "..") {
		return nil
	}
	return removeFiles(e.TenantPath(placement))
}

// createFile makes an empty database file readable by its owner only, so the
// WAL and shared-memory files SQLite makes beside it inherit mode 0600.
// With exclusive set, an existing file is a conflict.
func createFile(path string, exclusive bool) error {
	flags := os.O_RDWR | os.O_CREATE
	if exclusive {
		flags |= os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if errors.Is(err, os.ErrExist) {
		return strongroom.Errorf(strongroom.ECONFLICT, "The database file %s already exists.", path)
	} else if err != nil {
		return strongroom.Errorf(strongroom.EUNAVAILABLE, "Cannot create %s: %s.", path, pathProblem(err))
	}
	return f.Close()
}

func removeFiles(path string) error {
	var first error
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = err
		}
	}
	return first
}

// open opens a single-connection write pool and a small read pool on path.
// mode=rw: opening never creates a file, so a deleted tenant file is an
// error instead of a fresh empty database.
func (e *Engine) open(path, name string, t Tuning) (*store.DB, error) {
	timeout := cmp.Or(e.Timeout, store.DefaultTimeout)
	write, read, err := openPools(path, timeout, t)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	db := store.NewDB(name, store.SQLite, write, read)
	db.Timeout, db.Faults = timeout, faultOf
	return db, nil
}

// openPools opens the pools of open. The pragmas are in the DSN, so the
// driver runs them on every connection it makes, however many and
// whenever. The read pool keeps its connections while open (with their
// page caches and prepared statements) instead of closing all but two.
// A writer waits for another process's lock as long as an operation may
// take (busy_timeout). secure_delete overwrites deleted content with
// zeros, so an erased person's values do not linger in free pages of the
// file (or of its copies) once the WAL is checkpointed.
func openPools(path string, timeout time.Duration, t Tuning) (write, read *sql.DB, err error) {
	base := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=rw" +
		"&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_pragma=secure_delete(1)" +
		"&_pragma=busy_timeout(" + strconv.FormatInt(timeout.Milliseconds(), 10) + ")"
	if t.CacheSize > 0 {
		base += fmt.Sprintf("&_pragma=cache_size(%d)", -max(t.CacheSize/1024, 1)) // negative: KiB
	}
	if t.MmapSize > 0 {
		base += fmt.Sprintf("&_pragma=mmap_size(%d)", t.MmapSize)
	}
	write, err = sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, nil, err
	}
	write.SetMaxOpenConns(1)
	read, err = sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, nil, err
	}
	read.SetMaxOpenConns(readConns)
	read.SetMaxIdleConns(readConns)
	return write, read, nil
}

func migrate(ctx context.Context, db *store.DB, dir string) error {
	ms, err := store.LoadMigrations(migrationFS, dir)
	if err != nil {
		return err
	}
	return store.Migrate(ctx, db, ms)
}
