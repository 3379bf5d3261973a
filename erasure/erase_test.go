package erasure_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"strongroom/dashboards"
	"testing"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/cases"
	"strongroom/documents"
	"strongroom/erasure"
	"strongroom/erasure/personal"
	"strongroom/identity"
	"strongroom/search"
	"strongroom/store"
	"strongroom/store/sqlite"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// The values planted for the contact and the former user: none of them
// may be readable anywhere after the erasure.
var (
	contactValues = []string{"Zebulon Quixote-Marsh", "zebulon.qm@example.org", "+44 20 7946 0123", "12 Harbour Row, Port Isaac",
		"Prefers calls after five"}
	userValues = []string{"Yolanda Thistlewood", "yolanda.t@example.org"}
)

// planted is what a scenario planted about the two people.
type planted struct {
	caseA, caseB *cases.Case
	part, part2  *cases.ContactRecord
	contact      erasure.Subject
	doc, userDoc *documents.Document
	note         *cases.Note
	dashboard    *dashboards.Dashboard
	user         *identity.User
	userSubject  erasure.Subject
}

// plant writes the contact and the former user into every place personal
// data can be: the contact's fields (through an update as well), its
// parts in two cases, a document whose metadata and text name them, a
// note, and a user who uploaded a document and is responsible for a case.
func (f *fixture) plant() *planted {
	f.t.Helper()
	ctx, p := f.ctx, &planted{}
	var err error
	u, _, err := f.ids.CreateUser(ctx, f.h, f.admin, identity.UserInput{Username: "ythistle", DisplayName: "Y. T.",
		Email: "yt@example.org"})
	must(f.t, err)
	u, err = f.ids.UpdateUser(ctx, f.h, f.admin, u.ID, identity.UserInput{Username: "ythistle", DisplayName: userValues[0],
		Email: userValues[1], Version: u.Version})
	must(f.t, err)
	p.user, p.userSubject = u, erasure.Subject{Kind: erasure.KindUser, ID: u.ID}
	p.caseA, err = f.cases.CreateCase(ctx, f.h, f.admin, cases.CaseInput{Title: "Harbour lease", Client: "Port Trust",
		Responsible: []int64{u.ID}})
	must(f.t, err)
	p.caseB, err = f.cases.CreateCase(ctx, f.h, f.admin, cases.CaseInput{Title: "Boundary dispute", Client: "Port Trust"})
	must(f.t, err)
	p.part, err = f.cases.CreateContact(ctx, f.h, f.admin, p.caseA.ID, cases.ContactInput{Kind: "person", Name: "Z. Q.",
		Email: "zq@example.org", Role: "witness"})
	must(f.t, err)
	notes := contactValues[4]
	in := cases.ContactInput{Kind: "person", Name: contactValues[0], Email: contactValues[1], Phone: contactValues[2],
		Address: contactValues[3], Notes: &notes, Role: "client", Version: p.part.Version}
	p.part, err = f.cases.UpdateContact(ctx, f.h, f.admin, p.part.ID, in)
	must(f.t, err)
	p.part2, err = f.cases.CreateContact(ctx, f.h, f.admin, p.caseB.ID, cases.ContactInput{ContactID: p.part.Contact.ID, Role: "witness"})
	must(f.t, err)
	p.contact = erasure.Subject{Kind: erasure.KindContact, ID: p.part.Contact.ID}
	p.doc, err = f.docs.Create(ctx, f.h, f.admin, p.caseA.ID, documents.Input{Title: "Statement of " + contactValues[0],
		Description: "Sent from " + contactValues[1]}, documents.Upload{Filename: "statement.txt",
		Body: strings.NewReader("Witness statement. " + contactValues[0] + " saw the boundary moved. Call " + contactValues[2] + ".")})
	must(f.t, err)
	uploader := principal(u.ID, map[access.Area]access.Grant{access.Cases: access.EditGrant, access.Documents: access.EditGrant})
	p.userDoc, err = f.docs.Create(ctx, f.h, uploader, p.caseA.ID, documents.Input{Title: "Survey"},
		documents.Upload{Filename: "survey.txt", Body: strings.NewReader("Survey of the harbour wall.")})
	must(f.t, err)
	p.note, err = f.cases.CreateNote(ctx, f.h, f.admin, p.caseA.ID, cases.NoteInput{Title: "Call",
		Body: "Spoke to " + contactValues[0] + "; " + userValues[0] + " to follow up."})
	must(f.t, err)
	ds := dashboards.New()
	p.dashboard, err = ds.CreateDashboard(ctx, f.h, f.admin, dashboards.DashboardInput{Name: "Matters of " + contactValues[0],
		Description: "Kept by " + userValues[0]})
	must(f.t, err)
	_, err = ds.AddWidget(ctx, f.h, f.admin, p.dashboard.ID, dashboards.WidgetInput{Kind: "kpi", Title: "Fees billed to " + contactValues[0],
		Source: "case:open"})
	must(f.t, err)
	must(f.t, f.ids.SetUserStatus(ctx, f.h, f.admin, u.ID, true))
	return p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestErasure(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		t.Cleanup(func() { e.Close() })
		f := newFixture(t, e)
		p := f.plant()
		f.readable(f.h, p, true)
		old := f.snapshot() // a backup taken before the erasure
		f.readable(old, p, true)
		f.refusals(p)
		f.export(p)

		for _, s := range []erasure.Subject{p.contact, p.userSubject} {
			res, err := f.er.Erase(f.ctx, f.h, f.admin, s)
			if err != nil {
				t.Fatalf("erase %s: %v", s, err)
			}
			if !res.Counts.KeyDestroyed {
				t.Errorf("erase %s: no key destroyed: %+v", s, res)
			}
			if _, err := f.er.Erase(f.ctx, f.h, f.admin, s); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
				t.Errorf("erase %s twice: %v, want not found", s, err)
			}
		}
		f.readable(f.h, p, false)
		f.erasedEvents(f.h, p, false)

		// The older backup still has both people until the ledger is
		// reapplied to it; twice changes nothing more.
		ledger, err := f.er.Ledger(f.ctx, "firm")
		must(t, err)
		if len(ledger) != 2 {
			t.Fatalf("ledger: %+v", ledger)
		}
		raw, err := f.er.ExportLedger(f.ctx, "firm")
		must(t, err)
		back, err := erasure.ParseLedger(bytes.NewReader(raw))
		must(t, err)
		if len(back) != 2 || back[0] != ledger[0] || bytes.Contains(raw, []byte("Zebulon")) {
			t.Fatalf("ledger as bytes: %s", raw)
		}
		f.readable(old, p, true)
		must(t, erasure.Reapply(f.ctx, old, back))
		f.readable(old, p, false)
		f.erasedEvents(old, p, true)
		n := eventCount(t, old)
		must(t, erasure.Reapply(f.ctx, old, back))
		if eventCount(t, old) != n {
			t.Errorf("reapplying twice wrote events")
		}
		other := []erasure.Entry{{Tenant: "other", Subject: "contact:1"}}
		if err := erasure.Reapply(f.ctx, old, other); strongroom.ErrorCode(err) != strongroom.EINVALID {
			t.Errorf("reapply another tenant's ledger: %v", err)
		}
	})
}

// refusals: a non-administrator, an active user and an unknown person are
// refused, and nothing is erased or entered into the ledger.
func (f *fixture) refusals(p *planted) {
	t := f.t
	staff := principal(99, map[access.Area]access.Grant{access.Cases: access.EditGrant, access.Contacts: access.EditGrant})
	if _, err := f.er.Erase(f.ctx, f.h, staff, p.contact); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
		t.Errorf("staff erase: %v", err)
	}
	must(t, f.ids.SetUserStatus(f.ctx, f.h, f.admin, p.user.ID, false))
	_, err := f.er.Erase(f.ctx, f.h, f.admin, p.userSubject)
	if strongroom.ErrorCode(err) != strongroom.ECONFLICT || !strings.Contains(strongroom.ErrorMessage(err), "Disable the account first") {
		t.Errorf("erase an active user: %v", err)
	}
	must(t, f.ids.SetUserStatus(f.ctx, f.h, f.admin, p.user.ID, true))
	for _, s := range []erasure.Subject{{Kind: erasure.KindContact, ID: 999}, {Kind: erasure.KindUser, ID: 999}} {
		if _, err := f.er.Erase(f.ctx, f.h, f.admin, s); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Errorf("erase unknown %s: %v", s, err)
		}
	}
	if l, _ := f.er.Ledger(f.ctx, "firm"); len(l) != 0 {
		t.Errorf("refusals entered the ledger: %+v", l)
	}
	if f.count(`SELECT COUNT(*) FROM audit_subject_keys WHERE subject_id IN (?, ?)`, p.contact.String(), p.userSubject.String()) != 2 {
		t.Errorf("a refusal destroyed a key")
	}
}

// export: the subject access export holds the person's fields, the cases
// linking them, a user's uploads and the audit events about them with
// personal values opened; it is audited; a non-administrator is refused.
func (f *fixture) export(p *planted) {
	t := f.t
	staff := principal(99, map[access.Area]access.Grant{access.Cases: access.EditGrant, access.Audit: access.ReadGrant})
	if _, err := f.er.Export(f.ctx, f.h, staff, p.contact); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
		t.Errorf("staff export: %v", err)
	}
	x, err := f.er.Export(f.ctx, f.h, f.admin, p.contact)
	must(t, err)
	if x.Fields["name"] != contactValues[0] || x.Fields["email"] != contactValues[1] || x.Fields["notes"] != contactValues[4] {
		t.Errorf("contact export fields: %v", x.Fields)
	}
	if len(x.Cases) != 2 || x.Cases[0].Role != "client" || x.Cases[1].Role != "witness" {
		t.Errorf("contact export cases: %+v", x.Cases)
	}
	opened := false
	for _, e := range x.Events {
		for _, c := range e.Changes {
			if c.Field == "name" && c.After == contactValues[0] && c.Before == "Z. Q." {
				opened = true
			}
		}
	}
	if !opened {
		t.Errorf("contact export lacks the opened name change: %+v", x.Events)
	}
	last, err := f.h.Audit.Events(f.ctx, int64(eventCount(t, f.h)-1), 1)
	must(t, err)
	if len(last) != 1 || last[0].Action != "subject.export" || last[0].ObjectID != strconv.FormatInt(p.contact.ID, 10) ||
		len(last[0].Changes)+len(last[0].Personal)+len(last[0].Details) != 0 {
		t.Errorf("export not audited as subject.export alone: %+v", last)
	}
	x, err = f.er.Export(f.ctx, f.h, f.admin, p.userSubject)
	must(t, err)
	if x.Fields["display_name"] != userValues[0] || x.Fields["username"] != "ythistle" || x.Fields["status"] != "disabled" {
		t.Errorf("user export fields: %v", x.Fields)
	}
	if len(x.Cases) != 1 || len(x.Documents) != 1 || x.Documents[0].DocumentID != p.userDoc.ID {
		t.Errorf("user export links: %+v %+v", x.Cases, x.Documents)
	}
	if _, err := f.er.Export(f.ctx, f.h, f.admin, erasure.Subject{Kind: erasure.KindContact, ID: 999}); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
		t.Errorf("export unknown: %v", err)
	}
}

// readable checks, through the services' own read paths, whether the
// planted values can be read (want) or none of them can.
func (f *fixture) readable(h *tenancy.Handle, p *planted, want bool) {
	f.t.Helper()
	t, ctx := f.t, f.ctx
	var seen []string
	look := func(where string, texts ...string) {
		for _, s := range texts {
			for _, v := range append(append([]string{}, contactValues...), userValues...) {
				if strings.Contains(strings.ToLower(s), strings.ToLower(v)) {
					seen = append(seen, where+": "+v)
				}
			}
		}
	}
	for _, c := range []*cases.Case{p.caseA, p.caseB} {
		list, _, err := f.cases.ListContacts(ctx, h, f.admin, c.ID, cases.ListOptions{})
		must(t, err)
		for _, r := range list {
			look("contacts", r.Contact.Name, r.Contact.Email, r.Contact.Phone, r.Contact.Address, r.Contact.Notes)
		}
	}
	if r, err := f.cases.GetContact(ctx, h, f.admin, p.part.ID); err == nil {
		look("contact", r.Contact.Name, r.Contact.Email, r.Contact.Phone, r.Contact.Address, r.Contact.Notes)
	} else if want || strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
		t.Errorf("get contact: %v", err)
	}
	// The trail first: the searches below are themselves recorded.
	evs, err := h.Audit.Events(ctx, 0, 1_000_000)
	must(t, err)
	for _, e := range evs {
		look("audit "+e.Action, auditTexts(e)...)
	}
	for _, q := range []string{"Zebulon", "Quixote", "Thistlewood", "zebulon.qm@example.org"} {
		res, err := f.search.Search(ctx, h, f.admin, search.Query{Q: q})
		must(t, err)
		for _, hit := range res.Hits {
			look("search "+q, hit.Title, hit.Snippet)
		}
	}
	for _, id := range []int64{p.doc.ID, p.userDoc.ID} {
		d, err := f.docs.Get(ctx, h, f.admin, id)
		must(t, err)
		look("document", d.Title, d.Description, d.Current.Filename)
	}
	n, err := f.cases.GetNote(ctx, h, f.admin, p.note.ID)
	must(t, err)
	look("note", n.Title, n.Body)
	d, err := dashboards.New().GetDashboard(ctx, h, f.admin, p.dashboard.ID)
	must(t, err)
	look("dashboard", d.Name, d.Description)
	for _, w := range d.Widgets {
		look("widget", w.Title)
	}
	u, err := f.ids.GetUser(ctx, h, f.admin, p.user.ID)
	must(t, err)
	look("user", u.DisplayName, u.Email)
	names, err := f.cases.PeopleNames(ctx, h, f.admin)
	must(t, err)
	look("uploader", names[p.userDoc.Current.CreatedBy])
	if got := len(seen) > 0; got != want {
		t.Fatalf("planted values readable = %v, want %v: %v", got, want, seen)
	}
	if !want && (u.DisplayName != personal.Erased || u.Email != personal.Erased || !u.Erased) {
		t.Errorf("erased user reads %+v", u)
	}
	if !want && names[p.user.ID] != personal.Erased {
		t.Errorf("erased uploader is named %q", names[p.user.ID])
	}
}

// auditTexts is every text an event read back holds.
func auditTexts(e audit.Event) []string {
	out := []string{e.ObjectID, e.SourceIP}
	for _, c := range e.Changes {
		out = append(out, fmt.Sprint(c.Before), fmt.Sprint(c.After))
	}
	for k, v := range e.Details {
		out = append(out, k, v)
	}
	for k, v := range e.Personal {
		out = append(out, k, v)
	}
	return out
}

// erasedEvents checks the audit trail after an erasure: the keys are
// gone, every event about the people reads erased, the erasure is an
// event naming only the subject, and the log still verifies.
func (f *fixture) erasedEvents(h *tenancy.Handle, p *planted, reapplied bool) {
	f.t.Helper()
	t := f.t
	for _, s := range []erasure.Subject{p.contact, p.userSubject} {
		var n int
		must(t, h.DB.QueryRowContext(f.ctx, `SELECT COUNT(*) FROM audit_subject_keys WHERE subject_id = ?`, s.String()).Scan(&n))
		if n != 0 {
			t.Errorf("key of %s is still there", s)
		}
	}
	evs, err := h.Audit.Events(f.ctx, 0, 1_000_000)
	must(t, err)
	erased, about := 0, 0
	for _, e := range evs {
		if e.SubjectID == p.contact.String() || e.SubjectID == p.userSubject.String() {
			if sealed := personalChanges(e); sealed > 0 {
				about++
				if e.Erased && len(e.Personal) == 0 && openedChanges(e) == 0 {
					erased++
				}
			}
		}
		if e.Action == "subject.erase" {
			if len(e.Changes) != 0 || len(e.Personal) != 0 || e.SubjectID != "" {
				t.Errorf("subject.erase records more than the subject: %+v", e)
			}
			if reapplied && (e.Actor.Kind != audit.ActorSystem || e.Details["reapplied"] != "true") {
				t.Errorf("reapplied erasure: %+v", e)
			}
		}
	}
	if about == 0 || erased != about {
		t.Errorf("%d of %d events about the people read erased", erased, about)
	}
	rep, err := h.Audit.Verify(f.ctx)
	must(t, err)
	if !rep.OK() {
		t.Errorf("audit log does not verify after erasure: %+v", rep)
	}
}

// fileClean checks, on SQLite, that no planted value (nor a word of the
// index kept of it) is left anywhere in the bytes of the database file
// and its WAL.
func (f *fixture) fileClean(h *tenancy.Handle, values ...string) {
	f.t.Helper()
	for _, left := range f.inFile(h, values...) {
		f.t.Errorf("the database file still holds %q", left)
	}
}

// inFile checkpoints the database (SQLite only) and returns the values
// found in the bytes of its file and WAL, whatever their case.
func (f *fixture) inFile(h *tenancy.Handle, values ...string) []string {
	f.t.Helper()
	e, ok := f.e.(*sqlite.Engine)
	if !ok {
		return nil
	}
	if _, err := h.DB.ExecContext(f.ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		f.t.Fatal(err)
	}
	path := e.TenantPath(h.Tenant.Placement)
	var found []string
	for _, file := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(file)
		if os.IsNotExist(err) {
			continue
		}
		must(f.t, err)
		lower := bytes.ToLower(b)
		for _, v := range values {
			if bytes.Contains(lower, []byte(strings.ToLower(v))) {
				found = append(found, v)
			}
		}
	}
	return found
}

func personalChanges(e audit.Event) int {
	n := 0
	for _, c := range e.Changes {
		if c.Personal {
			n++
		}
	}
	return n
}

func openedChanges(e audit.Event) int {
	n := 0
	for _, c := range e.Changes {
		if c.Personal && (c.Before != nil || c.After != nil) {
			n++
		}
	}
	return n
}

func eventCount(t *testing.T, h *tenancy.Handle) int {
	t.Helper()
	evs, err := h.Audit.Events(context.Background(), 0, 1_000_000)
	must(t, err)
	return len(evs)
}
