package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"strongroom"
	"strongroom/scim"
	"strongroom/tenancy"
)

// The SCIM 2.0 endpoint an identity provider provisions the tenant
// through: /scim/v2/t/{slug}/Users, /Groups and the discovery documents.
// It is reached through withTenant like every other route of the tenant,
// so the tenant's IP allowlist refuses a client outside it, and it is
// authenticated by a SCIM token only (never a session or a user's API
// token). Errors are SCIM error messages.

const scimPrefix = "/scim/v2/"

// scimFunc is a handler for an authenticated provisioning client.
type scimFunc func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error

func (h *Handler) scimRoutes() {
	handle := func(pattern string, fn scimFunc) {
		h.mux.Handle(pattern, h.page(h.withTenant(h.scimAuthed(fn))))
	}
	pre := "/scim/v2/t/{slug}/"
	handle("GET "+pre+"ServiceProviderConfig", h.scimConfig)
	handle("GET "+pre+"ResourceTypes", h.scimResourceTypes)
	handle("GET "+pre+"ResourceTypes/{id}", h.scimResourceType)
	handle("GET "+pre+"Schemas", h.scimSchemas)
	handle("GET "+pre+"Schemas/{id}", h.scimSchema)
	handle("GET "+pre+"Users", h.scimListUsers)
	handle("POST "+pre+"Users", h.scimCreateUser)
	handle("GET "+pre+"Users/{id}", h.scimGetUser)
	handle("PUT "+pre+"Users/{id}", h.scimReplaceUser)
	handle("PATCH "+pre+"Users/{id}", h.scimPatchUser)
	handle("DELETE "+pre+"Users/{id}", h.scimDeleteUser)
	handle("GET "+pre+"Groups", h.scimListGroups)
	handle("POST "+pre+"Groups", h.scimCreateGroup)
	handle("GET "+pre+"Groups/{id}", h.scimGetGroup)
	handle("PUT "+pre+"Groups/{id}", h.scimReplaceGroup)
	handle("PATCH "+pre+"Groups/{id}", h.scimPatchGroup)
	handle("DELETE "+pre+"Groups/{id}", h.scimDeleteGroup)
	h.scimPageRoutes()
	h.scimAPIRoutes()
}

// scimAuthed authenticates the bearer token (scim.Service.Authenticate
// throttles and audits a wrong one).
func (h *Handler) scimAuthed(fn scimFunc) tenantFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
		if h.svc.SCIM == nil {
			return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
		}
		w.Header().Set("Cache-Control", "no-store")
		c, err := h.svc.SCIM.Authenticate(r.Context(), t, bearer(r), clientIP(r))
		if err != nil {
			if strongroom.ErrorCode(err) == strongroom.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="SCIM"`)
			}
			return err
		}
		return fn(w, r, t, c)
	}
}

// bearer returns the token of an Authorization: Bearer header (the
// scheme in any case), or "".
func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// isSCIMPath reports whether errors on the path are SCIM error messages.
func isSCIMPath(path string) bool { return strings.HasPrefix(path, scimPrefix) }

// renderSCIMError answers with a SCIM error message: the status, the SCIM
// error type and the safe message (never internal detail).
func (h *Handler) renderSCIMError(w http.ResponseWriter, r *http.Request, err error) {
	_, status, err := h.answerError(w, r, err)
	writeSCIM(w, status, scim.ErrorJSON(status, scim.TypeOf(err), strongroom.ErrorMessage(err)))
}

func writeSCIM(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/scim+json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// scimBase is the tenant's SCIM base URL as the client reached it.
func scimBase(r *http.Request, t *tenancy.Handle) string {
	return "https://" + r.Host + "/scim/v2/t/" + t.Tenant.Slug
}

// SCIMBase is the SCIM base URL of a tenant on host, for the
// Provisioning page.
func SCIMBase(host, slug string) string { return "https://" + host + "/scim/v2/t/" + slug }

func scimBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, scim.MaxBody+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(body) > scim.MaxBody {
		return nil, &scim.Error{Type: "tooMany", Err: strongroom.FieldError("body", "The request body is larger than 1 MiB.")}
	} else if err != nil {
		return nil, &scim.Error{Type: "invalidSyntax", Err: strongroom.FieldError("body", "The request body could not be read.")}
	}
	return body, nil
}

func (h *Handler) scimConfig(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	writeSCIM(w, http.StatusOK, scim.ServiceProviderConfig(scimBase(r, t)))
	return nil
}

func (h *Handler) scimResourceTypes(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	rts := scim.ResourceTypes(scimBase(r, t))
	writeSCIM(w, http.StatusOK, map[string]any{"schemas": []string{scim.SchemaListResponse}, "totalResults": len(rts),
		"startIndex": 1, "itemsPerPage": len(rts), "Resources": rts})
	return nil
}

func (h *Handler) scimResourceType(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	for _, rt := range scim.ResourceTypes(scimBase(r, t)) {
		if rt["id"] == r.PathValue("id") {
			writeSCIM(w, http.StatusOK, rt)
			return nil
		}
	}
	return strongroom.Errorf(strongroom.ENOTFOUND, "No such resource type.")
}

func (h *Handler) scimSchema(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	for _, s := range scim.Schemas(scimBase(r, t)) {
		if s["id"] == r.PathValue("id") {
			writeSCIM(w, http.StatusOK, s)
			return nil
		}
	}
	return strongroom.Errorf(strongroom.ENOTFOUND, "No such schema.")
}

func (h *Handler) scimSchemas(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	ss := scim.Schemas(scimBase(r, t))
	writeSCIM(w, http.StatusOK, map[string]any{"schemas": []string{scim.SchemaListResponse}, "totalResults": len(ss),
		"startIndex": 1, "itemsPerPage": len(ss), "Resources": ss})
	return nil
}

func (h *Handler) scimListUsers(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	q := r.URL.Query()
	start, n, err := scim.Page(q.Get("startIndex"), q.Get("count"))
	if err != nil {
		return err
	}
	l, err := h.svc.SCIM.ListUsers(r.Context(), t, c, q.Get("filter"), start, n)
	if err != nil {
		return err
	}
	base := scimBase(r, t)
	writeSCIM(w, http.StatusOK, scim.ListJSON(l, func(u *scim.User) map[string]any { return scim.UserJSON(u, base) }))
	return nil
}

func (h *Handler) scimUser(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, status int, u *scim.User) error {
	body := scim.UserJSON(u, scimBase(r, t))
	if status == http.StatusCreated {
		w.Header().Set("Location", body["meta"].(map[string]any)["location"].(string))
	}
	writeSCIM(w, status, body)
	return nil
}

func (h *Handler) scimCreateUser(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	body, err := scimBody(r)
	if err != nil {
		return err
	}
	u, err := h.svc.SCIM.CreateUser(r.Context(), t, c, body)
	if err != nil {
		return err
	}
	return h.scimUser(w, r, t, http.StatusCreated, u)
}

func (h *Handler) scimGetUser(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	id, err := scim.ParseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	u, err := h.svc.SCIM.GetUser(r.Context(), t, c, id)
	if err != nil {
		return err
	}
	return h.scimUser(w, r, t, http.StatusOK, u)
}

func (h *Handler) scimReplaceUser(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	return h.scimChangeUser(w, r, t, c, h.svc.SCIM.ReplaceUser)
}

func (h *Handler) scimPatchUser(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	return h.scimChangeUser(w, r, t, c, h.svc.SCIM.PatchUser)
}

func (h *Handler) scimChangeUser(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client,
	change func(ctx context.Context, t *tenancy.Handle, c *scim.Client, id int64, body []byte) (*scim.User, error)) error {
	id, err := scim.ParseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	body, err := scimBody(r)
	if err != nil {
		return err
	}
	u, err := change(r.Context(), t, c, id, body)
	if err != nil {
		return err
	}
	return h.scimUser(w, r, t, http.StatusOK, u)
}

func (h *Handler) scimDeleteUser(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	id, err := scim.ParseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := h.svc.SCIM.DeleteUser(r.Context(), t, c, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) scimListGroups(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	q := r.URL.Query()
	start, n, err := scim.Page(q.Get("startIndex"), q.Get("count"))
	if err != nil {
		return err
	}
	l, err := h.svc.SCIM.ListGroups(r.Context(), t, c, q.Get("filter"), start, n)
	if err != nil {
		return err
	}
	base, bare := scimBase(r, t), withoutMembers(r)
	writeSCIM(w, http.StatusOK, scim.ListJSON(l, func(g *scim.Group) map[string]any {
		out := scim.GroupJSON(g, base)
		if bare {
			delete(out, "members")
		}
		return out
	}))
	return nil
}

// withoutMembers: excludedAttributes=members, as Entra ID asks when it
// only looks a group up.
func withoutMembers(r *http.Request) bool {
	for _, a := range strings.Split(r.URL.Query().Get("excludedAttributes"), ",") {
		if strings.EqualFold(strings.TrimSpace(a), "members") {
			return true
		}
	}
	return false
}

func (h *Handler) scimGroup(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, status int, g *scim.Group) error {
	body := scim.GroupJSON(g, scimBase(r, t))
	if withoutMembers(r) {
		delete(body, "members")
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", body["meta"].(map[string]any)["location"].(string))
	}
	writeSCIM(w, status, body)
	return nil
}

func (h *Handler) scimCreateGroup(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	body, err := scimBody(r)
	if err != nil {
		return err
	}
	g, err := h.svc.SCIM.CreateGroup(r.Context(), t, c, body)
	if err != nil {
		return err
	}
	return h.scimGroup(w, r, t, http.StatusCreated, g)
}

func (h *Handler) scimGetGroup(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	id, err := scim.ParseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	g, err := h.svc.SCIM.GetGroup(r.Context(), t, c, id)
	if err != nil {
		return err
	}
	return h.scimGroup(w, r, t, http.StatusOK, g)
}

func (h *Handler) scimReplaceGroup(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	return h.scimChangeGroup(w, r, t, c, h.svc.SCIM.ReplaceGroup)
}

func (h *Handler) scimPatchGroup(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	return h.scimChangeGroup(w, r, t, c, h.svc.SCIM.PatchGroup)
}

func (h *Handler) scimChangeGroup(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client,
	change func(ctx context.Context, t *tenancy.Handle, c *scim.Client, id int64, body []byte) (*scim.Group, error)) error {
	id, err := scim.ParseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	body, err := scimBody(r)
	if err != nil {
		return err
	}
	g, err := change(r.Context(), t, c, id, body)
	if err != nil {
		return err
	}
	return h.scimGroup(w, r, t, http.StatusOK, g)
}

func (h *Handler) scimDeleteGroup(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, c *scim.Client) error {
	id, err := scim.ParseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := h.svc.SCIM.DeleteGroup(r.Context(), t, c, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
