package web

import (
	"net/http"
	"strconv"
	"strings"

	"strongroom"
	"strongroom/identity"
	"strongroom/sso"
	"strongroom/tenancy"
)

// ssoPageRoutes registers Administration → Single sign-on.
func (h *Handler) ssoPageRoutes() {
	page := func(pattern string, fn authFunc) {
		h.mux.Handle(pattern, h.page(h.pageAuthed(h.withSSOAuthed(fn), false)))
	}
	pre := "/t/{slug}/admin/sso"
	page("GET "+pre, h.ssoAdminPage)
	page("POST "+pre+"/providers", h.ssoProviderCreate)
	page("GET "+pre+"/providers/{id}", h.ssoProviderPage)
	page("POST "+pre+"/providers/{id}", h.ssoProviderUpdate)
	page("GET "+pre+"/providers/{id}/delete", h.ssoProviderDeletePage)
	page("POST "+pre+"/providers/{id}/delete", h.ssoProviderDelete)
	page("POST "+pre+"/policy", h.ssoPolicySubmit)
	page("POST "+pre+"/links", h.ssoLinkSubmit)
	page("POST "+pre+"/links/{id}/unlink", h.ssoUnlinkSubmit)
}

// ssoAdminView is the Single sign-on page besides its forms.
type ssoAdminView struct {
	Providers   []ssoProviderRow
	Links       []ssoLinkRow
	Users       []*identity.User
	Admins      []*identity.User
	Roles       []namedID
	Classes     []namedID
	RedirectURI string
	Policy      *sso.Policy
	// Edit is the provider being edited (nil: the page's add form).
	Edit *sso.Provider
}

type ssoProviderRow struct {
	*sso.Provider
	IssuerShown string
	KindLabel   string
}

type ssoLinkRow struct {
	sso.Link
	User, Provider string
}

type namedID struct {
	ID   int64
	Name string
}

var ssoKindLabels = map[string]string{sso.KindGoogle: "Google", sso.KindEntra: "Microsoft Entra ID", sso.KindOIDC: "OpenID Connect"}

// ssoProviderFields are the provider form's fields, as the API names them.
var ssoProviderFields = []string{"kind", "name", "issuer", "client_id", "client_secret", "allowed_domains", "directory_id", "mfa_acr", "version"}

func (h *Handler) ssoAdminView(r *http.Request, t *tenancy.Handle, p *identity.Principal) (view, error) {
	ctx := r.Context()
	provs, err := h.svc.SSO.Providers(ctx, t, p)
	if err != nil {
		return view{}, err
	}
	pol, err := h.svc.SSO.GetPolicy(ctx, t, p)
	if err != nil {
		return view{}, err
	}
	links, err := h.svc.SSO.Links(ctx, t, p, 0)
	if err != nil {
		return view{}, err
	}
	users, err := h.identity.ListUsers(ctx, t, p)
	if err != nil {
		return view{}, err
	}
	roles, err := h.identity.ListRoles(ctx, t, p)
	if err != nil {
		return view{}, err
	}
	classes, err := h.identity.ListClasses(ctx, t, p)
	if err != nil {
		return view{}, err
	}
	pv := ssoAdminView{RedirectURI: ssoCallbackURL(r, t), Policy: pol, Users: users}
	names := map[int64]string{}
	for _, u := range users {
		names[u.ID] = u.Username
		if ok, err := h.identity.IsActiveAdmin(ctx, t, u.ID); err == nil && ok {
			pv.Admins = append(pv.Admins, u)
		}
	}
	provNames := map[int64]string{}
	for _, prov := range provs {
		provNames[prov.ID] = prov.Name
		pv.Providers = append(pv.Providers, ssoProviderRow{Provider: prov, IssuerShown: h.svc.SSO.IssuerOf(prov), KindLabel: ssoKindLabels[prov.Kind]})
	}
	for _, l := range links {
		pv.Links = append(pv.Links, ssoLinkRow{Link: l, User: names[l.UserID], Provider: provNames[l.ProviderID]})
	}
	for _, r := range roles {
		pv.Roles = append(pv.Roles, namedID{r.ID, r.Name})
	}
	for _, c := range classes {
		pv.Classes = append(pv.Classes, namedID{c.ID, c.Name})
	}
	v := newView(r, t, p)
	v.Page = pv
	v.Form.Values.Set("kind", sso.KindGoogle)
	h.setPolicyForm(&v, pol)
	return v, nil
}

func (h *Handler) setPolicyForm(v *view, pol *sso.Policy) {
	set := func(name string, b bool) {
		if b {
			v.Form.Values.Set(name, "true")
		}
	}
	set("sso_only", pol.SSOOnly)
	set("provider_mfa", pol.ProviderMFA)
	set("jit", pol.JIT)
	v.Form.Values.Set("break_glass_user_id", strconv.FormatInt(pol.BreakGlassUserID, 10))
	v.Form.Values.Set("policy_version", strconv.Itoa(pol.Version))
	for _, id := range pol.JITRoleIDs {
		v.Form.Values.Add("jit_role_ids", strconv.FormatInt(id, 10))
	}
	for _, id := range pol.JITClassIDs {
		v.Form.Values.Add("jit_class_ids", strconv.FormatInt(id, 10))
	}
}

func (h *Handler) ssoAdminPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	v, err := h.ssoAdminView(r, t, p)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "admin_sso", v)
}

// providerForm reads the provider form.
func providerForm(r *http.Request) sso.ProviderInput {
	lines := func(name string) []string {
		return strings.FieldsFunc(r.PostForm.Get(name), func(c rune) bool { return c == '\n' || c == '\r' || c == ',' || c == ' ' })
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	return sso.ProviderInput{Kind: r.PostForm.Get("kind"), Name: r.PostForm.Get("name"), Issuer: r.PostForm.Get("issuer"),
		ClientID: r.PostForm.Get("client_id"), ClientSecret: r.PostForm.Get("client_secret"), AllowedDomains: lines("allowed_domains"),
		DirectoryID: r.PostForm.Get("directory_id"), MFAACR: lines("mfa_acr"), Version: version}
}

func (h *Handler) ssoProviderCreate(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	_, err := h.svc.SSO.CreateProvider(r.Context(), t, p, providerForm(r))
	if err != nil {
		v, verr := h.ssoAdminView(r, t, p)
		if verr != nil {
			return verr
		}
		for _, f := range ssoProviderFields {
			if f != "client_secret" {
				v.Form.Values.Set(f, r.PostForm.Get(f))
			}
		}
		return h.renderForm(w, "admin_sso", v, err, ssoProviderFields...)
	}
	return redirectDone(w, r, t, "admin/sso", "sso-provider-saved")
}

func (h *Handler) ssoProviderView(r *http.Request, t *tenancy.Handle, p *identity.Principal) (view, *sso.Provider, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return view{}, nil, err
	}
	prov, err := h.svc.SSO.GetProvider(r.Context(), t, p, id)
	if err != nil {
		return view{}, nil, err
	}
	v := newView(r, t, p)
	v.Page = ssoAdminView{Edit: prov, RedirectURI: ssoCallbackURL(r, t),
		Providers: []ssoProviderRow{{Provider: prov, IssuerShown: h.svc.SSO.IssuerOf(prov), KindLabel: ssoKindLabels[prov.Kind]}}}
	return v, prov, nil
}

func (h *Handler) ssoProviderPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	v, prov, err := h.ssoProviderView(r, t, p)
	if err != nil {
		return err
	}
	v.Form.Values.Set("kind", prov.Kind)
	v.Form.Values.Set("name", prov.Name)
	v.Form.Values.Set("issuer", prov.Issuer)
	v.Form.Values.Set("client_id", prov.ClientID)
	v.Form.Values.Set("allowed_domains", strings.Join(prov.AllowedDomains, "\n"))
	v.Form.Values.Set("directory_id", prov.DirectoryID)
	v.Form.Values.Set("mfa_acr", strings.Join(prov.MFAACR, "\n"))
	v.Form.Values.Set("version", strconv.Itoa(prov.Version))
	return h.render(w, http.StatusOK, "admin_sso_provider", v)
}

func (h *Handler) ssoProviderUpdate(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v, prov, err := h.ssoProviderView(r, t, p)
	if err != nil {
		return err
	}
	if _, err := h.svc.SSO.UpdateProvider(r.Context(), t, p, prov.ID, providerForm(r)); err != nil {
		for _, f := range ssoProviderFields {
			if f != "client_secret" {
				v.Form.Values.Set(f, r.PostForm.Get(f))
			}
		}
		v.Form.Values.Set("kind", prov.Kind)
		return h.renderForm(w, "admin_sso_provider", v, err, ssoProviderFields...)
	}
	return redirectDone(w, r, t, "admin/sso", "sso-provider-saved")
}

func (h *Handler) ssoProviderDeletePage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	_, prov, err := h.ssoProviderView(r, t, p)
	if err != nil {
		return err
	}
	links, err := h.svc.SSO.Links(r.Context(), t, p, 0)
	if err != nil {
		return err
	}
	n := 0
	for _, l := range links {
		if l.ProviderID == prov.ID {
			n++
		}
	}
	linked := "No user is linked to an identity at it."
	if n == 1 {
		linked = "1 user's link to an identity at it is removed: they can no longer sign in with it."
	} else if n > 1 {
		linked = strconv.Itoa(n) + " users' links to identities at it are removed: they can no longer sign in with them."
	}
	return h.renderConfirm(w, r, t, p, confirmView{Title: "Delete identity provider " + prov.Name + "?",
		Consequence: []string{"Its sign-in button leaves the sign-in page.", linked, "Sign-ins under way with it fail."},
		Action:      tenantPath(t, "admin/sso/providers/"+strconv.FormatInt(prov.ID, 10)+"/delete"),
		Button:      "Delete provider", Cancel: tenantPath(t, "admin/sso")})
}

func (h *Handler) ssoProviderDelete(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.svc.SSO.DeleteProvider(r.Context(), t, p, id); err != nil {
		return err
	}
	return redirectDone(w, r, t, "admin/sso", "sso-provider-deleted")
}

func (h *Handler) ssoPolicySubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := sso.PolicyInput{SSOOnly: r.PostForm.Get("sso_only") != "", ProviderMFA: r.PostForm.Get("provider_mfa") != "",
		JIT: r.PostForm.Get("jit") != ""}
	in.Version, _ = strconv.Atoi(r.PostForm.Get("policy_version"))
	in.BreakGlassUserID, _ = strconv.ParseInt(r.PostForm.Get("break_glass_user_id"), 10, 64)
	var err error
	if in.JITRoleIDs, err = formIDs(r, "jit_role_ids"); err == nil {
		in.JITClassIDs, err = formIDs(r, "jit_class_ids")
	}
	if err == nil {
		_, err = h.svc.SSO.UpdatePolicy(r.Context(), t, p, in)
	}
	if err != nil {
		v, verr := h.ssoAdminView(r, t, p)
		if verr != nil {
			return verr
		}
		for _, f := range []string{"sso_only", "provider_mfa", "jit", "break_glass_user_id", "policy_version"} {
			v.Form.Values.Set(f, r.PostForm.Get(f))
		}
		v.Form.Values["jit_role_ids"] = r.PostForm["jit_role_ids"]
		v.Form.Values["jit_class_ids"] = r.PostForm["jit_class_ids"]
		return h.renderForm(w, "admin_sso", v, err, "sso_only", "break_glass_user_id", "provider_mfa", "jit", "jit_role_ids", "jit_class_ids", "version")
	}
	return redirectDone(w, r, t, "admin/sso", "sso-policy-saved")
}

func (h *Handler) ssoLinkSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := sso.LinkInput{Subject: r.PostForm.Get("subject")}
	in.ProviderID, _ = strconv.ParseInt(r.PostForm.Get("provider_id"), 10, 64)
	in.UserID, _ = strconv.ParseInt(r.PostForm.Get("user_id"), 10, 64)
	if _, err := h.svc.SSO.LinkUser(r.Context(), t, p, in); err != nil {
		v, verr := h.ssoAdminView(r, t, p)
		if verr != nil {
			return verr
		}
		for _, f := range []string{"provider_id", "user_id", "subject"} {
			v.Form.Values.Set(f, r.PostForm.Get(f))
		}
		return h.renderForm(w, "admin_sso", v, err, "provider_id", "user_id", "subject")
	}
	return redirectDone(w, r, t, "admin/sso", "sso-linked")
}

func (h *Handler) ssoUnlinkSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.svc.SSO.Unlink(r.Context(), t, p, id); err != nil {
		if strongroom.ErrorCode(err) == strongroom.ENOTFOUND {
			return redirectDone(w, r, t, "admin/sso", "")
		}
		return err
	}
	return redirectDone(w, r, t, "admin/sso", "sso-unlinked")
}
