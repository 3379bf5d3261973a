package web

import (
	"net/http"
	"time"

	"strongroom"
	"strongroom/dashboards"
	"strongroom/identity"
	"strongroom/tenancy"
)

// dashboardRoutes registers the JSON API of dashboards and groups. Both
// call package dashboards, which authorizes every operation: a dashboard
// the caller may not see answers exactly like one that does not exist.
func (h *Handler) dashboardRoutes() {
	api := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.authed(fn, false))) }
	pre := "/api/v1/t/{slug}/"
	api("GET "+pre+"dashboards", h.apiDashboards)
	api("POST "+pre+"dashboards", h.apiCreateDashboard)
	api("GET "+pre+"dashboards/{id}", h.apiDashboard)
	api("PUT "+pre+"dashboards/{id}", h.apiUpdateDashboard)
	api("DELETE "+pre+"dashboards/{id}", h.apiDeleteDashboard)
	api("POST "+pre+"dashboards/{id}/duplicate", h.apiDuplicateDashboard)
	api("PUT "+pre+"dashboards/{id}/order", h.apiReorderWidgets)
	api("POST "+pre+"dashboards/{id}/widgets", h.apiAddWidget)
	api("PUT "+pre+"dashboards/{id}/widgets/{widget}", h.apiUpdateWidget)
	api("DELETE "+pre+"dashboards/{id}/widgets/{widget}", h.apiRemoveWidget)
	api("GET "+pre+"dashboards/{id}/shares", h.apiShares)
	api("PUT "+pre+"dashboards/{id}/shares/{group}", h.apiShare)
	api("DELETE "+pre+"dashboards/{id}/shares/{group}", h.apiUnshare)
	h.groupRoutes(api, pre)
	h.groupPageRoutes()
}

func (h *Handler) dashboardsService() *dashboards.Service { return h.svc.Dashboards }

// dashboardJSON is a dashboard as the API shows it. Widgets and shares
// are left out of lists; shares also for a caller who may only view.
type dashboardJSON struct {
	ID          int64         `json:"id"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	OwnerID     *int64        `json:"owner_id"`
	Permission  string        `json:"permission"`
	CanEdit     bool          `json:"can_edit"`
	WidgetCount int           `json:"widget_count"`
	Version     int           `json:"version"`
	CreatedAt   string        `json:"created_at"`
	UpdatedAt   string        `json:"updated_at"`
	Widgets     *[]widgetJSON `json:"widgets,omitempty"`
	Shares      *[]shareJSON  `json:"shares,omitempty"`
}

type widgetJSON struct {
	ID       int64              `json:"id"`
	Position int                `json:"position"`
	Kind     string             `json:"kind"`
	Title    string             `json:"title"`
	Source   string             `json:"source"`
	Options  dashboards.Options `json:"options"`
	Version  int                `json:"version"`
}

type shareJSON struct {
	GroupID    int64  `json:"group_id"`
	GroupName  string `json:"group_name"`
	Permission string `json:"permission"`
}

func toDashboardJSON(d *dashboards.Dashboard, whole bool) dashboardJSON {
	out := dashboardJSON{ID: d.ID, Name: d.Name, Description: d.Description, Permission: string(d.Permission), CanEdit: d.CanEdit,
		WidgetCount: d.WidgetCount, Version: d.Version, CreatedAt: d.CreatedAt.Format(time.RFC3339), UpdatedAt: d.UpdatedAt.Format(time.RFC3339)}
	if d.OwnerID != 0 {
		out.OwnerID = &d.OwnerID
	}
	if whole {
		ws := make([]widgetJSON, 0, len(d.Widgets))
		for i := range d.Widgets {
			ws = append(ws, toWidgetJSON(&d.Widgets[i]))
		}
		out.Widgets = &ws
		if d.Shares != nil {
			ss := sharesJSON(d.Shares)
			out.Shares = &ss
		}
	}
	return out
}

func toWidgetJSON(w *dashboards.Widget) widgetJSON {
	return widgetJSON{ID: w.ID, Position: w.Position, Kind: w.Kind, Title: w.Title, Source: w.Source, Options: w.Options, Version: w.Version}
}

func sharesJSON(ss []dashboards.Share) []shareJSON {
	out := make([]shareJSON, 0, len(ss))
	for _, s := range ss {
		out = append(out, shareJSON{GroupID: s.GroupID, GroupName: s.GroupName, Permission: string(s.Permission)})
	}
	return out
}

// dashboardBody is a dashboard as the API takes it; on PUT a field left
// out keeps its value.
type dashboardBody struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Version     int     `json:"version"`
}

func (b dashboardBody) input(base dashboards.DashboardInput) dashboards.DashboardInput {
	set(&base.Name, b.Name)
	set(&base.Description, b.Description)
	base.Version = b.Version
	return base
}

func (h *Handler) apiDashboards(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	ds, err := h.dashboardsService().ListDashboards(r.Context(), t, p)
	if err != nil {
		return err
	}
	out := make([]dashboardJSON, 0, len(ds))
	for i := range ds {
		out = append(out, toDashboardJSON(&ds[i], false))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"dashboards": out})
}

func (h *Handler) apiDashboard(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := h.dashboardsService().GetDashboard(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"dashboard": toDashboardJSON(d, true)})
}

func (h *Handler) apiCreateDashboard(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var b dashboardBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	d, err := h.dashboardsService().CreateDashboard(r.Context(), t, p, b.input(dashboards.DashboardInput{}))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"dashboard": toDashboardJSON(d, true)})
}

func (h *Handler) apiUpdateDashboard(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b dashboardBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	svc := h.dashboardsService()
	cur, err := svc.GetDashboard(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	if b.Version == 0 {
		return strongroom.FieldError("version", "Send the version of the dashboard you are editing.")
	}
	d, err := svc.UpdateDashboard(r.Context(), t, p, id, b.input(dashboards.DashboardInput{Name: cur.Name, Description: cur.Description}))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"dashboard": toDashboardJSON(d, true)})
}

// apiDeleteDashboard takes ?version= and ?confirm=true: a deletion takes
// the widgets and shares with it and cannot be undone.
func (h *Handler) apiDeleteDashboard(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	version, err := queryVersion(r)
	if err != nil {
		return err
	}
	confirm := r.URL.Query().Get("confirm")
	if confirm != "" && confirm != "true" && confirm != "false" {
		return strongroom.FieldError("confirm", "Send confirm=true to delete the dashboard.")
	}
	del := dashboards.Deletion{Version: version, Confirmed: confirm == "true"}
	if err := h.dashboardsService().DeleteDashboard(r.Context(), t, p, id, del); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}

func (h *Handler) apiDuplicateDashboard(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b struct {
		Name *string `json:"name"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	name := ""
	set(&name, b.Name)
	d, err := h.dashboardsService().DuplicateDashboard(r.Context(), t, p, id, name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"dashboard": toDashboardJSON(d, true)})
}

func (h *Handler) apiReorderWidgets(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b struct {
		Order   []int64 `json:"order"`
		Version int     `json:"version"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	d, err := h.dashboardsService().ReorderWidgets(r.Context(), t, p, id, b.Order, b.Version)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"dashboard": toDashboardJSON(d, true)})
}

// widgetBody is a widget as the API takes it. On PUT a field left out
// keeps its value; options, when sent, are taken whole (an option left
// out of them takes its default).
type widgetBody struct {
	Kind    *string             `json:"kind"`
	Title   *string             `json:"title"`
	Source  *string             `json:"source"`
	Options *dashboards.Options `json:"options"`
	Version int                 `json:"version"`
}

func (b widgetBody) input(base dashboards.WidgetInput) dashboards.WidgetInput {
	set(&base.Kind, b.Kind)
	set(&base.Title, b.Title)
	set(&base.Source, b.Source)
	set(&base.Options, b.Options)
	base.Version = b.Version
	return base
}

func (h *Handler) apiAddWidget(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b widgetBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	wd, err := h.dashboardsService().AddWidget(r.Context(), t, p, id, b.input(dashboards.WidgetInput{}))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"widget": toWidgetJSON(wd)})
}

func (h *Handler) apiUpdateWidget(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, widgetID, err := pathIDs(r, "id", "widget")
	if err != nil {
		return err
	}
	var b widgetBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	svc := h.dashboardsService()
	d, err := svc.GetDashboard(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	var base *dashboards.Widget
	for i := range d.Widgets {
		if d.Widgets[i].ID == widgetID {
			base = &d.Widgets[i]
		}
	}
	if base == nil {
		return strongroom.Errorf(strongroom.ENOTFOUND, "No such widget.")
	}
	if b.Version == 0 {
		return strongroom.FieldError("version", "Send the version of the widget you are editing.")
	}
	in := b.input(dashboards.WidgetInput{Kind: base.Kind, Title: base.Title, Source: base.Source, Options: base.Options})
	wd, err := svc.UpdateWidget(r.Context(), t, p, id, widgetID, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"widget": toWidgetJSON(wd)})
}

func (h *Handler) apiRemoveWidget(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, widgetID, err := pathIDs(r, "id", "widget")
	if err != nil {
		return err
	}
	if err := h.dashboardsService().RemoveWidget(r.Context(), t, p, id, widgetID); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}

func (h *Handler) apiShares(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ss, err := h.dashboardsService().Shares(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"shares": sharesJSON(ss)})
}

func (h *Handler) apiShare(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, groupID, err := pathIDs(r, "id", "group")
	if err != nil {
		return err
	}
	var b struct {
		Permission string `json:"permission"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	svc := h.dashboardsService()
	if err := svc.Share(r.Context(), t, p, id, groupID, dashboards.Permission(b.Permission)); err != nil {
		return err
	}
	ss, err := svc.Shares(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"shares": sharesJSON(ss)})
}

func (h *Handler) apiUnshare(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, groupID, err := pathIDs(r, "id", "group")
	if err != nil {
		return err
	}
	if err := h.dashboardsService().Unshare(r.Context(), t, p, id, groupID); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}
