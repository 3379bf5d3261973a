package web

import (
	"net/http"
	"slices"
	"strconv"

	"strongroom"
	"strongroom/dashboards"
	"strongroom/identity"
	"strongroom/tenancy"
)

// A dashboard's sharing: the groups that see it and whether they may
// change it. Only its editors reach the page; every change is audited by
// the service.

func (h *Handler) sharePageRoutes(page func(string, authFunc), pre string) {
	page("GET "+pre, h.sharePage)
	page("POST "+pre, h.shareSubmit)
	page("POST "+pre+"/{group}/remove", h.unshareSubmit)
}

// shareView is the share page.
type shareView struct {
	Dashboard *dashboards.Dashboard
	Shares    []dashboards.Share
	// Others are the groups it is not shared with, to add.
	Others []dashboards.Group
}

func (h *Handler) sharePage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.renderShare(w, r, t, p, newView(r, t, p), nil)
}

func (h *Handler) renderShare(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, formErr error) error {
	d, err := h.editable(r, t, p)
	if err != nil {
		return err
	}
	svc := h.dashboardsService()
	shares, err := svc.Shares(r.Context(), t, p, d.ID)
	if err != nil {
		return err
	}
	groups, err := svc.ListGroups(r.Context(), t, p)
	if err != nil {
		return err
	}
	page := shareView{Dashboard: d, Shares: shares}
	for _, g := range groups {
		if !slices.ContainsFunc(shares, func(s dashboards.Share) bool { return s.GroupID == g.ID }) {
			page.Others = append(page.Others, g)
		}
	}
	if v.Form.Get("permission") == "" {
		v.Form.Values.Set("permission", string(dashboards.PermView))
	}
	v.Page = page
	return h.renderForm(w, "dashboard_share", v, formErr, "group_id", "permission")
}

func (h *Handler) shareSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	groupID, perr := strconv.ParseInt(r.PostForm.Get("group_id"), 10, 64)
	err = strongroom.FieldError("group_id", "Choose a group to share with.")
	if perr == nil && groupID > 0 {
		err = h.dashboardsService().Share(r.Context(), t, p, id, groupID, dashboards.Permission(r.PostForm.Get("permission")))
	}
	if err != nil {
		v := newView(r, t, p)
		v.Form.Values = formValues(r, "group_id", "permission")
		if strongroom.ErrorCode(err) == strongroom.ENOTFOUND && strongroom.ErrorField(err) == "group_id" {
			err = strongroom.FieldError("group_id", "No such group; choose one from the list.")
		}
		return h.renderShare(w, r, t, p, v, err)
	}
	return redirectDone(w, r, t, dashboardPath(id, "share"), "share-saved")
}

func (h *Handler) unshareSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, groupID, err := pathIDs(r, "id", "group")
	if err != nil {
		return err
	}
	if err := h.dashboardsService().Unshare(r.Context(), t, p, id, groupID); err != nil {
		return err
	}
	return redirectDone(w, r, t, dashboardPath(id, "share"), "share-removed")
}
