package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/tenancy"
)

// userRow is a line of the user list.
type userRow struct {
	User  *identity.User
	Roles []string
}

func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	users, err := h.identity.ListUsers(r.Context(), t, p)
	if err != nil {
		return err
	}
	roles, err := h.identity.ListRoles(r.Context(), t, p)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, role := range roles {
		names[role.ID] = role.Name
	}
	var rows []userRow
	for _, u := range users {
		row := userRow{User: u}
		for _, id := range u.RoleIDs {
			row.Roles = append(row.Roles, names[id])
		}
		rows = append(rows, row)
	}
	v := newView(r, t, p)
	v.Page = rows
	return h.render(w, http.StatusOK, "admin_users", v)
}

// userView is the page of one user (User nil: the form for a new one).
type userView struct {
	User     *identity.User
	Roles    []access.Role
	Classes  []identity.Class
	Failures []identity.LoginFailure
	Sessions []identity.Session
}

// userFields are the fields of the user form.
var userFields = []string{"username", "display_name", "email", "restricted", "roles", "classes"}

// renderUser shows the user form: for user id (0: a new user), with the
// values in v.Form (empty: the user's current ones) and formErr, if any.
func (h *Handler) renderUser(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64, v view, formErr error) error {
	ctx := r.Context()
	var page userView
	var err error
	if id != 0 {
		if page.User, err = h.identity.GetUser(ctx, t, p, id); err != nil {
			return err
		}
		if page.Failures, err = h.identity.LoginFailures(ctx, t, p, id); err != nil {
			return err
		}
		if page.Sessions, err = h.identity.ListSessions(ctx, t, p, id); err != nil && strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			return err // a reader who may not administer does not see sessions
		}
		if len(v.Form.Values) == 0 {
			v.Form.Values = userValues(page.User)
		}
	}
	if page.Roles, err = h.identity.ListRoles(ctx, t, p); err != nil {
		return err
	}
	if page.Classes, err = h.identity.ListClasses(ctx, t, p); err != nil {
		return err
	}
	v.Page = page
	// "version" is not among the fields shown: a stale edit's message
	// goes at the top of the form.
	return h.renderForm(w, "admin_user", v, formErr, userFields...)
}

// userValues fills the user form from a stored user.
func userValues(u *identity.User) url.Values {
	v := url.Values{"username": {u.Username}, "display_name": {u.DisplayName}, "email": {u.Email},
		"version": {strconv.Itoa(u.Version)}}
	if u.Restricted {
		v.Set("restricted", "yes")
	}
	for _, id := range u.RoleIDs {
		v.Add("roles", strconv.FormatInt(id, 10))
	}
	for _, id := range u.ClassIDs {
		v.Add("classes", strconv.FormatInt(id, 10))
	}
	return v
}

// userInput reads the user form.
func userInput(r *http.Request) (identity.UserInput, error) {
	in := identity.UserInput{Username: r.PostForm.Get("username"), DisplayName: r.PostForm.Get("display_name"),
		Email: r.PostForm.Get("email"), Restricted: r.PostForm.Get("restricted") != ""}
	var err error
	if in.RoleIDs, err = formIDs(r, "roles"); err != nil {
		return in, err
	}
	if in.ClassIDs, err = formIDs(r, "classes"); err != nil {
		return in, err
	}
	return in, nil
}

func (h *Handler) newUserPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.renderUser(w, r, t, p, 0, newView(r, t, p), nil)
}

// userSecret is a temporary password, shown to the administrator once.
type userSecret struct {
	User     *identity.User
	Password string
	Created  bool
}

func (h *Handler) newUserSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Form.Values = formValues(r, userFields...)
	in, err := userInput(r)
	if err != nil {
		return h.renderUser(w, r, t, p, 0, v, err)
	}
	u, temp, err := h.identity.CreateUser(r.Context(), t, p, in)
	if err != nil {
		return h.renderUser(w, r, t, p, 0, v, err)
	}
	v.Page = userSecret{User: u, Password: temp, Created: true}
	return h.render(w, http.StatusCreated, "admin_user_secret", v)
}

func (h *Handler) userPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return h.renderUser(w, r, t, p, id, newView(r, t, p), nil)
}

// userSubmit saves an edit, based on the version the form was opened at:
// if someone changed the user since, the edit is refused and kept on screen.
func (h *Handler) userSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Form.Values = formValues(r, slices.Concat(userFields, []string{"version"})...)
	in, err := userInput(r)
	if err == nil {
		in.Version, err = formInt(r, "version")
	}
	if err == nil {
		_, err = h.identity.UpdateUser(r.Context(), t, p, id, in)
	}
	if err != nil {
		return h.renderUser(w, r, t, p, id, v, err)
	}
	return redirectDone(w, r, t, "admin/users/"+strconv.FormatInt(id, 10), "user-saved")
}

// userActionSubmit runs one of the buttons on a user's page.
func (h *Handler) userActionSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx, action := r.Context(), r.PathValue("action")
	switch action {
	case "disable", "enable":
		err = h.identity.SetUserStatus(ctx, t, p, id, action == "disable")
	case "unlock":
		err = h.identity.Unlock(ctx, t, p, id)
	case "reset-totp":
		err = h.identity.ResetTOTP(ctx, t, p, id)
	case "reset-password":
		return h.resetPassword(w, r, t, p, id)
	case "delete": // asked for on deleteUserPage
		if err = h.identity.DeleteUser(ctx, t, p, id); err == nil {
			return redirectDone(w, r, t, "admin/users", "user-deleted")
		}
	default:
		return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
	}
	if err != nil {
		return h.renderUser(w, r, t, p, id, newView(r, t, p), err)
	}
	return redirectDone(w, r, t, "admin/users/"+strconv.FormatInt(id, 10), "user-"+action)
}

// resetPassword gives the user a new temporary password, shown once.
func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64) error {
	temp, err := h.identity.ResetPassword(r.Context(), t, p, id)
	if err != nil {
		return h.renderUser(w, r, t, p, id, newView(r, t, p), err)
	}
	u, err := h.identity.GetUser(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Page = userSecret{User: u, Password: temp}
	return h.render(w, http.StatusOK, "admin_user_secret", v)
}

// deleteUserPage asks for a user's deletion on a page of its own, saying
// what it does; disabling is offered as the way to keep the account.
func (h *Handler) deleteUserPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := h.identity.GetUser(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	n, err := h.svc.Home.ResponsibleFor(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	says := []string{"Deleting " + u.Username + " (" + u.DisplayName + ") removes the account for good: they are signed out everywhere, their API tokens stop working, and they lose their roles and security classes."}
	switch n {
	case 0:
		says = append(says, "They are responsible for no case you can see.")
	case 1:
		says = append(says, "They are responsible for 1 case you can see; it will no longer name them.")
	default:
		says = append(says, "They are responsible for "+strconv.Itoa(n)+" cases you can see; those cases will no longer name them.")
	}
	says = append(says, "The audit trail keeps what they did, under their user number "+strconv.FormatInt(id, 10)+". To stop them signing in but keep the account, disable it instead.",
		"Deleting the last administrator is refused.")
	return h.renderConfirm(w, r, t, p, confirmView{
		Title: "Delete user " + u.Username + "?", Consequence: says,
		Action: tenantPath(t, "admin/users/"+strconv.FormatInt(id, 10)+"/delete"), Button: "Delete user " + u.Username,
		Cancel: tenantPath(t, "admin/users/"+strconv.FormatInt(id, 10)),
	})
}
