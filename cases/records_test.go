package cases_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"strongroom"
	"strongroom/cases"
	"strongroom/identity"
)

// testInheritance checks that records inherit their case's classes unless
// they carry their own, and follow the case when its classes change.
func testInheritance(t *testing.T, f *fixture) {
	ctx := context.Background()
	c := f.newCase("Inheritance", f.classA)
	inherit := f.newFinancial(c.ID, "1.00")
	own := f.newFinancial(c.ID, "2.00", f.classB)
	if !slices.Equal(inherit.Classes, []int64{f.classA}) || inherit.OwnClasses {
		t.Fatalf("inheriting record: classes %v own %v", inherit.Classes, inherit.OwnClasses)
	}
	if !slices.Equal(own.Classes, []int64{f.classB}) || !own.OwnClasses {
		t.Fatalf("own-class record: classes %v own %v", own.Classes, own.OwnClasses)
	}
	note, err := f.svc.CreateNote(ctx, f.h, f.admin, c.ID, cases.NoteInput{Title: "Inherits", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	// The case moves to class B: inheriting records follow, others stay.
	in := c.Input()
	in.Classes = []int64{f.classB}
	if _, err := f.svc.UpdateCase(ctx, f.h, f.admin, c.ID, in); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		typ  cases.RecordType
		id   int64
		want []int64
	}{
		{cases.TypeFinancial, inherit.ID, []int64{f.classB}},
		{cases.TypeFinancial, own.ID, []int64{f.classB}},
		{cases.TypeNote, note.ID, []int64{f.classB}},
	} {
		got, err := cases.Classes(ctx, f.h.DB, tc.typ, tc.id)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s %d: classes %v (%v), want %v", tc.typ, tc.id, got, err, tc.want)
		}
	}
	in.Classes, in.Version = []int64{f.classA, f.classB}, in.Version+1
	if _, err := f.svc.UpdateCase(ctx, f.h, f.admin, c.ID, in); err != nil {
		t.Fatal(err)
	}
	if got, _ := cases.Classes(ctx, f.h.DB, cases.TypeFinancial, inherit.ID); !slices.Equal(got, []int64{f.classA, f.classB}) {
		t.Errorf("inheriting record after second change: %v", got)
	}
	if got, _ := cases.Classes(ctx, f.h.DB, cases.TypeFinancial, own.ID); !slices.Equal(got, []int64{f.classB}) {
		t.Errorf("own-class record after second change: %v", got)
	}
	// Dropping its own classes makes a record inherit again.
	fin := own.Input()
	fin.Classes = nil
	back, err := f.svc.UpdateFinancial(ctx, f.h, f.admin, own.ID, fin)
	if err != nil {
		t.Fatal(err)
	}
	if back.OwnClasses || !slices.Equal(back.Classes, []int64{f.classA, f.classB}) {
		t.Fatalf("record back to inheriting: own %v classes %v", back.OwnClasses, back.Classes)
	}
}

// testStaleVersions checks every record type refuses an edit or a
// deletion based on an old version, and changes nothing.
func testStaleVersions(t *testing.T, f *fixture) {
	ctx := context.Background()
	c := f.newCase("Stale")
	fin := f.newFinancial(c.ID, "5")
	note, _ := f.svc.CreateNote(ctx, f.h, f.admin, c.ID, cases.NoteInput{Title: "N", Body: "v1"})
	ev, _ := f.svc.CreateEvent(ctx, f.h, f.admin, c.ID, cases.EventInput{Kind: "hearing", Title: "E", DueOn: "2026-06-01"})
	ct, _ := f.svc.CreateContact(ctx, f.h, f.admin, c.ID, cases.ContactInput{Kind: "person", Name: "P", Role: "witness"})

	// Someone else saves first…
	fi := fin.Input()
	fi.Description = "first"
	if _, err := f.svc.UpdateFinancial(ctx, f.h, f.admin, fin.ID, fi); err != nil {
		t.Fatal(err)
	}
	ni := note.Input()
	ni.Body = "first"
	if _, err := f.svc.UpdateNote(ctx, f.h, f.admin, note.ID, ni); err != nil {
		t.Fatal(err)
	}
	ei := ev.Input()
	ei.Done = true
	if _, err := f.svc.UpdateEvent(ctx, f.h, f.admin, ev.ID, ei); err != nil {
		t.Fatal(err)
	}
	ci := ct.Input()
	ci.Role = "expert"
	if _, err := f.svc.UpdateContact(ctx, f.h, f.admin, ct.ID, ci); err != nil {
		t.Fatal(err)
	}
	events := len(f.events())
	// …then the edits based on version 1 are refused.
	fi.Description = "second"
	_, err := f.svc.UpdateFinancial(ctx, f.h, f.admin, fin.ID, fi)
	wantCode(t, err, strongroom.ECONFLICT, "version")
	ni.Body = "second"
	_, err = f.svc.UpdateNote(ctx, f.h, f.admin, note.ID, ni)
	wantCode(t, err, strongroom.ECONFLICT, "version")
	ei.Title = "second"
	_, err = f.svc.UpdateEvent(ctx, f.h, f.admin, ev.ID, ei)
	wantCode(t, err, strongroom.ECONFLICT, "version")
	ci.Name = "second"
	_, err = f.svc.UpdateContact(ctx, f.h, f.admin, ct.ID, ci)
	wantCode(t, err, strongroom.ECONFLICT, "version")
	wantCode(t, f.svc.DeleteNote(ctx, f.h, f.admin, note.ID, 1), strongroom.ECONFLICT, "version")
	wantCode(t, f.svc.DeleteCase(ctx, f.h, f.admin, c.ID, 0), strongroom.EINVALID, "version")
	if !strings.Contains(strongroom.ErrorMessage(err), "Someone else changed this contact since you opened it") {
		t.Fatalf("message %q", strongroom.ErrorMessage(err))
	}
	if len(f.events()) != events {
		t.Fatal("refused edits were audited")
	}
	if got, _ := f.svc.GetNote(ctx, f.h, f.admin, note.ID); got.Body != "first" || got.Version != 2 {
		t.Fatalf("note after refused edit: %+v", got)
	}
}

// testRecordInput checks bad input to records: amounts, dates, kinds and
// unknown cases, each refused naming its field with nothing written.
func testRecordInput(t *testing.T, f *fixture) {
	ctx := context.Background()
	c := f.newCase("Input")
	ok := cases.FinancialInput{Kind: "invoice", Amount: "1234.50", Currency: "USD", OccurredOn: "2026-02-28"}
	for _, tc := range []struct {
		name  string
		edit  func(*cases.FinancialInput)
		field string
	}{
		{"overflow", func(in *cases.FinancialInput) { in.Amount = "100000000000.0001" }, "amount"},
		{"too many decimals", func(in *cases.FinancialInput) { in.Amount = "1.23456" }, "amount"},
		{"exponent", func(in *cases.FinancialInput) { in.Amount = "1e3" }, "amount"},
		{"NaN", func(in *cases.FinancialInput) { in.Amount = "NaN" }, "amount"},
		{"separator", func(in *cases.FinancialInput) { in.Amount = "1,234.50" }, "amount"},
		{"empty amount", func(in *cases.FinancialInput) { in.Amount = "" }, "amount"},
		{"currency case", func(in *cases.FinancialInput) { in.Currency = "usd" }, "currency"},
		{"unknown currency", func(in *cases.FinancialInput) { in.Currency = "XXX" }, "currency"},
		{"bad kind", func(in *cases.FinancialInput) { in.Kind = "bribe" }, "kind"},
		{"bad date", func(in *cases.FinancialInput) { in.OccurredOn = "2026-13-01" }, "occurred_on"},
		{"no date", func(in *cases.FinancialInput) { in.OccurredOn = "" }, "occurred_on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ok
			tc.edit(&in)
			_, err := f.svc.CreateFinancial(ctx, f.h, f.admin, c.ID, in)
			wantCode(t, err, strongroom.EINVALID, tc.field)
		})
	}
	_, err := f.svc.CreateFinancial(ctx, f.h, f.admin, 999999, ok)
	wantCode(t, err, strongroom.ENOTFOUND)
	_, err = f.svc.CreateEvent(ctx, f.h, f.admin, c.ID, cases.EventInput{Kind: "deadline", Title: "T", DueOn: "2026-02-01", RemindOn: "2026-03-01"})
	wantCode(t, err, strongroom.EINVALID, "remind_on")
	_, err = f.svc.CreateContact(ctx, f.h, f.admin, c.ID, cases.ContactInput{Kind: "person", Name: "X", Role: "villain"})
	wantCode(t, err, strongroom.EINVALID, "role")
	_, err = f.svc.CreateContact(ctx, f.h, f.admin, c.ID, cases.ContactInput{Kind: "person", Name: "X", Role: "client", Email: "nope"})
	wantCode(t, err, strongroom.EINVALID, "email")
	_, err = f.svc.CreateNote(ctx, f.h, f.admin, c.ID, cases.NoteInput{Title: ""})
	wantCode(t, err, strongroom.EINVALID, "title")
	if n := f.count(`SELECT COUNT(*) FROM financial_records WHERE case_id = ?`, c.ID); n != 0 {
		t.Fatalf("%d records written by bad input", n)
	}
	// The exact amount round-trips.
	r, err := f.svc.CreateFinancial(ctx, f.h, f.admin, c.ID, cases.FinancialInput{Kind: "settlement", Amount: "-99999999999.9999",
		Currency: "EUR", OccurredOn: "2026-01-01"})
	if err != nil || r.Amount() != "-99999999999.9999" || r.AmountE4 != -999999999999999 {
		t.Fatalf("exact amount: %v %+v", err, r)
	}
}

// testContacts checks contacts' personal data is audited as personal and
// that a contact is shared between cases.
func testContacts(t *testing.T, f *fixture) {
	ctx := context.Background()
	c1, c2 := f.newCase("Contacts one"), f.newCase("Contacts two")
	r, err := f.svc.CreateContact(ctx, f.h, f.admin, c1.ID, cases.ContactInput{Kind: "person", Name: "Jane Roe",
		Email: "jane@example.com", Phone: "+1 555 0100", Role: "client"})
	if err != nil {
		t.Fatal(err)
	}
	ev := f.lastEvent()
	if ev.Action != "contact.create" || ev.SubjectID != "contact:"+itoa(r.Contact.ID) {
		t.Fatalf("create event %+v", ev)
	}
	personal := map[string]bool{}
	for _, ch := range ev.Changes {
		personal[ch.Field] = ch.Personal
	}
	if !personal["name"] || !personal["email"] || !personal["phone"] || personal["role"] {
		t.Fatalf("personal flags %v", personal)
	}
	// The same person in a second case.
	r2, err := f.svc.CreateContact(ctx, f.h, f.admin, c2.ID, cases.ContactInput{ContactID: r.Contact.ID, Role: "witness"})
	if err != nil || r2.Contact.Name != "Jane Roe" {
		t.Fatalf("link existing: %v %+v", err, r2)
	}
	// A contact the user cannot see anywhere does not exist for them.
	outsider := principal(70, true, []int64{f.classB}, everything())
	cb := f.newCase("Contacts B", f.classB)
	_, err = f.svc.CreateContact(ctx, f.h, outsider, cb.ID, cases.ContactInput{ContactID: r.Contact.ID, Role: "witness"})
	wantCode(t, err, strongroom.EINVALID, "contact_id")
	// Editing the details changes them everywhere, audited as personal.
	in := r.Input()
	in.Name = "Jane Doe-Roe"
	if _, err := f.svc.UpdateContact(ctx, f.h, f.admin, r.ID, in); err != nil {
		t.Fatal(err)
	}
	ev = f.lastEvent()
	if len(ev.Changes) != 1 || ev.Changes[0].Field != "name" || !ev.Changes[0].Personal || ev.Changes[0].After != "Jane Doe-Roe" {
		t.Fatalf("update event %+v", ev)
	}
	if got, _ := f.svc.GetContact(ctx, f.h, f.admin, r2.ID); got.Contact.Name != "Jane Doe-Roe" {
		t.Fatalf("other case shows %q", got.Contact.Name)
	}
	if f.count(`SELECT COUNT(*) FROM search_index WHERE record_type = 'contact' AND title = 'Jane Doe-Roe'`) != 2 {
		t.Fatal("both parts should be re-indexed under the new name")
	}
	// Removing one part keeps the person; removing the last deletes them.
	if err := f.svc.DeleteContact(ctx, f.h, f.admin, r2.ID, r2.Version); err != nil {
		t.Fatal(err)
	}
	if f.count(`SELECT COUNT(*) FROM contacts WHERE id = ? AND deleted_at = ''`, r.Contact.ID) != 1 {
		t.Fatal("contact deleted while still part of a case")
	}
	cur, _ := f.svc.GetContact(ctx, f.h, f.admin, r.ID)
	if err := f.svc.DeleteContact(ctx, f.h, f.admin, r.ID, cur.Version); err != nil {
		t.Fatal(err)
	}
	if f.count(`SELECT COUNT(*) FROM contacts WHERE id = ? AND deleted_at <> ''`, r.Contact.ID) != 1 {
		t.Fatal("contact with no part left was not deleted")
	}
}

// testPagination pages through cases and records with opaque cursors.
func testPagination(t *testing.T, f *fixture) {
	ctx := context.Background()
	var ids []int64
	for i := range 7 {
		classes := []int64{f.classA}
		if i%2 == 1 {
			classes = []int64{f.classB}
		}
		c, err := f.svc.CreateCase(ctx, f.h, f.admin, cases.CaseInput{Title: "Paged " + itoa(int64(i)), Tags: []string{"paged"},
			Classes: classes, OpenedOn: f.year + "-01-0" + itoa(int64(i+1))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	page := func(p *cases.CaseFilter, who string) []int64 {
		var all []int64
		for n := 0; ; n++ {
			list, next, err := f.svc.ListCases(ctx, f.h, principalOf(f, who), *p)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) > p.Limit {
				t.Fatalf("page of %d, limit %d", len(list), p.Limit)
			}
			for _, c := range list {
				all = append(all, c.ID)
			}
			if next == "" {
				return all
			}
			p.Cursor = next
			if n > 10 {
				t.Fatal("no end of pages")
			}
		}
	}
	got := page(&cases.CaseFilter{Tag: "paged", ListOptions: cases.ListOptions{Limit: 2}}, "admin")
	if !slices.Equal(got, ids) {
		t.Fatalf("by number: %v, want %v", got, ids)
	}
	got = page(&cases.CaseFilter{Tag: "paged", Sort: cases.SortOpened, ListOptions: cases.ListOptions{Limit: 3}}, "admin")
	if want := slices.Clone(ids); !slices.Equal(got, reversed(want)) {
		t.Fatalf("by opening date: %v, want %v", got, reversed(want))
	}
	got = page(&cases.CaseFilter{Tag: "paged", ListOptions: cases.ListOptions{Limit: 2}}, "counsel-A")
	if want := []int64{ids[0], ids[2], ids[4], ids[6]}; !slices.Equal(got, want) {
		t.Fatalf("restricted pages: %v, want %v", got, want)
	}
	_, _, err := f.svc.ListCases(ctx, f.h, f.admin, cases.CaseFilter{ListOptions: cases.ListOptions{Limit: 201}})
	wantCode(t, err, strongroom.EINVALID, "limit")
	_, _, err = f.svc.ListCases(ctx, f.h, f.admin, cases.CaseFilter{ListOptions: cases.ListOptions{Cursor: "not-a-cursor"}})
	wantCode(t, err, strongroom.EINVALID, "cursor")
	_, _, err = f.svc.ListCases(ctx, f.h, f.admin, cases.CaseFilter{Status: "shut"})
	wantCode(t, err, strongroom.EINVALID, "status")
	// Prefix of the title, case-insensitively; a LIKE wildcard is literal.
	list, _, err := f.svc.ListCases(ctx, f.h, f.admin, cases.CaseFilter{Prefix: "pAGED 3"})
	if err != nil || len(list) != 1 || list[0].ID != ids[3] {
		t.Fatalf("prefix: %v %d", err, len(list))
	}
	if list, _, _ := f.svc.ListCases(ctx, f.h, f.admin, cases.CaseFilter{Prefix: "%"}); len(list) != 0 {
		t.Fatalf("a %% prefix matched %d cases", len(list))
	}
	// Records page too.
	c := ids[0]
	for i := range 5 {
		f.newFinancial(c, itoa(int64(i+1)))
	}
	var seen int
	opt := cases.ListOptions{Limit: 2}
	for {
		rs, next, err := f.svc.ListFinancial(ctx, f.h, f.admin, c, opt)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(rs)
		if next == "" {
			break
		}
		opt.Cursor = next
	}
	if seen != 5 {
		t.Fatalf("paged through %d financial records, want 5", seen)
	}
}

func principalOf(f *fixture, who string) *identity.Principal {
	if who == "counsel-A" {
		return principal(80, true, []int64{f.classA}, everything())
	}
	return f.admin
}

func reversed(s []int64) []int64 { slices.Reverse(s); return s }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
