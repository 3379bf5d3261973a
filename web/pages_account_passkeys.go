package web

import (
	"net/http"
	"strconv"

	"strongroom"
	"strongroom/identity"
	"strongroom/tenancy"
)

func init() {
	for k, v := range map[string]string{
		"passkey-added":    "The passkey has been added. Use it the next time you sign in.",
		"passkey-renamed":  "The passkey has been renamed.",
		"passkey-removed":  "The passkey has been removed; it no longer signs in.",
		"passkeys-saved":   "The passkey setting has been saved.",
		"passkeys-removed": "The user's passkey has been removed; it no longer signs them in.",
	} {
		notices[k] = v
	}
}

// passkeysView is a user's passkeys, for their account page or an
// administrator's page of that user.
type passkeysView struct {
	User *identity.User
	Keys []identity.Passkey
	// SignIn says the tenant lets a passkey sign in alone.
	SignIn bool
}

// passkeysPage lists the caller's passkeys and offers to add one (the
// ceremony runs in static/passkeys.js).
func (h *Handler) passkeysPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if p.User.PasswordTemporary {
		return redirect(w, r, tenantPath(t, "password"))
	}
	ks, err := h.identity.ListPasskeys(r.Context(), t, p, p.User.ID)
	if err != nil {
		return err
	}
	on, err := h.identity.PasskeySignIn(r.Context(), t)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Page = passkeysView{User: p.User, Keys: ks, SignIn: on}
	return h.render(w, http.StatusOK, "account_passkeys", v)
}

// ownPasskey returns the caller's passkey the path names.
func (h *Handler) ownPasskey(r *http.Request, t *tenancy.Handle, p *identity.Principal) (*identity.Passkey, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.identity.Passkey(r.Context(), t, p, p.User.ID, id)
}

func (h *Handler) passkeyRenamePage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	k, err := h.ownPasskey(r, t, p)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Page = k
	v.Form.Values.Set("name", k.Name)
	return h.render(w, http.StatusOK, "passkey_rename", v)
}

func (h *Handler) passkeyRenameSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	k, err := h.ownPasskey(r, t, p)
	if err != nil {
		return err
	}
	if err := h.identity.RenamePasskey(r.Context(), t, p, k.ID, r.PostForm.Get("name")); err != nil {
		v := newView(r, t, p)
		v.Page = k
		v.Form.Values = formValues(r, "name")
		return h.renderForm(w, "passkey_rename", v, err, "name")
	}
	return redirectDone(w, r, t, "passkeys", "passkey-renamed")
}

// passkeyRemovePage asks before removing one of the caller's passkeys.
func (h *Handler) passkeyRemovePage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	k, err := h.ownPasskey(r, t, p)
	if err != nil {
		return err
	}
	consequence := []string{"The passkey stops working for your account at once: no device that holds it can sign you in.",
		"You can add a passkey again at any time."}
	v := newView(r, t, p)
	v.Page = confirmView{Title: "Remove passkey " + k.Name + "?", Consequence: consequence,
		Action: tenantPath(t, "passkeys/"+strconv.FormatInt(k.ID, 10)+"/remove"), Button: "Remove passkey", Cancel: tenantPath(t, "passkeys")}
	return h.render(w, http.StatusOK, "confirm", v)
}

func (h *Handler) passkeyRemoveSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.identity.RemovePasskey(r.Context(), t, p, p.User.ID, id); err != nil {
		return err
	}
	return redirectDone(w, r, t, "passkeys", "passkey-removed")
}

// adminPasskeys lists a user's passkeys for an administrator, each with
// its Remove (a lost or stolen device).
func (h *Handler) adminPasskeysPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := h.identity.GetUser(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	ks, err := h.identity.ListPasskeys(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Page = passkeysView{User: u, Keys: ks}
	return h.render(w, http.StatusOK, "admin_user_passkeys", v)
}

// userPasskey returns the user and the passkey of theirs the path names.
func (h *Handler) userPasskey(r *http.Request, t *tenancy.Handle, p *identity.Principal) (*identity.User, *identity.Passkey, error) {
	id, key, err := pathIDs(r, "id", "rid")
	if err != nil {
		return nil, nil, err
	}
	if err := p.RequireAdmin(); err != nil {
		return nil, nil, err
	}
	u, err := h.identity.GetUser(r.Context(), t, p, id)
	if err != nil {
		return nil, nil, err
	}
	k, err := h.identity.Passkey(r.Context(), t, p, id, key)
	return u, k, err
}

func (h *Handler) adminPasskeyRemovePage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	u, k, err := h.userPasskey(r, t, p)
	if err != nil {
		return err
	}
	back := "admin/users/" + strconv.FormatInt(u.ID, 10) + "/passkeys"
	v := newView(r, t, p)
	v.Page = confirmView{Title: "Remove " + u.Username + "'s passkey " + k.Name + "?",
		Consequence: []string{"The passkey stops signing " + u.Username + " in at once, from any device that holds it. Their password and other passkeys stay as they are.",
			"They can add a passkey again from their account page."},
		Action: tenantPath(t, back+"/"+strconv.FormatInt(k.ID, 10)+"/remove"), Button: "Remove passkey", Cancel: tenantPath(t, back)}
	return h.render(w, http.StatusOK, "confirm", v)
}

func (h *Handler) adminPasskeyRemoveSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, key, err := pathIDs(r, "id", "rid")
	if err != nil {
		return err
	}
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	if err := h.identity.RemovePasskey(r.Context(), t, p, id, key); err != nil {
		return err
	}
	return redirectDone(w, r, t, "admin/users/"+strconv.FormatInt(id, 10)+"/passkeys", "passkeys-removed")
}

// passkeySettingSubmit saves whether a passkey may sign in alone.
func (h *Handler) passkeySettingSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	var on bool
	switch r.PostForm.Get("passkey_sign_in") {
	case "on":
		on = true
	case "", "off":
	default:
		return strongroom.FieldError("passkey_sign_in", "Passkey sign-in must be on or off.")
	}
	if err := h.identity.SetPasskeySignIn(r.Context(), t, p, on); err != nil {
		return err
	}
	return redirectDone(w, r, t, "admin/settings", "passkeys-saved")
}

// secondFactorView says which second factors the sign-in's second step offers.
type secondFactorView struct {
	Code, Passkey bool
}

// secondFactorOf reads the methods of the session waiting for its second
// factor; with none readable the page offers the code, as it always did.
func (h *Handler) secondFactorOf(r *http.Request, t *tenancy.Handle) secondFactorView {
	c, err := r.Cookie(sessionCookie(t.Tenant.Slug))
	if err != nil {
		return secondFactorView{Code: true}
	}
	code, passkey, err := h.identity.SecondFactorMethods(r.Context(), t, c.Value)
	if err != nil || !code && !passkey {
		return secondFactorView{Code: true}
	}
	return secondFactorView{Code: code, Passkey: passkey}
}

// loginOptions is what the sign-in page offers besides the password.
type loginOptions struct {
	PasskeySignIn bool
}

func (h *Handler) loginOptionsOf(r *http.Request, t *tenancy.Handle) loginOptions {
	on, err := h.identity.PasskeySignIn(r.Context(), t)
	return loginOptions{PasskeySignIn: err == nil && on}
}
