package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/tenancy"
)

func init() {
	for k, v := range map[string]string{
		"case-saved":     "The case has been saved.",
		"case-deleted":   "The case has been deleted. It is kept, hidden, for 30 days before it is removed for good.",
		"record-saved":   "The record has been saved.",
		"record-delete":  "The record has been deleted.",
		"import-done":    "The import is done.",
		"mdl-created":    "The group has been created.",
		"delete-refused": "The case was not deleted: tick the box to confirm it, and reload the page if someone else has changed the case.",
	} {
		notices[k] = v
	}
}

// maxCaseForm bounds a case or record form: a note may be long.
const maxCaseForm = 1 << 20

func (h *Handler) casePageRoutes() {
	page := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.pageAuthed(fn, false))) }
	pre := "/t/{slug}/"
	page("GET "+pre+"cases", h.casesPage)
	page("GET "+pre+"cases/new", h.caseFormPage)
	page("POST "+pre+"cases/new", h.caseFormSubmit)
	page("GET "+pre+"cases/import", h.importPage)
	page("POST "+pre+"cases/import", h.importSubmit)
	page("GET "+pre+"cases/mdl-groups", h.mdlPage)
	page("POST "+pre+"cases/mdl-groups", h.mdlSubmit)
	page("GET "+pre+"cases/{id}", h.casePage)
	page("GET "+pre+"cases/{id}/edit", h.caseFormPage)
	page("POST "+pre+"cases/{id}/edit", h.caseFormSubmit)
	page("POST "+pre+"cases/{id}/delete", h.caseDeleteSubmit)
	for _, k := range recordPages {
		page("GET "+pre+"cases/{id}/"+k.path+"/new", h.recordFormPage(k))
		page("POST "+pre+"cases/{id}/"+k.path+"/new", h.recordFormSubmit(k))
		page("GET "+pre+k.path+"/{rid}", h.recordFormPage(k))
		page("POST "+pre+k.path+"/{rid}", h.recordFormSubmit(k))
		page("GET "+pre+k.path+"/{rid}/delete", h.recordDeletePage(k))
		page("POST "+pre+k.path+"/{rid}/delete", h.recordDeleteSubmit(k))
	}
}

// parseCaseForm reads a posted case or record form.
func parseCaseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxCaseForm)
	if err := r.ParseForm(); err != nil {
		return strongroom.Errorf(strongroom.EINVALID, "The form could not be read; send it again.")
	}
	return nil
}

// casesList is the case list page.
type casesList struct {
	Cases    []*cases.Case
	Next     string
	Statuses []string
	MDL      []cases.MDLGroup
	CanEdit  bool
}

func (h *Handler) casesPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	q := r.URL.Query()
	v := newView(r, t, p)
	for _, k := range []string{"q", "status", "practice_group", "tag", "mdl_id", "sort"} {
		if q.Get(k) != "" {
			v.Form.Values.Set(k, q.Get(k))
		}
	}
	mdl, err := queryInt(q.Get("mdl_id"), "mdl_id")
	if err != nil {
		return err
	}
	f := cases.CaseFilter{Prefix: q.Get("q"), Status: q.Get("status"), PracticeGroup: q.Get("practice_group"),
		Tag: q.Get("tag"), MDLID: mdl, Sort: q.Get("sort"), ListOptions: cases.ListOptions{Cursor: q.Get("cursor")}}
	page := casesList{Statuses: cases.Statuses(), CanEdit: p.Subject.Allowed(access.Cases, access.Edit)}
	list, next, err := h.svc.Cases.ListCases(r.Context(), t, p, f)
	if strongroom.ErrorCode(err) == strongroom.EINVALID {
		v.Form.Error = strongroom.ErrorMessage(err) // a bad filter: shown above the form
	} else if err != nil {
		return err
	}
	if page.MDL, err = h.svc.Cases.ListMDL(r.Context(), t, p); err != nil {
		return err
	}
	page.Cases = list
	if next != "" {
		nq := url.Values{}
		for k, vs := range v.Form.Values {
			nq[k] = vs
		}
		nq.Set("cursor", next)
		page.Next = v.Path("cases") + "?" + nq.Encode()
	}
	v.Page = page
	return h.render(w, http.StatusOK, "cases", v)
}

// caseView is the page of one case.
type caseView struct {
	*cases.CaseView
	ClassNames    string
	UserNames     string
	Financial     []recordRow
	Notes         []recordRow
	ShowDocuments bool
	MoreFinancial bool
	Can           map[string]bool // edit rights: case, financial, contacts, notes, events
}

// recordRow is a record with its class names and, for notes, its HTML.
type recordRow struct {
	Record  any
	Classes string
	HTML    template.HTML
}

func (h *Handler) casePage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cv, err := h.svc.Cases.ViewCase(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	h.recordCaseView(r.Context(), t, p, id)
	classes, users, err := h.caseNames(r, t, p)
	if err != nil {
		return err
	}
	page := caseView{CaseView: cv, ClassNames: names(classes, cv.Case.Classes, "none"), UserNames: names(users, cv.Case.Responsible, ""),
		ShowDocuments: p.Subject.Allowed(access.Documents, access.Read), Can: map[string]bool{
			"case": p.Subject.Allowed(access.Cases, access.Edit), "financial": p.Subject.Allowed(access.Financial, access.Edit),
			"contacts": p.Subject.Allowed(access.Contacts, access.Edit), "notes": p.Subject.Allowed(access.Notes, access.Edit),
			"events": p.Subject.Allowed(cases.TypeEvent.Area(), access.Edit)}}
	page.MoreFinancial = cv.More[cases.TypeFinancial]
	for _, f := range cv.Financial {
		page.Financial = append(page.Financial, recordRow{Record: f, Classes: names(classes, f.Classes, "")})
	}
	for _, n := range cv.Notes {
		html, err := cases.RenderMarkdown(n.Body)
		if err != nil {
			return err
		}
		// RenderMarkdown escapes raw HTML and keeps only safe links.
		page.Notes = append(page.Notes, recordRow{Record: n, Classes: names(classes, n.Classes, ""), HTML: template.HTML(html)})
	}
	v := newView(r, t, p)
	v.Page = page
	return h.render(w, http.StatusOK, "case", v)
}

// caseNames maps class and user ids to names for display.
func (h *Handler) caseNames(r *http.Request, t *tenancy.Handle, p *identity.Principal) (map[int64]string, map[int64]string, error) {
	cs, err := h.svc.Cases.ClassChoices(r.Context(), t, p)
	if err != nil {
		return nil, nil, err
	}
	us, err := h.svc.Cases.UserChoices(r.Context(), t, p)
	if err != nil {
		return nil, nil, err
	}
	classes, users := map[int64]string{}, map[int64]string{}
	for _, c := range cs {
		classes[c.ID] = c.Name
	}
	for _, u := range us {
		users[u.ID] = u.Name
	}
	return classes, users, nil
}

func names(m map[int64]string, ids []int64, none string) string {
	var out []string
	for _, id := range ids {
		if n, ok := m[id]; ok {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return none
	}
	return strings.Join(out, ", ")
}

// caseForm is the form of a new or existing case.
type caseForm struct {
	Case     *cases.Case // nil for a new case
	Statuses []string
	MDL      []cases.MDLGroup
	Users    []cases.Choice
	Classes  []cases.Choice
}

var caseFields = []string{"number", "title", "client", "practice_group", "status", "opened_on", "closed_on", "mdl_id",
	"tags", "responsible", "classes"}

func (h *Handler) renderCaseForm(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, formErr error) error {
	ctx := r.Context()
	var page caseForm
	var err error
	if id := r.PathValue("id"); id != "" {
		cid, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if page.Case, err = h.svc.Cases.GetCase(ctx, t, p, cid); err != nil {
			return err
		}
		if len(v.Form.Values) == 0 {
			v.Form.Values = caseValues(page.Case)
		}
	} else if err := p.Subject.Require(access.Cases, access.Edit); err != nil {
		return err
	}
	page.Statuses = cases.Statuses()
	if page.MDL, err = h.svc.Cases.ListMDL(ctx, t, p); err != nil {
		return err
	}
	if page.Users, err = h.svc.Cases.UserChoices(ctx, t, p); err != nil {
		return err
	}
	if page.Classes, err = h.svc.Cases.ClassChoices(ctx, t, p); err != nil {
		return err
	}
	v.Page = page
	return h.renderForm(w, "case_form", v, formErr, caseFields...)
}

func caseValues(c *cases.Case) url.Values {
	v := url.Values{"number": {c.Number}, "title": {c.Title}, "client": {c.Client}, "practice_group": {c.PracticeGroup},
		"status": {c.Status}, "opened_on": {c.OpenedOn}, "closed_on": {c.ClosedOn}, "tags": {strings.Join(c.Tags, ", ")},
		"version": {strconv.Itoa(c.Version)}}
	if c.MDLID != 0 {
		v.Set("mdl_id", strconv.FormatInt(c.MDLID, 10))
	}
	for _, id := range c.Responsible {
		v.Add("responsible", strconv.FormatInt(id, 10))
	}
	for _, id := range c.Classes {
		v.Add("classes", strconv.FormatInt(id, 10))
	}
	return v
}

func (h *Handler) caseFormPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.renderCaseForm(w, r, t, p, newView(r, t, p), nil)
}

func (h *Handler) caseFormSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseCaseForm(w, r); err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Form.Values = formValues(r, append(caseFields, "version")...)
	f := r.PostForm
	in := cases.CaseInput{Number: strings.TrimSpace(f.Get("number")), Title: strings.TrimSpace(f.Get("title")),
		Client: strings.TrimSpace(f.Get("client")), PracticeGroup: strings.TrimSpace(f.Get("practice_group")),
		Status: f.Get("status"), OpenedOn: f.Get("opened_on"), ClosedOn: f.Get("closed_on"), Tags: strings.Split(f.Get("tags"), ",")}
	var err error
	if in.MDLID, err = queryInt(f.Get("mdl_id"), "mdl_id"); err == nil {
		if in.Responsible, err = formIDs(r, "responsible"); err == nil {
			in.Classes, err = formIDs(r, "classes")
		}
	}
	if err != nil {
		return h.renderCaseForm(w, r, t, p, v, err)
	}
	var c *cases.Case
	if r.PathValue("id") == "" {
		c, err = h.svc.Cases.CreateCase(r.Context(), t, p, in)
	} else {
		id, perr := pathID(r, "id")
		if perr != nil {
			return perr
		}
		if in.Version, err = formInt(r, "version"); err == nil {
			c, err = h.svc.Cases.UpdateCase(r.Context(), t, p, id, in)
		}
	}
	if err != nil {
		return h.renderCaseForm(w, r, t, p, v, err)
	}
	return redirectDone(w, r, t, "cases/"+strconv.FormatInt(c.ID, 10), "case-saved")
}

func (h *Handler) caseDeleteSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if r.PostForm.Get("confirm") == "" {
		err = strongroom.FieldError("confirm", "Tick the box to confirm that the case is to be deleted.")
	} else if version, verr := formInt(r, "version"); verr != nil {
		err = verr
	} else {
		err = h.svc.Cases.DeleteCase(r.Context(), t, p, id, version)
	}
	if err != nil {
		if code := strongroom.ErrorCode(err); code != strongroom.EINVALID && code != strongroom.ECONFLICT {
			return err
		}
		return redirect(w, r, tenantPath(t, "cases/"+strconv.FormatInt(id, 10)+"?done=delete-refused"))
	}
	return redirectDone(w, r, t, "cases", "case-deleted")
}
