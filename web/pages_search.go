package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/search"
	"strongroom/tenancy"
)

// searchFields are the inputs of the search form.
var searchFields = []string{"q", "type", "status", "practice_group", "opened_from", "opened_to", "class", "limit", "cursor"}

// typeLabels name record types for people.
var typeLabels = map[cases.RecordType]string{
	cases.TypeCase: "Case", cases.TypeDocument: "Document", cases.TypeFinancial: "Financial record",
	cases.TypeContact: "Contact", cases.TypeNote: "Note", cases.TypeEvent: "Event",
}

// searchView is the search page: the form's choices and, once a search
// has run, its results.
type searchView struct {
	Types    []option
	Statuses []option
	Classes  []option
	Ran      bool
	Result   *search.Result
	Hits     []hitRow
	Facets   []facetGroup
	NextURL  string
	MaxCount int // how many hits are counted exactly
}

// option is a choice of the form.
type option struct {
	Value, Label string
	Checked      bool
}

type hitRow struct {
	Label   string
	URL     string
	Title   string
	Snippet string
	Case    *search.CaseRef
	CaseURL string
}

// facetGroup is one facet as links that narrow the search.
type facetGroup struct {
	Name  string
	Items []facetLink
}

type facetLink struct {
	Label string
	Count string
	URL   string
}

func (h *Handler) searchPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	v := newView(r, t, p)
	values := r.URL.Query()
	v.Form.Values = url.Values{}
	for _, f := range searchFields {
		if vs, ok := values[f]; ok {
			v.Form.Values[f] = vs
		}
	}
	page, err := h.searchOptions(r, t, p, values)
	if err != nil {
		return err
	}
	v.Page = page
	if strings.TrimSpace(values.Get("q")) == "" && len(values) <= 1 {
		return h.render(w, http.StatusOK, "search", v) // the empty form
	}
	q, err := searchQuery(values)
	if err == nil {
		page.Result, err = h.svc.Search.Search(r.Context(), t, p, q)
	}
	if err != nil {
		return h.renderForm(w, "search", v, err, searchFields...)
	}
	page.Ran = true
	page.Hits = hitRows(v, page.Result.Hits)
	page.Facets = facetGroups(v, values, page.Result)
	if page.Result.Next != "" {
		next := cloneValues(values)
		next.Set("cursor", page.Result.Next)
		page.NextURL = v.Path("search") + "?" + next.Encode()
	}
	return h.render(w, http.StatusOK, "search", v)
}

// searchOptions lists what the form offers this user: the record types they
// may read, the case statuses and their own classes.
func (h *Handler) searchOptions(r *http.Request, t *tenancy.Handle, p *identity.Principal, values url.Values) (*searchView, error) {
	page := &searchView{MaxCount: search.MaxCount}
	chosen := strings.Join(values["type"], ",")
	for _, typ := range cases.RecordTypes() {
		if p.Subject.Allowed(typ.Area(), access.Read) {
			page.Types = append(page.Types, option{Value: string(typ), Label: typeLabels[typ],
				Checked: containsItem(chosen, string(typ))})
		}
	}
	for _, st := range []string{"open", "pending", "closed", "archived"} {
		page.Statuses = append(page.Statuses, option{Value: st, Label: st, Checked: values.Get("status") == st})
	}
	classes, err := h.svc.Search.Classes(r.Context(), t, p)
	if err != nil {
		return nil, err
	}
	for _, c := range classes {
		id := strconv.FormatInt(c.ID, 10)
		page.Classes = append(page.Classes, option{Value: id, Label: c.Name, Checked: values.Get("class") == id})
	}
	return page, nil
}

func containsItem(list, item string) bool {
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == item {
			return true
		}
	}
	return false
}

// recordPath is the page of a record found.
func recordPath(v view, typ cases.RecordType, id int64) string {
	n := strconv.FormatInt(id, 10)
	switch typ {
	case cases.TypeCase:
		return v.Path("cases/" + n)
	case cases.TypeDocument:
		return v.Path("documents/" + n)
	case cases.TypeFinancial:
		return v.Path("financial/" + n)
	case cases.TypeContact:
		return v.Path("contacts/" + n)
	case cases.TypeNote:
		return v.Path("notes/" + n)
	}
	return v.Path("events/" + n)
}

func hitRows(v view, hits []search.Hit) []hitRow {
	rows := make([]hitRow, len(hits))
	for i, hit := range hits {
		rows[i] = hitRow{Label: typeLabels[hit.Type], URL: recordPath(v, hit.Type, hit.ID), Title: hit.Title,
			Snippet: hit.Snippet, Case: hit.Case}
		if hit.Case != nil && hit.Type != cases.TypeCase {
			rows[i].CaseURL = recordPath(v, cases.TypeCase, hit.Case.ID)
		}
	}
	return rows
}

// facetGroups turns the facets into links that add their filter to the
// search (and start again from the first page).
func facetGroups(v view, values url.Values, res *search.Result) []facetGroup {
	count := func(n int) string {
		if res.More {
			return strconv.Itoa(n) + "+"
		}
		return strconv.Itoa(n)
	}
	link := func(param, value string) string {
		next := cloneValues(values)
		next.Del("cursor")
		next.Set(param, value)
		return v.Path("search") + "?" + next.Encode()
	}
	var out []facetGroup
	add := func(name, param string, cs []search.Count, label func(string) string) {
		if len(cs) == 0 {
			return
		}
		g := facetGroup{Name: name}
		for _, c := range cs {
			f := facetLink{Label: label(c.Value), Count: count(c.Count)}
			if c.Value != "" { // an empty value is no filter: nothing to link
				f.URL = link(param, c.Value)
			}
			g.Items = append(g.Items, f)
		}
		out = append(out, g)
	}
	add("Type", "type", res.Facets.Types, func(s string) string { return typeLabels[cases.RecordType(s)] })
	add("Case status", "status", res.Facets.Statuses, func(s string) string { return s })
	add("Practice group", "practice_group", res.Facets.PracticeGroups, func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	})
	return out
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
