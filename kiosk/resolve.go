package kiosk

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"sync"
	"time"

	"strongroom/access"
	"strongroom/audit"
	"strongroom/store"
	"strongroom/tenancy"
)

// Resolved is a link whose token opened it, and who its screen reads as.
type Resolved struct {
	Link    *Link
	Subject *access.Subject
	// Paused is set for a paused link: its screen shows a "paused" notice
	// and nothing else. Only the holder of the token learns it.
	Paused bool
}

// Resolve looks a token up for a screen at ip without counting a view
// (for live updates, and for the step that moves the token into a cookie).
// Every token that does not open a live link gets ErrNotFound: unknown,
// malformed, revoked, expired, sent from outside the link's allowlist, or
// sent from an address the guard refuses (which is not looked up at all).
// Each of them but the last is audited as kiosk.guess_failed with the
// address and a reason, never the token.
func (s *Service) Resolve(ctx context.Context, h *tenancy.Handle, token, ip string) (*Resolved, error) {
	start := time.Now()
	tk, ok := s.Guard.admit(h.Tenant.Slug, ip)
	if !ok {
		s.noteRefusal(ctx, h, ip)
		return nil, s.notFound(ctx, start)
	}
	l, reason, err := lookup(ctx, h.DB, token, ip, s.Now())
	if err != nil {
		s.Guard.finish(tk, false) // a fault says nothing about the token
		return nil, err
	}
	if reason != "" {
		s.Guard.finish(tk, true)
		s.noteFailure(ctx, h, ip, reason, l)
		return nil, s.notFound(ctx, start)
	}
	s.Guard.finish(tk, false)
	return &Resolved{Link: l, Subject: l.Subject(), Paused: l.Paused}, nil
}

// View resolves a token for a page view of its screen and counts the view:
// view_count, last_viewed_at and a kiosk.view event with the link and the
// address, in one transaction. A paused link's notice is not a view.
func (s *Service) View(ctx context.Context, h *tenancy.Handle, token, ip string) (*Resolved, error) {
	r, err := s.Resolve(ctx, h, token, ip)
	if err != nil || r.Paused {
		return r, err
	}
	now := s.Now()
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		// The link may have been revoked, paused or given a new token since
		// it was resolved: the view counts only if it is still live.
		res, err := tx.ExecContext(ctx, `UPDATE kiosk_links SET view_count = view_count + 1, last_viewed_at = ?
			WHERE id = ? AND token_hash = ? AND revoked_at = '' AND paused = 0`, store.FormatTime(now), r.Link.ID, hashToken(token))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return ErrNotFound()
		}
		return record(ctx, tx, h, audit.Actor{Kind: audit.ActorAnonymous}, ip, "kiosk.view", r.Link.ID, nil, nil)
	})
	if err != nil {
		return nil, err
	}
	r.Link.ViewCount++
	r.Link.LastViewedAt = now
	return r, nil
}

// lookup finds the live link token opens from ip, or says why not.
func lookup(ctx context.Context, db *store.DB, token, ip string, now time.Time) (*Link, string, error) {
	if !wellFormed(token) {
		return nil, "unknown", nil
	}
	want := hashToken(token)
	var stored string
	l, err := scanLink(db.QueryRowContext(ctx, `SELECT `+linkCols+`, token_hash FROM kiosk_links WHERE token_hash = ?`, want), &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "unknown", nil
	}
	if err != nil {
		return nil, "", err
	}
	switch {
	case !sameHash(stored, want):
		return nil, "unknown", nil
	case l.Revoked():
		return l, "revoked", nil
	case l.Expired(now):
		return l, "expired", nil
	case !l.Allows(ip):
		return l, "address", nil
	}
	return l, "", loadParts(ctx, db, []*Link{l})
}

// notFound waits out the floor since start, then gives the one answer.
func (s *Service) notFound(ctx context.Context, start time.Time) error {
	if s.sleep != nil {
		s.sleep(ctx, s.NotFoundFloor-time.Since(start))
	}
	return ErrNotFound()
}

// noteFailure audits a failed lookup: the address and the reason, and the
// link when the token was a real one (revoked, expired, or from outside
// the allowlist); never the token. The guard bounds how often this runs.
func (s *Service) noteFailure(ctx context.Context, h *tenancy.Handle, ip, reason string, l *Link) {
	var id int64
	if l != nil {
		id = l.ID
	}
	s.audit(ctx, h, ip, "kiosk.guess_failed", id, map[string]string{"reason": reason})
}

// noteRefusal counts a lookup the guard refused. The audit log gets one
// kiosk.guess_refused event a minute at most with the count since the
// last (and the address of the refusal that wrote it): an event each
// would let a flood write to the tenant's audit log as fast as it sends.
func (s *Service) noteRefusal(ctx context.Context, h *tenancy.Handle, ip string) {
	n := s.refused.count(h.Tenant.Slug, s.Now())
	if n == 0 {
		return
	}
	s.log.Warn("kiosk token lookups refused: too many failures", "tenant", h.Tenant.Slug, "refused", n)
	s.audit(ctx, h, ip, "kiosk.guess_refused", 0, map[string]string{"refused": strconv.Itoa(n)})
}

func (s *Service) audit(ctx context.Context, h *tenancy.Handle, ip, action string, id int64, details map[string]string) {
	// The client may be gone already; the event is still worth keeping.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		return record(ctx, tx, h, audit.Actor{Kind: audit.ActorAnonymous}, ip, action, id, nil, details)
	})
	if err != nil {
		s.log.Error("audit kiosk lookup", "tenant", h.Tenant.Slug, "action", action, "err", err)
	}
}

// refusals counts, per tenant, the lookups refused since they were last
// written to its audit log.
type refusals struct {
	mu       sync.Mutex
	byTenant map[string]*refusalCount
}

type refusalCount struct {
	n       int
	written time.Time
}

// count adds one refusal for slug and returns how many to write now: all
// since the last write, or 0 within a minute of it.
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
	if !c.written.IsZero() && now.Sub(c.written) < time.Minute {
		return 0
	}
	n := c.n
	c.n, c.written = 0, now
	return n
}
