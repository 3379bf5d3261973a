package search_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/seed"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/tenancy"
)

// fixture is a tenant with cases and records whose classes, deletion and
// text are known, so that what each user may find can be worked out here
// independently of the SQL: the oracle the tests compare searches with.
type fixture struct {
	h       *tenancy.Handle
	A, B, C int64 // security classes
	cases   []fcase
	recs    []frec // every record (cases included) holding the word "quokka"
}

type fcase struct {
	id                    int64
	classes               []int64
	status, group, opened string
	deleted               bool
}

type frec struct {
	typ     cases.RecordType
	id      int64
	caseIdx int
	classes []int64 // effective
	deleted bool
}

func newFixture(t *testing.T, e store.Engine) *fixture {
	t.Helper()
	ctx := context.Background()
	h, ids := seedtest.Tenant(t, e)
	admin, err := seed.AdminPrincipal(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{h: h}
	for i, p := range []*int64{&f.A, &f.B, &f.C} {
		c, err := ids.CreateClass(ctx, h, admin, identity.Class{Name: fmt.Sprintf("Class %c", 'A'+i)})
		if err != nil {
			t.Fatal(err)
		}
		*p = c.ID
	}
	f.cases = []fcase{
		{classes: nil, status: "open", group: "Litigation", opened: "2024-03-01"},
		{classes: []int64{f.A}, status: "pending", group: "Corporate", opened: "2025-06-01"},
		{classes: []int64{f.B}, status: "closed", group: "Litigation", opened: "2023-01-10"},
		{classes: []int64{f.A, f.C}, status: "open", group: "Tax", opened: "2025-01-01"},
		{classes: nil, status: "open", group: "Litigation", opened: "2024-05-01", deleted: true},
	}
	err = seed.Write(ctx, h, func(b *seed.Builder) {
		for i := range f.cases {
			c := &f.cases[i]
			c.id = b.Case(seed.Case{Title: fmt.Sprintf("Quokka matter %d", i), Client: "Client " + string(rune('a'+i)),
				PracticeGroup: c.group, Status: c.status, OpenedOn: c.opened, Classes: c.classes, Deleted: c.deleted})
			f.recs = append(f.recs, frec{typ: cases.TypeCase, id: c.id, caseIdx: i, classes: c.classes})
			for _, typ := range cases.RecordTypes()[1:] {
				f.add(b, i, typ, nil, false)
			}
		}
		// Records with classes of their own, and deleted records left in
		// the index (as a writer that forgot to unindex would).
		f.add(b, 0, cases.TypeNote, []int64{f.B}, false)
		f.add(b, 0, cases.TypeNote, nil, true)
		f.add(b, 0, cases.TypeDocument, nil, true)
		f.add(b, 0, cases.TypeContact, nil, true)
		f.add(b, 2, cases.TypeNote, []int64{f.A}, false)
		f.add(b, 1, cases.TypeDocument, []int64{f.C}, false)
		f.add(b, 3, cases.TypeFinancial, []int64{f.B}, false)
		// Text that must not match.
		b.Record(seed.Record{Type: cases.TypeNote, CaseID: f.cases[0].id, Title: "Unrelated", Body: "wallaby"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// add writes one record of type typ into case i, with "quokka" in the
// text its type is indexed by.
func (f *fixture) add(b *seed.Builder, i int, typ cases.RecordType, own []int64, deleted bool) {
	n := len(f.recs)
	r := seed.Record{Type: typ, CaseID: f.cases[i].id, Classes: own, Deleted: deleted}
	switch typ {
	case cases.TypeDocument:
		r.Title, r.Body = fmt.Sprintf("Report %d", n), fmt.Sprintf("Text of the report: quokka sightings number %d.", n)
	case cases.TypeFinancial:
		r.Body, r.AmountE4 = fmt.Sprintf("Quokka survey fee %d", n), 10000
	case cases.TypeContact:
		r.Title = fmt.Sprintf("Quinn Quokka %d", n)
	case cases.TypeNote:
		r.Title, r.Body = fmt.Sprintf("Note %d", n), "Met the quokka keeper about the enclosure."
	case cases.TypeEvent:
		r.Title = fmt.Sprintf("Quokka hearing %d", n)
	}
	effective := own
	if len(own) == 0 {
		effective = f.cases[i].classes
	}
	f.recs = append(f.recs, frec{typ: typ, id: b.Record(r), caseIdx: i, classes: effective, deleted: deleted})
}

// visible reports whether s may find r: its type's area, its classes, and
// neither it nor its case deleted.
func (f *fixture) visible(s *access.Subject, r frec) bool {
	return !r.deleted && !f.cases[r.caseIdx].deleted && s.CanSee(r.typ.Area(), access.Read, r.classes)
}

// caseVisible reports whether s may see the case of r.
func (f *fixture) caseVisible(s *access.Subject, r frec) bool {
	return s.CanSee(access.Cases, access.Read, f.cases[r.caseIdx].classes)
}

// expect lists the records s may find among those keep accepts.
func (f *fixture) expect(s *access.Subject, keep func(frec) bool) []string {
	var out []string
	for _, r := range f.recs {
		if f.visible(s, r) && (keep == nil || keep(r)) {
			out = append(out, key(r.typ, r.id))
		}
	}
	slices.Sort(out)
	return out
}

func key(t cases.RecordType, id int64) string { return fmt.Sprintf("%s:%d", t, id) }

// subject is a user for the matrix: roles by name, classes, restriction.
type subject struct {
	name string
	p    *identity.Principal
}

var customRoles = map[string]access.Role{
	"no-documents": {Name: "no-documents", Grants: map[access.Area]access.Grant{access.Cases: access.ReadGrant,
		access.Financial: access.ReadGrant, access.Contacts: access.ReadGrant, access.Notes: access.ReadGrant, access.Reports: access.ReadGrant}},
	"cases-only": {Name: "cases-only", Grants: map[access.Area]access.Grant{access.Cases: access.ReadGrant}},
	"notes-only": {Name: "notes-only", Grants: map[access.Area]access.Grant{access.Notes: access.ReadGrant, access.Documents: access.Deny}},
}

func role(name string) access.Role {
	if r, ok := customRoles[name]; ok {
		return r
	}
	for _, r := range access.BuiltinRoles() {
		if r.Name == name {
			return r
		}
	}
	panic("no role " + name)
}

// subjects is every role × restriction × class set of the matrix.
func (f *fixture) subjects() []subject {
	var out []subject
	id := int64(100)
	for _, roleName := range []string{access.ReadOnlyRole, "no-documents", "cases-only", "notes-only"} {
		for _, restricted := range []bool{false, true} {
			for _, cs := range []struct {
				name    string
				classes []int64
			}{{"none", nil}, {"A", []int64{f.A}}, {"B", []int64{f.B}}, {"AB", []int64{f.A, f.B}}, {"C", []int64{f.C}}} {
				id++
				name := fmt.Sprintf("%s/restricted=%v/classes=%s", roleName, restricted, cs.name)
				s := access.NewSubject(id, restricted, cs.classes, []access.Role{role(roleName)})
				out = append(out, subject{name, &identity.Principal{User: &identity.User{ID: id, Username: fmt.Sprintf("u%d", id)}, Subject: s}})
			}
		}
	}
	return out
}
