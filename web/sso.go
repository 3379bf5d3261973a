package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"strongroom"
	"strongroom/sso"
	"strongroom/tenancy"
)

// ssoRoutes registers single sign-on: leaving for a provider, its answer
// coming back, the administrators' JSON API (api_sso.go) and page
// (pages_admin_sso.go). Every route runs behind withTenant, so the
// tenant's IP allowlist holds for the callback too.
func (h *Handler) ssoRoutes() {
	page := func(pattern string, fn handlerFunc) { h.mux.Handle(pattern, h.page(fn)) }
	page("GET /t/{slug}/sso/{id}/start", h.withTenant(h.withSSO(h.ssoStart)))
	page("GET /t/{slug}/sso/callback", h.withTenant(h.withSSO(h.ssoCallback)))
	h.ssoAPIRoutes()
	h.ssoPageRoutes()
}

// withSSO answers 404 on a server built without single sign-on.
func (h *Handler) withSSO(fn tenantFunc) tenantFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
		if h.svc.SSO == nil {
			return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
		}
		return fn(w, r, t)
	}
}

// ssoCookie names the cookie that binds a sign-in under way to the browser
// that began it.
func ssoCookie(slug string) string { return "__Host-srsso-" + slug }

// ssoCallbackURL is the tenant's redirect URI, as registered at providers.
func ssoCallbackURL(r *http.Request, t *tenancy.Handle) string {
	return "https://" + r.Host + tenantPath(t, "sso/callback")
}

// ssoStart leaves for the provider. The browser keeps a random secret in a
// cookie (Lax: it comes back on the provider's top-level redirect) whose
// hash is stored with the state. It is a link, not a form: the pages'
// Content-Security-Policy (form-action 'self') would stop a form's
// redirect to the provider. Starting changes nothing but a state that
// expires; a sign-in started by another site cannot finish as anyone but
// whoever signs in at the provider in this browser.
func (h *Handler) ssoStart(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
	}
	st, err := h.svc.SSO.Begin(r.Context(), t, id, ssoCallbackURL(r, t), r.URL.Query().Get("next"))
	if err != nil {
		if strongroom.ErrorCode(err) == strongroom.ENOTFOUND {
			return err
		}
		return h.loginWithError(w, r, t, err)
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie(t.Tenant.Slug), Value: st.Browser, Path: "/", MaxAge: int(sso.StateLifetime.Seconds()),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, st.URL, http.StatusSeeOther)
	return nil
}

// ssoCallback finishes the sign-in the provider answered.
func (h *Handler) ssoCallback(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	q := r.URL.Query()
	browser := ""
	if c, err := r.Cookie(ssoCookie(t.Tenant.Slug)); err == nil {
		browser = c.Value
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie(t.Tenant.Slug), Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	res, err := h.svc.SSO.Finish(r.Context(), t, sso.Callback{State: q.Get("state"), Code: q.Get("code"), Iss: q.Get("iss"),
		Error: q.Get("error"), Browser: browser, RedirectURL: ssoCallbackURL(r, t), IP: clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		return h.loginWithError(w, r, t, err)
	}
	setSession(w, t.Tenant.Slug, res.Login.Token)
	if res.Login.SecondFactor {
		to := tenantPath(t, "login/code")
		if res.Next != "" {
			to += "?next=" + url.QueryEscape(res.Next)
		}
		return redirect(w, r, to)
	}
	return redirect(w, r, safeNext(t, res.Next))
}

// loginWithError shows the sign-in page with a refusal of single sign-on.
func (h *Handler) loginWithError(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, err error) error {
	v := newView(r, t, nil)
	v.Page = h.loginChoices(r, t, "", false)
	return h.renderForm(w, "login", v, err)
}

// ssoLoginView is what the sign-in page shows of single sign-on.
type ssoLoginView struct {
	Buttons []ssoButton
	// SSOOnly: the password form is for the break-glass administrator.
	SSOOnly bool
	// EndSession are the providers' sign-out pages, after signing out.
	EndSession []ssoButton
}

type ssoButton struct {
	ID    int64
	Label string
	URL   string
}

// ssoLogin returns the sign-in page's single sign-on part (its buttons
// carry next, checked when used); signedOut adds
// the providers' end-session links. A fault leaves it out: the password
// form still works.
func (h *Handler) ssoLogin(ctx context.Context, t *tenancy.Handle, next string, signedOut bool) *ssoLoginView {
	if h.svc.SSO == nil {
		return nil
	}
	opts, err := h.svc.SSO.SignInOptions(ctx, t)
	if err != nil {
		h.log.Warn("read single sign-on providers", "tenant", t.Tenant.Slug, "err", err)
		return nil
	}
	v := &ssoLoginView{SSOOnly: opts.SSOOnly}
	for _, p := range opts.Providers {
		start := tenantPath(t, "sso/"+strconv.FormatInt(p.ID, 10)+"/start")
		if next != "" {
			start += "?next=" + url.QueryEscape(next)
		}
		v.Buttons = append(v.Buttons, ssoButton{ID: p.ID, Label: "Sign in with " + p.Name, URL: start})
		if signedOut {
			if u := h.svc.SSO.EndSessionURL(ctx, p); u != "" {
				v.EndSession = append(v.EndSession, ssoButton{ID: p.ID, Label: "Sign out of " + p.Name + " too", URL: u})
			}
		}
	}
	return v
}

// The confirmations of the Single sign-on page (notices, pages_forms.go).
func init() {
	notices["sso-provider-saved"] = "The identity provider has been saved."
	notices["sso-provider-deleted"] = "The identity provider has been deleted."
	notices["sso-policy-saved"] = "The single sign-on policy has been saved."
	notices["sso-linked"] = "The identity has been linked to the user."
	notices["sso-unlinked"] = "The identity has been unlinked."
}
