package web

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/identity/totp"
	"strongroom/tenancy"
)

func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.render(w, http.StatusOK, "password", newView(r, t, p))
}

// passwordSubmit changes the caller's own password. The session is
// replaced by a new one; a user who must still set up two-factor goes there.
func (h *Handler) passwordSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := newView(r, t, p)
	fields := []string{"current_password", "new_password", "confirm"}
	next := r.PostForm.Get("new_password")
	if next != r.PostForm.Get("confirm") {
		var ps strongroom.Problems
		ps.Add(h.identity.CheckNewPassword(r.Context(), t, p, next))
		ps.Addf("confirm", "The two new passwords are not the same; type them again.")
		return h.renderForm(w, "password", v, ps.Err(), fields...)
	}
	token, err := h.identity.ChangePassword(r.Context(), t, p, r.PostForm.Get("current_password"), next, r.UserAgent())
	if err != nil {
		return h.renderForm(w, "password", v, err, fields...)
	}
	setSession(w, t.Tenant.Slug, token)
	if p.MustEnrolTOTP {
		return redirect(w, r, tenantPath(t, "totp"))
	}
	return redirectDone(w, r, t, "", "password")
}

// totpSetup is what the two-factor page shows while setting up.
type totpSetup struct {
	QR     template.URL // a data: URL of the QR code PNG
	Secret string
}

// totpPage starts two-factor set-up (a new secret each time), or says it is on.
func (h *Handler) totpPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if p.User.PasswordTemporary {
		return redirect(w, r, tenantPath(t, "password"))
	}
	v := newView(r, t, p)
	if !p.User.TOTPEnabled {
		e, err := h.identity.BeginTOTP(r.Context(), t, p)
		if err != nil {
			return err
		}
		v.Page = totpSetupOf(e)
	}
	return h.render(w, http.StatusOK, "totp", v)
}

func totpSetupOf(e *totp.Enrolment) totpSetup {
	// Only base64 characters follow the fixed prefix, so the URL is safe.
	return totpSetup{QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRPNG)), Secret: e.Secret}
}

// totpSubmit confirms set-up with a first code and shows the recovery codes,
// once: they are not stored in a form that could show them again.
func (h *Handler) totpSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if p.User.PasswordTemporary {
		return redirect(w, r, tenantPath(t, "password"))
	}
	codes, token, err := h.identity.ConfirmTOTP(r.Context(), t, p, r.PostForm.Get("code"), r.UserAgent())
	if err != nil {
		// The secret stays as it was, and so does its QR code: a new one
		// would undo what the user just added to their app.
		v := newView(r, t, p)
		if strongroom.ErrorCode(err) == strongroom.EINVALID {
			e, perr := h.identity.PendingTOTP(r.Context(), t, p)
			if perr != nil {
				return perr
			}
			v.Page = totpSetupOf(e)
		}
		return h.renderForm(w, "totp", v, err, "code")
	}
	setSession(w, t.Tenant.Slug, token)
	v := newView(r, t, p)
	v.Page = codes
	return h.render(w, http.StatusOK, "totp_done", v)
}

// sessionsView is a user's sessions with where ending one returns to.
type sessionsView struct {
	Sessions []identity.Session
	Return   string
}

func (h *Handler) sessionsPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	ss, err := h.identity.ListSessions(r.Context(), t, p, p.User.ID)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Page = sessionsView{Sessions: ss, Return: "sessions"}
	return h.render(w, http.StatusOK, "sessions", v)
}

// endSessionSubmit ends one session: one's own (from the sessions page) or,
// for an administrator, another user's (from that user's page). Ending the
// current session signs out.
func (h *Handler) endSessionSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := h.identity.EndSession(r.Context(), t, p, id); err != nil {
		return err
	}
	h.liveSessionEnded(t, id)
	if id == p.SessionID {
		clearSession(w, t.Tenant.Slug)
		return redirectDone(w, r, t, "login", "signed-out")
	}
	return redirectDone(w, r, t, sessionsReturn(r.PostForm.Get("return")), "session-ended")
}

// sessionsReturn is the page to go back to after ending a session: the
// caller's sessions, or the administration page of one user.
func sessionsReturn(s string) string {
	if id, ok := strings.CutPrefix(s, "admin/users/"); ok {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 {
			return "admin/users/" + strconv.FormatInt(n, 10)
		}
	}
	return "sessions"
}

func (h *Handler) tokensPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	v := newView(r, t, p)
	v.Form.Values.Set("expires_in_days", "90")
	v.Form.Values.Set("scope", string(identity.ScopeFull))
	return h.renderTokens(w, r, t, p, v, nil)
}

// renderTokens shows the caller's tokens and the form to make one.
func (h *Handler) renderTokens(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, formErr error) error {
	ts, err := h.identity.ListTokens(r.Context(), t, p)
	if err != nil {
		return err
	}
	v.Page = ts
	return h.renderForm(w, "tokens", v, formErr, "name", "expires_in_days", "scope")
}

// createdToken is a new token with its secret, shown once.
type createdToken struct {
	Token  *identity.APIToken
	Secret string
}

func (h *Handler) tokenSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Form.Values = formValues(r, "name", "expires_in_days", "scope")
	var ps strongroom.Problems
	days, err := formInt(r, "expires_in_days")
	ps.Add(err)
	if err == nil && (days < 1 || days > 366) {
		ps.Addf("expires_in_days", "A token must expire in 1 to 366 days.")
	}
	scope, err := identity.ParseTokenScope(r.PostForm.Get("scope"))
	ps.Add(err)
	if !ps.OK() {
		ps.Add(identity.CheckTokenName(r.PostForm.Get("name")))
		return h.renderTokens(w, r, t, p, v, ps.Err())
	}
	tk, secret, err := h.identity.CreateScopedToken(r.Context(), t, p, r.PostForm.Get("name"), time.Duration(days)*24*time.Hour, scope)
	if err != nil {
		// The service counts a lifetime; the form has days.
		return h.renderTokens(w, r, t, p, v, renameFields(err, map[string]string{"expires_in": "expires_in_days"}))
	}
	v.Page = createdToken{Token: tk, Secret: secret}
	return h.render(w, http.StatusCreated, "token_created", v)
}

func (h *Handler) revokeTokenSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.identity.RevokeToken(r.Context(), t, p, id); err != nil {
		return err
	}
	return redirectDone(w, r, t, "tokens", "token-revoked")
}
