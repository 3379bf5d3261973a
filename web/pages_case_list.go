package web

import (
	"net/http"
	"net/url"
	"strconv"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/format"
	"strongroom/identity"
	"strongroom/tenancy"
)

// caseListView is the case list page: the filter form and its choices,
// the active filters, the sortable table and the pages.
type caseListView struct {
	List        *cases.CasePage
	Columns     []sortColumn
	Chips       []filterChip
	Pages       []pageLink
	Prev, Next  string
	Export      string
	Clear       string // the list without filters ("" when none is set)
	Statuses    []string
	Groups      []string
	Users       []cases.Choice // empty for restricted users: no staff filter
	MDL         []cases.MDLGroup
	CanEdit     bool
	Restricted  bool
	HasFilters  bool
	Mine        bool   // the "my cases" box is ticked
	PageOf      string // "Page 2 of 14"
	Sort, Dir   string
	Unavailable bool // the filter was refused: Form.Error says why
}

// sortColumn is a header of the case list: a link that sorts by it.
type sortColumn struct {
	Label, Href string
	// AriaSort is "ascending" or "descending" on the column sorted by.
	AriaSort string
	Num      bool
}

// filterChip is an active filter with the link that removes it.
type filterChip struct{ Label, Remove string }

// pageLink is a numbered page link; Gap marks an ellipsis.
type pageLink struct {
	N       int
	Href    string
	Current bool
	Gap     bool
}

var caseColumns = []struct{ sort, label string }{
	{cases.SortNumber, "Number"}, {cases.SortTitle, "Title"}, {cases.SortClient, "Client"},
	{cases.SortStatus, "Status"}, {cases.SortOpened, "Opened"}, {cases.SortUpdated, "Updated"},
}

func (h *Handler) casesPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	ctx := r.Context()
	q := caseListQuery(r.URL.Query())
	q.Del("cursor") // the page goes by page number
	v := newView(r, t, p)
	v.Form.Values = q
	page := &caseListView{Statuses: cases.Statuses(), CanEdit: p.Subject.Allowed(access.Cases, access.Edit),
		Restricted: p.Subject.Restricted}
	v.Page = page
	var err error
	if page.Groups, err = h.svc.Cases.PracticeGroups(ctx, t, p); err != nil {
		return err
	}
	if page.Users, err = h.svc.Cases.UserChoices(ctx, t, p); err != nil {
		return err
	}
	if page.MDL, err = h.svc.Cases.ListMDL(ctx, t, p); err != nil {
		return err
	}
	f, err := caseFilterOf(q)
	page.Mine = f.Mine
	if err == nil {
		if f.Page == 0 {
			f.Page = 1
		}
		page.List, err = h.svc.Cases.ListCasePage(ctx, t, p, f)
	}
	if strongroom.ErrorCode(err) == strongroom.EINVALID {
		// A bad filter is shown above the form, which keeps what was typed.
		page.Unavailable = true
		v.Form.Field, v.Form.Error = strongroom.ErrorField(err), strongroom.ErrorMessage(err)
		v.Form.fields = []string{"filter", "status", "responsible"}
		page.Clear = v.Path("cases")
		return h.render(w, http.StatusBadRequest, "cases", v)
	} else if err != nil {
		return err
	}
	f.Sort, f.Dir = page.List.Sort, page.List.Dir
	page.Sort, page.Dir = f.Sort, f.Dir
	base := v.Path("cases")
	page.fill(base, q, f)
	page.Export = pathQuery(v.Path("cases/export.csv"), withParams(q, "limit", ""))
	return h.render(w, http.StatusOK, "cases", v)
}

// fill works out the links of the page: headers, chips, pages, export.
func (page *caseListView) fill(base string, q url.Values, f cases.CaseFilter) {
	for _, c := range caseColumns {
		col := sortColumn{Label: c.label, Num: c.sort == cases.SortOpened || c.sort == cases.SortUpdated}
		dir := cases.Asc
		if cases.DefaultDesc(c.sort) {
			dir = cases.Desc
		}
		if c.sort == f.Sort {
			col.AriaSort = "ascending"
			dir = cases.Desc
			if f.Dir == cases.Desc {
				col.AriaSort, dir = "descending", cases.Asc
			}
		}
		col.Href = pathQuery(base, withParams(q, "sort", c.sort, "dir", dir))
		page.Columns = append(page.Columns, col)
	}
	chip := func(label, key string) {
		page.Chips = append(page.Chips, filterChip{Label: label, Remove: pathQuery(base, withParams(q, key, ""))})
	}
	if f.Contains != "" {
		chip("Contains “"+f.Contains+"”", "q")
	}
	if f.Status != "" {
		chip("Status: "+format.Words(f.Status), "status")
	}
	if f.PracticeGroup != "" {
		chip("Practice group: "+f.PracticeGroup, "practice_group")
	}
	if f.Mine {
		chip("My cases", "mine")
	}
	if f.Responsible != 0 {
		name := "user " + strconv.FormatInt(f.Responsible, 10)
		for _, u := range page.Users {
			if u.ID == f.Responsible {
				name = u.Name
			}
		}
		chip("Responsible: "+name, "responsible")
	}
	if f.MDLID != 0 {
		label := "MDL group " + strconv.FormatInt(f.MDLID, 10)
		for _, g := range page.MDL {
			if g.ID == f.MDLID {
				label = g.Code
			}
		}
		chip("Litigation group: "+label, "mdl_id")
	}
	if f.Tag != "" {
		chip("Tag: "+f.Tag, "tag")
	}
	page.HasFilters = len(page.Chips) > 0
	if page.HasFilters {
		keep := url.Values{}
		for _, k := range []string{"sort", "dir", "limit"} {
			if q.Get(k) != "" {
				keep.Set(k, q.Get(k))
			}
		}
		page.Clear = pathQuery(base, keep)
	}
	page.pages(base, q)
}

// pages works out the page links: the first, the last, and two either side
// of the current one, with gaps between.
func (page *caseListView) pages(base string, q url.Values) {
	l := page.List
	n, cur := l.Pages(), max(l.Page, 1)
	at := func(i int) string {
		if i == 1 {
			return pathQuery(base, withParams(q, "page", ""))
		}
		return pathQuery(base, withParams(q, "page", strconv.Itoa(i)))
	}
	of := format.Default.Number(int64(n))
	if l.Capped {
		of = "more than " + of
	}
	page.PageOf = "Page " + strconv.Itoa(cur) + " of " + of
	if cur > 1 {
		page.Prev = at(min(cur-1, n))
	}
	if l.More {
		page.Next = at(cur + 1)
	}
	if n <= 1 {
		return
	}
	if l.Capped {
		// The last page is not known: number only the pages near this one.
		n = max(n, cur+1)
	}
	last := 0
	for i := 1; i <= n; i++ {
		if i != 1 && (i != n || l.Capped) && (i < cur-2 || i > cur+2) {
			continue
		}
		if last != 0 && i > last+1 {
			page.Pages = append(page.Pages, pageLink{Gap: true})
		}
		page.Pages = append(page.Pages, pageLink{N: i, Href: at(i), Current: i == cur})
		last = i
	}
}

// caseExport sends the case list as CSV with the list's filters and order,
// once the export is in the audit trail. Pages and the API share it.
func (h *Handler) caseExport(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	f, err := caseFilterOf(caseListQuery(r.URL.Query()))
	if err != nil {
		return err
	}
	names, err := h.svc.Cases.PeopleNames(r.Context(), t, p)
	if err != nil {
		return err
	}
	exp, err := h.svc.Cases.ExportCases(r.Context(), t, p, f, names)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+t.Tenant.Slug+`-cases.csv"`)
	return exp.WriteCSV(w)
}
