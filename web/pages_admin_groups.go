package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"strongroom"
	"strongroom/access"
	"strongroom/dashboards"
	"strongroom/identity"
	"strongroom/tenancy"
)

// Administration → Groups: the groups dashboards are shared with, and
// their members. Package dashboards decides who may do what; these pages
// only show it.

// groupPageRoutes registers the group pages.
func (h *Handler) groupPageRoutes() {
	page := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.pageAuthed(fn, false))) }
	pre := "/t/{slug}/admin/groups"
	page("GET "+pre, h.groupsPage)
	page("POST "+pre, h.groupCreateSubmit)
	page("GET "+pre+"/{id}", h.groupPage)
	page("POST "+pre+"/{id}", h.groupRenameSubmit)
	page("POST "+pre+"/{id}/members", h.groupAddMemberSubmit)
	page("POST "+pre+"/{id}/members/{user}/remove", h.groupRemoveMemberSubmit)
	page("GET "+pre+"/{id}/delete", h.deleteGroupPage)
	page("POST "+pre+"/{id}/delete", h.deleteGroupSubmit)
}

func (h *Handler) groupsPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.renderGroups(w, r, t, p, newView(r, t, p), nil)
}

// renderGroups shows the group list and the form to make one. The page is
// administration's: a dashboard editor may list group names through the
// API to share with them, but not reach this page.
func (h *Handler) renderGroups(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, formErr error) error {
	if err := p.Subject.Require(access.Administration, access.Read); err != nil {
		return err
	}
	gs, err := h.dashboardsService().ListGroups(r.Context(), t, p)
	if err != nil {
		return err
	}
	v.Page = gs
	return h.renderForm(w, "admin_groups", v, formErr, "name", "description")
}

func (h *Handler) groupCreateSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := dashboards.GroupInput{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description")}
	g, err := h.dashboardsService().CreateGroup(r.Context(), t, p, in)
	if err != nil {
		v := newView(r, t, p)
		v.Form.Values = formValues(r, "name", "description")
		return h.renderGroups(w, r, t, p, v, err)
	}
	return redirectDone(w, r, t, fmt.Sprintf("admin/groups/%d", g.ID), "group-created")
}

// groupView is one group's page: the group, its members by name, and the
// users who may be added.
type groupView struct {
	Group   *dashboards.Group
	Members []groupMember
	Others  []groupMember
}

type groupMember struct {
	ID   int64
	Name string // display name, and the user name beside it
}

func (h *Handler) groupPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.renderGroup(w, r, t, p, newView(r, t, p), nil)
}

// renderGroup shows a group with the error of a failed change; the form
// holds the group's own values unless v brings what was typed.
func (h *Handler) renderGroup(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, formErr error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := p.Subject.Require(access.Administration, access.Read); err != nil {
		return err
	}
	svc := h.dashboardsService()
	g, err := svc.GetGroup(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	memberIDs, err := svc.Members(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	users, err := h.identity.ListUsers(r.Context(), t, p)
	if err != nil {
		return err
	}
	page := groupView{Group: g}
	for _, u := range users {
		m := groupMember{ID: u.ID, Name: u.DisplayName + " (" + u.Username + ")"}
		if slices.Contains(memberIDs, u.ID) {
			page.Members = append(page.Members, m)
		} else if u.Status == "active" {
			page.Others = append(page.Others, m)
		}
	}
	if v.Form.Get("name") == "" && formErr == nil {
		v.Form.Values.Set("name", g.Name)
		v.Form.Values.Set("description", g.Description)
		v.Form.Values.Set("version", strconv.Itoa(g.Version))
	}
	v.Page = page
	return h.renderForm(w, "admin_group", v, formErr, "name", "description", "user_id")
}

func (h *Handler) groupRenameSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	in := dashboards.GroupInput{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description"), Version: version}
	if _, err := h.dashboardsService().UpdateGroup(r.Context(), t, p, id, in); err != nil {
		v := newView(r, t, p)
		v.Form.Values = formValues(r, "name", "description", "version")
		return h.renderGroup(w, r, t, p, v, err)
	}
	return redirectDone(w, r, t, fmt.Sprintf("admin/groups/%d", id), "group-saved")
}

func (h *Handler) groupAddMemberSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	userID, perr := strconv.ParseInt(r.PostForm.Get("user_id"), 10, 64)
	err = strongroom.FieldError("user_id", "Choose a user to add.")
	if perr == nil && userID > 0 {
		err = h.dashboardsService().AddMember(r.Context(), t, p, id, userID)
	}
	if err != nil {
		return h.renderGroup(w, r, t, p, newView(r, t, p), err)
	}
	return redirectDone(w, r, t, fmt.Sprintf("admin/groups/%d", id), "member-added")
}

func (h *Handler) groupRemoveMemberSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, userID, err := pathIDs(r, "id", "user")
	if err != nil {
		return err
	}
	if err := h.dashboardsService().RemoveMember(r.Context(), t, p, id, userID); err != nil {
		return h.renderGroup(w, r, t, p, newView(r, t, p), err)
	}
	return redirectDone(w, r, t, fmt.Sprintf("admin/groups/%d", id), "member-removed")
}

// deleteGroupPage confirms a group's deletion on a page of its own, saying
// what it does: its members stop seeing what was shared through it.
func (h *Handler) deleteGroupPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	g, err := h.dashboardsService().GetGroup(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	says := []string{fmt.Sprintf("%s has %s.", g.Name, groupCount(g.Members, "member", "members")),
		"Dashboards shared with this group stop being shared with it: its members no longer see them through it. The dashboards themselves are kept."}
	return h.renderConfirm(w, r, t, p, confirmView{
		Title: "Delete group " + g.Name + "?", Consequence: says,
		Action: tenantPath(t, fmt.Sprintf("admin/groups/%d/delete", id)), Button: "Delete group " + g.Name,
		Cancel: tenantPath(t, fmt.Sprintf("admin/groups/%d", id)),
	})
}

func groupCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func (h *Handler) deleteGroupSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.dashboardsService().DeleteGroup(r.Context(), t, p, id); err != nil {
		return h.renderGroups(w, r, t, p, newView(r, t, p), err)
	}
	return redirectDone(w, r, t, "admin/groups", "group-deleted")
}
