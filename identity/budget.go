package identity

import (
	"context"
	"strconv"
	"sync"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/store"
	"strongroom/tenancy"
)

// The tenant's budget of failed sign-ins. Every attempt from a browser
// without a valid device cookie takes a token from its tenant's bucket
// before any hash is computed (a dummy hash for an unknown user included),
// and a right password gives it back; once the bucket is empty, such
// attempts are refused at once. A flood of guesses from many addresses,
// which no per-address throttle sees, therefore costs at most the refill
// rate in hashes, far below what the server can hash (about 76 a second on
// two cores), and the people of the tenant sign in on their known browsers
// as fast as ever. It is per process, like the per-address throttle.
const (
	DefaultBudgetBurst  = 30                     // failures a tenant may have at once
	DefaultBudgetRefill = 500 * time.Millisecond // one more this often: 2 a second

	// refusalAuditEvery is how often, at most, a tenant's audit log
	// records the sign-ins its budget refused.
	refusalAuditEvery = time.Minute
)

// errBudgetSpent is the answer while a tenant's budget is spent.
func errBudgetSpent() error {
	return strongroom.Errorf(strongroom.ETOOMANY, "Too many sign-ins are failing at the moment; try again in a minute.")
}

// admission is what an attempt took before its password was checked: one
// token from each bucket that applies to it and, for a browser the tenant
// does not know, the tenant's stranger lane.
type admission struct {
	takes []taken
	lane  chan struct{}
}

type taken struct {
	bucket *Throttle
	key    string
}

// finish gives back every token unless the attempt failed, and frees the
// lane.
func (a *admission) finish(out outcome) {
	if out != rejected {
		for _, t := range a.takes {
			t.bucket.Return(t.key)
		}
	}
	if a.lane != nil {
		<-a.lane
	}
}

// admit decides, before any hash is computed, whether an attempt's
// password may be checked. A valid device cookie for the user name that
// has not failed too often takes a token of its own and nothing else;
// any other attempt takes one from its address's throttle and one from
// its tenant's budget, then waits for the tenant's stranger lane: the
// passwords of strangers are checked one at a time per tenant, so that
// the budget's burst, arriving all at once, takes at most one of the
// server's hashing slots and known browsers never queue behind it.
func (svc *Service) admit(ctx context.Context, h *tenancy.Handle, a Attempt, userKey string) (*admission, error) {
	if a.Device != "" {
		if nonce, ok := checkDevice(deviceKey(h), h.Tenant.Slug, userKey, a.Device, svc.Now()); ok {
			key := h.Tenant.Slug + "|" + nonce
			if svc.Devices.Take(key) {
				return &admission{takes: []taken{{svc.Devices, key}}}, nil
			}
			// A cookie that has failed too often counts as none.
		}
	}
	addr := addressKey(h, a.IP)
	if !svc.throttle.Take(addr) {
		return nil, errThrottled()
	}
	if !svc.Budget.Take(h.Tenant.Slug) {
		svc.throttle.Return(addr) // refused untried: the address is not charged
		svc.noteRefusal(ctx, h, a.IP)
		return nil, errBudgetSpent()
	}
	adm := &admission{takes: []taken{{svc.throttle, addr}, {svc.Budget, h.Tenant.Slug}}}
	lane := svc.lanes.of(h.Tenant.Slug)
	select {
	case lane <- struct{}{}:
		adm.lane = lane
		return adm, nil
	case <-ctx.Done():
		adm.finish(unchecked)
		return nil, strongroom.Errorf(strongroom.EUNAVAILABLE, "Too many sign-ins at once; try again.")
	}
}

// lanes are the tenants' stranger lanes: one attempt at a time each.
type lanes struct {
	mu       sync.Mutex
	byTenant map[string]chan struct{}
}

func (l *lanes) of(slug string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byTenant == nil {
		l.byTenant = map[string]chan struct{}{}
	}
	c := l.byTenant[slug]
	if c == nil {
		c = make(chan struct{}, 1)
		l.byTenant[slug] = c
	}
	return c
}

// refusals counts, per tenant, the sign-ins refused by its budget since
// they were last written to its audit log.
type refusals struct {
	mu       sync.Mutex
	byTenant map[string]*refusalCount
}

type refusalCount struct {
	n       int
	written time.Time
}

// count adds a refusal for slug and returns how many to write to the audit
// log now: all those since the last write, or 0 when the last write was
// less than refusalAuditEvery ago.
func (r *refusals) count(slug string, now time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byTenant == nil {
		r.byTenant = map[string]*refusalCount{}
	}
	c := r.byTenant[slug]
	if c == nil {
		c = &refusalCount{}
		r.byTenant[slug] = c
	}
	c.n++
	if !c.written.IsZero() && now.Sub(c.written) < refusalAuditEvery {
		return 0
	}
	n := c.n
	c.n, c.written = 0, now
	return n
}

// noteRefusal records a refusal by the tenant's budget. The audit log gets
// one event a minute at most, saying how many were refused since the last
// one (and the address of the attempt that wrote it): an event per refusal
// would let a flood write to the audit log, through the tenant's one
// writer, as fast as it can send, and grow the trail and its backups with
// entries that tell nothing a count does not. Refusals after the last
// event of a flood are counted in the next one.
func (svc *Service) noteRefusal(ctx context.Context, h *tenancy.Handle, ip string) {
	n := svc.refused.count(h.Tenant.Slug, svc.Now())
	if n == 0 {
		return
	}
	svc.log.Warn("sign-ins refused: the tenant's budget of failed sign-ins is spent", "tenant", h.Tenant.Slug, "refused", n)
	// The attempt's client may be gone already; the count is still worth keeping.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := inTx(ctx, h, func(tx *store.Tx) error {
		return record(ctx, tx, h, audit.Actor{Kind: audit.ActorSystem}, ip, event{action: "auth.login_refused",
			objectType: "tenant", objectID: h.Tenant.Slug, details: map[string]string{"reason": "tenant_budget", "refused": strconv.Itoa(n)}})
	})
	if err != nil {
		svc.log.Error("audit refused sign-ins", "tenant", h.Tenant.Slug, "err", err)
	}
}
