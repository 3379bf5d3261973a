package web

import (
	"net/http"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/scim"
	"strongroom/tenancy"
)

// The JSON API of the Provisioning page: SCIM tokens and the mapping of
// the provider's groups to roles. Administrators only; the service checks.
func (h *Handler) scimAPIRoutes() {
	api := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.authed(h.withSCIM(fn), false))) }
	pre := "/api/v1/t/{slug}/scim/"
	api("GET "+pre+"tokens", h.apiSCIMTokens)
	api("POST "+pre+"tokens", h.apiCreateSCIMToken)
	api("POST "+pre+"tokens/{id}/revoke", h.apiRevokeSCIMToken)
	api("GET "+pre+"groups", h.apiSCIMGroups)
	api("PUT "+pre+"groups/{id}/roles", h.apiSetSCIMGroupRoles)
}

type scimTokenJSON struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	CreatedAt  string  `json:"created_at"`
	CreatedBy  int64   `json:"created_by"`
	LastUsedAt *string `json:"last_used_at"`
	RevokedAt  *string `json:"revoked_at"`
}

func toSCIMToken(t scim.Token) scimTokenJSON {
	out := scimTokenJSON{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt.UTC().Format(time.RFC3339), CreatedBy: t.CreatedBy}
	if !t.LastUsedAt.IsZero() {
		s := t.LastUsedAt.UTC().Format(time.RFC3339)
		out.LastUsedAt = &s
	}
	if !t.RevokedAt.IsZero() {
		s := t.RevokedAt.UTC().Format(time.RFC3339)
		out.RevokedAt = &s
	}
	return out
}

type scimMappingJSON struct {
	GroupID   int64   `json:"group_id"`
	GroupName string  `json:"group_name"`
	Members   int     `json:"members"`
	RoleIDs   []int64 `json:"role_ids"`
}

func toSCIMMapping(m scim.Mapping) scimMappingJSON {
	ids := m.RoleIDs
	if ids == nil {
		ids = []int64{}
	}
	return scimMappingJSON{GroupID: m.GroupID, GroupName: m.GroupName, Members: m.Members, RoleIDs: ids}
}

func (h *Handler) apiSCIMTokens(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	toks, err := h.svc.SCIM.ListTokens(r.Context(), t, p)
	if err != nil {
		return err
	}
	out := make([]scimTokenJSON, 0, len(toks))
	for _, tok := range toks {
		out = append(out, toSCIMToken(tok))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"scim_tokens": out, "base_url": SCIMBase(r.Host, t.Tenant.Slug)})
}

func (h *Handler) apiCreateSCIMToken(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	var b struct {
		Name *string `json:"name"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	if b.Name == nil {
		return strongroom.FieldError("name", "Name the token, for example after the identity provider that will hold it.")
	}
	tok, secret, err := h.svc.SCIM.CreateToken(r.Context(), t, p, *b.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"scim_token": toSCIMToken(*tok), "secret": secret,
		"base_url": SCIMBase(r.Host, t.Tenant.Slug)})
}

func (h *Handler) apiRevokeSCIMToken(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.svc.SCIM.RevokeToken(r.Context(), t, p, id); err != nil {
		return err
	}
	toks, err := h.svc.SCIM.ListTokens(r.Context(), t, p)
	if err != nil {
		return err
	}
	for _, tok := range toks {
		if tok.ID == id {
			return writeJSON(w, http.StatusOK, map[string]any{"scim_token": toSCIMToken(tok)})
		}
	}
	return strongroom.Errorf(strongroom.ENOTFOUND, "No such SCIM token.")
}

func (h *Handler) apiSCIMGroups(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	ms, err := h.svc.SCIM.Mappings(r.Context(), t, p)
	if err != nil {
		return err
	}
	out := make([]scimMappingJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, toSCIMMapping(m))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"scim_groups": out})
}

func (h *Handler) apiSetSCIMGroupRoles(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b struct {
		RoleIDs *[]int64 `json:"role_ids"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	if b.RoleIDs == nil {
		return strongroom.FieldError("role_ids", "Send the ids of the roles the group's members hold; an empty list gives none.")
	}
	m, err := h.svc.SCIM.SetGroupRoles(r.Context(), t, p, id, *b.RoleIDs)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"scim_group": toSCIMMapping(*m)})
}
