package web

import (
	"context"
	"net/http"
	"net/netip"

	"strongroom/netpolicy"
	"strongroom/server"
	"strongroom/tenancy"
)

// netGuard refuses a request from an address the tenant's IP allowlist
// leaves out, before anything else of the tenant runs: with the answer an
// unknown tenant gets (a probe cannot tell that the tenant exists), and an
// audited netpolicy.refused event (at most one per address a minute).
func (h *Handler) netGuard(r *http.Request, t *tenancy.Handle) error {
	return h.netAllowed(r.Context(), t, server.ClientIP(r.Context()))
}

// netAllowed is netGuard for an address already known (a live socket's).
func (h *Handler) netAllowed(ctx context.Context, t *tenancy.Handle, ip netip.Addr) error {
	np := h.svc.NetPolicy
	if np == nil {
		return nil
	}
	ok, err := np.Allows(ctx, t, ip)
	if err != nil {
		return err // a fault never lets a request through
	}
	if !ok {
		np.RecordRefused(ctx, t, ip)
		return netpolicy.ErrRefused()
	}
	return nil
}

// netAllowedIP is netAllowed for an address kept as text ("" when unknown).
func (h *Handler) netAllowedIP(ctx context.Context, t *tenancy.Handle, ip string) error {
	addr, _ := netip.ParseAddr(ip)
	return h.netAllowed(ctx, t, addr)
}

// netQuiet reports whether the request's address may see the tenant,
// writing nothing: for the error page, which must not name the tenant or
// its signed-in user to an address outside the list.
func (h *Handler) netQuiet(r *http.Request, t *tenancy.Handle) bool {
	np := h.svc.NetPolicy
	if np == nil {
		return true
	}
	ok, err := np.Allows(r.Context(), t, server.ClientIP(r.Context()))
	return err == nil && ok
}
