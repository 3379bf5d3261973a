package web

import (
	"net/http"
	"strconv"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/sso"
	"strongroom/tenancy"
)

// ssoAPIRoutes registers single sign-on's JSON API, for administrators
// (the service checks): providers, the policy and links.
func (h *Handler) ssoAPIRoutes() {
	api := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.authed(h.withSSOAuthed(fn), false))) }
	pre := "/api/v1/t/{slug}/sso/"
	api("GET "+pre+"providers", h.apiSSOProviders)
	api("POST "+pre+"providers", h.apiSSOCreateProvider)
	api("GET "+pre+"providers/{id}", h.apiSSOProvider)
	api("PUT "+pre+"providers/{id}", h.apiSSOUpdateProvider)
	api("DELETE "+pre+"providers/{id}", h.apiSSODeleteProvider)
	api("GET "+pre+"policy", h.apiSSOPolicy)
	api("PUT "+pre+"policy", h.apiSSOSetPolicy)
	api("GET "+pre+"links", h.apiSSOLinks)
	api("POST "+pre+"links", h.apiSSOLink)
	api("DELETE "+pre+"links/{id}", h.apiSSOUnlink)
}

// withSSOAuthed answers 404 on a server built without single sign-on.
func (h *Handler) withSSOAuthed(fn authFunc) authFunc {
	return ifServed(func() bool { return h.svc.SSO != nil }, fn)
}

type ssoProviderJSON struct {
	ID             int64    `json:"id"`
	Kind           string   `json:"kind"`
	Name           string   `json:"name"`
	Issuer         string   `json:"issuer"`
	ClientID       string   `json:"client_id"`
	ClientSecret   string   `json:"client_secret"` // "set" or "": never the secret
	AllowedDomains []string `json:"allowed_domains"`
	DirectoryID    string   `json:"directory_id"`
	MFAACR         []string `json:"mfa_acr"`
	RedirectURI    string   `json:"redirect_uri"`
	Version        int      `json:"version"`
	UpdatedAt      string   `json:"updated_at"`
}

func (h *Handler) toSSOProviderJSON(r *http.Request, t *tenancy.Handle, p *sso.Provider) ssoProviderJSON {
	out := ssoProviderJSON{ID: p.ID, Kind: p.Kind, Name: p.Name, Issuer: h.svc.SSO.IssuerOf(p), ClientID: p.ClientID,
		AllowedDomains: p.AllowedDomains, DirectoryID: p.DirectoryID, MFAACR: p.MFAACR, RedirectURI: ssoCallbackURL(r, t),
		Version: p.Version, UpdatedAt: p.UpdatedAt.UTC().Format(time.RFC3339)}
	if p.SecretSet {
		out.ClientSecret = "set"
	}
	if out.AllowedDomains == nil {
		out.AllowedDomains = []string{}
	}
	if out.MFAACR == nil {
		out.MFAACR = []string{}
	}
	return out
}

func (h *Handler) apiSSOProviders(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	list, err := h.svc.SSO.Providers(r.Context(), t, p)
	if err != nil {
		return err
	}
	out := make([]ssoProviderJSON, 0, len(list))
	for _, prov := range list {
		out = append(out, h.toSSOProviderJSON(r, t, prov))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"providers": out})
}

func (h *Handler) apiSSOProvider(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	prov, err := h.svc.SSO.GetProvider(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"provider": h.toSSOProviderJSON(r, t, prov)})
}

func (h *Handler) apiSSOCreateProvider(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	var in sso.ProviderInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	prov, err := h.svc.SSO.CreateProvider(r.Context(), t, p, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"provider": h.toSSOProviderJSON(r, t, prov)})
}

func (h *Handler) apiSSOUpdateProvider(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in sso.ProviderInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	prov, err := h.svc.SSO.UpdateProvider(r.Context(), t, p, id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"provider": h.toSSOProviderJSON(r, t, prov)})
}

func (h *Handler) apiSSODeleteProvider(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.svc.SSO.DeleteProvider(r.Context(), t, p, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}

type ssoPolicyJSON struct {
	SSOOnly          bool    `json:"sso_only"`
	BreakGlassUserID int64   `json:"break_glass_user_id"`
	ProviderMFA      bool    `json:"provider_mfa"`
	JIT              bool    `json:"jit"`
	JITRoleIDs       []int64 `json:"jit_role_ids"`
	JITClassIDs      []int64 `json:"jit_class_ids"`
	Version          int     `json:"version"`
}

func toSSOPolicyJSON(pol *sso.Policy) map[string]any {
	out := ssoPolicyJSON{SSOOnly: pol.SSOOnly, BreakGlassUserID: pol.BreakGlassUserID, ProviderMFA: pol.ProviderMFA, JIT: pol.JIT,
		JITRoleIDs: pol.JITRoleIDs, JITClassIDs: pol.JITClassIDs, Version: pol.Version}
	if out.JITRoleIDs == nil {
		out.JITRoleIDs = []int64{}
	}
	if out.JITClassIDs == nil {
		out.JITClassIDs = []int64{}
	}
	return map[string]any{"policy": out}
}

func (h *Handler) apiSSOPolicy(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	pol, err := h.svc.SSO.GetPolicy(r.Context(), t, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSSOPolicyJSON(pol))
}

func (h *Handler) apiSSOSetPolicy(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	var in sso.PolicyInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	pol, err := h.svc.SSO.UpdatePolicy(r.Context(), t, p, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSSOPolicyJSON(pol))
}

type ssoLinkJSON struct {
	ID         int64   `json:"id"`
	ProviderID int64   `json:"provider_id"`
	Issuer     string  `json:"issuer"`
	Subject    string  `json:"subject"`
	UserID     int64   `json:"user_id"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
}

func toSSOLinkJSON(l sso.Link) ssoLinkJSON {
	out := ssoLinkJSON{ID: l.ID, ProviderID: l.ProviderID, Issuer: l.Issuer, Subject: l.Subject, UserID: l.UserID,
		CreatedAt: l.CreatedAt.UTC().Format(time.RFC3339)}
	if !l.LastUsedAt.IsZero() {
		s := l.LastUsedAt.UTC().Format(time.RFC3339)
		out.LastUsedAt = &s
	}
	return out
}

func (h *Handler) apiSSOLinks(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var userID int64
	if v := r.URL.Query().Get("user_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return strongroom.FieldError("user_id", "Send a user id.")
		}
		userID = id
	}
	links, err := h.svc.SSO.Links(r.Context(), t, p, userID)
	if err != nil {
		return err
	}
	out := make([]ssoLinkJSON, 0, len(links))
	for _, l := range links {
		out = append(out, toSSOLinkJSON(l))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"links": out})
}

func (h *Handler) apiSSOLink(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	var in sso.LinkInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := h.svc.SSO.LinkUser(r.Context(), t, p, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"link": toSSOLinkJSON(*l)})
}

func (h *Handler) apiSSOUnlink(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.svc.SSO.Unlink(r.Context(), t, p, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}
