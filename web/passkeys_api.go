package web

import (
	"net/http"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/tenancy"
)

// passkeyAPIRoutes are the JSON API's passkey routes: what the account
// page and an administrator's page of a user do, but adding a passkey,
// which only a browser's WebAuthn call can (the ceremony endpoints).
func (h *Handler) passkeyAPIRoutes() {
	api := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.authed(fn, false))) }
	pre := "/api/v1/t/{slug}/"
	api("GET "+pre+"me/passkeys", h.apiMyPasskeys)
	api("PUT "+pre+"me/passkeys/{id}", h.apiRenamePasskey)
	api("DELETE "+pre+"me/passkeys/{id}", h.apiRemoveMyPasskey)
	api("GET "+pre+"users/{id}/passkeys", h.apiUserPasskeys)
	api("DELETE "+pre+"users/{id}/passkeys/{rid}", h.apiRemoveUserPasskey)
	api("GET "+pre+"settings/passkeys", h.apiPasskeySetting)
	api("PUT "+pre+"settings/passkeys", h.apiSetPasskeySetting)
}

func passkeyJSON(k identity.Passkey) map[string]any {
	out := map[string]any{"id": k.ID, "name": k.Name, "created_at": k.CreatedAt.Format(time.RFC3339)}
	if !k.LastUsedAt.IsZero() {
		out["last_used_at"] = k.LastUsedAt.Format(time.RFC3339)
	}
	return out
}

func (h *Handler) writePasskeys(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, userID int64) error {
	ks, err := h.identity.ListPasskeys(r.Context(), t, p, userID)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, k := range ks {
		out = append(out, passkeyJSON(k))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"passkeys": out})
}

func (h *Handler) apiMyPasskeys(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.writePasskeys(w, r, t, p, p.User.ID)
}

func (h *Handler) apiUserPasskeys(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := h.identity.GetUser(r.Context(), t, p, id); err != nil {
		return err
	}
	return h.writePasskeys(w, r, t, p, id)
}

func (h *Handler) apiRenamePasskey(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := h.identity.RenamePasskey(r.Context(), t, p, id, in.Name); err != nil {
		return err
	}
	k, err := h.identity.Passkey(r.Context(), t, p, p.User.ID, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"passkey": passkeyJSON(*k)})
}

func (h *Handler) apiRemoveMyPasskey(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.identity.RemovePasskey(r.Context(), t, p, p.User.ID, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]bool{"removed": true})
}

func (h *Handler) apiRemoveUserPasskey(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
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
	return writeJSON(w, http.StatusOK, map[string]bool{"removed": true})
}

func (h *Handler) apiPasskeySetting(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	on, err := h.identity.PasskeySignIn(r.Context(), t)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]bool{"passkey_sign_in": on})
}

func (h *Handler) apiSetPasskeySetting(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var in struct {
		PasskeySignIn *bool `json:"passkey_sign_in"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.PasskeySignIn == nil {
		return strongroom.FieldError("passkey_sign_in", "Say true or false.")
	}
	if err := h.identity.SetPasskeySignIn(r.Context(), t, p, *in.PasskeySignIn); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]bool{"passkey_sign_in": *in.PasskeySignIn})
}
