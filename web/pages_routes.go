package web

import (
	"net/http"

	"strongroom"
	"strongroom/identity"
	"strongroom/tenancy"
)

// pageRoutes registers the server-rendered pages of a tenant. They call the
// same identity service as the JSON API; the service decides who may do what.
func (h *Handler) pageRoutes() {
	page := func(pattern string, fn handlerFunc) { h.mux.Handle(pattern, h.page(fn)) }
	pre := "/t/{slug}/"
	page("GET "+pre+"login", h.withTenant(h.loginPage))
	page("POST "+pre+"login", h.withTenant(h.loginSubmit))
	page("GET "+pre+"login/code", h.withTenant(h.codePage))
	page("POST "+pre+"login/code", h.withTenant(h.codeSubmit))
	page("POST "+pre+"logout", h.pageAuthed(h.logoutSubmit, true))

	page("GET "+pre+"password", h.pageAuthed(h.passwordPage, true))
	page("POST "+pre+"password", h.pageAuthed(h.passwordSubmit, true))
	page("GET "+pre+"totp", h.pageAuthed(h.totpPage, true))
	page("POST "+pre+"totp", h.pageAuthed(h.totpSubmit, true))
	page("GET "+pre+"sessions", h.pageAuthed(h.sessionsPage, false))
	page("POST "+pre+"sessions/{id}/end", h.pageAuthed(h.endSessionSubmit, false))
	page("GET "+pre+"tokens", h.pageAuthed(h.tokensPage, false))
	page("POST "+pre+"tokens", h.pageAuthed(h.tokenSubmit, false))
	page("POST "+pre+"tokens/{id}/revoke", h.pageAuthed(h.revokeTokenSubmit, false))

	page("GET "+pre+"admin/users", h.pageAuthed(h.usersPage, false))
	page("GET "+pre+"admin/users/new", h.pageAuthed(h.newUserPage, false))
	page("POST "+pre+"admin/users/new", h.pageAuthed(h.newUserSubmit, false))
	page("GET "+pre+"admin/users/{id}", h.pageAuthed(h.userPage, false))
	page("POST "+pre+"admin/users/{id}", h.pageAuthed(h.userSubmit, false))
	page("GET "+pre+"admin/users/{id}/delete", h.pageAuthed(h.deleteUserPage, false))
	page("POST "+pre+"admin/users/{id}/{action}", h.pageAuthed(h.userActionSubmit, false))

	page("GET "+pre+"admin/roles", h.pageAuthed(h.rolesPage, false))
	page("GET "+pre+"admin/roles/new", h.pageAuthed(h.rolePage, false))
	page("POST "+pre+"admin/roles/new", h.pageAuthed(h.roleSubmit, false))
	page("GET "+pre+"admin/roles/{id}", h.pageAuthed(h.rolePage, false))
	page("POST "+pre+"admin/roles/{id}", h.pageAuthed(h.roleSubmit, false))
	page("GET "+pre+"admin/roles/{id}/delete", h.pageAuthed(h.deleteRolePage, false))
	page("POST "+pre+"admin/roles/{id}/delete", h.pageAuthed(h.deleteRoleSubmit, false))
	page("GET "+pre+"admin/classes", h.pageAuthed(h.classesPage, false))
	page("POST "+pre+"admin/classes", h.pageAuthed(h.classSubmit, false))
	page("GET "+pre+"admin/classes/{id}/delete", h.pageAuthed(h.deleteClassPage, false))
	page("POST "+pre+"admin/classes/{id}/delete", h.pageAuthed(h.deleteClassSubmit, false))

	page("GET "+pre+"admin/settings", h.pageAuthed(h.settingsPage, false))
	page("POST "+pre+"admin/settings", h.pageAuthed(h.settingsSubmit, false))
}

// pageAuthed is authed for pages: they belong to a signed-in browser
// session, so an API token is refused here (it works on /api/ only).
func (h *Handler) pageAuthed(fn authFunc, open bool) handlerFunc {
	return h.authed(func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		if p.TokenID != 0 {
			return strongroom.Errorf(strongroom.EFORBIDDEN, "Pages need a signed-in session; use API tokens with the API.")
		}
		return fn(w, r, t, p)
	}, open)
}
