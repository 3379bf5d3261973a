package dashboards

import "sync"

// What a Change is about.
const (
	// ChangeDashboard: a dashboard was created, renamed, deleted or its
	// widgets changed.
	ChangeDashboard = "dashboard"
	// ChangeShares: a dashboard was shared with a group or unshared.
	ChangeShares = "shares"
	// ChangeGroup: a group was created, renamed or deleted (a deletion
	// also ends the shares with it).
	ChangeGroup = "group"
	// ChangeMembers: a user joined or left a group.
	ChangeMembers = "members"
	// ChangeResync: the subscriber fell behind and changes were dropped;
	// it must check everything it shows again.
	ChangeResync = "resync"
)

// Change announces one committed change of a tenant's dashboards, shares
// or groups. It carries ids only: a subscriber reads what it may see
// again through the service, whose rules decide.
type Change struct {
	Tenant      string // the tenant's slug
	Kind        string // ChangeDashboard, ChangeShares, …
	DashboardID int64  // for ChangeDashboard and ChangeShares
	GroupID     int64  // for ChangeShares, ChangeGroup and ChangeMembers
	UserID      int64  // for ChangeMembers
}

// SubscriptionBuffer is how many changes a subscriber may fall behind
// before they are replaced by one ChangeResync.
const SubscriptionBuffer = 16

// Changes is an in-process publisher of Change, per tenant. Publish never
// blocks and starts no goroutine: a subscriber that does not keep up loses
// the changes waiting for it and gets one ChangeResync instead, which
// tells it to check everything again. Live views subscribe to re-check
// their viewers' access whenever a dashboard, its shares or a group's
// members change. On a deployment of several nodes each node hears only
// its own changes; a view also re-checks on its own schedule.
type Changes struct {
	mu   sync.Mutex
	subs map[string]map[*subscription]struct{}
}

type subscription struct {
	ch     chan Change
	closed bool
}

// NewChanges returns a publisher with no subscribers.
func NewChanges() *Changes {
	return &Changes{subs: map[string]map[*subscription]struct{}{}}
}

// Subscribe returns a channel of the tenant's changes and a function that
// ends the subscription and closes the channel. Calling it twice is safe.
func (c *Changes) Subscribe(tenant string) (<-chan Change, func()) {
	s := &subscription{ch: make(chan Change, SubscriptionBuffer)}
	c.mu.Lock()
	if c.subs[tenant] == nil {
		c.subs[tenant] = map[*subscription]struct{}{}
	}
	c.subs[tenant][s] = struct{}{}
	c.mu.Unlock()
	cancel := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if s.closed {
			return
		}
		s.closed = true
		delete(c.subs[tenant], s)
		if len(c.subs[tenant]) == 0 {
			delete(c.subs, tenant)
		}
		close(s.ch)
	}
	return s.ch, cancel
}

// Publish hands ch to every subscriber of its tenant without waiting. A
// subscriber whose buffer is full has its waiting changes replaced by one
// ChangeResync. A nil *Changes publishes nothing.
func (c *Changes) Publish(ch Change) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.subs[ch.Tenant] {
		select {
		case s.ch <- ch:
			continue
		default:
		}
		// Full: drop what waits (the resync stands for all of it). The
		// lock keeps other publishers out; the reader may take some at
		// the same time, which only makes room.
	drain:
		for {
			select {
			case <-s.ch:
			default:
				break drain
			}
		}
		s.ch <- Change{Tenant: ch.Tenant, Kind: ChangeResync}
	}
}

// Subscribers returns how many subscriptions the tenant has open.
func (c *Changes) Subscribers(tenant string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.subs[tenant])
}
