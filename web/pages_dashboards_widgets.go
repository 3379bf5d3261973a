package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"strongroom"
	"strongroom/dashboards"
	"strongroom/identity"
	"strongroom/metrics"
	"strongroom/tenancy"
)

// The widget forms of a dashboard's editor: one form for every kind, each
// field saying which kinds use it; the service checks the whole input and
// names every field at fault, and the form shows each message beside its
// field with what was typed.

func init() {
	for k, v := range map[string]string{
		"kind": "Kind", "title": "Title", "source": "Figures from", "source_other": "Other metric",
		"period": "Period", "from": "From", "to": "To", "bucket": "Bucket", "aggregation": "Aggregation",
		"style": "Chart style", "target": "Target", "group_by": "Group by", "currency": "Currency",
		"refresh_seconds": "Refresh every (seconds)", "width": "Width (columns)", "widgets": "Widgets",
		"group_id": "Group", "permission": "Permission",
	} {
		if _, ok := fieldLabels[k]; !ok {
			fieldLabels[k] = v
		}
	}
}

func (h *Handler) widgetPageRoutes(page func(string, authFunc), pre string) {
	page("GET "+pre+"/new", h.widgetPage)
	page("POST "+pre+"/new", h.widgetSubmit)
	page("GET "+pre+"/{widget}", h.widgetPage)
	page("POST "+pre+"/{widget}", h.widgetSubmit)
	page("GET "+pre+"/{widget}/delete", h.deleteWidgetPage)
	page("POST "+pre+"/{widget}/delete", h.deleteWidgetSubmit)
	page("POST "+pre+"/{widget}/move", h.moveWidgetSubmit)
}

// widgetFields are the widget form's fields in the order it shows them.
var widgetFields = []string{"kind", "title", "source", "source_other", "period", "from", "to", "bucket", "aggregation",
	"style", "target", "group_by", "currency", "refresh_seconds", "width"}

// otherSource is the source select's choice that takes a typed name.
const otherSource = "other"

// choice is an option of a select: its value and its words.
type choice struct{ Value, Label string }

// widgetFormView is the widget form's page.
type widgetFormView struct {
	Dashboard   *dashboards.Dashboard
	Widget      *dashboards.Widget // nil: a new one
	Kinds       []choice
	CaseSources []choice
	Metrics     []choice // the tenant's stored metrics
	Periods     []choice
	Buckets     []choice
	Aggs        []choice
	Styles      []choice
	Widths      []choice
	MaxWidth    int
	MinRefresh  int
	MaxRefresh  int
}

var kindLabels = map[string]string{
	dashboards.KindKPI: "KPI: one figure, with its change", dashboards.KindTimeseries: "Time series: a line or area chart",
	dashboards.KindBar: "Bar chart", dashboards.KindTable: "Table of figures",
}

// kindNames are the kinds' short names, for lists.
var kindNames = map[string]string{dashboards.KindKPI: "KPI", dashboards.KindTimeseries: "Time series", dashboards.KindBar: "Bar chart", dashboards.KindTable: "Table"}

var aggLabels = map[string]string{"sum": "Sum", "avg": "Average", "min": "Lowest", "max": "Highest", "count": "Count of values", "last": "Latest value"}

func choices(values []string, labels map[string]string) []choice {
	out := make([]choice, 0, len(values))
	for _, v := range values {
		l := labels[v]
		if l == "" {
			l = strings.ReplaceAll(strings.ToUpper(v[:1])+v[1:], "_", " ")
		}
		out = append(out, choice{Value: v, Label: l})
	}
	return out
}

func widthChoices() []choice {
	var out []choice
	for n := 1; n <= dashboards.MaxWidth; n++ {
		l := strconv.Itoa(n) + " columns"
		if n == 1 {
			l = "1 column"
		}
		if n == dashboards.MaxWidth {
			l += " (full width)"
		}
		out = append(out, choice{Value: strconv.Itoa(n), Label: l})
	}
	return out
}

// caseSourceChoices names the case-data sources as the figures they are.
func caseSourceChoices() []choice {
	var out []choice
	for _, s := range dashboards.CaseSources() {
		out = append(out, choice{Value: s, Label: metrics.CaseMetric(dashboards.MetricOf(s)).Label()})
	}
	return out
}

func (h *Handler) widgetPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.renderWidget(w, r, t, p, newView(r, t, p), nil)
}

// renderWidget shows the widget form with the error of a failed save; it
// holds the widget's values unless v brings what was typed.
func (h *Handler) renderWidget(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, formErr error) error {
	d, err := h.editable(r, t, p)
	if err != nil {
		return err
	}
	page := widgetFormView{Dashboard: d, Kinds: choices(dashboards.Kinds(), kindLabels), CaseSources: caseSourceChoices(),
		Periods: choices(dashboards.Periods(), nil), Buckets: choices(dashboards.Buckets(), nil),
		Aggs: choices(dashboards.Aggregations(), aggLabels), Styles: choices(dashboards.Styles(), nil),
		Widths: widthChoices(), MaxWidth: dashboards.MaxWidth, MinRefresh: dashboards.MinRefreshSeconds, MaxRefresh: dashboards.MaxRefreshSeconds}
	ms, err := h.svc.Metrics.List(r.Context(), t, p)
	if err != nil {
		return err
	}
	for _, m := range ms {
		l := m.Name
		if m.Label != "" {
			l = m.Label + " (" + m.Name + ")"
		}
		page.Metrics = append(page.Metrics, choice{Value: m.Name, Label: l})
	}
	if r.PathValue("widget") != "" {
		id, err := pathID(r, "widget")
		if err != nil {
			return err
		}
		i := slices.IndexFunc(d.Widgets, func(x dashboards.Widget) bool { return x.ID == id })
		if i < 0 {
			return strongroom.Errorf(strongroom.ENOTFOUND, "No such widget.")
		}
		page.Widget = &d.Widgets[i]
		if v.Form.Get("version") == "" {
			v.Form.Values = widgetValues(page.Widget, page)
		}
	}
	v.Page = page
	return h.renderForm(w, "dashboard_widget", v, formErr, widgetFields...)
}

// widgetValues fills the form from a saved widget.
func widgetValues(wd *dashboards.Widget, page widgetFormView) url.Values {
	o := wd.Options
	v := url.Values{}
	for k, s := range map[string]string{"kind": wd.Kind, "title": wd.Title, "source": wd.Source, "period": o.Period,
		"from": o.From, "to": o.To, "bucket": o.Bucket, "aggregation": o.Aggregation, "style": o.Style, "target": o.Target,
		"group_by": o.GroupBy, "currency": o.Currency, "refresh_seconds": strconv.Itoa(o.RefreshSeconds),
		"width": strconv.Itoa(o.Width), "version": strconv.Itoa(wd.Version)} {
		v.Set(k, s)
	}
	listed := func(cs []choice) bool {
		return slices.ContainsFunc(cs, func(c choice) bool { return c.Value == wd.Source })
	}
	if !listed(page.CaseSources) && !listed(page.Metrics) {
		v.Set("source", otherSource)
		v.Set("source_other", wd.Source)
	}
	return v
}

// widgetInput reads the form. A number that is not one is sent as -1, out
// of range, so that the service still checks the whole input and saves
// nothing; its message is then the form's own.
func widgetInput(r *http.Request) (dashboards.WidgetInput, []string) {
	f := r.PostForm
	get := func(name string) string { return strings.TrimSpace(f.Get(name)) }
	source := get("source")
	if source == otherSource {
		source = get("source_other")
	}
	var notNumbers []string
	number := func(name string) int {
		s := get(name)
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			notNumbers = append(notNumbers, name)
			return -1
		}
		return n
	}
	version, _ := strconv.Atoi(get("version"))
	in := dashboards.WidgetInput{Kind: get("kind"), Title: f.Get("title"), Source: source, Version: version,
		Options: dashboards.Options{Period: get("period"), Bucket: get("bucket"), Aggregation: get("aggregation"),
			Style: get("style"), Target: get("target"), GroupBy: get("group_by"), Currency: strings.ToUpper(get("currency")),
			RefreshSeconds: number("refresh_seconds"), Width: number("width")}}
	if in.Options.Period == dashboards.PeriodCustom {
		// The dates are shown for every period, and kept only for a
		// custom one: dates left in the fields do not stop another.
		in.Options.From, in.Options.To = get("from"), get("to")
	}
	return in, notNumbers
}

// widgetProblems names the service's problems by the form's fields.
func widgetProblems(err error, r *http.Request, notNumbers []string) error {
	problems := strongroom.ErrorProblems(err)
	if problems == nil {
		return err
	}
	var ps strongroom.Problems
	for _, p := range problems {
		field := strings.TrimPrefix(p.Field, "options.")
		if field == "source" && r.PostForm.Get("source") == otherSource {
			field = "source_other"
		}
		msg := p.Message
		if slices.Contains(notNumbers, field) {
			msg = "Enter a whole number."
		}
		ps.Addf(field, "%s", msg)
	}
	return ps.Err()
}

func (h *Handler) widgetSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	in, notNumbers := widgetInput(r)
	svc := h.dashboardsService()
	notice := "widget-added"
	if r.PathValue("widget") == "" {
		_, err = svc.AddWidget(r.Context(), t, p, id, in)
	} else {
		wid, perr := pathID(r, "widget")
		if perr != nil {
			return perr
		}
		notice = "widget-saved"
		_, err = svc.UpdateWidget(r.Context(), t, p, id, wid, in)
	}
	if err != nil {
		v := newView(r, t, p)
		v.Form.Values = formValues(r, append(widgetFields, "version")...)
		return h.renderWidget(w, r, t, p, v, widgetProblems(err, r, notNumbers))
	}
	return redirectDone(w, r, t, dashboardPath(id, "edit"), notice)
}

func (h *Handler) deleteWidgetPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	d, err := h.editable(r, t, p)
	if err != nil {
		return err
	}
	wid, err := pathID(r, "widget")
	if err != nil {
		return err
	}
	i := slices.IndexFunc(d.Widgets, func(x dashboards.Widget) bool { return x.ID == wid })
	if i < 0 {
		return strongroom.Errorf(strongroom.ENOTFOUND, "No such widget.")
	}
	return h.renderConfirm(w, r, t, p, confirmView{
		Title:       "Remove the widget “" + d.Widgets[i].Title + "”?",
		Consequence: []string{"It is taken off the dashboard " + d.Name + " for everyone who sees it, wall screens included; the widgets after it move up.", "The figures it showed are kept: only the widget goes."},
		Action:      tenantPath(t, dashboardPath(d.ID, "widgets/"+strconv.FormatInt(wid, 10)+"/delete")), Button: "Remove the widget",
		Cancel: tenantPath(t, dashboardPath(d.ID, "edit")),
	})
}

func (h *Handler) deleteWidgetSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, wid, err := pathIDs(r, "id", "widget")
	if err != nil {
		return err
	}
	if err := h.dashboardsService().RemoveWidget(r.Context(), t, p, id, wid); err != nil {
		return err
	}
	return redirectDone(w, r, t, dashboardPath(id, "edit"), "widget-removed")
}

// moveWidgetSubmit moves a widget one place up or down, based on the
// dashboard's version the editor showed: a reorder that meets another's
// change is refused rather than undoing it.
func (h *Handler) moveWidgetSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	d, err := h.editable(r, t, p)
	if err != nil {
		return err
	}
	wid, err := pathID(r, "widget")
	if err != nil {
		return err
	}
	order := make([]int64, len(d.Widgets))
	for i, x := range d.Widgets {
		order[i] = x.ID
	}
	i := slices.Index(order, wid)
	if i < 0 {
		return strongroom.Errorf(strongroom.ENOTFOUND, "No such widget.")
	}
	j := i - 1
	if r.PostForm.Get("direction") == "down" {
		j = i + 1
	}
	if j >= 0 && j < len(order) {
		order[i], order[j] = order[j], order[i]
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	if _, err := h.dashboardsService().ReorderWidgets(r.Context(), t, p, d.ID, order, version); err != nil {
		return h.renderEditor(w, r, t, p, newView(r, t, p), err)
	}
	return redirectDone(w, r, t, dashboardPath(d.ID, "edit"), "widget-moved")
}
