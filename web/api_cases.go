package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/tenancy"
)

// casesRoutes registers the JSON API and the pages of cases and the
// records inside them. Both call package cases, which authorizes every
// operation; a hidden record answers exactly like a missing one.
func (h *Handler) casesRoutes() {
	api := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.authed(fn, false))) }
	pre := "/api/v1/t/{slug}/"
	api("GET "+pre+"cases", h.apiCases)
	api("POST "+pre+"cases", h.apiCreateCase)
	api("GET "+pre+"cases/{id}", h.apiCase)
	api("PUT "+pre+"cases/{id}", h.apiUpdateCase)
	api("DELETE "+pre+"cases/{id}", h.apiDeleteCase)
	api("GET "+pre+"mdl-groups", h.apiMDLGroups)
	api("POST "+pre+"mdl-groups", h.apiCreateMDLGroup)
	api("POST "+pre+"import/cases", h.apiImport(false))
	api("POST "+pre+"import/financial", h.apiImport(true))
	financialAPI.routes(h, api, pre)
	contactAPI.routes(h, api, pre)
	noteAPI.routes(h, api, pre)
	eventAPI.routes(h, api, pre)
	h.casePageRoutes()
}

// caseJSON is a case as the API shows it.
type caseJSON struct {
	ID            int64    `json:"id"`
	Number        string   `json:"number"`
	Title         string   `json:"title"`
	Client        string   `json:"client"`
	PracticeGroup string   `json:"practice_group"`
	Status        string   `json:"status"`
	OpenedOn      string   `json:"opened_on"`
	ClosedOn      string   `json:"closed_on"`
	MDLID         *int64   `json:"mdl_id"`
	Tags          []string `json:"tags"`
	Responsible   []int64  `json:"responsible"`
	Classes       []int64  `json:"classes"`
	Version       int      `json:"version"`
	CreatedAt     string   `json:"created_at"`
	UpdatedAt     string   `json:"updated_at"`
}

func toCaseJSON(c *cases.Case) caseJSON {
	out := caseJSON{ID: c.ID, Number: c.Number, Title: c.Title, Client: c.Client, PracticeGroup: c.PracticeGroup,
		Status: c.Status, OpenedOn: c.OpenedOn, ClosedOn: c.ClosedOn, Tags: nonNilS(c.Tags),
		Responsible: nonNil(c.Responsible), Classes: nonNil(c.Classes), Version: c.Version,
		CreatedAt: c.CreatedAt.Format(time.RFC3339), UpdatedAt: c.UpdatedAt.Format(time.RFC3339)}
	if c.MDLID != 0 {
		out.MDLID = &c.MDLID
	}
	return out
}

func nonNilS(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// caseBody is a case as the API takes it. On PUT, a field left out keeps
// its value; mdl_id 0 takes the case out of its group.
type caseBody struct {
	Number        *string   `json:"number"`
	Title         *string   `json:"title"`
	Client        *string   `json:"client"`
	PracticeGroup *string   `json:"practice_group"`
	Status        *string   `json:"status"`
	OpenedOn      *string   `json:"opened_on"`
	ClosedOn      *string   `json:"closed_on"`
	MDLID         *int64    `json:"mdl_id"`
	Tags          *[]string `json:"tags"`
	Responsible   *[]int64  `json:"responsible"`
	Classes       *[]int64  `json:"classes"`
	Version       int       `json:"version"`
}

func (b caseBody) input(base cases.CaseInput) cases.CaseInput {
	set(&base.Number, b.Number)
	set(&base.Title, b.Title)
	set(&base.Client, b.Client)
	set(&base.PracticeGroup, b.PracticeGroup)
	set(&base.Status, b.Status)
	set(&base.OpenedOn, b.OpenedOn)
	set(&base.ClosedOn, b.ClosedOn)
	set(&base.MDLID, b.MDLID)
	set(&base.Tags, b.Tags)
	set(&base.Responsible, b.Responsible)
	set(&base.Classes, b.Classes)
	base.Version = b.Version
	return base
}

// set copies a field that the request body holds.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func (h *Handler) apiCases(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	q := r.URL.Query()
	f := cases.CaseFilter{Status: q.Get("status"), PracticeGroup: q.Get("practice_group"), Tag: q.Get("tag"),
		Prefix: q.Get("q"), Sort: q.Get("sort")}
	var err error
	if f.MDLID, err = queryInt(q.Get("mdl_id"), "mdl_id"); err != nil {
		return err
	}
	if f.ListOptions, err = listOptions(r); err != nil {
		return err
	}
	list, next, err := h.svc.Cases.ListCases(r.Context(), t, p, f)
	if err != nil {
		return err
	}
	out := make([]caseJSON, 0, len(list))
	for _, c := range list {
		out = append(out, toCaseJSON(c))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"cases": out, "next_cursor": next})
}

// listOptions reads ?cursor= and ?limit= of a list.
func listOptions(r *http.Request) (cases.ListOptions, error) {
	q := r.URL.Query()
	limit, err := queryInt(q.Get("limit"), "limit")
	return cases.ListOptions{Cursor: q.Get("cursor"), Limit: int(limit)}, err
}

// queryInt reads an optional whole number from the query string.
func queryInt(s, field string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, strongroom.FieldError(field, "Expected a whole number here.")
	}
	return n, nil
}

func (h *Handler) apiCase(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := h.svc.Cases.GetCase(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"case": toCaseJSON(c)})
}

func (h *Handler) apiCreateCase(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var b caseBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	c, err := h.svc.Cases.CreateCase(r.Context(), t, p, b.input(cases.CaseInput{}))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"case": toCaseJSON(c)})
}

func (h *Handler) apiUpdateCase(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b caseBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	cur, err := h.svc.Cases.GetCase(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	if b.Version == 0 {
		return strongroom.FieldError("version", "Send the version of the case you are editing.")
	}
	c, err := h.svc.Cases.UpdateCase(r.Context(), t, p, id, b.input(cur.Input()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"case": toCaseJSON(c)})
}

// queryVersion reads ?version= of a DELETE: the version the deletion is
// based on.
func queryVersion(r *http.Request) (int, error) {
	v, err := queryInt(r.URL.Query().Get("version"), "version")
	return int(v), err
}

func (h *Handler) apiDeleteCase(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	version, err := queryVersion(r)
	if err != nil {
		return err
	}
	if err := h.svc.Cases.DeleteCase(r.Context(), t, p, id, version); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}

func (h *Handler) apiMDLGroups(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	gs, err := h.svc.Cases.ListMDL(r.Context(), t, p)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, g := range gs {
		out = append(out, map[string]any{"id": g.ID, "code": g.Code, "name": g.Name})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"mdl_groups": out})
}

func (h *Handler) apiCreateMDLGroup(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var in struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := h.svc.Cases.CreateMDL(r.Context(), t, p, cases.MDLGroup{Code: in.Code, Name: in.Name})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"mdl_group": map[string]any{"id": g.ID, "code": g.Code, "name": g.Name}})
}

// importJSON is an import report as the API shows it.
func importJSON(rep *cases.ImportReport) map[string]any {
	errs := []map[string]any{}
	for _, e := range rep.Errors {
		errs = append(errs, map[string]any{"line": e.Line, "field": e.Field, "message": e.Message})
	}
	return map[string]any{"dry_run": rep.DryRun, "valid": rep.Valid(), "rows": rep.Rows, "created": rep.Created,
		"error_count": rep.ErrorCount, "errors": errs}
}

// apiImport takes a CSV file as the request body. With ?dry_run=true it
// only validates and answers 200 with the report; otherwise it commits
// all rows or none, and a refusal carries the report with every error.
func (h *Handler) apiImport(financial bool) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		ct := strings.ToLower(r.Header.Get("Content-Type"))
		if ct != "" && !strings.HasPrefix(ct, "text/csv") && !strings.HasPrefix(ct, "text/plain") && !strings.HasPrefix(ct, "application/octet-stream") {
			return strongroom.FieldError("body", "Send the file as text/csv.")
		}
		dry, err := queryBool(r.URL.Query().Get("dry_run"), "dry_run")
		if err != nil {
			return err
		}
		run := h.svc.Cases.ImportCases
		if financial {
			run = h.svc.Cases.ImportFinancial
		}
		rep, err := run(r.Context(), t, p, r.Body, dry)
		if rep == nil || (err != nil && !dry && strongroom.ErrorCode(err) != strongroom.EINVALID && strongroom.ErrorCode(err) != strongroom.ECONFLICT) {
			return err
		}
		if err != nil && !dry {
			status := statusOf[strongroom.ErrorCode(err)]
			body := map[string]string{"code": strongroom.ErrorCode(err), "message": strongroom.ErrorMessage(err)}
			if f := strongroom.ErrorField(err); f != "" {
				body["field"] = f
			}
			return writeJSON(w, status, map[string]any{"error": body, "import": importJSON(rep)})
		}
		return writeJSON(w, http.StatusOK, map[string]any{"import": importJSON(rep)})
	}
}

// queryBool reads an optional true/false from the query string.
func queryBool(s, field string) (bool, error) {
	switch s {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, strongroom.FieldError(field, "Expected true or false here.")
}

// recordAPI is the API of one type of record inside a case: T the record,
// I its input, B its request body (which merges onto an input).
type recordAPI[T any, I any, B interface {
	merge(I) I
	version() int
}] struct {
	path   string // "financial", as in cases/{id}/financial and financial/{id}
	one    string // the JSON key of one record
	list   func(*cases.Service, context.Context, *tenancy.Handle, *identity.Principal, int64, cases.ListOptions) ([]T, string, error)
	get    func(*cases.Service, context.Context, *tenancy.Handle, *identity.Principal, int64) (T, error)
	create func(*cases.Service, context.Context, *tenancy.Handle, *identity.Principal, int64, I) (T, error)
	update func(*cases.Service, context.Context, *tenancy.Handle, *identity.Principal, int64, I) (T, error)
	remove func(*cases.Service, context.Context, *tenancy.Handle, *identity.Principal, int64, int) error
	input  func(T) I
	json   func(T) any
}

func (a recordAPI[T, I, B]) routes(h *Handler, api func(string, authFunc), pre string) {
	api("GET "+pre+"cases/{id}/"+a.path, func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		caseID, err := pathID(r, "id")
		if err != nil {
			return err
		}
		opt, err := listOptions(r)
		if err != nil {
			return err
		}
		list, next, err := a.list(h.svc.Cases, r.Context(), t, p, caseID, opt)
		if err != nil {
			return err
		}
		out := make([]any, 0, len(list))
		for _, rec := range list {
			out = append(out, a.json(rec))
		}
		return writeJSON(w, http.StatusOK, map[string]any{a.path: out, "next_cursor": next})
	})
	api("POST "+pre+"cases/{id}/"+a.path, func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		caseID, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var b B
		if err := decodeJSON(w, r, &b); err != nil {
			return err
		}
		var zero I
		rec, err := a.create(h.svc.Cases, r.Context(), t, p, caseID, b.merge(zero))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, map[string]any{a.one: a.json(rec)})
	})
	api("GET "+pre+a.path+"/{id}", func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		rec, err := a.get(h.svc.Cases, r.Context(), t, p, id)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{a.one: a.json(rec)})
	})
	api("PUT "+pre+a.path+"/{id}", func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var b B
		if err := decodeJSON(w, r, &b); err != nil {
			return err
		}
		cur, err := a.get(h.svc.Cases, r.Context(), t, p, id)
		if err != nil {
			return err
		}
		if b.version() == 0 {
			return strongroom.FieldError("version", "Send the version of the record you are editing.")
		}
		rec, err := a.update(h.svc.Cases, r.Context(), t, p, id, b.merge(a.input(cur)))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{a.one: a.json(rec)})
	})
	api("DELETE "+pre+a.path+"/{id}", func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		version, err := queryVersion(r)
		if err != nil {
			return err
		}
		if err := a.remove(h.svc.Cases, r.Context(), t, p, id, version); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
	})
}

// baseJSON adds what every record shows to its own fields.
func baseJSON(b *cases.RecordBase, m map[string]any) map[string]any {
	m["id"], m["case_id"], m["classes"], m["own_classes"], m["version"] = b.ID, b.CaseID, nonNil(b.Classes), b.OwnClasses, b.Version
	m["created_at"], m["updated_at"] = b.CreatedAt.Format(time.RFC3339), b.UpdatedAt.Format(time.RFC3339)
	return m
}

// financialBody is a financial record as the API takes it: the amount is a
// decimal string ("1234.50"), never a JSON number. classes [] makes the
// record inherit its case's; left out, they stay as they are.
type financialBody struct {
	Kind        *string  `json:"kind"`
	Amount      *string  `json:"amount"`
	Currency    *string  `json:"currency"`
	OccurredOn  *string  `json:"occurred_on"`
	Description *string  `json:"description"`
	Classes     *[]int64 `json:"classes"`
	Version     int      `json:"version"`
}

func (b financialBody) version() int { return b.Version }

func (b financialBody) merge(in cases.FinancialInput) cases.FinancialInput {
	set(&in.Kind, b.Kind)
	set(&in.Amount, b.Amount)
	set(&in.Currency, b.Currency)
	set(&in.OccurredOn, b.OccurredOn)
	set(&in.Description, b.Description)
	set(&in.Classes, b.Classes)
	in.Version = b.Version
	return in
}

var financialAPI = recordAPI[*cases.Financial, cases.FinancialInput, financialBody]{
	path: "financial", one: "financial_record",
	list: (*cases.Service).ListFinancial, get: (*cases.Service).GetFinancial, create: (*cases.Service).CreateFinancial,
	update: (*cases.Service).UpdateFinancial, remove: (*cases.Service).DeleteFinancial,
	input: (*cases.Financial).Input,
	json: func(f *cases.Financial) any {
		return baseJSON(&f.RecordBase, map[string]any{"kind": f.Kind, "amount": f.Amount(), "currency": f.Currency,
			"occurred_on": f.OccurredOn, "description": f.Description})
	},
}

// contactBody is a contact's part in a case as the API takes it; on create,
// contact_id adds a contact the user already sees in another case.
type contactBody struct {
	ContactID int64    `json:"contact_id"`
	Kind      *string  `json:"kind"`
	Name      *string  `json:"name"`
	Email     *string  `json:"email"`
	Phone     *string  `json:"phone"`
	Address   *string  `json:"address"`
	Role      *string  `json:"role"`
	Classes   *[]int64 `json:"classes"`
	Version   int      `json:"version"`
}

func (b contactBody) version() int { return b.Version }

func (b contactBody) merge(in cases.ContactInput) cases.ContactInput {
	in.ContactID = b.ContactID
	set(&in.Kind, b.Kind)
	set(&in.Name, b.Name)
	set(&in.Email, b.Email)
	set(&in.Phone, b.Phone)
	set(&in.Address, b.Address)
	set(&in.Role, b.Role)
	set(&in.Classes, b.Classes)
	in.Version = b.Version
	return in
}

var contactAPI = recordAPI[*cases.ContactRecord, cases.ContactInput, contactBody]{
	path: "contacts", one: "contact",
	list: (*cases.Service).ListContacts, get: (*cases.Service).GetContact, create: (*cases.Service).CreateContact,
	update: (*cases.Service).UpdateContact, remove: (*cases.Service).DeleteContact,
	input: (*cases.ContactRecord).Input,
	json: func(c *cases.ContactRecord) any {
		k := c.Contact
		return baseJSON(&c.RecordBase, map[string]any{"role": c.Role, "contact": map[string]any{"id": k.ID, "kind": k.Kind,
			"name": k.Name, "email": k.Email, "phone": k.Phone, "address": k.Address}})
	},
}

type noteBody struct {
	Title   *string  `json:"title"`
	Body    *string  `json:"body"`
	Classes *[]int64 `json:"classes"`
	Version int      `json:"version"`
}

func (b noteBody) version() int { return b.Version }

func (b noteBody) merge(in cases.NoteInput) cases.NoteInput {
	set(&in.Title, b.Title)
	set(&in.Body, b.Body)
	set(&in.Classes, b.Classes)
	in.Version = b.Version
	return in
}

var noteAPI = recordAPI[*cases.Note, cases.NoteInput, noteBody]{
	path: "notes", one: "note",
	list: (*cases.Service).ListNotes, get: (*cases.Service).GetNote, create: (*cases.Service).CreateNote,
	update: (*cases.Service).UpdateNote, remove: (*cases.Service).DeleteNote,
	input: (*cases.Note).Input,
	json: func(n *cases.Note) any {
		m := map[string]any{"title": n.Title, "body": n.Body}
		if html, err := cases.RenderMarkdown(n.Body); err == nil {
			m["body_html"] = html
		}
		return baseJSON(&n.RecordBase, m)
	},
}

type eventBody struct {
	Kind     *string  `json:"kind"`
	Title    *string  `json:"title"`
	DueOn    *string  `json:"due_on"`
	RemindOn *string  `json:"remind_on"`
	Done     *bool    `json:"done"`
	Classes  *[]int64 `json:"classes"`
	Version  int      `json:"version"`
}

func (b eventBody) version() int { return b.Version }

func (b eventBody) merge(in cases.EventInput) cases.EventInput {
	set(&in.Kind, b.Kind)
	set(&in.Title, b.Title)
	set(&in.DueOn, b.DueOn)
	set(&in.RemindOn, b.RemindOn)
	set(&in.Done, b.Done)
	set(&in.Classes, b.Classes)
	in.Version = b.Version
	return in
}

var eventAPI = recordAPI[*cases.Event, cases.EventInput, eventBody]{
	path: "events", one: "event",
	list: (*cases.Service).ListEvents, get: (*cases.Service).GetEvent, create: (*cases.Service).CreateEvent,
	update: (*cases.Service).UpdateEvent, remove: (*cases.Service).DeleteEvent,
	input: (*cases.Event).Input,
	json: func(e *cases.Event) any {
		return baseJSON(&e.RecordBase, map[string]any{"kind": e.Kind, "title": e.Title, "due_on": e.DueOn,
			"remind_on": e.RemindOn, "done": e.Done})
	},
}
