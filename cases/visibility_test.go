package cases_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
)

// world is a set of cases and records with every combination of classes
// that matters: none, A, B, A and B; records inheriting and carrying their
// own classes.
type world struct {
	tag   string
	cases map[string]*cases.Case // by name: "none", "A", "B", "AB"
	// records of case "A" by name: "inherit" (A), "own-B" (B), "own-AB".
	financial, notes, events, contacts map[string]int64
}

func (f *fixture) buildWorld(tag string) *world {
	f.t.Helper()
	ctx := context.Background()
	w := &world{tag: tag, cases: map[string]*cases.Case{}, financial: map[string]int64{}, notes: map[string]int64{},
		events: map[string]int64{}, contacts: map[string]int64{}}
	for name, classes := range map[string][]int64{"none": nil, "A": {f.classA}, "B": {f.classB}, "AB": {f.classA, f.classB}} {
		c, err := f.svc.CreateCase(ctx, f.h, f.admin, cases.CaseInput{Title: "Case " + name, Tags: []string{tag}, Classes: classes})
		if err != nil {
			f.t.Fatal(err)
		}
		w.cases[name] = c
	}
	a := w.cases["A"].ID
	for name, own := range map[string][]int64{"inherit": nil, "own-B": {f.classB}, "own-AB": {f.classA, f.classB}} {
		fr, err := f.svc.CreateFinancial(ctx, f.h, f.admin, a, cases.FinancialInput{Kind: "fee", Amount: "10", Currency: "EUR",
			OccurredOn: "2026-01-01", Description: name, Classes: own})
		if err != nil {
			f.t.Fatal(err)
		}
		w.financial[name] = fr.ID
		n, err := f.svc.CreateNote(ctx, f.h, f.admin, a, cases.NoteInput{Title: name, Body: "body", Classes: own})
		if err != nil {
			f.t.Fatal(err)
		}
		w.notes[name] = n.ID
		e, err := f.svc.CreateEvent(ctx, f.h, f.admin, a, cases.EventInput{Kind: "deadline", Title: name, DueOn: "2026-05-01", Classes: own})
		if err != nil {
			f.t.Fatal(err)
		}
		w.events[name] = e.ID
		ct, err := f.svc.CreateContact(ctx, f.h, f.admin, a, cases.ContactInput{Kind: "person", Name: "Person " + name, Role: "witness", Classes: own})
		if err != nil {
			f.t.Fatal(err)
		}
		w.contacts[name] = ct.ID
	}
	return w
}

// testVisibility checks, for users with and without each class, restricted
// or not, that lists, single reads and the case page show exactly what the
// class rule allows, and that hidden answers exactly like missing.
func testVisibility(t *testing.T, f *fixture) {
	ctx := context.Background()
	w := f.buildWorld("visibility")
	A, B := f.classA, f.classB
	caseClasses := map[string][]int64{"none": nil, "A": {A}, "B": {B}, "AB": {A, B}}
	recordClasses := map[string][]int64{"inherit": {A}, "own-B": {B}, "own-AB": {A, B}}
	staff := grants(access.EditGrant, access.Cases, access.Financial, access.Contacts, access.Notes)
	users := []struct {
		name       string
		restricted bool
		classes    []int64
	}{
		{"unrestricted-none", false, nil},
		{"unrestricted-A", false, []int64{A}},
		{"unrestricted-B", false, []int64{B}},
		{"restricted-none", true, nil},
		{"restricted-A", true, []int64{A}},
		{"restricted-B", true, []int64{B}},
	}
	// The rule, stated once here independently of package access.
	sees := func(restricted bool, held, classes []int64) bool {
		if len(classes) == 0 {
			return !restricted
		}
		for _, c := range classes {
			if slices.Contains(held, c) {
				return true
			}
		}
		return false
	}
	for i, u := range users {
		t.Run(u.name, func(t *testing.T) {
			p := principal(int64(100+i), u.restricted, u.classes, staff)
			// The case list and single cases.
			list, _, err := f.svc.ListCases(ctx, f.h, p, cases.CaseFilter{Tag: w.tag})
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, c := range list {
				got = append(got, c.Title)
			}
			for _, name := range []string{"A", "AB", "B", "none"} {
				c := w.cases[name]
				visible := sees(u.restricted, u.classes, caseClasses[name])
				if visible {
					want = append(want, c.Title)
				}
				_, err := f.svc.GetCase(ctx, f.h, p, c.ID)
				checkHidden(t, f, p, "case "+name, visible, err, func() error { _, err := f.svc.GetCase(ctx, f.h, p, 999999); return err })
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("case list %v, want %v", got, want)
			}
			// Records of case A, when the user sees case A.
			a := w.cases["A"].ID
			if !sees(u.restricted, u.classes, []int64{A}) {
				_, _, err := f.svc.ListFinancial(ctx, f.h, p, a, cases.ListOptions{})
				wantCode(t, err, strongroom.ENOTFOUND)
				_, err = f.svc.ViewCase(ctx, f.h, p, a)
				wantCode(t, err, strongroom.ENOTFOUND)
			} else {
				view, err := f.svc.ViewCase(ctx, f.h, p, a)
				if err != nil {
					t.Fatal(err)
				}
				var fin, notes, evs, cts []int64
				for _, r := range view.Financial {
					fin = append(fin, r.ID)
				}
				for _, r := range view.Notes {
					notes = append(notes, r.ID)
				}
				for _, r := range view.Events {
					evs = append(evs, r.ID)
				}
				for _, r := range view.Contacts {
					cts = append(cts, r.ID)
				}
				checkList(t, "financial", fin, w.financial, recordClasses, u.restricted, u.classes, sees)
				checkList(t, "notes", notes, w.notes, recordClasses, u.restricted, u.classes, sees)
				checkList(t, "events", evs, w.events, recordClasses, u.restricted, u.classes, sees)
				checkList(t, "contacts", cts, w.contacts, recordClasses, u.restricted, u.classes, sees)
			}
			// Single records, whether or not the case is visible.
			for name, classes := range recordClasses {
				visible := sees(u.restricted, u.classes, classes)
				_, err := f.svc.GetFinancial(ctx, f.h, p, w.financial[name])
				checkHidden(t, f, p, "financial "+name, visible, err, func() error { _, err := f.svc.GetFinancial(ctx, f.h, p, 999999); return err })
				_, err = f.svc.GetNote(ctx, f.h, p, w.notes[name])
				checkHidden(t, f, p, "note "+name, visible, err, func() error { _, err := f.svc.GetNote(ctx, f.h, p, 999999); return err })
				_, err = f.svc.GetEvent(ctx, f.h, p, w.events[name])
				checkHidden(t, f, p, "event "+name, visible, err, func() error { _, err := f.svc.GetEvent(ctx, f.h, p, 999999); return err })
				_, err = f.svc.GetContact(ctx, f.h, p, w.contacts[name])
				checkHidden(t, f, p, "contact "+name, visible, err, func() error { _, err := f.svc.GetContact(ctx, f.h, p, 999999); return err })
				// A hidden record cannot be changed or deleted either, and
				// the refusal is the same "not found".
				if !visible {
					err := f.svc.DeleteNote(ctx, f.h, p, w.notes[name], 1)
					checkHidden(t, f, p, "delete note "+name, false, err, func() error { return f.svc.DeleteNote(ctx, f.h, p, 999999, 1) })
				}
			}
		})
	}
}

func checkList(t *testing.T, what string, got []int64, ids map[string]int64, classes map[string][]int64,
	restricted bool, held []int64, sees func(bool, []int64, []int64) bool) {
	t.Helper()
	var want []int64
	for name, id := range ids {
		if sees(restricted, held, classes[name]) {
			want = append(want, id)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s listed %v, want %v", what, got, want)
	}
}

// checkHidden checks one read: success when visible, else exactly the
// answer for a record that does not exist.
func checkHidden(t *testing.T, f *fixture, p *identity.Principal, what string, visible bool, err error, missing func() error) {
	t.Helper()
	if visible {
		if err != nil {
			t.Errorf("%s: %v, want visible", what, err)
		}
		return
	}
	m := missing()
	if strongroom.ErrorCode(err) != strongroom.ENOTFOUND || fmt.Sprint(err) != fmt.Sprint(m) {
		t.Errorf("%s: hidden answers %v, missing answers %v", what, err, m)
	}
}

// testAreas checks that a user without an area is refused that area's
// operations outright, with no data, and that the case page leaves the
// area out.
func testAreas(t *testing.T, f *fixture) {
	ctx := context.Background()
	c := f.newCase("Areas", f.classA)
	fin := f.newFinancial(c.ID, "99.95")
	note, err := f.svc.CreateNote(ctx, f.h, f.admin, c.ID, cases.NoteInput{Title: "N", Body: "secret body"})
	if err != nil {
		t.Fatal(err)
	}
	counsel := principal(50, true, []int64{f.classA}, map[access.Area]access.Grant{
		access.Cases: access.EditGrant, access.Notes: access.ReadGrant, access.Financial: access.Deny})
	_, _, err = f.svc.ListFinancial(ctx, f.h, counsel, c.ID, cases.ListOptions{})
	wantCode(t, err, strongroom.EFORBIDDEN)
	_, err = f.svc.GetFinancial(ctx, f.h, counsel, fin.ID)
	wantCode(t, err, strongroom.EFORBIDDEN)
	_, err = f.svc.CreateFinancial(ctx, f.h, counsel, c.ID, cases.FinancialInput{Kind: "fee", Amount: "1", Currency: "EUR", OccurredOn: "2026-01-01"})
	wantCode(t, err, strongroom.EFORBIDDEN)
	wantCode(t, f.svc.DeleteFinancial(ctx, f.h, counsel, fin.ID, fin.Version), strongroom.EFORBIDDEN)
	_, err = f.svc.ImportFinancial(ctx, f.h, counsel, nil, true)
	wantCode(t, err, strongroom.EFORBIDDEN)
	_, _, err = f.svc.ListContacts(ctx, f.h, counsel, c.ID, cases.ListOptions{})
	wantCode(t, err, strongroom.EFORBIDDEN)
	// Read on notes: reads, may not write.
	if _, err := f.svc.GetNote(ctx, f.h, counsel, note.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.UpdateNote(ctx, f.h, counsel, note.ID, note.Input())
	wantCode(t, err, strongroom.EFORBIDDEN)
	view, err := f.svc.ViewCase(ctx, f.h, counsel, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if view.ShowFinancial || view.Financial != nil || view.ShowContacts || !view.ShowNotes || len(view.Notes) != 1 {
		t.Fatalf("case page for counsel: %+v", view)
	}
	// No cases area at all: the list is refused, not empty.
	nobody := principal(51, false, nil, grants(access.EditGrant, access.Financial))
	_, _, err = f.svc.ListCases(ctx, f.h, nobody, cases.CaseFilter{})
	wantCode(t, err, strongroom.EFORBIDDEN)
	_, err = f.svc.CreateCase(ctx, f.h, principal(52, false, nil, grants(access.ReadGrant, access.Cases)), cases.CaseInput{Title: "x"})
	wantCode(t, err, strongroom.EFORBIDDEN)
}

// testRestrictedEdits checks what a restricted user may do with classes
// and responsible users they are not shown.
func testRestrictedEdits(t *testing.T, f *fixture) {
	ctx := context.Background()
	counsel := principal(60, true, []int64{f.classA}, grants(access.EditGrant, access.Cases, access.Notes))
	// A case they could not see afterwards is refused.
	_, err := f.svc.CreateCase(ctx, f.h, counsel, cases.CaseInput{Title: "Unclassified"})
	wantCode(t, err, strongroom.EINVALID, "classes")
	_, err = f.svc.CreateCase(ctx, f.h, counsel, cases.CaseInput{Title: "Not theirs", Classes: []int64{f.classA, f.classB}})
	wantCode(t, err, strongroom.EINVALID, "classes")
	c, err := f.svc.CreateCase(ctx, f.h, f.admin, cases.CaseInput{Title: "Shared", Classes: []int64{f.classA, f.classB},
		Responsible: []int64{f.userID}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.GetCase(ctx, f.h, counsel, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Classes, []int64{f.classA}) || len(got.Responsible) != 0 {
		t.Fatalf("counsel is shown classes %v and users %v", got.Classes, got.Responsible)
	}
	// Saving what they were shown keeps the class and users they were not.
	in := got.Input()
	in.Title = "Shared (edited by counsel)"
	if _, err := f.svc.UpdateCase(ctx, f.h, counsel, c.ID, in); err != nil {
		t.Fatal(err)
	}
	full, _ := f.svc.GetCase(ctx, f.h, f.admin, c.ID)
	if !slices.Equal(full.Classes, []int64{f.classA, f.classB}) || !slices.Equal(full.Responsible, []int64{f.userID}) {
		t.Fatalf("counsel's edit changed classes to %v and users to %v", full.Classes, full.Responsible)
	}
	// Removing their own last class would hide the case from them.
	in = full.Input()
	in.Classes = nil
	_, err = f.svc.UpdateCase(ctx, f.h, counsel, c.ID, in)
	wantCode(t, err, strongroom.EINVALID, "classes")
}
