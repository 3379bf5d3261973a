package web

import (
	"net/http"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/tenancy"
)

// roleRow is a line of the role list: the grants in words.
type roleRow struct {
	Role    access.Role
	Summary string
}

// grantGroup is the areas a role grants one way, for the role list.
type grantGroup struct {
	Grant string // edit, read or deny
	Areas string // "cases, notes"
}

// Groups are the role's grants, edit first, then read, then deny.
func (r roleRow) Groups() []grantGroup {
	var out []grantGroup
	for _, g := range []access.Grant{access.EditGrant, access.ReadGrant, access.Deny} {
		var areas []string
		for _, a := range access.Areas() {
			if r.Role.Grants[a] == g {
				areas = append(areas, a.Label())
			}
		}
		if len(areas) > 0 {
			out = append(out, grantGroup{Grant: string(g), Areas: strings.Join(areas, ", ")})
		}
	}
	return out
}

// grantSummary says what a role grants: "edit: cases, notes; deny: audit records".
func grantSummary(r access.Role) string {
	var parts []string
	for _, g := range []access.Grant{access.EditGrant, access.ReadGrant, access.Deny} {
		var areas []string
		for _, a := range access.Areas() {
			if r.Grants[a] == g {
				areas = append(areas, a.Label())
			}
		}
		if len(areas) > 0 {
			parts = append(parts, string(g)+": "+strings.Join(areas, ", "))
		}
	}
	if len(parts) == 0 {
		return "no access"
	}
	return strings.Join(parts, "; ")
}

func (h *Handler) rolesPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.renderRoles(w, r, t, p, nil)
}

// renderRoles shows the role list, with the error of a failed deletion.
func (h *Handler) renderRoles(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, formErr error) error {
	roles, err := h.identity.ListRoles(r.Context(), t, p)
	if err != nil {
		return err
	}
	var rows []roleRow
	for _, role := range roles {
		rows = append(rows, roleRow{Role: role, Summary: grantSummary(role)})
	}
	v := newView(r, t, p)
	v.Page = rows
	return h.renderForm(w, "admin_roles", v, formErr)
}

// areaField is one area's grant select on the role form.
type areaField struct {
	Name  string // the form field: grant-cases
	Label string
}

// roleView is the role form: ID 0 for a new role.
type roleView struct {
	ID      int64
	Builtin bool
	Areas   []areaField
}

func areaFields() []areaField {
	var out []areaField
	for _, a := range access.Areas() {
		out = append(out, areaField{Name: "grant-" + string(a), Label: a.Label()})
	}
	return out
}

// roleID is the role of the URL; 0 on the "new" pages.
func roleID(r *http.Request) (int64, error) {
	if r.PathValue("id") == "" {
		return 0, nil
	}
	return pathID(r, "id")
}

func (h *Handler) rolePage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := roleID(r)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	page := roleView{ID: id, Areas: areaFields()}
	if id != 0 {
		role, err := h.identity.GetRole(r.Context(), t, p, id)
		if err != nil {
			return err
		}
		page.Builtin = role.Builtin
		v.Form.Values.Set("name", role.Name)
		v.Form.Values.Set("description", role.Description)
		for a, g := range role.Grants {
			v.Form.Values.Set("grant-"+string(a), string(g))
		}
	} else if err := p.Subject.Require(access.Administration, access.Read); err != nil {
		// No service call shows this empty form; do not show it to
		// someone the service would refuse anyway.
		return err
	}
	v.Page = page
	return h.render(w, http.StatusOK, "admin_role", v)
}

func (h *Handler) roleSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := roleID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	fields := []string{"name", "description"}
	role := access.Role{ID: id, Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description"), Grants: map[access.Area]access.Grant{}}
	var ps strongroom.Problems
	for _, a := range areaFields() {
		fields = append(fields, a.Name)
		g, gerr := access.ParseGrant(r.PostForm.Get(a.Name))
		if gerr != nil {
			ps.Addf(a.Name, "%s", strongroom.ErrorMessage(gerr))
		}
		if g != access.NoGrant {
			role.Grants[access.Area(strings.TrimPrefix(a.Name, "grant-"))] = g
		}
	}
	if err = ps.Err(); err == nil {
		_, err = h.identity.SaveRole(r.Context(), t, p, role)
	}
	if err != nil {
		v := newView(r, t, p)
		v.Form.Values = formValues(r, fields...)
		v.Page = roleView{ID: id, Areas: areaFields()}
		return h.renderForm(w, "admin_role", v, err, fields...)
	}
	return redirectDone(w, r, t, "admin/roles", "role-saved")
}

func (h *Handler) deleteRoleSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.identity.DeleteRole(r.Context(), t, p, id); err != nil {
		return h.renderRoles(w, r, t, p, err)
	}
	return redirectDone(w, r, t, "admin/roles", "role-deleted")
}

func (h *Handler) classesPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.renderClasses(w, r, t, p, newView(r, t, p), nil)
}

// renderClasses shows the security classes and the form to add one.
func (h *Handler) renderClasses(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, formErr error) error {
	cs, err := h.identity.ListClasses(r.Context(), t, p)
	if err != nil {
		return err
	}
	v.Page = cs
	return h.renderForm(w, "admin_classes", v, formErr, "name", "description")
}

func (h *Handler) classSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	c := identity.Class{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description")}
	if _, err := h.identity.CreateClass(r.Context(), t, p, c); err != nil {
		v := newView(r, t, p)
		v.Form.Values = formValues(r, "name", "description")
		return h.renderClasses(w, r, t, p, v, err)
	}
	return redirectDone(w, r, t, "admin/classes", "class-created")
}

func (h *Handler) deleteClassSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.identity.DeleteClass(r.Context(), t, p, id); err != nil {
		return h.renderClasses(w, r, t, p, newView(r, t, p), err)
	}
	return redirectDone(w, r, t, "admin/classes", "class-deleted")
}
