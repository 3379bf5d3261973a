package metrics

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"time"

	"strongroom/access"
)

// CacheTTL is how long a computed series is served from the cache. Case
// data changes without telling this package, so the TTL is what bounds
// how stale a case figure may be; writes to stored metrics clear a
// tenant's entries at once.
const CacheTTL = 30 * time.Second

// maxEntries bounds the cache; past it, expired entries go first, then
// the whole cache (simple, and rare: a dashboard asks the same few
// queries).
const maxEntries = 4096

// CacheKey names one computed value: whose tenant, which query, and what
// access it was computed with.
type CacheKey struct {
	Tenant string
	Query  string
	Access string // Fingerprint of the reader
}

// Cache keeps computed values for a short time. Two readers with the same
// access share entries; readers with different access never do, since a
// figure computed through one reader's access predicate may count records
// the other may not see.
type Cache struct {
	ttl     time.Duration
	now     func() time.Time
	mu      sync.Mutex
	entries map[CacheKey]entry
	gen     map[string]uint64 // per tenant: bumped by every write
}

type entry struct {
	value   any
	expires time.Time
	gen     uint64
}

// NewCache returns a cache keeping values for ttl by the clock now.
func NewCache(ttl time.Duration, now func() time.Time) *Cache {
	return &Cache{ttl: ttl, now: now, entries: map[CacheKey]entry{}, gen: map[string]uint64{}}
}

// Get returns the fresh value under key, or computes it with fn and keeps
// it. Errors are not kept. A value computed while a write to the tenant
// happened is not kept either (it may predate the write).
func (c *Cache) Get(key CacheKey, fn func() (any, error)) (any, error) {
	c.mu.Lock()
	now := c.now()
	gen := c.gen[key.Tenant]
	if e, ok := c.entries[key]; ok && e.gen == gen && now.Before(e.expires) {
		c.mu.Unlock()
		return e.value, nil
	}
	c.mu.Unlock()
	v, err := fn()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen[key.Tenant] != gen {
		return v, nil
	}
	if len(c.entries) >= maxEntries {
		c.sweep(now)
	}
	c.entries[key] = entry{value: v, expires: now.Add(c.ttl), gen: gen}
	return v, nil
}

// Invalidate drops every entry of a tenant.
func (c *Cache) Invalidate(tenant string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen[tenant]++
	for k := range c.entries {
		if k.Tenant == tenant {
			delete(c.entries, k)
		}
	}
}

// Len is the number of entries held (for tests).
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *Cache) sweep(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) || e.gen != c.gen[k.Tenant] {
			delete(c.entries, k)
		}
	}
	if len(c.entries) >= maxEntries {
		clear(c.entries)
	}
}

// Fingerprint is a digest of everything that decides what a reader may
// see: the effective level of every data area, the security classes held
// and whether the reader is restricted. It leaves out who the reader is,
// so users with the same access share cached figures. A nil subject (no
// access) has a fingerprint of its own.
func Fingerprint(s *access.Subject) string {
	h := sha256.New()
	if s == nil {
		h.Write([]byte("nil"))
		return hex.EncodeToString(h.Sum(nil))
	}
	var b [8]byte
	for _, a := range access.Areas() {
		h.Write([]byte(a))
		h.Write([]byte{0, byte(s.Level(a)), 0})
	}
	if s.Restricted {
		h.Write([]byte("restricted\x00"))
	} else {
		h.Write([]byte("open\x00"))
	}
	seen := map[int64]bool{}
	for _, c := range s.Classes { // sorted and unique by NewSubject; checked again
		if seen[c] {
			continue
		}
		seen[c] = true
		binary.BigEndian.PutUint64(b[:], uint64(c))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}
