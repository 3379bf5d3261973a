package kiosk

import (
	"net/netip"
	"sync"
	"time"
)

// GuardConfig sets how many failed token lookups are allowed.
type GuardConfig struct {
	// AddressBurst failures at once per source address (an IPv6 address
	// counts by its /64), one more back every AddressRefill.
	AddressBurst  int
	AddressRefill time.Duration
	// TenantBurst failures at once per tenant from all addresses
	// together, one more back every TenantRefill.
	TenantBurst  int
	TenantRefill time.Duration
	// Memory is how long an address counts as having failed after its
	// last failure: while the tenant's budget is spent, only such
	// addresses are refused.
	Memory time.Duration
}

// DefaultGuard allows an address 10 failures and then one a minute, and a
// tenant 100 and then one a second; an address is remembered as guessing
// for an hour after its last failure.
var DefaultGuard = GuardConfig{AddressBurst: 10, AddressRefill: time.Minute, TenantBurst: 100, TenantRefill: time.Second, Memory: time.Hour}

// Guard decides, before a token is looked up, whether it may be: only
// failures spend budget, and an address that never failed is never
// refused. See docs/architecture.md, "Kiosk links", for why in this order.
//
//  1. An address whose own bucket is empty is refused: it cannot test a
//     token at all, a real one included, until its bucket refills.
//  2. Otherwise the lookup takes a token from the address and one from its
//     tenant; a lookup that finds a live link gives both back.
//  3. When the tenant's budget is spent, an address that failed within
//     Memory is refused; one that did not (a screen that has only ever
//     shown its link) is looked up all the same, taking from its own
//     bucket only, so that a flood from elsewhere never darkens it.
//
// The decision and the taking are one locked step, so lookups sent all at
// once cannot pass the check together. It is per process; behind a load
// balancer each node guards on its own.
type Guard struct {
	cfg GuardConfig
	now func() time.Time

	mu      sync.Mutex
	address map[string]*bucket
	tenant  map[string]*bucket
}

type bucket struct {
	tokens   float64
	at       time.Time
	failedAt time.Time // the last failure; zero: none remembered
}

// NewGuard returns a guard with cfg on the clock now.
func NewGuard(cfg GuardConfig, now func() time.Time) *Guard {
	return &Guard{cfg: cfg, now: now, address: map[string]*bucket{}, tenant: map[string]*bucket{}}
}

// ticket is what an admitted lookup took, to be given back unless it failed.
type ticket struct {
	slug, addr  string
	tenantTaken bool
}

// admit takes what a lookup from ip for tenant slug needs, or reports that
// it may not run.
func (g *Guard) admit(slug, ip string) (*ticket, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	key := slug + "|" + addressKey(ip)
	a := g.fill(g.address, key, float64(g.cfg.AddressBurst), g.cfg.AddressRefill, now)
	if a.tokens < 1 {
		return nil, false
	}
	t := g.fill(g.tenant, slug, float64(g.cfg.TenantBurst), g.cfg.TenantRefill, now)
	tk := &ticket{slug: slug, addr: key}
	switch {
	case t.tokens >= 1:
		t.tokens--
		tk.tenantTaken = true
	case !a.failedAt.IsZero() && now.Sub(a.failedAt) < g.cfg.Memory:
		return nil, false
	}
	a.tokens--
	return tk, true
}

// finish settles an admitted lookup: a failure keeps what it took and
// marks its address; anything else gives it back.
func (g *Guard) finish(tk *ticket, failed bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	a := g.fill(g.address, tk.addr, float64(g.cfg.AddressBurst), g.cfg.AddressRefill, now)
	if failed {
		a.failedAt = now
		return
	}
	a.tokens = min(float64(g.cfg.AddressBurst), a.tokens+1)
	if tk.tenantTaken {
		t := g.fill(g.tenant, tk.slug, float64(g.cfg.TenantBurst), g.cfg.TenantRefill, now)
		t.tokens = min(float64(g.cfg.TenantBurst), t.tokens+1)
	}
}

// fill returns key's bucket in m, topped up for the time since it was last
// seen.
func (g *Guard) fill(m map[string]*bucket, key string, burst float64, refill time.Duration, now time.Time) *bucket {
	b := m[key]
	if b == nil {
		if len(m) >= 100_000 {
			g.prune(m, burst, refill, now)
		}
		b = &bucket{tokens: burst, at: now}
		m[key] = b
	}
	b.tokens = min(burst, b.tokens+float64(now.Sub(b.at))/float64(refill))
	b.at = now
	return b
}

// prune forgets full buckets whose failures are past memory, so that the
// maps cannot grow without bound.
func (g *Guard) prune(m map[string]*bucket, burst float64, refill time.Duration, now time.Time) {
	for k, b := range m {
		if b.tokens+float64(now.Sub(b.at))/float64(refill) >= burst && (b.failedAt.IsZero() || now.Sub(b.failedAt) >= g.cfg.Memory) {
			delete(m, k)
		}
	}
}

// addressKey is the unit an address is throttled by: an IPv4 address, or
// the /64 of an IPv6 one (a single host is usually given a whole /64).
func addressKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	p, _ := addr.Prefix(64)
	return p.String()
}
