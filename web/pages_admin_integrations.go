package web

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/integrations"
	"strongroom/tenancy"
)

// Administration → Integrations: the list with each one's status, and a
// form per integration. A credential is never written into a page: the
// form says whether one is set and offers a field to replace it.

// integrationFields are the form's fields, named after the connector's
// (config.auth.token_url is auth_token_url).
var integrationFields = []string{"name", "label", "preset", "url", "method", "headers", "query", "body",
	"items", "value", "time", "dims", "metric", "pagination_kind", "pagination_next_url", "pagination_param",
	"pagination_start", "pagination_max_pages", "auth_kind", "auth_header", "auth_query_param", "auth_username",
	"auth_client_id", "auth_token_url", "auth_scopes", "allow_http", "interval_minutes", "enabled", "version"}

func (h *Handler) integrationRoutes() {
	page := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.pageAuthed(fn, false))) }
	pre := "/t/{slug}/admin/integrations"
	page("GET "+pre, h.integrationsPage)
	page("GET "+pre+"/new", h.newIntegrationPage)
	page("POST "+pre+"/new", h.integrationSubmit)
	page("GET "+pre+"/{id}", h.integrationPage)
	page("POST "+pre+"/{id}", h.integrationSubmit)
	page("POST "+pre+"/{id}/test", h.integrationTestSubmit)
	page("GET "+pre+"/{id}/delete", h.deleteIntegrationPage)
	page("POST "+pre+"/{id}/delete", h.deleteIntegrationSubmit)
}

// integrationView is the data of the edit form.
type integrationView struct {
	It      *integrations.Integration // nil: a new one
	Presets []integrations.Preset
	Preset  *integrations.Preset // the chosen one, for its description
	// Tested is set after the test button: the values a pull would write
	// (the first 50) or why it failed.
	Tested    bool
	TestError string
	Points    []testPoint
	More      int
	// F are the text fields, each with its label, hint, value and error.
	F map[string]fieldView
}

// fieldView is one text field of the form.
type fieldView struct{ Name, Label, Hint, Value, Error string }

// integrationLabels are the text fields' labels and hints.
var integrationLabels = map[string][2]string{
	"name":                 {"Name", "A short key: lower-case letters, digits and '-' (crm-pipeline)."},
	"label":                {"Label", "How pages and dashboards call it."},
	"url":                  {"URL", "https:// only, unless plain HTTP is allowed below."},
	"headers":              {"Headers", "One \"Name: value\" a line. Credentials go in the authentication, not here."},
	"query":                {"Query parameters", "One \"name=value\" a line."},
	"body":                 {"JSON body (POST only)", ""},
	"items":                {"Items path", "Where the elements that become values are, e.g. results[*]. Empty: the whole response is one."},
	"value":                {"Value path", "Within each item, e.g. properties.amount. Dotted keys, [n] and [*]."},
	"time":                 {"Time path", "Within each item; empty: the time of the pull."},
	"dims":                 {"Dimensions", "One \"name=path\" a line, e.g. stage=properties.dealstage."},
	"metric":               {"Metric name", "e.g. crm.deal_amount."},
	"pagination_next_url":  {"Next page URL path", "For next_url: where the next page's URL is, e.g. paging.next.link."},
	"pagination_param":     {"Page or offset parameter", "For page or offset, e.g. page."},
	"pagination_start":     {"First page or offset", ""},
	"pagination_max_pages": {"Most pages to fetch", "1 to 100; a pull fails rather than stop short."},
	"auth_header":          {"API key header", "For an API key in a header, e.g. X-Api-Key."},
	"auth_query_param":     {"API key parameter", "Or for an API key in a query parameter."},
	"auth_username":        {"User name", "For basic authentication."},
	"auth_client_id":       {"Client id", "For OAuth 2.0 client credentials."},
	"auth_token_url":       {"Token URL", "For OAuth 2.0: https:// only."},
	"auth_scopes":          {"Scopes", "For OAuth 2.0, separated by spaces."},
	"interval_minutes":     {"Pull every (minutes)", "From 15 minutes to 7 days (10080)."},
}

func integrationFieldViews(values url.Values, err error) map[string]fieldView {
	out := map[string]fieldView{}
	problems := strongroom.ErrorProblems(err)
	for name, lh := range integrationLabels {
		fv := fieldView{Name: name, Label: lh[0], Hint: lh[1], Value: values.Get(name)}
		for _, p := range problems {
			if p.Field == name {
				fv.Error = p.Message
				break
			}
		}
		out[name] = fv
	}
	return out
}

type testPoint struct {
	Metric, Value, Dims string
	At                  time.Time
}

func (h *Handler) integrationsService() (*integrations.Service, error) {
	if h.svc.Integrations == nil {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
	}
	return h.svc.Integrations, nil
}

func (h *Handler) integrationsPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	svc, err := h.integrationsService()
	if err != nil {
		return err
	}
	list, err := svc.List(r.Context(), t, p)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Page = list
	return h.render(w, http.StatusOK, "admin_integrations", v)
}

func (h *Handler) newIntegrationPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if _, err := h.integrationsService(); err != nil {
		return err
	}
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	v := newView(r, t, p)
	in := integrations.Input{Enabled: true, Interval: integrations.DefaultInterval,
		Connector: integrations.Connector{Method: "GET", Auth: integrations.Auth{Kind: integrations.AuthNone}}}
	if name := r.URL.Query().Get("preset"); name != "" {
		pr, err := integrations.PresetNamed(name)
		if err != nil {
			return err
		}
		in.Preset, in.Connector, in.Label = pr.Name, pr.Connector, pr.Label
	}
	v.Form.Values = integrationValues(in)
	return h.renderIntegration(w, r, v, nil, nil)
}

func (h *Handler) integrationPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	svc, err := h.integrationsService()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	it, err := svc.Get(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Form.Values = integrationValues(inputOf(it))
	return h.renderIntegration(w, r, v, it, nil)
}

func (h *Handler) renderIntegration(w http.ResponseWriter, r *http.Request, v view, it *integrations.Integration, formErr error) error {
	page := integrationView{It: it, Presets: integrations.Presets()}
	if name := v.Form.Get("preset"); name != "" {
		if pr, err := integrations.PresetNamed(name); err == nil {
			page.Preset = &pr
		}
	}
	if tv, ok := v.Page.(integrationView); ok {
		page.Tested, page.TestError, page.Points, page.More = tv.Tested, tv.TestError, tv.Points, tv.More
	}
	formErr = integrationFieldNames(formErr)
	page.F = integrationFieldViews(v.Form.Values, formErr)
	v.Page = page
	return h.renderForm(w, "admin_integration", v, formErr, append(integrationFields, "secret")...)
}

// integrationSubmit creates (POST …/new) or updates (POST …/{id}).
func (h *Handler) integrationSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	svc, err := h.integrationsService()
	if err != nil {
		return err
	}
	var id int64
	if r.PathValue("id") != "" {
		if id, err = pathID(r, "id"); err != nil {
			return err
		}
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	in, err := integrationInput(r)
	var it *integrations.Integration
	if err == nil && id == 0 {
		it, err = svc.Create(r.Context(), t, p, in)
	} else if err == nil {
		it, err = svc.Update(r.Context(), t, p, id, in)
	}
	if err != nil {
		v := newView(r, t, p)
		v.Form.Values = formValues(r, integrationFields...)
		var cur *integrations.Integration
		if id != 0 {
			if cur, _ = svc.Get(r.Context(), t, p, id); cur == nil {
				return err
			}
		}
		return h.renderIntegration(w, r, v, cur, err)
	}
	return redirect(w, r, tenantPath(t, "admin/integrations/"+strconv.FormatInt(it.ID, 10)))
}

// integrationTestSubmit fetches once and shows what would be written.
func (h *Handler) integrationTestSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	svc, err := h.integrationsService()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	it, err := svc.Get(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	points, terr := svc.Test(r.Context(), t, p, id)
	if terr != nil && strongroom.ErrorCode(terr) != strongroom.EUNAVAILABLE && strongroom.ErrorCode(terr) != strongroom.EINVALID {
		return terr // a refusal, or a fault of the database
	}
	tv := integrationView{Tested: true}
	if terr != nil {
		tv.TestError = strongroom.ErrorMessage(terr)
	}
	f := h.formatter(t)
	for i, pt := range points {
		if i == 50 {
			tv.More = len(points) - 50
			break
		}
		tv.Points = append(tv.Points, testPoint{Metric: pt.Metric, At: pt.At, Value: pointValue(pt.Value, f.Number), Dims: dimsText(pt.Dims)})
	}
	v := newView(r, t, p)
	v.Form.Values = integrationValues(inputOf(it))
	v.Page = tv
	return h.renderIntegration(w, r, v, it, nil)
}

func (h *Handler) deleteIntegrationPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	svc, err := h.integrationsService()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	it, err := svc.Get(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	base := "admin/integrations/" + strconv.FormatInt(id, 10)
	return h.renderConfirm(w, r, t, p, confirmView{
		Title:       "Delete integration " + it.Label + "?",
		Consequence: []string{"Its settings and its credential are removed, and it is pulled no more. Values it already wrote stay."},
		Action:      tenantPath(t, base+"/delete"), Button: "Delete integration", Cancel: tenantPath(t, base),
	})
}

func (h *Handler) deleteIntegrationSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	svc, err := h.integrationsService()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := svc.Delete(r.Context(), t, p, id); err != nil {
		return err
	}
	return redirect(w, r, tenantPath(t, "admin/integrations"))
}

// inputOf is an integration as its form shows it (never its credential).
func inputOf(it *integrations.Integration) integrations.Input {
	return integrations.Input{Name: it.Name, Label: it.Label, Preset: it.Preset, Connector: it.Connector,
		AllowHTTP: it.AllowHTTP, Interval: it.Interval, Enabled: it.Enabled, Version: it.Version}
}

// integrationValues writes an input into form fields.
func integrationValues(in integrations.Input) url.Values {
	c := in.Connector
	v := url.Values{}
	set := func(k, s string) { v.Set(k, s) }
	set("name", in.Name)
	set("label", in.Label)
	set("preset", in.Preset)
	set("url", c.URL)
	set("method", c.Method)
	set("headers", pairs(c.Headers, ": "))
	set("query", pairs(c.Query, "="))
	set("body", c.Body)
	set("items", c.Items)
	set("value", c.Value)
	set("time", c.Time)
	set("dims", pairs(c.Dims, "="))
	set("metric", c.Metric)
	set("pagination_kind", c.Pagination.Kind)
	set("pagination_next_url", c.Pagination.NextURL)
	set("pagination_param", c.Pagination.Param)
	set("pagination_start", strconv.Itoa(c.Pagination.Start))
	set("pagination_max_pages", strconv.Itoa(c.Pagination.MaxPages))
	set("auth_kind", c.Auth.Kind)
	set("auth_header", c.Auth.Header)
	set("auth_query_param", c.Auth.QueryParam)
	set("auth_username", c.Auth.Username)
	set("auth_client_id", c.Auth.ClientID)
	set("auth_token_url", c.Auth.TokenURL)
	set("auth_scopes", strings.Join(c.Auth.Scopes, " "))
	set("interval_minutes", strconv.Itoa(int(in.Interval/time.Minute)))
	set("version", strconv.Itoa(in.Version))
	if in.AllowHTTP {
		set("allow_http", "on")
	}
	if in.Enabled {
		set("enabled", "on")
	}
	return v
}

// integrationInput reads the posted form.
func integrationInput(r *http.Request) (integrations.Input, error) {
	f := r.PostForm.Get
	var ps strongroom.Problems
	num := func(name string) int {
		s := strings.TrimSpace(f(name))
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			ps.Addf(name, "Give a whole number.")
		}
		return n
	}
	in := integrations.Input{Name: strings.TrimSpace(f("name")), Label: f("label"), Preset: f("preset"),
		AllowHTTP: f("allow_http") != "", Enabled: f("enabled") != ""}
	in.Interval = time.Duration(num("interval_minutes")) * time.Minute
	in.Version = num("version")
	c := &in.Connector
	c.URL, c.Method, c.Body = strings.TrimSpace(f("url")), f("method"), strings.TrimSpace(f("body"))
	c.Headers = readPairs(&ps, "headers", f("headers"), ":")
	c.Query = readPairs(&ps, "query", f("query"), "=")
	c.Dims = readPairs(&ps, "dims", f("dims"), "=")
	c.Items, c.Value, c.Time, c.Metric = strings.TrimSpace(f("items")), strings.TrimSpace(f("value")), strings.TrimSpace(f("time")), strings.TrimSpace(f("metric"))
	c.Pagination = integrations.Pagination{Kind: f("pagination_kind"), NextURL: strings.TrimSpace(f("pagination_next_url")),
		Param: strings.TrimSpace(f("pagination_param")), Start: num("pagination_start"), MaxPages: num("pagination_max_pages")}
	c.Auth = integrations.Auth{Kind: f("auth_kind"), Header: strings.TrimSpace(f("auth_header")), QueryParam: strings.TrimSpace(f("auth_query_param")),
		Username: strings.TrimSpace(f("auth_username")), ClientID: strings.TrimSpace(f("auth_client_id")),
		TokenURL: strings.TrimSpace(f("auth_token_url")), Scopes: strings.Fields(f("auth_scopes"))}
	// An empty credential field keeps the one set; the form never holds it.
	if s := f("secret"); s != "" {
		in.Secret = &s
	}
	return in, ps.Err()
}

// pairs writes a map one "key SEP value" a line, sorted.
func pairs(m map[string]string, sep string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + sep + m[k] + "\n")
	}
	return b.String()
}

func readPairs(ps *strongroom.Problems, field, text, sep string) map[string]string {
	var m map[string]string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, sep)
		if !ok || strings.TrimSpace(k) == "" {
			ps.Addf(field, "Write one %q a line.", "name"+sep+"value")
			return nil
		}
		if m == nil {
			m = map[string]string{}
		}
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return m
}

func dimsText(d map[string]string) string {
	return strings.TrimSpace(strings.ReplaceAll(pairs(d, "="), "\n", ", "))
}

// integrationFieldNames names the service's fields as the form does
// (config.auth.token_url is auth_token_url, interval is interval_minutes).
func integrationFieldNames(err error) error {
	problems := strongroom.ErrorProblems(err)
	if problems == nil {
		return err
	}
	var ps strongroom.Problems
	for _, p := range problems {
		name := strings.ReplaceAll(strings.TrimPrefix(p.Field, "config."), ".", "_")
		if name == "interval" {
			name = "interval_minutes"
		}
		if !slices.Contains(integrationFields, name) && name != "secret" {
			name = p.Field
		}
		ps.Addf(name, "%s", p.Message)
	}
	return ps.Err()
}

// pointValue writes a value: whole numbers in the tenant's digit grouping,
// others as the API gave them.
func pointValue(v float64, number func(int64) string) string {
	if v == float64(int64(v)) && v > -1e15 && v < 1e15 {
		return number(int64(v))
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
