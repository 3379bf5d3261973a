package web

import (
	"html/template"
	"io"
	"mime/multipart"
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

// recordPage is how the pages handle one type of record inside a case.
type recordPage struct {
	path     string // "financial", as in /t/SLUG/financial/ID
	template string
	fields   []string
	// load returns a record's case and its form values.
	load func(h *Handler, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64) (int64, url.Values, error)
	// save creates (id 0) or updates a record from the posted form and
	// returns its case.
	save func(h *Handler, r *http.Request, t *tenancy.Handle, p *identity.Principal, caseID, id int64, classes []int64, version int) (int64, error)
	del  func(s *cases.Service, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64, version int) error
}

// recordForm is the data of a record form.
type recordForm struct {
	Case       *cases.Case
	ID         int64 // 0 for a new record
	Path       string
	Classes    []cases.Choice
	Kinds      []string
	Roles      []string
	Currencies []string
}

// baseValues fills the values every record form has.
func baseValues(b *cases.RecordBase, v url.Values) url.Values {
	v.Set("version", strconv.Itoa(b.Version))
	for _, id := range b.OwnClassIDs() {
		v.Add("classes", strconv.FormatInt(id, 10))
	}
	return v
}

var recordPages = []recordPage{
	{
		path: "financial", template: "record_financial",
		fields: []string{"kind", "amount", "currency", "occurred_on", "description", "classes"},
		load: func(h *Handler, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64) (int64, url.Values, error) {
			f, err := h.svc.Cases.GetFinancial(r.Context(), t, p, id)
			if err != nil {
				return 0, nil, err
			}
			return f.CaseID, baseValues(&f.RecordBase, url.Values{"kind": {f.Kind}, "amount": {f.Amount()}, "currency": {f.Currency},
				"occurred_on": {f.OccurredOn}, "description": {f.Description}}), nil
		},
		save: func(h *Handler, r *http.Request, t *tenancy.Handle, p *identity.Principal, caseID, id int64, classes []int64, version int) (int64, error) {
			f := r.PostForm
			in := cases.FinancialInput{Kind: f.Get("kind"), Amount: strings.TrimSpace(f.Get("amount")), Currency: f.Get("currency"),
				OccurredOn: f.Get("occurred_on"), Description: strings.TrimSpace(f.Get("description")), Classes: classes, Version: version}
			if id == 0 {
				_, err := h.svc.Cases.CreateFinancial(r.Context(), t, p, caseID, in)
				return caseID, err
			}
			rec, err := h.svc.Cases.UpdateFinancial(r.Context(), t, p, id, in)
			if err != nil {
				return 0, err
			}
			return rec.CaseID, nil
		},
		del: func(s *cases.Service, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64, version int) error {
			return s.DeleteFinancial(r.Context(), t, p, id, version)
		},
	},
	{
		path: "contacts", template: "record_contact",
		fields: []string{"kind", "name", "email", "phone", "address", "role", "classes"},
		load: func(h *Handler, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64) (int64, url.Values, error) {
			c, err := h.svc.Cases.GetContact(r.Context(), t, p, id)
			if err != nil {
				return 0, nil, err
			}
			k := c.Contact
			return c.CaseID, baseValues(&c.RecordBase, url.Values{"kind": {k.Kind}, "name": {k.Name}, "email": {k.Email},
				"phone": {k.Phone}, "address": {k.Address}, "role": {c.Role}}), nil
		},
		save: func(h *Handler, r *http.Request, t *tenancy.Handle, p *identity.Principal, caseID, id int64, classes []int64, version int) (int64, error) {
			f := r.PostForm
			in := cases.ContactInput{Kind: f.Get("kind"), Name: strings.TrimSpace(f.Get("name")), Email: strings.TrimSpace(f.Get("email")),
				Phone: strings.TrimSpace(f.Get("phone")), Address: strings.TrimSpace(f.Get("address")), Role: f.Get("role"),
				Classes: classes, Version: version}
			if id == 0 {
				_, err := h.svc.Cases.CreateContact(r.Context(), t, p, caseID, in)
				return caseID, err
			}
			rec, err := h.svc.Cases.UpdateContact(r.Context(), t, p, id, in)
			if err != nil {
				return 0, err
			}
			return rec.CaseID, nil
		},
		del: func(s *cases.Service, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64, version int) error {
			return s.DeleteContact(r.Context(), t, p, id, version)
		},
	},
	{
		path: "notes", template: "record_note",
		fields: []string{"title", "body", "classes"},
		load: func(h *Handler, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64) (int64, url.Values, error) {
			n, err := h.svc.Cases.GetNote(r.Context(), t, p, id)
			if err != nil {
				return 0, nil, err
			}
			return n.CaseID, baseValues(&n.RecordBase, url.Values{"title": {n.Title}, "body": {n.Body}}), nil
		},
		save: func(h *Handler, r *http.Request, t *tenancy.Handle, p *identity.Principal, caseID, id int64, classes []int64, version int) (int64, error) {
			f := r.PostForm
			// Browsers send CRLF line breaks; Markdown is stored with LF.
			in := cases.NoteInput{Title: strings.TrimSpace(f.Get("title")), Body: strings.ReplaceAll(f.Get("body"), "\r\n", "\n"),
				Classes: classes, Version: version}
			if id == 0 {
				_, err := h.svc.Cases.CreateNote(r.Context(), t, p, caseID, in)
				return caseID, err
			}
			rec, err := h.svc.Cases.UpdateNote(r.Context(), t, p, id, in)
			if err != nil {
				return 0, err
			}
			return rec.CaseID, nil
		},
		del: func(s *cases.Service, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64, version int) error {
			return s.DeleteNote(r.Context(), t, p, id, version)
		},
	},
	{
		path: "events", template: "record_event",
		fields: []string{"kind", "title", "due_on", "remind_on", "done", "classes"},
		load: func(h *Handler, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64) (int64, url.Values, error) {
			e, err := h.svc.Cases.GetEvent(r.Context(), t, p, id)
			if err != nil {
				return 0, nil, err
			}
			v := url.Values{"kind": {e.Kind}, "title": {e.Title}, "due_on": {e.DueOn}, "remind_on": {e.RemindOn}}
			if e.Done {
				v.Set("done", "yes")
			}
			return e.CaseID, baseValues(&e.RecordBase, v), nil
		},
		save: func(h *Handler, r *http.Request, t *tenancy.Handle, p *identity.Principal, caseID, id int64, classes []int64, version int) (int64, error) {
			f := r.PostForm
			in := cases.EventInput{Kind: f.Get("kind"), Title: strings.TrimSpace(f.Get("title")), DueOn: f.Get("due_on"),
				RemindOn: f.Get("remind_on"), Done: f.Get("done") != "", Classes: classes, Version: version}
			if id == 0 {
				_, err := h.svc.Cases.CreateEvent(r.Context(), t, p, caseID, in)
				return caseID, err
			}
			rec, err := h.svc.Cases.UpdateEvent(r.Context(), t, p, id, in)
			if err != nil {
				return 0, err
			}
			return rec.CaseID, nil
		},
		del: func(s *cases.Service, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64, version int) error {
			return s.DeleteEvent(r.Context(), t, p, id, version)
		},
	},
}

// recordIDs reads the case id (new record) or record id (existing one)
// from the URL.
func recordIDs(r *http.Request) (caseID, id int64, err error) {
	if r.PathValue("rid") != "" {
		id, err = pathID(r, "rid")
		return 0, id, err
	}
	caseID, err = pathID(r, "id")
	return caseID, 0, err
}

// renderRecordForm shows a record form, for a new record of a case or
// an existing record (whose current values fill an empty form).
func (h *Handler) renderRecordForm(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, k recordPage, v view, formErr error) error {
	caseID, id, err := recordIDs(r)
	if err != nil {
		return err
	}
	if id != 0 {
		var values url.Values
		if caseID, values, err = k.load(h, r, t, p, id); err != nil {
			return err
		}
		if len(v.Form.Values) == 0 {
			v.Form.Values = values
		}
	}
	page := recordForm{ID: id, Path: k.path, Currencies: cases.Currencies(), Roles: cases.ContactRoles()}
	switch k.path {
	case "financial":
		page.Kinds = cases.FinancialKinds()
	case "contacts":
		page.Kinds = cases.ContactKinds()
	case "events":
		page.Kinds = cases.EventKinds()
	}
	if page.Case, err = h.svc.Cases.GetCase(r.Context(), t, p, caseID); err != nil {
		return err
	}
	if page.Classes, err = h.svc.Cases.ClassChoices(r.Context(), t, p); err != nil {
		return err
	}
	v.Page = page
	return h.renderForm(w, k.template, v, formErr, k.fields...)
}

func (h *Handler) recordFormPage(k recordPage) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		return h.renderRecordForm(w, r, t, p, k, newView(r, t, p), nil)
	}
}

func (h *Handler) recordFormSubmit(k recordPage) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		caseID, id, err := recordIDs(r)
		if err != nil {
			return err
		}
		if err := parseCaseForm(w, r); err != nil {
			return err
		}
		v := newView(r, t, p)
		v.Form.Values = formValues(r, append(k.fields, "version")...)
		classes, err := formIDs(r, "classes")
		version := 0
		if err == nil && id != 0 {
			version, err = formInt(r, "version")
		}
		if err == nil {
			caseID, err = k.save(h, r, t, p, caseID, id, classes, version)
		}
		if err != nil {
			return h.renderRecordForm(w, r, t, p, k, v, err)
		}
		return redirectDone(w, r, t, "cases/"+strconv.FormatInt(caseID, 10), "record-saved")
	}
}

func (h *Handler) recordDeleteSubmit(k recordPage) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		id, err := pathID(r, "rid")
		if err != nil {
			return err
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		caseID, _, err := k.load(h, r, t, p, id)
		if err != nil {
			return err
		}
		version, err := formInt(r, "version")
		if err == nil {
			err = k.del(h.svc.Cases, r, t, p, id, version)
		}
		if err != nil {
			return err
		}
		return redirectDone(w, r, t, "cases/"+strconv.FormatInt(caseID, 10), "record-delete")
	}
}

// importView is the import page: the form, and after a check or a refused
// import the report; CSV carries a checked file to the commit form.
type importView struct {
	Kind        string
	Report      *cases.ImportReport
	CSV         string
	CaseHeader  string
	MoneyHeader string
}

func (h *Handler) importPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.Subject.Require(access.Cases, access.Read); err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Page = importView{Kind: "cases", CaseHeader: strings.Join(cases.CaseImportHeader, ","),
		MoneyHeader: strings.Join(cases.FinancialImportHeader, ",")}
	return h.render(w, http.StatusOK, "import", v)
}

// importSubmit checks (dry run) or imports an uploaded CSV file. The file
// comes as the "file" part, or after a check as the "csv" field of the
// commit form, so that nothing is kept on the server between the two.
func (h *Handler) importSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	r.Body = http.MaxBytesReader(w, r.Body, 2*cases.MaxImportBytes+(64<<10))
	mr, err := r.MultipartReader()
	if err != nil {
		return strongroom.Errorf(strongroom.EINVALID, "Send the file with the upload form.")
	}
	fields := map[string]string{}
	var data []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			return strongroom.Errorf(strongroom.EINVALID, "The upload could not be read; send it again.")
		}
		name := part.FormName()
		b, err := readPart(part, name)
		if err != nil {
			return err
		}
		if name == "file" || (name == "csv" && data == nil) {
			data = b
		} else {
			fields[name] = string(b)
		}
	}
	iv := importView{Kind: fields["kind"], CaseHeader: strings.Join(cases.CaseImportHeader, ","),
		MoneyHeader: strings.Join(cases.FinancialImportHeader, ",")}
	run := h.svc.Cases.ImportCases
	if iv.Kind == "financial" {
		run = h.svc.Cases.ImportFinancial
	} else {
		iv.Kind = "cases"
	}
	dry := fields["action"] != "import"
	rep, err := run(r.Context(), t, p, strings.NewReader(string(data)), dry)
	if rep == nil {
		return err
	}
	if err == nil && !dry {
		return redirectDone(w, r, t, "cases", "import-done")
	}
	if err != nil && !dry && strongroom.ErrorCode(err) != strongroom.EINVALID {
		return err
	}
	iv.Report = rep
	if rep.Valid() {
		iv.CSV = string(data)
	}
	v := newView(r, t, p)
	v.Page = iv
	status := http.StatusOK
	if !rep.Valid() {
		status = http.StatusBadRequest
	}
	return h.render(w, status, "import", v)
}

// readPart reads one part of the import upload: a file of at most
// MaxImportBytes, or a short field.
func readPart(part *multipart.Part, name string) ([]byte, error) {
	limit := int64(1 << 10)
	if name == "file" || name == "csv" {
		limit = cases.MaxImportBytes
	}
	b, err := io.ReadAll(io.LimitReader(part, limit+1))
	if err != nil {
		return nil, strongroom.Errorf(strongroom.EINVALID, "The upload could not be read; send it again.")
	}
	if int64(len(b)) > limit {
		return nil, strongroom.FieldError(name, "The file is larger than %d MiB.", cases.MaxImportBytes>>20)
	}
	return b, nil
}

// mdlView is the page of multi-district litigation groups.
type mdlView struct {
	Groups  []cases.MDLGroup
	CanEdit bool
}

func (h *Handler) renderMDL(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, formErr error) error {
	gs, err := h.svc.Cases.ListMDL(r.Context(), t, p)
	if err != nil {
		return err
	}
	v.Page = mdlView{Groups: gs, CanEdit: p.Subject.Allowed(access.Administration, access.Edit)}
	return h.renderForm(w, "case_mdl", v, formErr, "code", "name")
}

func (h *Handler) mdlPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.renderMDL(w, r, t, p, newView(r, t, p), nil)
}

func (h *Handler) mdlSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Form.Values = formValues(r, "code", "name")
	_, err := h.svc.Cases.CreateMDL(r.Context(), t, p, cases.MDLGroup{Code: strings.TrimSpace(r.PostForm.Get("code")),
		Name: strings.TrimSpace(r.PostForm.Get("name"))})
	if err != nil {
		return h.renderMDL(w, r, t, p, v, err)
	}
	return redirectDone(w, r, t, "cases/mdl-groups", "mdl-created")
}
