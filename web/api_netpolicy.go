package web

import (
	"net/http"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/netpolicy"
	"strongroom/tenancy"
)

// netpolicyRoutes registers the IP allowlist's JSON API and its
// Administration page (pages_admin_network.go). Administrators only; the
// service checks.
func (h *Handler) netpolicyRoutes() {
	api := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.authed(h.withNetPolicy(fn), false))) }
	api("GET /api/v1/t/{slug}/ip-allowlist", h.apiIPAllowlist)
	api("PUT /api/v1/t/{slug}/ip-allowlist", h.apiSetIPAllowlist)
	page := func(pattern string, fn authFunc) {
		h.mux.Handle(pattern, h.page(h.pageAuthed(h.withNetPolicy(fn), false)))
	}
	page("GET /t/{slug}/admin/network", h.networkPage)
	page("POST /t/{slug}/admin/network", h.networkSubmit)
}

// withNetPolicy answers 404 on a server built without IP allowlists.
func (h *Handler) withNetPolicy(fn authFunc) authFunc {
	return ifServed(func() bool { return h.svc.NetPolicy != nil }, fn)
}

type ipAllowlistJSON struct {
	Entries     []netpolicy.EntryInput `json:"entries"`
	Version     int                    `json:"version"`
	UpdatedAt   *string                `json:"updated_at"`
	YourAddress string                 `json:"your_address"`
}

func toIPAllowlistJSON(pol *netpolicy.Policy, you string) map[string]any {
	out := ipAllowlistJSON{Entries: make([]netpolicy.EntryInput, 0, len(pol.Entries)), Version: pol.Version, YourAddress: you}
	for _, e := range pol.Entries {
		out.Entries = append(out.Entries, netpolicy.EntryInput{CIDR: e.Prefix.String(), Label: e.Label})
	}
	if !pol.UpdatedAt.IsZero() {
		s := pol.UpdatedAt.Format(time.RFC3339)
		out.UpdatedAt = &s
	}
	return map[string]any{"ip_allowlist": out}
}

func (h *Handler) apiIPAllowlist(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	pol, err := h.svc.NetPolicy.Get(r.Context(), t, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toIPAllowlistJSON(pol, p.IP))
}

type ipAllowlistBody struct {
	Entries        *[]netpolicy.EntryInput `json:"entries"`
	Version        int                     `json:"version"`
	ConfirmLockout bool                    `json:"confirm_lockout"`
}

func (h *Handler) apiSetIPAllowlist(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	var b ipAllowlistBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	if b.Entries == nil {
		return strongroom.FieldError("entries", "Send the whole list of allowed networks; an empty list allows every address.")
	}
	pol, err := h.svc.NetPolicy.Update(r.Context(), t, p, netpolicy.Input{Entries: *b.Entries, Version: b.Version, ConfirmLockout: b.ConfirmLockout})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toIPAllowlistJSON(pol, p.IP))
}
