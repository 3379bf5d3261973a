package kiosk

import (
	"context"

	"strongroom/tenancy"
)

// StillLive checks again, for an open live-update socket, that the token
// a screen opened it with still opens its link from ip, and returns the
// link as it is now. It fails with ErrNotFound once the link is revoked,
// expired, paused, given a new token or no longer allows ip. Unlike
// Resolve and View it is quiet: the token was checked when the socket
// opened, so a re-check is neither a guess for the guard to count nor a
// view or a failure to audit (a sweep runs every few seconds).
func (s *Service) StillLive(ctx context.Context, h *tenancy.Handle, token, ip string) (*Resolved, error) {
	l, reason, err := lookup(ctx, h.DB, token, ip, s.Now())
	if err != nil {
		return nil, err
	}
	if reason != "" || l.Paused {
		return nil, ErrNotFound()
	}
	return &Resolved{Link: l, Subject: l.Subject()}, nil
}
