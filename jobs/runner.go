package jobs

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"
)

// Config tunes a Runner; zero values take the defaults.
type Config struct {
	// Owner names this runner in leases (default: host, process and a
	// random part, unique per runner).
	Owner string
	// Workers is how many jobs run at once (default 4).
	Workers int
	// Lease is how long a claimed job is this runner's without renewal
	// (default a minute); it is renewed every third of it while the job
	// runs, so a killed runner's jobs are taken back within a lease.
	Lease time.Duration
	// Poll is how often the queue is looked at (default a second); a job
	// enqueued through this runner's Store is looked for at once.
	Poll time.Duration
	// SyncEvery is how often per-tenant templates are matched against
	// the tenants (default a minute).
	SyncEvery time.Duration
	Log       *slog.Logger
}

type registered struct {
	handler Handler
	opts    KindOptions
}

// Runner claims and runs jobs of the kinds registered with it.
type Runner struct {
	q   *Store
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	handlers  map[string]registered
	templates []Schedule
	running   map[int64]*run
	lastSync  time.Time
	stats     stats
	started   bool

	wake     chan struct{}
	ctx      context.Context // ends at Close: handlers' contexts derive from it
	cancel   context.CancelFunc
	loop     sync.WaitGroup
	inflight sync.WaitGroup // the handlers running
}

// run is a job being run here.
type run struct {
	job    Job
	cancel context.CancelFunc
	lost   bool // its lease was lost: another runner may have it
	// leaseUntil is when its lease runs out, as last renewed.
	leaseUntil time.Time
}

// NewRunner returns a runner over q. Register kinds, then Start it.
func NewRunner(q *Store, cfg Config) *Runner {
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		cfg.Owner = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	cfg.Workers = cmp.Or(max(cfg.Workers, 0), 4)
	cfg.Lease = cmp.Or(max(cfg.Lease, 0), time.Minute)
	cfg.Poll = cmp.Or(max(cfg.Poll, 0), time.Second)
	cfg.SyncEvery = cmp.Or(max(cfg.SyncEvery, 0), time.Minute)
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{q: q, cfg: cfg, log: log, handlers: map[string]registered{}, running: map[int64]*run{},
		wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel, stats: newStats()}
	q.notify = r.poke
	r.Register(PruneKind, r.prune, KindOptions{Installation: true, MaxAttempts: 3})
	return r
}

// Register makes the runner run jobs of kind with h. It panics on a kind
// registered twice or an invalid name: those are wiring mistakes.
func (r *Runner) Register(kind string, h Handler, opts KindOptions) {
	if err := validName("kind", kind); err != nil {
		panic(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.handlers[kind]; dup {
		panic("jobs: kind " + kind + " registered twice")
	}
	r.handlers[kind] = registered{h, opts}
	r.stats.addKind(kind)
	r.q.mu.Lock()
	r.q.kinds[kind] = opts
	r.q.mu.Unlock()
}

// EachTenant keeps a schedule of t.Kind for every active tenant, named
// TemplateName(t.Name, slug) with t's interval, jitter and payload: made
// when the runner starts and when a tenant appears, removed when it is
// disabled or goes. Its kind must be registered, and not installation-wide.
// Give Jitter = Every to spread tenants over the whole interval.
func (r *Runner) EachTenant(t Schedule) {
	r.mu.Lock()
	defer r.mu.Unlock()
	reg, ok := r.handlers[t.Kind]
	if !ok || reg.opts.Installation {
		panic("jobs: per-tenant template " + t.Name + " needs a registered per-tenant kind, not " + t.Kind)
	}
	if err := checkShape(&t); err != nil {
		panic(err)
	}
	t.Template, t.Tenant = t.Name, ""
	r.templates = append(r.templates, t)
}

// kinds lists the registered kinds, sorted.
func (r *Runner) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ks := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (r *Runner) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Start runs the runner in the background until Close: it makes its
// built-in schedules and each template's, then polls.
func (r *Runner) Start() {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return
	}
	r.started = true
	r.mu.Unlock()
	if err := r.q.Schedule(r.ctx, Schedule{Name: PruneKind, Kind: PruneKind, Every: 24 * time.Hour, Jitter: time.Hour}); err != nil && r.ctx.Err() == nil {
		r.log.Error("jobs: schedule pruning", "err", err)
	}
	r.loop.Add(2)
	go func() {
		defer r.loop.Done()
		r.pollLoop()
	}()
	go func() {
		defer r.loop.Done()
		r.heartbeatLoop()
	}()
}

func (r *Runner) pollLoop() {
	tick := time.NewTicker(r.cfg.Poll)
	defer tick.Stop()
	for {
		r.step(r.ctx, false)
		select {
		case <-r.ctx.Done():
			return
		case <-tick.C:
		case <-r.wake:
		}
	}
}

// RunDue does one pass now and waits for the jobs it started: takes back
// expired leases, matches templates to tenants, makes the jobs of due
// schedules and runs the due jobs (up to Workers). It returns how many jobs
// it ran. Tests drive a runner with it; Start does the same in a loop.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	started, err := r.step(ctx, true)
	for _, done := range started {
		<-done
	}
	return len(started), err
}

// step is one pass; force syncs templates and counts whatever the clock.
func (r *Runner) step(ctx context.Context, force bool) ([]chan struct{}, error) {
	kinds := r.kinds()
	if _, err := r.q.Reap(ctx, kinds, r.policy); err != nil {
		return nil, r.logStep("take back expired jobs", err)
	}
	if err := r.syncTemplates(ctx, force); err != nil {
		return nil, r.logStep("match schedules to tenants", err)
	}
	if _, err := r.q.EnqueueDue(ctx); err != nil {
		return nil, r.logStep("enqueue scheduled jobs", err)
	}
	r.refreshStats(ctx, force)
	r.mu.Lock()
	free := r.cfg.Workers - len(r.running)
	r.mu.Unlock()
	if free <= 0 || r.ctx.Err() != nil {
		return nil, nil
	}
	claimed, err := r.q.Claim(ctx, r.cfg.Owner, kinds, free, r.cfg.Lease)
	if err != nil {
		return nil, r.logStep("claim jobs", err)
	}
	var started []chan struct{}
	for _, j := range claimed {
		if j.MaxAttempts == 0 {
			j.MaxAttempts, _ = r.policy(j)
		}
		started = append(started, r.start(j))
	}
	return started, nil
}

// logStep logs a pass's failure once, unless the runner is closing.
func (r *Runner) logStep(what string, err error) error {
	if r.ctx.Err() == nil {
		r.log.Error("jobs: "+what, "err", err)
	}
	return err
}

func (r *Runner) syncTemplates(ctx context.Context, force bool) error {
	r.mu.Lock()
	templates := append([]Schedule(nil), r.templates...)
	now := r.q.now()
	due := force || r.lastSync.IsZero() || now.Sub(r.lastSync) >= r.cfg.SyncEvery
	r.mu.Unlock()
	if len(templates) == 0 || !due {
		return nil
	}
	n, err := r.q.SyncTenants(ctx, templates)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.lastSync = now
	r.mu.Unlock()
	if n > 0 {
		r.log.Info("jobs: made or updated per-tenant schedules", "count", n)
	}
	return nil
}

// heartbeatLoop renews the leases of the jobs running here; a job whose
// lease was taken back meanwhile is cancelled, since another runner may be
// running it already.
func (r *Runner) heartbeatLoop() {
	tick := time.NewTicker(r.cfg.Lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-tick.C:
			r.heartbeat(r.ctx)
		}
	}
}

func (r *Runner) heartbeat(ctx context.Context) {
	r.mu.Lock()
	var ids []int64
	for id := range r.running {
		ids = append(ids, id)
	}
	r.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	asked := r.q.now()
	lost, err := r.q.Extend(ctx, r.cfg.Owner, ids, r.cfg.Lease)
	if err != nil && ctx.Err() == nil {
		r.log.Warn("jobs: renew leases", "err", err)
	}
	gone := map[int64]bool{}
	for _, id := range lost {
		gone[id] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		ru := r.running[id]
		switch {
		case ru == nil:
		case err == nil && !gone[id]:
			ru.leaseUntil = asked.Add(r.cfg.Lease)
		case gone[id] || !ru.leaseUntil.After(asked.Add(r.cfg.Lease/3)):
			// Taken back, or unrenewable before it runs out (the database
			// is unreachable): another runner may take the job, so it
			// stops here rather than run twice at once.
			ru.lost = true
			ru.cancel()
			r.log.Error("jobs: lease lost; the job is stopped here", "job", id, "kind", ru.job.Kind, "tenant", ru.job.Tenant)
		}
	}
}

// Close stops claiming, cancels the running handlers and waits for them
// until ctx ends. A job whose handler stopped because of the shutdown is
// handed back (its attempt not counted) for another runner or the next
// start; one still running when ctx ends keeps its lease until it expires.
func (r *Runner) Close(ctx context.Context) error {
	r.cancel()
	r.loop.Wait()
	done := make(chan struct{})
	go func() {
		r.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		r.mu.Lock()
		n := len(r.running)
		r.mu.Unlock()
		r.log.Warn("jobs: handlers still running at shutdown; their jobs are taken back when their leases expire", "count", n)
		return fmt.Errorf("close job runner: %d jobs still running: %w", n, ctx.Err())
	}
}
