package tenancy

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/witness"
)

// Handle is what a request gets: its tenant and that tenant's database,
// nothing else. There is no way from a Handle to another tenant.
type Handle struct {
	Tenant *strongroom.Tenant
	DB     *store.DB
	// Audit is the tenant's audit log, in the same database: changes and
	// their events are written in one transaction of DB.
	Audit *audit.Log
	key   []byte
}

// NewHandle assembles a handle: for the registry, and for code that works
// on a tenant outside a request (creation, commands).
func NewHandle(ctx context.Context, t *strongroom.Tenant, db *store.DB, dataKey []byte, checkpointBase string) (*Handle, error) {
	sealedAs, err := store.SealedAs(ctx, db, t.Slug)
	if err != nil {
		return nil, err
	}
	log, err := audit.OpenAs(ctx, db, t.Slug, sealedAs, dataKey, filepath.Join(checkpointBase, t.Slug))
	if err != nil {
		return nil, fmt.Errorf("open audit log of %q: %w", t.Slug, err)
	}
	return &Handle{Tenant: t, DB: db, Audit: log, key: dataKey}, nil
}

// DataKey returns the tenant's data key, for encrypting its secrets.
func (h *Handle) DataKey() []byte { return h.key }

// SealedAs returns the slug that what the tenant seals with its data key
// is bound to (the additional data of every sealed value names it): the
// tenant's own slug, or, for a copy restored beside its original under
// another slug, the original's, so that the copy's sealed values open.
func (h *Handle) SealedAs() string { return h.Audit.SealedAs() }

type entry struct {
	handle   *Handle
	wrapped  []byte
	users    int
	lastUsed time.Time
	// optimized is when the planner's statistics were last refreshed.
	optimized time.Time
	detached  bool // removed from the registry while in use: the last user closes it
	// stopCheckpoints ends the tenant's checkpointer, which then signs
	// once more and closes checkpointsDone.
	stopCheckpoints context.CancelFunc
	checkpointsDone chan struct{}
}

// Registry opens tenant databases on first use and closes them when idle.
type Registry struct {
	engine  store.Engine
	control *store.Control
	keeper  keys.Keeper
	log     *slog.Logger
	idle    time.Duration
	now     func() time.Time
	// checkpoints is the directory under which each tenant's audit
	// checkpoints are written, outside its database.
	checkpoints string
	// CheckpointEvery is how often an open tenant's audit log is signed
	// while events arrive (audit.Log.RunCheckpointer); set it before the
	// first Get. Default: a minute.
	CheckpointEvery time.Duration
	// Witnesses cosign every checkpoint (audit.Log.SetWitnesses); set it
	// before the first Get.
	Witnesses []*witness.Client
	// MaxOpen is how many tenant databases may be open at once (0: no
	// limit); set it before the first Get. The memory a SQLite tenant's
	// connections use is sized per open tenant, so this bounds the whole.
	// At the limit the least recently used idle tenant is closed to open
	// another; when every open tenant is in use, Get answers EUNAVAILABLE.
	MaxOpen int

	mu      sync.Mutex
	entries map[string]*entry
	// opening holds the tenants being opened. A database is opened outside
	// the lock, so that one tenant whose database is slow to answer holds
	// up only the requests for that tenant, and each tenant once.
	opening map[string]*opening
}

// opening is one tenant's database being opened; done is closed when it
// is open (entries has it) or failed (err).
type opening struct {
	done chan struct{}
	err  error
}

// NewRegistry returns a registry that closes a tenant's database after it
// has been unused for idle.
func NewRegistry(engine store.Engine, control *store.Control, keeper keys.Keeper, log *slog.Logger, idle time.Duration, checkpoints string) *Registry {
	return &Registry{engine: engine, control: control, keeper: keeper, log: log, idle: idle,
		checkpoints: checkpoints, CheckpointEvery: time.Minute, now: time.Now, entries: map[string]*entry{}, opening: map[string]*opening{}}
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

	for {
		r.mu.Lock()
		e := r.entries[slug]
		if e != nil && (e.handle.Tenant.ID != t.ID || e.handle.Tenant.Placement != t.Placement || !bytes.Equal(e.wrapped, t.WrappedKey)) {
			r.closeLocked(slug, e) // the tenant was re-created or re-keyed
			e = nil
		}
		if e != nil {
			h, release = r.holdLocked(e, t)
			r.mu.Unlock()
			return h, release, nil
		}
		if o := r.opening[slug]; o != nil {
			// Another request opens it: wait for that, then look again.
			r.mu.Unlock()
			select {
			case <-o.done:
				if o.err != nil {
					return nil, nil, o.err
				}
				continue
			case <-ctx.Done():
				return nil, nil, strongroom.Errorf(strongroom.EUNAVAILABLE, "This workspace's data is unavailable right now. Try again in a moment.")
			}
		}
		if err := r.makeRoomLocked(); err != nil {
			r.mu.Unlock()
			return nil, nil, err
		}
		o := &opening{done: make(chan struct{})}
		r.opening[slug] = o
		r.mu.Unlock()

		e, o.err = r.open(ctx, t)
		r.mu.Lock()
		delete(r.opening, slug)
		close(o.done)
		if o.err != nil {
			r.mu.Unlock()
			return nil, nil, o.err
		}
		r.entries[slug] = e
		h, release = r.holdLocked(e, t)
		r.mu.Unlock()
		return h, release, nil
	}
}

// holdLocked counts a request's hold on e and gives it its own copy of the
// handle, carrying the tenant row as read now (a renamed tenant shows its
// new name); the shared handle is never written while others use it.
func (r *Registry) holdLocked(e *entry, t *strongroom.Tenant) (*Handle, func()) {
	e.users++
	e.lastUsed = r.now()
	h := new(Handle)
	*h = *e.handle
	h.Tenant = t
	return h, func() { r.release(e) }
}

// makeRoomLocked closes the least recently used idle tenant when MaxOpen
// are open, so that one more may open.
func (r *Registry) makeRoomLocked() error {
	if r.MaxOpen <= 0 || len(r.entries)+len(r.opening) < r.MaxOpen {
		return nil
	}
	var oldest *entry
	var slug string
	for s, e := range r.entries {
		if e.users == 0 && (oldest == nil || e.lastUsed.Before(oldest.lastUsed)) {
			oldest, slug = e, s
		}
	}
	if oldest == nil {
		r.log.Warn("every open tenant database is in use; raise --max-open-tenants", "max_open", r.MaxOpen)
		return strongroom.Errorf(strongroom.EUNAVAILABLE, "The server is busy with other workspaces. Try again in a moment.")
	}
	r.closeLocked(slug, oldest)
	return nil
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
	h, err := NewHandle(ctx, t, db, key, r.checkpoints)
	if err != nil {
		db.Close()
		r.log.Error("open tenant audit log", "tenant", t.Slug, "err", err)
		return nil, unavailable
	}
	// Events a crash left unsigned are signed now rather than at the first
	// tick; a failure is logged and the ticks retry.
	if n, err := h.Audit.SignTail(ctx); err != nil {
		r.log.Error("sign audit checkpoint on open", "tenant", t.Slug, "err", err)
	} else if n > 0 {
		r.log.Info("signed audit events left unsigned", "tenant", t.Slug, "events", n)
	}
	h.Audit.SetWitnesses(r.Witnesses)
	// The checkpointer lives as long as the handle, not the request.
	cpCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Audit.RunCheckpointer(cpCtx, cmp.Or(max(r.CheckpointEvery, 0), time.Minute))
	}()
	return &entry{handle: h, wrapped: t.WrappedKey, optimized: r.now(), stopCheckpoints: stop, checkpointsDone: done}, nil
}

func (r *Registry) release(e *entry) { r.letGo(e, true) }

// letGo ends one hold on e, a request's when used (which restarts its idle
// time), and closes it if it was removed meanwhile and nothing holds it.
func (r *Registry) letGo(e *entry, used bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.users--
	if used {
		e.lastUsed = r.now()
	}
	if e.detached && e.users == 0 {
		r.closeDB(e)
	}
}

// closeLocked removes a tenant and closes its database unless it is in use;
// the channel returned (nil when in use) is closed once the database is.
func (r *Registry) closeLocked(slug string, e *entry) <-chan struct{} {
	delete(r.entries, slug)
	if e.users > 0 {
		e.detached = true // still in use: the last release closes it
		return nil
	}
	return r.closeDB(e)
}

// closeDB stops the tenant's checkpointer and closes its database once the
// checkpointer has signed the events since its last tick. That happens in
// the background, so the registry's lock is not held meanwhile; the
// channel returned is closed when the database is.
func (r *Registry) closeDB(e *entry) <-chan struct{} {
	e.stopCheckpoints()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		<-e.checkpointsDone
		if err := e.handle.DB.Close(); err != nil {
			r.log.Warn("close tenant database", "tenant", e.handle.Tenant.Slug, "err", err)
		}
	}()
	return closed
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

// OptimizeEvery is how often the planner statistics of a tenant database
// that stays open are refreshed (store.DB.Optimize), by a job per tenant
// (cmd/strongroom) calling OptimizeOpen; it is also done each time one is
// opened.
const OptimizeEvery = 6 * time.Hour

// Optimize refreshes the planner statistics of every open tenant database
// not refreshed for every, one at a time, and returns how many it did.
func (r *Registry) Optimize(ctx context.Context, every time.Duration) int {
	r.mu.Lock()
	var due []*entry
	for _, e := range r.entries {
		if r.now().Sub(e.optimized) >= every {
			e.users++ // kept open meanwhile
			e.optimized = r.now()
			due = append(due, e)
		}
	}
	r.mu.Unlock()
	for _, e := range due {
		if err := r.optimize(ctx, e); err != nil {
			r.log.Warn("refresh planner statistics", "tenant", e.handle.Tenant.Slug, "err", err)
		}
	}
	return len(due)
}

// OptimizeOpen refreshes the planner statistics of the tenant's database
// when it is open here and reports whether it was. A closed database is
// left closed: opening it refreshes them anyway.
func (r *Registry) OptimizeOpen(ctx context.Context, slug string) (bool, error) {
	r.mu.Lock()
	e := r.entries[slug]
	if e == nil {
		r.mu.Unlock()
		return false, nil
	}
	e.users++ // kept open meanwhile
	e.optimized = r.now()
	r.mu.Unlock()
	return true, r.optimize(ctx, e)
}

// optimize refreshes e's statistics and ends the hold the caller took.
func (r *Registry) optimize(ctx context.Context, e *entry) error {
	// Not a use: the database still closes when its users are idle.
	defer r.letGo(e, false)
	// Bounded like a request's operation (store.DB.Timeout): on SQLite it
	// holds the one writer, and a database that stopped answering must not
	// stall the refresh of the others.
	return e.handle.DB.Optimize(ctx)
}

// Open reports how many tenant databases are open.
func (r *Registry) Open() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}

// Run closes idle databases until ctx ends. It is not a job: what it
// looks after is this process's open databases, not the tenants' data.
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

// Close closes every open database that is not in use, after a last
// checkpoint of each, and returns when they are closed. A database still
// in use (a request that outlived the shutdown's grace) is signed now and
// closed by its last user, which signs again.
func (r *Registry) Close() {
	r.mu.Lock()
	var closing []<-chan struct{}
	var busy []*entry
	for slug, e := range r.entries {
		if c := r.closeLocked(slug, e); c != nil {
			closing = append(closing, c)
		} else {
			e.users++ // kept open while it is signed
			busy = append(busy, e)
		}
	}
	r.mu.Unlock()
	for _, e := range busy {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := e.handle.Audit.SignTail(ctx); err != nil {
			r.log.Error("sign audit checkpoint at shutdown", "tenant", e.handle.Tenant.Slug, "err", err)
		}
		cancel()
		r.mu.Lock()
		if e.users--; e.users == 0 { // its user left meanwhile: close it here
			closing = append(closing, r.closeDB(e))
		}
		r.mu.Unlock()
	}
	for _, c := range closing {
		<-c
	}
}
