// Package kiosk holds kiosk links: public links that show a chosen list of
// dashboards on an office screen without a sign-in. A link's token carries
// 256 bits from crypto/rand, is shown once (at creation and at each
// regeneration) and is stored only as its SHA-256. A link runs as a kiosk
// identity of its own (Link.Subject): the areas and security classes its
// administrator chose for it, read at most, never the access of whoever made
// it. Resolving a token is guarded against guessing (guard.go, resolve.go).
//
// Dashboards are named by id only; the dashboards service checks them through
// Service.DashboardExists.
package kiosk

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/tenancy"
)

// Bounds of a link's settings.
const (
	MinRotation   = 10 * time.Second
	MaxRotation   = time.Hour
	MaxDashboards = 50
	MaxCIDRs      = 50
	MaxClasses    = 100
	maxLabel      = 100
)

// Link is a kiosk link as an administrator sees it: never its token.
type Link struct {
	ID int64
	// Label names the screen ("Reception TV").
	Label string
	// PublicID is a short random id made with each token, shown in lists
	// and on the screen, so that an administrator can tell which link a
	// screen shows. The token cannot be derived from it.
	PublicID     string
	Rotation     time.Duration
	ExpiresAt    time.Time // zero: never
	Paused       bool
	RevokedAt    time.Time // zero: not revoked; a revoked link is dead for good
	AllowedCIDRs []netip.Prefix
	Dashboards   []int64 // in the order shown
	Identity     Identity
	CreatedBy    int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastViewedAt time.Time
	ViewCount    int64
	// Version moves on with every change to the link (not with views);
	// an update names the version it was made from.
	Version int
}

// Identity is what a link's screen may read: like a user, with read access
// to Areas only and the security classes Classes. A restricted identity
// sees only records carrying one of its classes (as a restricted user does);
// an unrestricted one also sees records that carry no class.
type Identity struct {
	Areas      []access.Area
	Classes    []int64
	Restricted bool
}

// Subject is the link's kiosk identity as package access sees it: read on
// the chosen areas, the chosen classes, and no user behind it (UserID 0).
func (l *Link) Subject() *access.Subject {
	levels := map[access.Area]access.Level{}
	for _, a := range l.Identity.Areas {
		levels[a] = access.Read
	}
	s := access.NewSubject(0, l.Identity.Restricted, l.Identity.Classes, nil)
	s.Levels = levels
	return s
}

// Revoked reports whether the link has been revoked.
func (l *Link) Revoked() bool { return !l.RevokedAt.IsZero() }

// Expired reports whether the link's expiry has passed at now.
func (l *Link) Expired(now time.Time) bool { return !l.ExpiresAt.IsZero() && !now.Before(l.ExpiresAt) }

// Allows reports whether ip may view the link: every address when the
// link has no allowlist.
func (l *Link) Allows(ip string) bool {
	if len(l.AllowedCIDRs) == 0 {
		return true
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range l.AllowedCIDRs {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Service manages kiosk links and resolves their tokens.
type Service struct {
	// DashboardExists reports whether dashboard id exists in the tenant
	// and the administrator p making the link may view it: a screen never
	// shows a dashboard its maker could not open (a partner's private
	// one). Nil accepts no dashboard at all (a server without dashboards).
	DashboardExists func(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) (bool, error)
	// DashboardTitle names dashboard id as the kiosk identity s reads it
	// (ENOTFOUND: it may not, and the screen leaves it out); nil: screens
	// name dashboards by number.
	DashboardTitle func(ctx context.Context, h *tenancy.Handle, s *access.Subject, id int64) (string, error)
	// Guard throttles failed lookups; New makes one with the defaults.
	Guard *Guard
	// NotFoundFloor is the least time Resolve takes to say "not found",
	// so that a refusal without a lookup and a lookup that found nothing
	// take about as long (0 in tests).
	NotFoundFloor time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time
	// sleep waits out NotFoundFloor; tests may replace it.
	sleep   func(ctx context.Context, d time.Duration)
	log     *slog.Logger
	refused refusals
}

// New returns the kiosk service with the default guard.
func New(log *slog.Logger) *Service {
	s := &Service{Now: time.Now, log: log, NotFoundFloor: DefaultNotFoundFloor, sleep: sleepCtx}
	s.Guard = NewGuard(DefaultGuard, func() time.Time { return s.Now() })
	return s
}

// DefaultNotFoundFloor is how long, at least, a refused kiosk token takes.
const DefaultNotFoundFloor = 50 * time.Millisecond

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// ErrNotFound is the one answer to every token that does not show a
// screen: unknown, revoked, expired, from an address outside the link's
// allowlist, or sent from an address that is blocked for guessing.
func ErrNotFound() error { return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.") }

// errLinkNotFound is the administrators' answer for a link id that does
// not exist.
func errLinkNotFound() error { return strongroom.Errorf(strongroom.ENOTFOUND, "Kiosk link not found.") }

// errStale answers an update made from a version of the link that is not
// the current one: someone changed it since.
func errStale() error {
	return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "version",
		Message: "Someone else changed this kiosk link since you opened it. Reload it, make your changes again and save."}
}
