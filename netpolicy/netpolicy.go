// Package netpolicy holds a tenant's IP allowlist: the networks from which
// the tenant's pages, JSON API, sign-in, live updates and kiosk links answer
// at all. An empty list allows every address. An administrator sets the
// list (Update), audited in the same transaction; the operator may clear it
// from the command line (Clear) when an administrator has locked everyone
// out. Allows answers from a short in-memory cache per tenant, so the check
// costs nothing on most requests.
package netpolicy

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/tenancy"
)

// Bounds of a list.
const (
	MaxEntries = 200
	MaxLabel   = 100
)

// DefaultTTL is how long a tenant's list is believed from memory. A change
// made on this node is seen at once; one made on another node (or by the
// operator's command) within DefaultTTL.
const DefaultTTL = 5 * time.Second

// RefusalEvery is how often at most a refusal of one address is written to
// the tenant's audit trail, so that a flood of requests cannot fill it.
const RefusalEvery = time.Minute

// Entry is one allowed network.
type Entry struct {
	Prefix netip.Prefix
	Label  string
}

// Policy is a tenant's allowlist as it is stored.
type Policy struct {
	Entries   []Entry // none: every address is allowed
	Version   int
	UpdatedAt time.Time // zero: never changed
}

// Allows reports whether the list lets ip in: always for an empty list,
// never for an address that is not valid when it is not empty.
func (p *Policy) Allows(ip netip.Addr) bool {
	if len(p.Entries) == 0 {
		return true
	}
	return contains(p.Entries, ip)
}

func contains(entries []Entry, ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap().WithZone("")
	for _, e := range entries {
		if e.Prefix.Contains(ip) {
			return true
		}
	}
	return false
}

// EntryInput is an entry as a form or API sends it.
type EntryInput struct {
	CIDR  string `json:"cidr"`
	Label string `json:"label"`
}

// Input is a new list. Version is the version it was edited from; with
// ConfirmLockout the administrator confirms saving a list that leaves out
// their own address.
type Input struct {
	Entries        []EntryInput
	Version        int
	ConfirmLockout bool
}

// Service keeps the allowlists' cache and the refusals' rate limit.
type Service struct {
	Now func() time.Time
	TTL time.Duration
	log *slog.Logger

	mu      sync.Mutex
	cache   map[string]cached
	refused map[refusal]time.Time
}

type cached struct {
	entries []Entry
	at      time.Time
}

type refusal struct {
	tenant string
	ip     netip.Addr
}

// New returns a service with DefaultTTL.
func New(log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{Now: time.Now, TTL: DefaultTTL, log: log, cache: map[string]cached{}, refused: map[refusal]time.Time{}}
}

// Get returns the tenant's list, for administrators.
func (s *Service) Get(ctx context.Context, h *tenancy.Handle, p *identity.Principal) (*Policy, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	return read(ctx, h.DB)
}

// Read returns the tenant's list without a principal: for the operator's
// command.
func (s *Service) Read(ctx context.Context, h *tenancy.Handle) (*Policy, error) {
	return read(ctx, h.DB)
}

// Allows reports whether ip may reach the tenant. The list is read from
// memory when it was read less than TTL ago; a database fault is returned
// (the caller refuses: a fault never opens the door).
func (s *Service) Allows(ctx context.Context, h *tenancy.Handle, ip netip.Addr) (bool, error) {
	slug := h.Tenant.Slug
	now := s.Now()
	s.mu.Lock()
	c, ok := s.cache[slug]
	s.mu.Unlock()
	if !ok || now.Sub(c.at) >= s.TTL || now.Before(c.at) {
		p, err := read(ctx, h.DB)
		if err != nil {
			return false, err
		}
		c = cached{entries: p.Entries, at: now}
		s.mu.Lock()
		s.cache[slug] = c
		s.mu.Unlock()
	}
	return len(c.entries) == 0 || contains(c.entries, ip), nil
}

// forget drops a tenant's cached list after a change.
func (s *Service) forget(slug string) {
	s.mu.Lock()
	delete(s.cache, slug)
	s.mu.Unlock()
}

// ErrRefused is the answer to an address the list does not allow: the same
// as for a tenant or page that does not exist, so that a probe from outside
// cannot tell that the tenant is there.
func ErrRefused() error {
	return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
}

func errStale() error {
	return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "version",
		Message: "Someone else changed the IP allowlist since you opened it. Reload it, make your changes again and save."}
}
