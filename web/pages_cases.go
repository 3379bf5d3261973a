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
