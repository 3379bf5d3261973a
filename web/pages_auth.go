package web

import (
	"net/http"
	"net/url"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/tenancy"
)

// loginPage is the sign-in form. next is where to go afterwards; it is
// checked with safeNext when used, never trusted.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	v := newView(r, t, nil)
	v.Form.Values.Set("next", r.URL.Query().Get("next"))
	v.Page = h.loginChoices(r, t, r.URL.Query().Get("next"), r.URL.Query().Get("done") == "signed-out")
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
	v.Page = h.loginChoices(r, t, r.PostForm.Get("next"), false)
	next := r.PostForm.Get("next")
	res, err := h.signIn(w, r, t, r.PostForm.Get("username"), r.PostForm.Get("password"))
	if err != nil {
		return h.renderForm(w, "login", v, err, "username", "password")
	}
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
	v.Page = h.secondFactorOf(r, t) // the code, a passkey or both
	return h.render(w, http.StatusOK, "login_code", v)
}

// codeSubmit finishes signing in with an authenticator or recovery code.
func (h *Handler) codeSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := newView(r, t, nil)
	v.Form.Values = formValues(r, "next")
	v.Page = h.secondFactorOf(r, t)
	c, err := r.Cookie(sessionCookie(t.Tenant.Slug))
	if err != nil {
		return h.renderForm(w, "login_code", v, strongroom.Errorf(strongroom.EUNAUTHORIZED, "Sign in with your password first."), "code")
	}
	if err := h.finishSignIn(w, r, t, c.Value, r.PostForm.Get("code")); err != nil {
		return h.renderForm(w, "login_code", v, err, "code")
	}
	return redirect(w, r, safeNext(t, r.PostForm.Get("next")))
}

// signIn checks a user name and password for the sign-in page and the API
// alike: the browser's device cookie goes with the attempt, a full sign-in
// sets the session and a new device cookie, and a refusal for too many
// failures says when to come back.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, username, pw string) (*identity.LoginResult, error) {
	a := identity.Attempt{Username: username, Password: pw, IP: clientIP(r), UserAgent: r.UserAgent(), Device: deviceOf(r, t)}
	res, err := h.identity.SignIn(r.Context(), t, a)
	if err != nil {
		retryLater(w, err)
		return nil, err
	}
	setSession(w, t.Tenant.Slug, res.Token)
	setDevice(w, t.Tenant.Slug, res)
	return res, nil
}

// finishSignIn checks the second factor of the session token.
func (h *Handler) finishSignIn(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, token, code string) error {
	res, err := h.identity.SecondFactor(r.Context(), t, token, code, clientIP(r), r.UserAgent(), deviceOf(r, t))
	if err != nil {
		if strongroom.ErrorCode(err) == strongroom.EUNAUTHORIZED {
			clearSession(w, t.Tenant.Slug)
		}
		retryLater(w, err)
		return err
	}
	setSession(w, t.Tenant.Slug, res.Token)
	setDevice(w, t.Tenant.Slug, res)
	return nil
}

// retryLater tells a client refused for too many failed sign-ins when to
// try again: a minute is when the tenant's budget has refilled well, and
// when an address has regained a few attempts.
func retryLater(w http.ResponseWriter, err error) {
	if strongroom.ErrorCode(err) == strongroom.ETOOMANY {
		w.Header().Set("Retry-After", "60")
	}
}

// deviceCookie names a tenant's device cookie, which marks a browser that
// has signed in before (package identity, device.go). No slug can make it
// the name of a session cookie.
func deviceCookie(slug string) string { return "__Host-srdevice-" + slug }

// deviceOf returns the device cookie the browser sent, if any.
func deviceOf(r *http.Request, t *tenancy.Handle) string {
	if c, err := r.Cookie(deviceCookie(t.Tenant.Slug)); err == nil {
		return c.Value
	}
	return ""
}

// setDevice gives the browser the device cookie of a full sign-in. It is
// Strict: only the tenant's own sign-in form needs it.
func setDevice(w http.ResponseWriter, slug string, res *identity.LoginResult) {
	if res.Device == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: deviceCookie(slug), Value: res.Device, Path: "/",
		Expires: res.DeviceExpires, MaxAge: int(identity.DeviceLifetime / time.Second),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// logoutSubmit ends the caller's session.
func (h *Handler) logoutSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := h.identity.Logout(r.Context(), t, p, sessionToken(r.Context())); err != nil {
		return err
	}
	h.liveSessionEnded(t, p.SessionID)
	clearSession(w, t.Tenant.Slug)
	return redirectDone(w, r, t, "login", "signed-out")
}

// loginView is what the sign-in page offers besides the password form:
// the single sign-on buttons (sso.go) and passkey sign-in where the tenant
// allows it (pages_account_passkeys.go).
type loginView struct {
	ssoLoginView
	PasskeySignIn bool
}

// loginChoices reads both for the sign-in page; signedOut adds the
// providers' sign-out links.
func (h *Handler) loginChoices(r *http.Request, t *tenancy.Handle, next string, signedOut bool) loginView {
	v := loginView{PasskeySignIn: h.loginOptionsOf(r, t).PasskeySignIn}
	if s := h.ssoLogin(r.Context(), t, next, signedOut); s != nil {
		v.ssoLoginView = *s
	}
	return v
}
