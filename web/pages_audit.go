package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"

	"strongroom/audit"
	"strongroom/identity"
	"strongroom/tenancy"
)

// auditListView is the page of a list of events: the whole trail, or one
// record's history.
type auditListView struct {
	Items []auditItem
	// Fields are the filter form's inputs (the list page only).
	Fields []auditField
	// Record is "TYPE ID" on a record's history.
	Record string
	// Older and Newest page through the list; CSV and JSONL download it.
	Older, Newest, CSV, JSONL template.URL
}

// auditField is one input of the filter form.
type auditField struct {
	Name, Label, Hint, Type string
}

var auditFields = []auditField{
	{"actor", "Actor", "user:ID, token:ID, operator:ID, system or anonymous; a bare number is a user id", "text"},
	{"action", "Action", "for example auth.login, user.update, audit.export", "text"},
	{"object_type", "Record type", "for example user, role, case", "text"},
	{"object_id", "Record id", "", "text"},
	{"from", "From", "a date (2006-01-02) or a time in UTC (2006-01-02T15:04:05Z)", "text"},
	{"to", "Until", "a date includes that whole day", "text"},
	{"limit", "Events per page", "1 to 500; 100 unless set", "number"},
}

// auditLinks fills in the paging links of a list at base and the links
// that download the same events (audit/export.*, filtered alike).
func auditLinks(v *auditListView, t *tenancy.Handle, base string, f auditFilter, page *auditPage) {
	link := func(path string, q url.Values) template.URL {
		if len(q) == 0 {
			return template.URL(path)
		}
		return template.URL(path + "?" + q.Encode()) // a path of ours and an encoded query
	}
	if page.Next > 0 {
		v.Older = link(base, f.query(page.Next))
	}
	if f.BeforeSeq > 0 {
		v.Newest = link(base, f.query(0))
	}
	q := f.query(0)
	q.Del("limit")
	v.CSV = link(tenantPath(t, "audit/export.csv"), q)
	v.JSONL = link(tenantPath(t, "audit/export.jsonl"), q)
}

func (h *Handler) auditListPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	v := newView(r, t, p)
	q := r.URL.Query()
	for _, name := range auditFilterFields {
		if s := q.Get(name); s != "" {
			v.Form.Values.Set(name, s)
		}
	}
	page := auditListView{Fields: auditFields}
	v.Page = &page
	f, err := parseAuditFilter(q)
	if err != nil {
		fields := make([]string, len(auditFields))
		for i, f := range auditFields {
			fields[i] = f.Name
		}
		return h.renderForm(w, "audit", v, err, fields...) // before_seq has no field: its error is shown above
	}
	res, err := readAudit(r.Context(), t, p.Subject, f)
	if err != nil {
		return err
	}
	if err := nameAudit(r.Context(), t, p.Subject, res.Items); err != nil {
		return err
	}
	page.Items = res.Items
	auditLinks(&page, t, tenantPath(t, "audit"), f, res)
	return h.render(w, http.StatusOK, "audit", v)
}

func (h *Handler) auditRecordPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	f, err := recordFilter(r)
	if err != nil {
		return err
	}
	res, err := readAudit(r.Context(), t, p.Subject, f)
	if err != nil {
		return err
	}
	// The record is named (a case by its number) only as the reader may
	// see it: the names are read through the same predicate as the events.
	all := append(slices.Clone(res.Items), auditItem{Event: audit.Event{ObjectType: f.ObjectType, ObjectID: f.ObjectID}})
	if err := nameAudit(r.Context(), t, p.Subject, all); err != nil {
		return err
	}
	items, record := all[:len(all)-1], all[len(all)-1]
	v := newView(r, t, p)
	page := auditListView{Items: items, Record: record.RecordText()}
	auditLinks(&page, t, tenantPath(t, "audit/records/"+url.PathEscape(f.ObjectType)+"/"+url.PathEscape(f.ObjectID)), f, res)
	v.Page = &page
	return h.render(w, http.StatusOK, "audit", v)
}

func (h *Handler) auditEventPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	seq, err := auditSeq(r)
	if err != nil {
		return err
	}
	it, err := readAuditEvent(r.Context(), t, p.Subject, seq)
	if err != nil {
		return err
	}
	items := []auditItem{*it}
	if err := nameAudit(r.Context(), t, p.Subject, items); err != nil {
		return err
	}
	it = &items[0]
	v := newView(r, t, p)
	v.Page = it
	return h.render(w, http.StatusOK, "audit_event", v)
}
