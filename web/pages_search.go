package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/format"
	"strongroom/identity"
	"strongroom/search"
	"strongroom/tenancy"
)

// searchFields are the inputs of the search form.
var searchFields = []string{"q", "type", "status", "practice_group", "opened_from", "opened_to", "class", "sort", "limit", "cursor"}

// searchFilters are the parameters that narrow a search (each one a chip
// that can be removed).
var searchFilters = []string{"type", "status", "practice_group", "opened_from", "opened_to", "class"}

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
	Chips    []chip
	ClearURL string // the same words with no filter; empty when none is set
	Sorts    []sortLink
	NextURL  string
	MaxCount int // how many hits are counted exactly
	// Hidden are the filters and order kept when new words are searched.
	Hidden []option
	// FiltersOpen opens the filter form: the search was refused (a field
	// of it may be at fault).
	FiltersOpen bool
}

// option is a choice of the form.
type option struct {
	Value, Label string
	Checked      bool
}

type hitRow struct {
	Label   string
	URL     string
	Title   template.HTML // escaped, with the searched words marked
	Snippet template.HTML // escaped, with the searched words marked
	Case    *search.CaseRef
	CaseURL string
}

// facetGroup is one facet as links that narrow the search.
type facetGroup struct {
	Name  string
	Items []facetLink
}

// facetLink narrows the search to one value, or, when that value is the
// filter already (Active), removes it.
type facetLink struct {
	Label  string
	Count  string
	URL    string
	Active bool
}

// chip is a filter in force, with the link that drops it.
type chip struct {
	Label, URL string
}

// sortLink is one order of the results.
type sortLink struct {
	Label, URL string
	Current    bool
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
	page.Hidden = hiddenFilters(values)
	if strings.TrimSpace(values.Get("q")) == "" && len(values) <= 1 {
		return h.render(w, http.StatusOK, "search", v) // the empty form
	}
	q, err := searchQuery(values)
	if err == nil {
		page.Result, err = h.svc.Search.Search(r.Context(), t, p, q)
	}
	if err != nil {
		page.FiltersOpen = true
		// An error about a field with a control of its own is shown there;
		// one about the order or the page, above the form.
		return h.renderForm(w, "search", v, err, append([]string{"q"}, searchFilters...)...)
	}
	page.Ran = true
	page.Hits = hitRows(v, page.Result.Hits)
	page.Facets = facetGroups(v, values, page.Result)
	page.Chips = h.searchChips(v, t, values, page.Classes)
	if len(page.Chips) > 0 {
		page.ClearURL = searchURL(v, values, func(u url.Values) {
			for _, f := range searchFilters {
				u.Del(f)
			}
		})
	}
	page.Sorts = sortLinks(v, values)
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
	chosen := chosenTypes(values)
	for _, typ := range cases.RecordTypes() {
		if p.Subject.Allowed(typ.Area(), access.Read) {
			page.Types = append(page.Types, option{Value: string(typ), Label: typeLabels[typ],
				Checked: slices.Contains(chosen, string(typ))})
		}
	}
	for _, st := range []string{"open", "pending", "closed", "archived"} {
		page.Statuses = append(page.Statuses, option{Value: st, Label: format.Words(st), Checked: values.Get("status") == st})
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

// chosenTypes lists the type filter's values, given repeated or
// comma-separated.
func chosenTypes(values url.Values) []string {
	var out []string
	for _, t := range values["type"] {
		for _, part := range strings.Split(t, ",") {
			if part = strings.TrimSpace(part); part != "" && !slices.Contains(out, part) {
				out = append(out, part)
			}
		}
	}
	return out
}

// hiddenFilters are the filters and order the words form carries along.
func hiddenFilters(values url.Values) []option {
	var out []option
	for _, f := range append(slices.Clone(searchFilters), "sort") {
		if f == "type" {
			for _, typ := range chosenTypes(values) {
				out = append(out, option{Value: typ, Label: f})
			}
			continue
		}
		if s := values.Get(f); s != "" {
			out = append(out, option{Value: s, Label: f})
		}
	}
	return out
}

// searchURL is the search page for values changed by edit, from the first
// page of results.
func searchURL(v view, values url.Values, edit func(url.Values)) string {
	next := cloneValues(values)
	next.Del("cursor")
	edit(next)
	return v.Path("search") + "?" + next.Encode()
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
		rows[i] = hitRow{Label: typeLabels[hit.Type], URL: recordPath(v, hit.Type, hit.ID),
			Title: markedHTML(hit.Title, hit.TitleMarks), Snippet: markedHTML(hit.Snippet, hit.SnippetMarks), Case: hit.Case}
		if hit.Case != nil && hit.Type != cases.TypeCase {
			rows[i].CaseURL = recordPath(v, cases.TypeCase, hit.Case.ID)
		}
	}
	return rows
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
