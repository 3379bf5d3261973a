package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"strongroom/cases"
	"strongroom/format"
	"strongroom/identity"
	"strongroom/tenancy"
)

// recordPage is how the pages handle one type of record inside a case.
type recordPage struct {
	path     string // "financial", as in /t/SLUG/financial/ID
	template string
	kinds    []string // the kinds the form offers, if any
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
	recordPageOf(financialAPI, "record_financial", cases.FinancialKinds(),
		[]string{"kind", "amount", "currency", "occurred_on", "description", "classes"},
		func(f *cases.Financial) url.Values {
			return url.Values{"kind": {f.Kind}, "amount": {f.Amount()}, "currency": {f.Currency},
				"occurred_on": {f.OccurredOn}, "description": {f.Description}}
		},
		func(f url.Values, classes []int64, version int) cases.FinancialInput {
			return cases.FinancialInput{Kind: f.Get("kind"), Amount: strings.TrimSpace(f.Get("amount")), Currency: f.Get("currency"),
				OccurredOn: f.Get("occurred_on"), Description: strings.TrimSpace(f.Get("description")), Classes: classes, Version: version}
		}),
	recordPageOf(contactAPI, "record_contact", cases.ContactKinds(),
		[]string{"kind", "name", "email", "phone", "address", "role", "classes"},
		func(c *cases.ContactRecord) url.Values {
			k := c.Contact
			return url.Values{"kind": {k.Kind}, "name": {k.Name}, "email": {k.Email},
				"phone": {k.Phone}, "address": {k.Address}, "role": {c.Role}}
		},
		func(f url.Values, classes []int64, version int) cases.ContactInput {
			return cases.ContactInput{Kind: f.Get("kind"), Name: strings.TrimSpace(f.Get("name")), Email: strings.TrimSpace(f.Get("email")),
				Phone: strings.TrimSpace(f.Get("phone")), Address: strings.TrimSpace(f.Get("address")), Role: f.Get("role"),
				Classes: classes, Version: version}
		}),
	recordPageOf(noteAPI, "record_note", nil,
		[]string{"title", "body", "classes"},
		func(n *cases.Note) url.Values { return url.Values{"title": {n.Title}, "body": {n.Body}} },
		func(f url.Values, classes []int64, version int) cases.NoteInput {
			// Browsers send CRLF line breaks; Markdown is stored with LF.
			return cases.NoteInput{Title: strings.TrimSpace(f.Get("title")), Body: strings.ReplaceAll(f.Get("body"), "\r\n", "\n"),
				Classes: classes, Version: version}
		}),
	recordPageOf(eventAPI, "record_event", cases.EventKinds(),
		[]string{"kind", "title", "due_on", "remind_on", "done", "classes"},
		func(e *cases.Event) url.Values {
			v := url.Values{"kind": {e.Kind}, "title": {e.Title}, "due_on": {e.DueOn}, "remind_on": {e.RemindOn}}
			if e.Done {
				v.Set("done", "yes")
			}
			return v
		},
		func(f url.Values, classes []int64, version int) cases.EventInput {
			return cases.EventInput{Kind: f.Get("kind"), Title: strings.TrimSpace(f.Get("title")), DueOn: f.Get("due_on"),
				RemindOn: f.Get("remind_on"), Done: f.Get("done") != "", Classes: classes, Version: version}
		}),
}

// recordPageOf builds the page of a type of record from its API's service
// calls: values are the type's own form values of a record, form its input
// from a posted form.
func recordPageOf[T any, I any, B interface {
	merge(I) I
	version() int
}](a recordAPI[T, I, B], template string, kinds, fields []string,
	values func(T) url.Values, form func(f url.Values, classes []int64, version int) I) recordPage {
	return recordPage{path: a.path, template: template, kinds: kinds, fields: fields,
		load: func(h *Handler, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64) (int64, url.Values, error) {
			rec, err := a.get(h.svc.Cases, r.Context(), t, p, id)
			if err != nil {
				return 0, nil, err
			}
			b := a.base(rec)
			return b.CaseID, baseValues(b, values(rec)), nil
		},
		save: func(h *Handler, r *http.Request, t *tenancy.Handle, p *identity.Principal, caseID, id int64, classes []int64, version int) (int64, error) {
			in := form(r.PostForm, classes, version)
			if id == 0 {
				_, err := a.create(h.svc.Cases, r.Context(), t, p, caseID, in)
				return caseID, err
			}
			rec, err := a.update(h.svc.Cases, r.Context(), t, p, id, in)
			if err != nil {
				return 0, err
			}
			return a.base(rec).CaseID, nil
		},
		del: func(s *cases.Service, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64, version int) error {
			return a.remove(s, r.Context(), t, p, id, version)
		},
	}
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
	var saved url.Values
	if id != 0 {
		if caseID, saved, err = k.load(h, r, t, p, id); err != nil {
			return err
		}
		if len(v.Form.Values) == 0 {
			v.Form.Values = saved
		}
	}
	page := recordForm{ID: id, Path: k.path, Kinds: k.kinds, Currencies: cases.Currencies(), Roles: cases.ContactRoles()}
	if page.Case, err = h.svc.Cases.GetCase(r.Context(), t, p, caseID); err != nil {
		return err
	}
	if page.Classes, err = h.svc.Cases.ClassChoices(r.Context(), t, p); err != nil {
		return err
	}
	if id == 0 && len(v.Form.Values) == 0 {
		v.Form.Values = k.defaults(h, t)
	}
	if isStale(formErr) && saved != nil {
		// As for a case: the user's input stays, the saved values are
		// listed beside it, and the next save is based on the current
		// version.
		origin, known := originOf(r, k.fields)
		v.Form.Changed = recordNouns[k.path][0]
		v.Form.Stale = reconcile(k.fields, saved, v.Form.Values, origin, known, page.show)
		v.Form.Values.Set("version", saved.Get("version"))
		v.Form.Origin = originFields(saved, k.fields)
	} else if saved != nil {
		if origin, known := originOf(r, k.fields); known {
			v.Form.Origin = origin
		} else {
			v.Form.Origin = originFields(saved, k.fields)
		}
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

// show writes a record field's form values for people, for the list of
// fields someone else changed.
func (page recordForm) show(field string, vs []string) string {
	switch field {
	case "kind", "role":
		return format.Words(strings.Join(vs, ""))
	case "done":
		if strings.Join(vs, "") != "" {
			return "Yes"
		}
		return "No"
	case "classes":
		return showList(vs, choiceName(page.Classes))
	case "body":
		return strings.TrimSpace(strings.ReplaceAll(strings.Join(vs, ""), "\r\n", "\n"))
	}
	return strings.TrimSpace(strings.Join(vs, ", "))
}

// defaults are the values a new record's form starts with: a financial
// record happens today (in the tenant's time zone) in the tenant's
// currency; the other types start empty.
func (k recordPage) defaults(h *Handler, t *tenancy.Handle) url.Values {
	v := url.Values{}
	if k.path == financialAPI.path {
		f := h.formatter(t)
		v.Set("occurred_on", h.svc.Cases.Now().In(f.Zone()).Format(time.DateOnly))
		v.Set("currency", f.Currency())
	}
	return v
}
