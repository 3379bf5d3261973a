package web

import (
	"crypto/sha256"
	"strconv"
	"sync"
	"time"

	"strongroom/identity"
	"strongroom/kiosk"
	"strongroom/live"
)

// liveCheckTTL is how long one reading of a live socket's credential, or
// of whether it may follow a topic, stands for every socket that holds
// the same cookie from the same address. The hub's sweep asks each socket
// every few seconds, and every topic check re-reads the credential first:
// without it a wall of screens on one kiosk link, or a partner with a
// dashboard open in several tabs, would read the same rows from the
// database over and over. It only shortens how often the database is
// asked, never what it answers: sign-out and kiosk changes close sockets
// at once (CloseWhere), and a change of groups, shares or a kiosk link
// forgets the tenant's readings before its sockets are checked again.
const liveCheckTTL = 2 * time.Second

// liveChecks holds those readings, keyed by the cookie's hash, never the
// cookie itself.
type liveChecks struct {
	now func() time.Time

	mu      sync.Mutex
	creds   map[string]credReading
	topics  map[string]topicReading
	pruned  time.Time
	tenants map[string]map[string]bool // slug → keys of creds and topics, to forget a tenant's
}

type credReading struct {
	at        time.Time
	principal *identity.Principal
	link      *kiosk.Resolved
	err       error
}

type topicReading struct {
	at  time.Time
	err error
}

func newLiveChecks(now func() time.Time) *liveChecks {
	if now == nil {
		now = time.Now
	}
	return &liveChecks{now: now, creds: map[string]credReading{}, topics: map[string]topicReading{}, tenants: map[string]map[string]bool{}}
}

// credKey names a socket's credential: tenant, kind, the cookie's hash
// and the address it comes from (a kiosk link's allowlist is of
// addresses).
func credKey(sub live.Subscriber, a *liveAccess) string {
	sum := sha256.Sum256([]byte(a.token))
	return sub.Tenant + "\x00" + string(sub.Kind) + "\x00" + string(sum[:]) + "\x00" + a.ip
}

func (c *liveChecks) cred(key string) (credReading, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.creds[key]
	if !ok || c.now().Sub(r.at) >= liveCheckTTL {
		return credReading{}, false
	}
	return r, true
}

// putCred keeps a reading; a fault is never kept (the next check asks the
// database again).
func (c *liveChecks) putCred(slug, key string, r credReading) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r.at = c.now()
	c.creds[key] = r
	c.note(slug, "c"+key)
	c.prune()
}

func topicKey(cred string, id int64) string { return cred + "\x00" + strconv.FormatInt(id, 10) }

func (c *liveChecks) topic(key string) (topicReading, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.topics[key]
	if !ok || c.now().Sub(r.at) >= liveCheckTTL {
		return topicReading{}, false
	}
	return r, true
}

func (c *liveChecks) putTopic(slug, key string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.topics[key] = topicReading{at: c.now(), err: err}
	c.note(slug, "t"+key)
	c.prune()
}

func (c *liveChecks) note(slug, key string) {
	if c.tenants[slug] == nil {
		c.tenants[slug] = map[string]bool{}
	}
	c.tenants[slug][key] = true
}

// forget drops every reading of a tenant, so the next checks read its
// database again.
func (c *liveChecks) forget(slug string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.tenants[slug] {
		if k[0] == 'c' {
			delete(c.creds, k[1:])
		} else {
			delete(c.topics, k[1:])
		}
	}
	delete(c.tenants, slug)
}

// prune drops expired readings, at most once a TTL.
func (c *liveChecks) prune() {
	now := c.now()
	if now.Sub(c.pruned) < liveCheckTTL {
		return
	}
	c.pruned = now
	for slug, keys := range c.tenants {
		for k := range keys {
			var at time.Time
			if k[0] == 'c' {
				at = c.creds[k[1:]].at
			} else {
				at = c.topics[k[1:]].at
			}
			if now.Sub(at) >= liveCheckTTL {
				delete(keys, k)
				delete(c.creds, k[1:])
				delete(c.topics, k[1:])
			}
		}
		if len(keys) == 0 {
			delete(c.tenants, slug)
		}
	}
}
