package web

import (
	"net/http"
	"net/url"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/tenancy"
)

// loginPage is the sign-in form. next is where to go afterwards; it is
// checked with safeNext when used, never trusted.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	v := newView(r, t, nil)
	v.Form.Values.Set("next", r.URL.Query().Get("next"))
	return h.render(w, http.StatusOK, "login", v)
}

// loginSubmit checks a user name and password. A failure shows the form
// again with the user name kept, never the password.
func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := newView(r, t, nil)
	v.Form.Values = formValues(r, "username", "next")
	next := r.PostForm.Get("next")
	res, err := h.identity.Login(r.Context(), t, r.PostForm.Get("username"), r.PostForm.Get("password"), clientIP(r), r.UserAgent())
	if err != nil {
		return h.renderForm(w, "login", v, err, "username", "password")
	}
	setSession(w, t.Tenant.Slug, res.Token)
	if res.SecondFactor {
		to := tenantPath(t, "login/code")
		if next != "" {
			to += "?next=" + url.QueryEscape(next)
		}
		return redirect(w, r, to)
	}
	return redirect(w, r, safeNext(t, next))
}

// codePage asks for the second factor after a right password.
func (h *Handler) codePage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	if _, err := r.Cookie(sessionCookie(t.Tenant.Slug)); err != nil {
		return redirect(w, r, tenantPath(t, "login"))
	}
	v := newView(r, t, nil)
	v.Form.Values.Set("next", r.URL.Query().Get("next"))
	return h.render(w, http.StatusOK, "login_code", v)
}

// codeSubmit finishes signing in with an authenticator or recovery code.
func (h *Handler) codeSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := newView(r, t, nil)
	v.Form.Values = formValues(r, "next")
	c, err := r.Cookie(sessionCookie(t.Tenant.Slug))
	if err != nil {
		return h.renderForm(w, "login_code", v, strongroom.Errorf(strongroom.EUNAUTHORIZED, "Sign in with your password first."), "code")
	}
	token, err := h.identity.SecondFactor(r.Context(), t, c.Value, r.PostForm.Get("code"), clientIP(r), r.UserAgent())
	if err != nil {
		if strongroom.ErrorCode(err) == strongroom.EUNAUTHORIZED {
			clearSession(w, t.Tenant.Slug)
		}
		return h.renderForm(w, "login_code", v, err, "code")
	}
	setSession(w, t.Tenant.Slug, token)
	return redirect(w, r, safeNext(t, r.PostForm.Get("next")))
}

// logoutSubmit ends the caller's session.
func (h *Handler) logoutSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := h.identity.Logout(r.Context(), t, p, sessionToken(r.Context())); err != nil {
		return err
	}
	clearSession(w, t.Tenant.Slug)
	return redirectDone(w, r, t, "login", "signed-out")
}

// accessRow is one line of the home page's summary of the user's access.
type accessRow struct {
	Area  string
	Level string
}

// home welcomes a signed-in user with links to what their access allows.
// It is meant for GET /t/{slug}/ through h.authed(h.home, false).
func (h *Handler) home(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var rows []accessRow
	for _, a := range access.Areas() {
		rows = append(rows, accessRow{Area: a.Label(), Level: p.Subject.Level(a).String()})
	}
	v := newView(r, t, p)
	v.Page = rows
	return h.render(w, http.StatusOK, "home", v)
}
