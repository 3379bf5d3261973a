package identity

import (
	"sync"
	"time"
)

// Throttle is a token bucket per key (a source address, a tenant, a device
// cookie): each sign-in attempt takes a token before its password is
// checked, a right password gives it back, and tokens come back at a steady
// rate. A key with none left is refused before any hash is computed. Taking
// is one locked step with the check, so attempts sent all at once cannot
// pass the check together: at most Burst of them are checked. It is per
// process; behind a load balancer each node throttles on its own, which
// only makes it looser by the number of nodes.
type Throttle struct {
	Burst  float64       // failures allowed at once
	Refill time.Duration // time for one token to come back
	Now    func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewThrottle returns a throttle allowing burst failures at once and one
// more every refill.
func NewThrottle(burst int, refill time.Duration) *Throttle {
	return &Throttle{Burst: float64(burst), Refill: refill, Now: time.Now, buckets: map[string]*bucket{}}
}

func (t *Throttle) get(key string) *bucket {
	now := t.Now()
	b := t.buckets[key]
	if b == nil {
		b = &bucket{tokens: t.Burst, at: now}
		t.buckets[key] = b
	}
	b.tokens = min(t.Burst, b.tokens+float64(now.Sub(b.at))/float64(t.Refill))
	b.at = now
	if len(t.buckets) > 100_000 {
		t.prune(now)
	}
	return b
}

// prune forgets full buckets so that the map cannot grow without bound.
func (t *Throttle) prune(now time.Time) {
	for k, b := range t.buckets {
		if b.tokens+float64(now.Sub(b.at))/float64(t.Refill) >= t.Burst {
			delete(t.buckets, k)
		}
	}
}

// Take takes a token from key and reports whether there was one.
func (t *Throttle) Take(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.get(key)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Return gives back a token Take took, for an attempt that turned out not
// to be a failure.
func (t *Throttle) Return(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.get(key)
	b.tokens = min(t.Burst, b.tokens+1)
}
