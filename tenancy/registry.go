package tenancy

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"time"

	"strongroom"
	"strongroom/keys"
	"strongroom/store"
)

// Handle is what a request gets: its tenant and that tenant's database,
// nothing else. There is no way from a Handle to another tenant.
type Handle struct {
	Tenant *strongroom.Tenant
	DB     *store.DB
	key    []byte
}

// DataKey returns the tenant's data key, for encrypting its secrets.
func (h *Handle) DataKey() []byte { return h.key }

type entry struct {
	handle   *Handle
	wrapped  []byte
	users    int
	lastUsed time.Time
	detached bool // removed from the registry while in use: the last user closes it
}

// Registry opens tenant databases on first use and closes them when idle.
type Registry struct {
	engine  store.Engine
	control *store.Control
	keeper  keys.Keeper
	log     *slog.Logger
	idle    time.Duration
	now     func() time.Time

	mu      sync.Mutex
	entries map[string]*entry
}

// NewRegistry returns a registry that closes a tenant's database after it
// has been unused for idle.
func NewRegistry(engine store.Engine, control *store.Control, keeper keys.Keeper, log *slog.Logger, idle time.Duration) *Registry {
	return &Registry{engine: engine, control: control, keeper: keeper, log: log, idle: idle,
		now: time.Now, entries: map[string]*entry{}}
}

// Get returns the tenant named slug and its database. The caller must call
// release when done with it. A disabled tenant gives EDISABLED; a tenant
// whose database cannot be opened gives EUNAVAILABLE, and the others are
// unaffected.
func (r *Registry) Get(ctx context.Context, slug string) (h *Handle, release func(), err error) {
	t, err := r.control.FindTenant(ctx, slug)
	if err != nil {
		return nil, nil, err
	}
	if t.Status == strongroom.TenantDisabled {
		return nil, nil, strongroom.Errorf(strongroom.EDISABLED, "This workspace has been disabled by its operator. Contact your administrator.")
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entries[slug]
	if e != nil && (e.handle.Tenant.ID != t.ID || e.handle.Tenant.Placement != t.Placement || !bytes.Equal(e.wrapped, t.WrappedKey)) {
		r.closeLocked(slug, e) // the tenant was re-created or re-keyed
		e = nil
	}
	if e == nil {
		// Opening under the lock keeps two requests from opening the same
		// tenant twice; it costs a few milliseconds once per idle period.
		e, err = r.open(ctx, t)
		if err != nil {
			return nil, nil, err
		}
		r.entries[slug] = e
	}
	e.handle.Tenant = t
	e.users++
	e.lastUsed = r.now()
	return e.handle, func() { r.release(e) }, nil
}

func (r *Registry) open(ctx context.Context, t *strongroom.Tenant) (*entry, error) {
	unavailable := strongroom.Errorf(strongroom.EUNAVAILABLE, "This workspace's data is unavailable right now. The operator has been alerted.")
	key, err := r.keeper.Unwrap(ctx, t.WrappedKey)
	if err != nil {
		r.log.Error("unwrap tenant key", "tenant", t.Slug, "err", err)
		return nil, unavailable
	}
	db, err := r.engine.OpenTenantDB(ctx, t.Slug, t.Placement)
	if err != nil {
		r.log.Error("open tenant database", "tenant", t.Slug, "err", err)
		return nil, unavailable
	}
	return &entry{handle: &Handle{Tenant: t, DB: db, key: key}, wrapped: t.WrappedKey}, nil
}

func (r *Registry) release(e *entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.users--
	e.lastUsed = r.now()
	if e.detached && e.users == 0 {
		r.closeDB(e)
	}
}

func (r *Registry) closeLocked(slug string, e *entry) {
	delete(r.entries, slug)
	if e.users > 0 {
		e.detached = true // still in use: the last release closes it
		return
	}
	r.closeDB(e)
}

func (r *Registry) closeDB(e *entry) {
	if err := e.handle.DB.Close(); err != nil {
		r.log.Warn("close tenant database", "tenant", e.handle.Tenant.Slug, "err", err)
	}
}

// CloseIdle closes databases unused for the idle period and returns how many.
func (r *Registry) CloseIdle() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for slug, e := range r.entries {
		if e.users == 0 && r.now().Sub(e.lastUsed) >= r.idle {
			r.closeLocked(slug, e)
			n++
		}
	}
	return n
}

// Open reports how many tenant databases are open.
func (r *Registry) Open() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}

// Run closes idle databases until ctx ends.
func (r *Registry) Run(ctx context.Context) {
	tick := time.NewTicker(r.idle / 2)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			r.CloseIdle()
		}
	}
}

// Close closes every open database.
func (r *Registry) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for slug, e := range r.entries {
		r.closeLocked(slug, e)
	}
}
