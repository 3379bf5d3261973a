package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/tenancy"
)

// maxJSONBody bounds a JSON request body.
const maxJSONBody = 1 << 20

// decodeJSON reads a JSON body strictly: unknown fields, trailing data and
// wrong types are errors that name the field.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("trailing data")
	}
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &typeErr):
		return strongroom.FieldError(typeErr.Field, "Expected a %s here.", typeErr.Type.String())
	case errors.As(err, &maxErr):
		return strongroom.FieldError("body", "The request body is larger than %d bytes.", maxJSONBody)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return strongroom.FieldError(field, "Unknown field.")
	}
	return strongroom.FieldError("body", "The request body is not valid JSON.")
}

// pathID reads a numeric id from the URL; a malformed one is "not found".
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, strongroom.Errorf(strongroom.ENOTFOUND, "Not found.")
	}
	return id, nil
}

// pathIDs reads two ids of the path, such as a dashboard's and one of its
// widgets'.
func pathIDs(r *http.Request, a, b string) (int64, int64, error) {
	x, err := pathID(r, a)
	if err != nil {
		return 0, 0, err
	}
	y, err := pathID(r, b)
	return x, y, err
}

func (h *Handler) apiRoutes() {
	api := func(pattern string, fn handlerFunc) { h.mux.Handle(pattern, h.page(fn)) }
	pre := "/api/v1/t/{slug}/"
	api("POST "+pre+"login", h.withTenant(h.apiLogin))
	api("POST "+pre+"login/code", h.withTenant(h.apiLoginCode))
	api("POST "+pre+"logout", h.authed(h.apiLogout, true))
	api("GET "+pre+"me", h.authed(h.apiMe, true))
	api("POST "+pre+"me/password", h.authed(h.apiChangePassword, true))
	api("POST "+pre+"me/totp", h.authed(h.apiBeginTOTP, true))
	api("POST "+pre+"me/totp/confirm", h.authed(h.apiConfirmTOTP, true))
	api("GET "+pre+"me/sessions", h.authed(h.apiMySessions, false))
	api("DELETE "+pre+"sessions/{id}", h.authed(h.apiEndSession, false))
	api("GET "+pre+"me/tokens", h.authed(h.apiTokens, false))
	api("POST "+pre+"me/tokens", h.authed(h.apiCreateToken, false))
	api("DELETE "+pre+"tokens/{id}", h.authed(h.apiRevokeToken, false))

	api("GET "+pre+"users", h.authed(h.apiUsers, false))
	api("POST "+pre+"users", h.authed(h.apiCreateUser, false))
	api("GET "+pre+"users/{id}", h.authed(h.apiUser, false))
	api("PUT "+pre+"users/{id}", h.authed(h.apiUpdateUser, false))
	api("DELETE "+pre+"users/{id}", h.authed(h.apiDeleteUser, false))
	api("POST "+pre+"users/{id}/{action}", h.authed(h.apiUserAction, false))
	api("GET "+pre+"users/{id}/sessions", h.authed(h.apiUserSessions, false))
	api("GET "+pre+"users/{id}/login-failures", h.authed(h.apiLoginFailures, false))

	api("GET "+pre+"roles", h.authed(h.apiRoles, false))
	api("POST "+pre+"roles", h.authed(h.apiSaveRole, false))
	api("GET "+pre+"roles/{id}", h.authed(h.apiRole, false))
	api("PUT "+pre+"roles/{id}", h.authed(h.apiSaveRole, false))
	api("DELETE "+pre+"roles/{id}", h.authed(h.apiDeleteRole, false))

	api("GET "+pre+"classes", h.authed(h.apiClasses, false))
	api("POST "+pre+"classes", h.authed(h.apiCreateClass, false))
	api("DELETE "+pre+"classes/{id}", h.authed(h.apiDeleteClass, false))

	api("GET "+pre+"settings", h.authed(h.apiSettings, false))
	api("PUT "+pre+"settings", h.authed(h.apiUpdateSettings, false))
}

func (h *Handler) apiLogin(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := h.signIn(w, r, t, in.Username, in.Password)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"second_factor": res.SecondFactor})
}

func (h *Handler) apiLoginCode(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := r.Cookie(sessionCookie(t.Tenant.Slug))
	if err != nil {
		return strongroom.Errorf(strongroom.EUNAUTHORIZED, "Sign in with your password first.")
	}
	if err := h.finishSignIn(w, r, t, c.Value, in.Code); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"signed_in": true})
}

func (h *Handler) apiLogout(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if p.TokenID != 0 {
		return strongroom.Errorf(strongroom.EINVALID, "An API token is not a session; revoke it instead.")
	}
	if err := h.identity.Logout(r.Context(), t, p, sessionToken(r.Context())); err != nil {
		return err
	}
	h.liveSessionEnded(t, p.SessionID)
	clearSession(w, t.Tenant.Slug)
	return writeJSON(w, http.StatusOK, map[string]any{"signed_out": true})
}

// userJSON is a user as the API shows it.
func userJSON(u *identity.User) map[string]any {
	m := map[string]any{
		"id": u.ID, "username": u.Username, "display_name": u.DisplayName, "email": u.Email,
		"status": u.Status, "restricted": u.Restricted, "password_temporary": u.PasswordTemporary,
		"locked": u.Locked(), "failed_logins": u.FailedLogins, "totp_enabled": u.TOTPEnabled,
		"roles": nonNil(u.RoleIDs), "classes": nonNil(u.ClassIDs), "version": u.Version,
		"created_at": u.CreatedAt.Format(time.RFC3339),
	}
	if u.Locked() {
		m["locked_at"] = u.LockedAt.Format(time.RFC3339)
	}
	return m
}

func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

func (h *Handler) apiMe(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	areas := map[string]string{}
	for _, a := range access.Areas() {
		areas[string(a)] = levelName(p.Subject.Level(a))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"user": userJSON(p.User), "access": areas,
		"must_change_password": p.User.PasswordTemporary, "must_enrol_totp": p.MustEnrolTOTP})
}

func levelName(l access.Level) string {
	switch l {
	case access.Edit:
		return "edit"
	case access.Read:
		return "read"
	}
	return "none"
}

func (h *Handler) apiChangePassword(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if p.TokenID != 0 {
		return strongroom.Errorf(strongroom.EFORBIDDEN, "Change your password in a signed-in session, not with an API token.")
	}
	token, err := h.identity.ChangePassword(r.Context(), t, p, in.Current, in.New, r.UserAgent())
	if err != nil {
		return err
	}
	setSession(w, t.Tenant.Slug, token)
	return writeJSON(w, http.StatusOK, map[string]any{"changed": true})
}

func (h *Handler) apiBeginTOTP(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if p.User.PasswordTemporary {
		return strongroom.Errorf(strongroom.EPASSWORD, "Change your temporary password first.")
	}
	e, err := h.identity.BeginTOTP(r.Context(), t, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"secret": e.Secret, "url": e.URL})
}

func (h *Handler) apiConfirmTOTP(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	codes, token, err := h.identity.ConfirmTOTP(r.Context(), t, p, in.Code, r.UserAgent())
	if err != nil {
		return err
	}
	setSession(w, t.Tenant.Slug, token)
	return writeJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
}

func sessionsJSON(ss []identity.Session) []map[string]any {
	out := []map[string]any{}
	for _, s := range ss {
		out = append(out, map[string]any{"id": s.ID, "created_at": s.CreatedAt.Format(time.RFC3339),
			"last_seen_at": s.LastSeenAt.Format(time.RFC3339), "expires_at": s.ExpiresAt.Format(time.RFC3339),
			"source_ip": s.SourceIP, "user_agent": s.UserAgent, "current": s.Current})
	}
	return out
}

func (h *Handler) apiMySessions(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	ss, err := h.identity.ListSessions(r.Context(), t, p, p.User.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"sessions": sessionsJSON(ss)})
}

func (h *Handler) apiUserSessions(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ss, err := h.identity.ListSessions(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"sessions": sessionsJSON(ss)})
}

func (h *Handler) apiEndSession(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := h.identity.EndSession(r.Context(), t, p, r.PathValue("id")); err != nil {
		return err
	}
	h.liveSessionEnded(t, r.PathValue("id"))
	return writeJSON(w, http.StatusOK, map[string]any{"ended": true})
}

func (h *Handler) apiTokens(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	ts, err := h.identity.ListTokens(r.Context(), t, p)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, tk := range ts {
		out = append(out, tokenJSON(tk))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

func tokenJSON(tk identity.APIToken) map[string]any {
	scope := tk.Scope
	if scope == "" {
		scope = identity.ScopeFull
	}
	m := map[string]any{"id": tk.ID, "name": tk.Name, "created_at": tk.CreatedAt.Format(time.RFC3339),
		"expires_at": tk.ExpiresAt.Format(time.RFC3339), "revoked": tk.Revoked, "scope": string(scope)}
	if !tk.LastUsedAt.IsZero() {
		m["last_used_at"] = tk.LastUsedAt.Format(time.RFC3339)
	}
	return m
}

func (h *Handler) apiCreateToken(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var in struct {
		Name          string `json:"name"`
		ExpiresInDays int    `json:"expires_in_days"`
		Scope         string `json:"scope"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.ExpiresInDays < 1 || in.ExpiresInDays > 366 {
		return strongroom.FieldError("expires_in_days", "A token must expire in 1 to 366 days.")
	}
	scope, err := identity.ParseTokenScope(in.Scope)
	if err != nil {
		return err
	}
	tk, secret, err := h.identity.CreateScopedToken(r.Context(), t, p, in.Name, time.Duration(in.ExpiresInDays)*24*time.Hour, scope)
	if err != nil {
		return err
	}
	m := tokenJSON(*tk)
	m["token"] = secret // shown this once
	return writeJSON(w, http.StatusCreated, m)
}

func (h *Handler) apiRevokeToken(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.identity.RevokeToken(r.Context(), t, p, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"revoked": true})
}

type userBody struct {
	Username    *string  `json:"username"`
	DisplayName *string  `json:"display_name"`
	Email       *string  `json:"email"`
	Restricted  *bool    `json:"restricted"`
	Roles       *[]int64 `json:"roles"`
	Classes     *[]int64 `json:"classes"`
	Version     int      `json:"version"`
}

// input merges the body over base: fields left out keep their values.
func (b userBody) input(base identity.UserInput) identity.UserInput {
	in := base
	if b.Username != nil {
		in.Username = *b.Username
	}
	if b.DisplayName != nil {
		in.DisplayName = *b.DisplayName
	}
	if b.Email != nil {
		in.Email = *b.Email
	}
	if b.Restricted != nil {
		in.Restricted = *b.Restricted
	}
	if b.Roles != nil {
		in.RoleIDs = *b.Roles
	}
	if b.Classes != nil {
		in.ClassIDs = *b.Classes
	}
	in.Version = b.Version
	return in
}

func (h *Handler) apiUsers(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	us, err := h.identity.ListUsers(r.Context(), t, p)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, u := range us {
		out = append(out, userJSON(u))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

func (h *Handler) apiUser(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := h.identity.GetUser(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"user": userJSON(u)})
}

func (h *Handler) apiCreateUser(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var b userBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	u, temp, err := h.identity.CreateUser(r.Context(), t, p, b.input(identity.UserInput{}))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"user": userJSON(u), "temporary_password": temp})
}

func (h *Handler) apiUpdateUser(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b userBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	cur, err := h.identity.GetUser(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	base := identity.UserInput{Username: cur.Username, DisplayName: cur.DisplayName, Email: cur.Email,
		Restricted: cur.Restricted, RoleIDs: cur.RoleIDs, ClassIDs: cur.ClassIDs}
	if b.Version == 0 {
		return strongroom.FieldError("version", "Send the version of the user you are editing.")
	}
	u, err := h.identity.UpdateUser(r.Context(), t, p, id, b.input(base))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"user": userJSON(u)})
}

func (h *Handler) apiDeleteUser(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.identity.DeleteUser(r.Context(), t, p, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}

func (h *Handler) apiUserAction(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	switch r.PathValue("action") {
	case "disable":
		err = h.identity.SetUserStatus(ctx, t, p, id, true)
	case "enable":
		err = h.identity.SetUserStatus(ctx, t, p, id, false)
	case "unlock":
		err = h.identity.Unlock(ctx, t, p, id)
	case "reset-totp":
		err = h.identity.ResetTOTP(ctx, t, p, id)
	case "reset-password":
		temp, err := h.identity.ResetPassword(ctx, t, p, id)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{"temporary_password": temp})
	default:
		return strongroom.Errorf(strongroom.ENOTFOUND, "Not found.")
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"done": r.PathValue("action")})
}

func (h *Handler) apiLoginFailures(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	fs, err := h.identity.LoginFailures(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, f := range fs {
		out = append(out, map[string]any{"at": f.At.Format(time.RFC3339), "source_ip": f.SourceIP})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"failures": out})
}

func roleJSON(r access.Role) map[string]any {
	grants := map[string]string{}
	for a, g := range r.Grants {
		grants[string(a)] = string(g)
	}
	return map[string]any{"id": r.ID, "name": r.Name, "description": r.Description, "builtin": r.Builtin, "grants": grants}
}

func (h *Handler) apiRoles(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	rs, err := h.identity.ListRoles(r.Context(), t, p)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, role := range rs {
		out = append(out, roleJSON(role))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"roles": out})
}

func (h *Handler) apiRole(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	role, err := h.identity.GetRole(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"role": roleJSON(*role)})
}

func (h *Handler) apiSaveRole(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var in struct {
		Name        string            `json:"name"`
		Description string            `json:"description"`
		Grants      map[string]string `json:"grants"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	role := access.Role{Name: in.Name, Description: in.Description, Grants: map[access.Area]access.Grant{}}
	for a, g := range in.Grants {
		area, err := access.ParseArea(a)
		if err != nil {
			return strongroom.FieldError("grants."+a, "%s", strongroom.ErrorMessage(err))
		}
		grant, err := access.ParseGrant(g)
		if err != nil {
			return strongroom.FieldError("grants."+a, "%s", strongroom.ErrorMessage(err))
		}
		if grant != "" {
			role.Grants[area] = grant
		}
	}
	status := http.StatusCreated
	if r.Method == http.MethodPut {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		role.ID, status = id, http.StatusOK
	}
	saved, err := h.identity.SaveRole(r.Context(), t, p, role)
	if err != nil {
		return err
	}
	return writeJSON(w, status, map[string]any{"role": roleJSON(*saved)})
}

func (h *Handler) apiDeleteRole(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.identity.DeleteRole(r.Context(), t, p, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}

func (h *Handler) apiClasses(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	cs, err := h.identity.ListClasses(r.Context(), t, p)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, c := range cs {
		out = append(out, map[string]any{"id": c.ID, "name": c.Name, "description": c.Description})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"classes": out})
}

func (h *Handler) apiCreateClass(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var in struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := h.identity.CreateClass(r.Context(), t, p, identity.Class{Name: in.Name, Description: in.Description})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"class": map[string]any{"id": c.ID, "name": c.Name, "description": c.Description}})
}

func (h *Handler) apiDeleteClass(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.identity.DeleteClass(r.Context(), t, p, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}
