package web

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"

	"strongroom"
	"strongroom/identity"
	"strongroom/tenancy"
)

// Passkeys: the account page lists and adds them, the second-factor page
// and the sign-in page use them. The WebAuthn ceremonies run in the browser
// (static/passkeys.js) against small JSON endpoints under
// /t/{slug}/passkeys/…: each begin answers the options for the browser's
// WebAuthn call, each finish takes the authenticator's answer. They are
// POSTs, so the cross-origin protection that guards forms guards them too.

// passkeyRoutes registers the passkey pages and ceremony endpoints.
func (h *Handler) passkeyRoutes() {
	page := func(pattern string, fn handlerFunc) { h.mux.Handle(pattern, h.page(fn)) }
	ceremony := func(pattern string, fn handlerFunc) { h.mux.Handle(pattern, h.passkeyJSON(fn)) }
	pre := "/t/{slug}/"
	page("GET "+pre+"passkeys", h.pageAuthed(h.passkeysPage, true))
	page("GET "+pre+"passkeys/{id}/rename", h.pageAuthed(h.passkeyRenamePage, false))
	page("POST "+pre+"passkeys/{id}/rename", h.pageAuthed(h.passkeyRenameSubmit, false))
	page("GET "+pre+"passkeys/{id}/remove", h.pageAuthed(h.passkeyRemovePage, false))
	page("POST "+pre+"passkeys/{id}/remove", h.pageAuthed(h.passkeyRemoveSubmit, false))
	page("GET "+pre+"admin/users/{id}/passkeys", h.pageAuthed(h.adminPasskeysPage, false))
	page("GET "+pre+"admin/users/{id}/passkeys/{rid}/remove", h.pageAuthed(h.adminPasskeyRemovePage, false))
	page("POST "+pre+"admin/users/{id}/passkeys/{rid}/remove", h.pageAuthed(h.adminPasskeyRemoveSubmit, false))
	page("POST "+pre+"admin/settings/passkeys", h.pageAuthed(h.passkeySettingSubmit, false))

	ceremony("POST "+pre+"passkeys/register/begin", h.pageAuthed(h.passkeyRegisterBegin, true))
	ceremony("POST "+pre+"passkeys/register/finish", h.pageAuthed(h.passkeyRegisterFinish, true))
	ceremony("POST "+pre+"passkeys/second-factor/begin", h.withTenant(h.passkeyFactorBegin))
	ceremony("POST "+pre+"passkeys/second-factor/finish", h.withTenant(h.passkeyFactorFinish))
	ceremony("POST "+pre+"passkeys/sign-in/begin", h.withTenant(h.passkeySignInBegin))
	ceremony("POST "+pre+"passkeys/sign-in/finish", h.withTenant(h.passkeySignInFinish))
	h.passkeyAPIRoutes()
}

// relyingParty is the site the browser reached: passkeys are made for, and
// checked against, the host name and the exact https origin of the request
// (SLUG.HostSuffix for a tenant with a host of its own).
func relyingParty(r *http.Request) identity.RelyingParty {
	host := strings.ToLower(r.Host)
	name := host
	if n, _, err := net.SplitHostPort(host); err == nil {
		name = n
	}
	return identity.RelyingParty{ID: name, Origin: "https://" + host}
}

// passkeyJSON runs a ceremony endpoint: its errors are answered as JSON
// with their safe message, as the API answers them.
func (h *Handler) passkeyJSON(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		err := fn(w, r)
		if err == nil {
			return
		}
		code, status, err := h.answerError(w, r, err)
		_ = writeJSON(w, status, map[string]any{"error": errorBodyOf(code, strongroom.ErrorMessage(err), err)})
	})
}

// maxCeremonyBody bounds a ceremony's JSON: an authenticator's answer is a
// few kilobytes.
const maxCeremonyBody = 64 << 10

// ceremonyBody reads a finish step's body: the authenticator's answer.
func ceremonyBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCeremonyBody))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return nil, strongroom.FieldError("passkey", "The answer from your passkey is too large.")
	} else if err != nil {
		return nil, strongroom.FieldError("passkey", "The answer from your passkey could not be read. Try again.")
	}
	if !json.Valid(body) {
		return nil, strongroom.FieldError("passkey", "The answer from your passkey could not be read. Try again.")
	}
	return body, nil
}

// done is a finished ceremony's answer: where the browser goes next.
func done(w http.ResponseWriter, to string) error {
	return writeJSON(w, http.StatusOK, map[string]string{"redirect": to})
}

// passkeyRegisterBegin checks the name and the re-confirmation and answers
// the options for navigator.credentials.create.
func (h *Handler) passkeyRegisterBegin(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var in struct {
		Name            string `json:"name"`
		CurrentPassword string `json:"current_password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	opts, err := h.identity.BeginPasskeyRegistration(r.Context(), t, p, relyingParty(r), sessionToken(r.Context()),
		identity.PasskeyEnrolment{Name: in.Name, CurrentPassword: in.CurrentPassword})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, opts)
}

func (h *Handler) passkeyRegisterFinish(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	body, err := ceremonyBody(w, r)
	if err != nil {
		return err
	}
	if _, err := h.identity.FinishPasskeyRegistration(r.Context(), t, p, relyingParty(r), sessionToken(r.Context()), body); err != nil {
		return err
	}
	to := tenantPath(t, "passkeys") + "?done=passkey-added"
	if p.MustEnrolTOTP {
		to = tenantPath(t, "") // the passkey is the second factor the policy asked for
	}
	return done(w, to)
}

// halfSession is the cookie of a session waiting for its second factor.
func halfSession(r *http.Request, t *tenancy.Handle) (string, error) {
	c, err := r.Cookie(sessionCookie(t.Tenant.Slug))
	if err != nil || c.Value == "" {
		return "", strongroom.Errorf(strongroom.EUNAUTHORIZED, "Sign in with your password first.")
	}
	return c.Value, nil
}

func (h *Handler) passkeyFactorBegin(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	token, err := halfSession(r, t)
	if err != nil {
		return err
	}
	opts, err := h.identity.BeginPasskeySecondFactor(r.Context(), t, relyingParty(r), token)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, opts)
}

func (h *Handler) passkeyFactorFinish(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	token, err := halfSession(r, t)
	if err != nil {
		return err
	}
	body, err := ceremonyBody(w, r)
	if err != nil {
		return err
	}
	res, err := h.identity.FinishPasskeySecondFactor(r.Context(), t, relyingParty(r), token, body, clientIP(r), r.UserAgent(), deviceOf(r, t))
	if err != nil {
		if strongroom.ErrorCode(err) == strongroom.EUNAUTHORIZED {
			clearSession(w, t.Tenant.Slug)
		}
		retryLater(w, err)
		return err
	}
	setSession(w, t.Tenant.Slug, res.Token)
	setDevice(w, t.Tenant.Slug, res)
	return done(w, safeNext(t, r.URL.Query().Get("next")))
}

// signInCookie names the cookie that binds a passkey sign-in to the
// browser that began it; no slug makes it a session or device cookie.
func signInCookie(slug string) string { return "__Host-srpasskey-" + slug }

func (h *Handler) passkeySignInBegin(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	opts, binding, err := h.identity.BeginPasskeySignIn(r.Context(), t, relyingParty(r))
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: signInCookie(t.Tenant.Slug), Value: binding, Path: "/", MaxAge: 300,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return writeJSON(w, http.StatusOK, opts)
}

func (h *Handler) passkeySignInFinish(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	c, err := r.Cookie(signInCookie(t.Tenant.Slug))
	if err != nil || c.Value == "" {
		return strongroom.Errorf(strongroom.ECONFLICT, "That passkey request has expired or was already used. Try again.")
	}
	http.SetCookie(w, &http.Cookie{Name: signInCookie(t.Tenant.Slug), Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	body, err := ceremonyBody(w, r)
	if err != nil {
		return err
	}
	a := identity.Attempt{IP: clientIP(r), UserAgent: r.UserAgent(), Device: deviceOf(r, t)}
	res, err := h.identity.FinishPasskeySignIn(r.Context(), t, relyingParty(r), c.Value, body, a)
	if err != nil {
		retryLater(w, err)
		return err
	}
	setSession(w, t.Tenant.Slug, res.Token)
	setDevice(w, t.Tenant.Slug, res)
	return done(w, safeNext(t, r.URL.Query().Get("next")))
}
