package web

import (
	"fmt"
	"net/http"
	"strconv"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/scim"
	"strongroom/tenancy"
)

// The Provisioning (SCIM) page: the base URL an identity provider is given,
// the tenant's SCIM tokens (made here, shown once, revoked after a
// confirmation) and the mapping of the provider's groups to roles.

func (h *Handler) scimPageRoutes() {
	page := func(pattern string, fn authFunc) {
		h.mux.Handle(pattern, h.page(h.pageAuthed(h.withSCIM(fn), false)))
	}
	pre := "/t/{slug}/admin/provisioning"
	page("GET "+pre, h.provisioningPage)
	page("POST "+pre+"/tokens", h.provisioningTokenSubmit)
	page("GET "+pre+"/tokens/{id}/revoke", h.provisioningRevokePage)
	page("POST "+pre+"/tokens/{id}/revoke", h.provisioningRevokeSubmit)
	page("POST "+pre+"/groups/{id}/roles", h.provisioningRolesSubmit)
}

// withSCIM answers 404 on a server built without SCIM.
func (h *Handler) withSCIM(fn authFunc) authFunc {
	return ifServed(func() bool { return h.svc.SCIM != nil }, fn)
}

// provisioningView is what the page shows.
type provisioningView struct {
	BaseURL  string
	Tokens   []scim.Token
	Mappings []scim.Mapping
	Roles    []access.Role
	// Created is a token just made, with its secret, shown once.
	Created       *scim.Token
	CreatedSecret string
}

// Has reports whether a mapping gives a role.
func (provisioningView) Has(m scim.Mapping, roleID int64) bool {
	for _, r := range m.RoleIDs {
		if r == roleID {
			return true
		}
	}
	return false
}

func (h *Handler) provisioningView(r *http.Request, t *tenancy.Handle, p *identity.Principal) (view, provisioningView, error) {
	toks, err := h.svc.SCIM.ListTokens(r.Context(), t, p)
	if err != nil {
		return view{}, provisioningView{}, err
	}
	maps, err := h.svc.SCIM.Mappings(r.Context(), t, p)
	if err != nil {
		return view{}, provisioningView{}, err
	}
	roles, err := h.identity.ListRoles(r.Context(), t, p)
	if err != nil {
		return view{}, provisioningView{}, err
	}
	return newView(r, t, p), provisioningView{BaseURL: SCIMBase(r.Host, t.Tenant.Slug), Tokens: toks, Mappings: maps, Roles: roles}, nil
}

func (h *Handler) provisioningPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	v, pv, err := h.provisioningView(r, t, p)
	if err != nil {
		return err
	}
	v.Page = pv
	return h.render(w, http.StatusOK, "admin_scim", v)
}

func (h *Handler) provisioningTokenSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	tok, secret, err := h.svc.SCIM.CreateToken(r.Context(), t, p, r.PostForm.Get("name"))
	v, pv, verr := h.provisioningView(r, t, p)
	if verr != nil {
		return verr
	}
	if err != nil {
		v.Form.Values = formValues(r, "name")
		v.Page = pv
		return h.renderForm(w, "admin_scim", v, err, "name")
	}
	pv.Created, pv.CreatedSecret = tok, secret
	v.Page = pv
	return h.render(w, http.StatusCreated, "admin_scim", v)
}

func (h *Handler) provisioningRevokePage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	toks, err := h.svc.SCIM.ListTokens(r.Context(), t, p)
	if err != nil {
		return err
	}
	for _, tok := range toks {
		if tok.ID == id && !tok.Revoked() {
			return h.renderConfirm(w, r, t, p, confirmView{
				Title: "Revoke SCIM token " + tok.Name + "?",
				Consequence: []string{"The identity provider that holds this token can no longer create, change or deactivate users or groups: its next request is refused.",
					"Users and groups it made stay as they are. To provision again, make a new token and give it to the provider."},
				Action: tenantPath(t, fmt.Sprintf("admin/provisioning/tokens/%d/revoke", id)), Button: "Revoke token " + tok.Name,
				Cancel: tenantPath(t, "admin/provisioning"),
			})
		}
	}
	return strongroom.Errorf(strongroom.ENOTFOUND, "No such SCIM token.")
}

func (h *Handler) provisioningRevokeSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.svc.SCIM.RevokeToken(r.Context(), t, p, id); err != nil {
		return err
	}
	return redirectDone(w, r, t, "admin/provisioning", "scim-revoked")
}

func (h *Handler) provisioningRolesSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	var roles []int64
	for _, s := range r.PostForm["role"] {
		rid, err := strconv.ParseInt(s, 10, 64)
		if err != nil || rid <= 0 {
			return strongroom.FieldError("role", "Choose roles from the list.")
		}
		roles = append(roles, rid)
	}
	if _, err := h.svc.SCIM.SetGroupRoles(r.Context(), t, p, id, roles); err != nil {
		return err
	}
	return redirectDone(w, r, t, "admin/provisioning", "scim-roles")
}
