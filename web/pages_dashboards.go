package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/charts"
	"strongroom/dashboards"
	"strongroom/identity"
	"strongroom/metrics"
	"strongroom/tenancy"
)

// The dashboard pages: the list, a dashboard drawn for its viewer, and the
// forms that make, change, share, copy and delete one. Package dashboards
// decides who may do what (a dashboard the user may not see is a missing
// one); package widgets draws the panels for this viewer.

func init() {
	for k, v := range map[string]string{
		"dashboard-created":    "The dashboard has been created. Add its widgets here.",
		"dashboard-saved":      "The dashboard has been saved.",
		"dashboard-deleted":    "The dashboard has been deleted.",
		"dashboard-duplicated": "The copy has been made. It is yours and shared with no one.",
		"widget-added":         "The widget has been added.",
		"widget-saved":         "The widget has been saved.",
		"widget-removed":       "The widget has been removed.",
		"widget-moved":         "The widget has been moved.",
		"share-saved":          "The dashboard's sharing has been saved.",
		"share-removed":        "The group no longer sees this dashboard through this share.",
	} {
		notices[k] = v
	}
}

// dashboardPageRoutes registers the dashboard pages.
func (h *Handler) dashboardPageRoutes() {
	page := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.pageAuthed(fn, false))) }
	pre := "/t/{slug}/dashboards"
	page("GET "+pre, h.dashboardsPage)
	page("GET "+pre+"/new", h.newDashboardPage)
	page("POST "+pre+"/new", h.newDashboardSubmit)
	page("GET "+pre+"/{id}", h.dashboardPage)
	page("GET "+pre+"/{id}/edit", h.editDashboardPage)
	page("POST "+pre+"/{id}/edit", h.editDashboardSubmit)
	page("GET "+pre+"/{id}/duplicate", h.duplicateDashboardPage)
	page("POST "+pre+"/{id}/duplicate", h.duplicateDashboardSubmit)
	page("GET "+pre+"/{id}/delete", h.deleteDashboardPage)
	page("POST "+pre+"/{id}/delete", h.deleteDashboardSubmit)
	h.widgetPageRoutes(page, pre+"/{id}/widgets")
	h.sharePageRoutes(page, pre+"/{id}/share")
}

// dashboardsView is the list page.
type dashboardsView struct {
	Dashboards []dashboards.Dashboard
	CanCreate  bool
}

func (h *Handler) dashboardsPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	ds, err := h.dashboardsService().ListDashboards(r.Context(), t, p)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Page = dashboardsView{Dashboards: ds, CanCreate: p.Subject.Allowed(access.Dashboards, access.Edit)}
	return h.render(w, http.StatusOK, "dashboards", v)
}

// dashboardView is one dashboard drawn for its viewer.
type dashboardView struct {
	Dashboard *dashboards.Dashboard
	Grid      panelGrid
	// Refresh is how often, in seconds, a browser without script reloads.
	Refresh int
	// Unencrypted: some panel's figures come from an integration allowed
	// plain HTTP.
	Unencrypted bool
	CanCreate   bool
}

func (h *Handler) dashboardPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	d, err := h.dashboardOf(r, t, p)
	if err != nil {
		return err
	}
	panels, err := h.svc.Widgets.Panels(r.Context(), t, p, d.Widgets, charts.Options{Size: charts.Normal, Format: h.formatter(t)})
	if err != nil {
		return err
	}
	page := dashboardView{Dashboard: d, Refresh: refreshOf(d.Widgets), CanCreate: p.Subject.Allowed(access.Dashboards, access.Edit),
		Grid: panelGrid{Topic: fmt.Sprintf("tenant/%s/dashboard/%d", t.Tenant.Slug, d.ID), Panels: panels}}
	plain, err := h.unencryptedMetrics(r, t)
	if err != nil {
		return err
	}
	for _, wd := range d.Widgets {
		if plain[dashboards.MetricOf(wd.Source)] {
			if page.Grid.Unencrypted == nil {
				page.Grid.Unencrypted = map[int64]bool{}
			}
			page.Grid.Unencrypted[wd.ID], page.Unencrypted = true, true
		}
	}
	v := newView(r, t, p)
	v.Page = page
	return h.render(w, http.StatusOK, "dashboard", v)
}

// unencryptedMetrics names the metrics that integrations allowed plain
// HTTP record; none where integrations are not configured.
func (h *Handler) unencryptedMetrics(r *http.Request, t *tenancy.Handle) (map[string]bool, error) {
	if h.svc.Integrations == nil {
		return nil, nil
	}
	return h.svc.Integrations.UnencryptedMetrics(r.Context(), t)
}

// refreshOf is how often the page reloads without script: as often as its
// most often refreshed widget, else every DefaultRefresh seconds.
func refreshOf(ws []dashboards.Widget) int {
	n := 0
	for _, w := range ws {
		if s := w.Options.RefreshSeconds; s > 0 && (n == 0 || s < n) {
			n = s
		}
	}
	if n == 0 {
		return dashboards.DefaultRefresh
	}
	return n
}

// dashboardOf reads the dashboard the path names, as the user may see it.
func (h *Handler) dashboardOf(r *http.Request, t *tenancy.Handle, p *identity.Principal) (*dashboards.Dashboard, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.dashboardsService().GetDashboard(r.Context(), t, p, id)
}

// editable reads the dashboard the path names for a change: one the user
// sees but may not change is refused as the service refuses it.
func (h *Handler) editable(r *http.Request, t *tenancy.Handle, p *identity.Principal) (*dashboards.Dashboard, error) {
	d, err := h.dashboardOf(r, t, p)
	if err != nil {
		return nil, err
	}
	if !d.CanEdit {
		if err := p.Subject.Require(access.Dashboards, access.Edit); err != nil {
			return nil, err
		}
		return nil, strongroom.Errorf(strongroom.EFORBIDDEN, "This dashboard is shared with you to view; you may not change it.")
	}
	return d, nil
}

func dashboardPath(id int64, rest string) string {
	if rest == "" {
		return fmt.Sprintf("dashboards/%d", id)
	}
	return fmt.Sprintf("dashboards/%d/%s", id, rest)
}

// dashboardFormView is the page that names a dashboard: a new one, or the
// editor of one with its widgets.
type dashboardFormView struct {
	Dashboard *dashboards.Dashboard // nil: a new one
	// Rows are its widgets as the editor lists them.
	Rows []widgetRow
}

// widgetRow is a widget in the editor's list.
type widgetRow struct {
	dashboards.Widget
	KindLabel, SourceLabel string
	Number                 int // from 1
	First, Last            bool
}

// sourceLabel names a widget's source as its form does.
func sourceLabel(source string) string {
	if source != dashboards.MetricOf(source) {
		if l := metrics.CaseMetric(dashboards.MetricOf(source)).Label(); l != "" {
			return l
		}
	}
	return source
}

var dashboardFields = []string{"name", "description"}

func (h *Handler) newDashboardPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.Subject.Require(access.Dashboards, access.Edit); err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Page = dashboardFormView{}
	return h.renderForm(w, "dashboard_form", v, nil, dashboardFields...)
}

func (h *Handler) newDashboardSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := dashboards.DashboardInput{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description")}
	d, err := h.dashboardsService().CreateDashboard(r.Context(), t, p, in)
	if err != nil {
		v := newView(r, t, p)
		v.Form.Values = formValues(r, dashboardFields...)
		v.Page = dashboardFormView{}
		return h.renderForm(w, "dashboard_form", v, err, dashboardFields...)
	}
	return redirectDone(w, r, t, dashboardPath(d.ID, "edit"), "dashboard-created")
}

func (h *Handler) editDashboardPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.renderEditor(w, r, t, p, newView(r, t, p), nil)
}

// renderEditor shows a dashboard's editor with the error of a failed
// change; the name form holds the dashboard's values unless v brings what
// was typed.
func (h *Handler) renderEditor(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, formErr error) error {
	d, err := h.editable(r, t, p)
	if err != nil {
		return err
	}
	if v.Form.Get("version") == "" {
		v.Form.Values.Set("name", d.Name)
		v.Form.Values.Set("description", d.Description)
		v.Form.Values.Set("version", strconv.Itoa(d.Version))
	}
	ms, err := h.svc.Metrics.List(r.Context(), t, p)
	if err != nil {
		return err
	}
	labels := map[string]string{}
	for _, m := range ms {
		if m.Label != "" {
			labels[m.Name] = m.Label + " (" + m.Name + ")"
		}
	}
	page := dashboardFormView{Dashboard: d}
	for i, wd := range d.Widgets {
		source := sourceLabel(wd.Source)
		if l := labels[wd.Source]; l != "" {
			source = l
		}
		page.Rows = append(page.Rows, widgetRow{Widget: wd, KindLabel: kindNames[wd.Kind], SourceLabel: source,
			Number: i + 1, First: i == 0, Last: i == len(d.Widgets)-1})
	}
	v.Page = page
	return h.renderForm(w, "dashboard_form", v, formErr, dashboardFields...)
}

func (h *Handler) editDashboardSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	in := dashboards.DashboardInput{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description"), Version: version}
	if _, err := h.dashboardsService().UpdateDashboard(r.Context(), t, p, id, in); err != nil {
		v := newView(r, t, p)
		v.Form.Values = formValues(r, "name", "description", "version")
		return h.renderEditor(w, r, t, p, v, err)
	}
	return redirectDone(w, r, t, dashboardPath(id, "edit"), "dashboard-saved")
}

func (h *Handler) duplicateDashboardPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.renderDuplicate(w, r, t, p, newView(r, t, p), nil)
}

func (h *Handler) renderDuplicate(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, formErr error) error {
	d, err := h.dashboardOf(r, t, p)
	if err != nil {
		return err
	}
	if err := p.Subject.Require(access.Dashboards, access.Edit); err != nil {
		return err
	}
	v.Page = dashboardFormView{Dashboard: d}
	return h.renderForm(w, "dashboard_duplicate", v, formErr, "name")
}

func (h *Handler) duplicateDashboardSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	d, err := h.dashboardsService().DuplicateDashboard(r.Context(), t, p, id, r.PostForm.Get("name"))
	if err != nil {
		v := newView(r, t, p)
		v.Form.Values = formValues(r, "name")
		return h.renderDuplicate(w, r, t, p, v, err)
	}
	return redirectDone(w, r, t, dashboardPath(d.ID, ""), "dashboard-duplicated")
}

// deleteDashboardPage asks before a dashboard is deleted, saying what goes
// with it: its widgets, and its shares (those who see it through them stop
// seeing it).
func (h *Handler) deleteDashboardPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	d, err := h.editable(r, t, p)
	if err != nil {
		return err
	}
	says := []string{fmt.Sprintf("Its %s go with it.", groupCount(d.WidgetCount, "widget", "widgets"))}
	if n := len(d.Shares); n > 0 {
		names := make([]string, 0, n)
		for _, sh := range d.Shares {
			names = append(names, sh.GroupName)
		}
		says = append(says, fmt.Sprintf("It is shared with %s (%s); their members stop seeing it at once, on their screens and on wall screens.",
			groupCount(n, "group", "groups"), strings.Join(names, ", ")))
	} else {
		says = append(says, "It is shared with no group.")
	}
	says = append(says, "A deleted dashboard cannot be brought back. To keep a copy, duplicate it first.")
	return h.renderConfirm(w, r, t, p, confirmView{
		Title: "Delete dashboard " + d.Name + "?", Consequence: says,
		Action: tenantPath(t, dashboardPath(d.ID, "delete")), Version: d.Version, Button: "Delete dashboard " + d.Name,
		Cancel: tenantPath(t, dashboardPath(d.ID, "")),
	})
}

func (h *Handler) deleteDashboardSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	// The confirmation page's button is the confirmation: a POST without
	// the page's version is not one.
	del := dashboards.Deletion{Version: version, Confirmed: r.PostForm.Has("version")}
	if err := h.dashboardsService().DeleteDashboard(r.Context(), t, p, id, del); err != nil {
		if strongroom.ErrorCode(err) == strongroom.ECONFLICT || strongroom.ErrorCode(err) == strongroom.EINVALID {
			return h.renderEditor(w, r, t, p, newView(r, t, p), err)
		}
		return err
	}
	return redirectDone(w, r, t, "dashboards", "dashboard-deleted")
}
