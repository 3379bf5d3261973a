package cases_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"strongroom"
	"strongroom/cases"
	"strongroom/store"
)

func testCaseCRUD(t *testing.T, f *fixture) {
	ctx := context.Background()
	before := len(f.events())
	c, err := f.svc.CreateCase(ctx, f.h, f.admin, cases.CaseInput{Title: "Acme v. Widget", Client: "Acme Ltd",
		PracticeGroup: "Litigation", Tags: []string{" Antitrust", "urgent", "antitrust", "crud"}, Responsible: []int64{f.userID},
		Classes: []int64{f.classA}, OpenedOn: f.year + "-01-15"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Number != f.year+"-00001" || c.Status != "open" || c.Version != 1 || !slices.Equal(c.Tags, []string{"antitrust", "crud", "urgent"}) ||
		!slices.Equal(c.Responsible, []int64{f.userID}) || !slices.Equal(c.Classes, []int64{f.classA}) {
		t.Fatalf("created %+v", c)
	}
	if n := len(f.events()); n != before+1 {
		t.Fatalf("%d events after create, want %d", n, before+1)
	}
	ev := f.lastEvent()
	if ev.Action != "case.create" || ev.ObjectID != strconv.FormatInt(c.ID, 10) || ev.ObjectType != "case" || ev.Actor.ID != "1" || ev.SourceIP != "192.0.2.7" {
		t.Fatalf("create event %+v", ev)
	}
	if f.count(`SELECT COUNT(*) FROM search_index WHERE record_type = 'case' AND record_id = ? AND title = ?`, c.ID, f.year+"-00001 Acme v. Widget") != 1 {
		t.Fatal("case not indexed")
	}

	// Generated numbers follow on; a typed one is kept; a taken one is refused.
	c2 := f.newCase("Second")
	if c2.Number != f.year+"-00002" {
		t.Fatalf("second generated number %q", c2.Number)
	}
	typed, err := f.svc.CreateCase(ctx, f.h, f.admin, cases.CaseInput{Number: "LIT/7", Title: "Typed", Tags: []string{"crud"}})
	if err != nil || typed.Number != "LIT/7" {
		t.Fatalf("typed number: %v %+v", err, typed)
	}
	_, err = f.svc.CreateCase(ctx, f.h, f.admin, cases.CaseInput{Number: "LIT/7", Title: "Dup"})
	wantCode(t, err, strongroom.ECONFLICT, "number")

	// Update with a field diff in the audit event.
	in := c.Input()
	in.Title, in.Status, in.ClosedOn, in.Tags = "Acme v. Widget (appeal)", "closed", f.year+"-02-20", []string{"appeal", "crud"}
	beforeUpdate := len(f.events())
	u, err := f.svc.UpdateCase(ctx, f.h, f.admin, c.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if u.Version != 2 || u.Title != in.Title || u.Status != "closed" {
		t.Fatalf("updated %+v", u)
	}
	if n := len(f.events()); n != beforeUpdate+1 {
		t.Fatalf("%d events after update, want %d", n, beforeUpdate+1)
	}
	ev = f.lastEvent()
	changed := map[string][2]any{}
	for _, ch := range ev.Changes {
		changed[ch.Field] = [2]any{ch.Before, ch.After}
	}
	if ev.Action != "case.update" || len(changed) != 4 || changed["title"][0] != "Acme v. Widget" ||
		changed["title"][1] != "Acme v. Widget (appeal)" || changed["status"][1] != "closed" || changed["closed_on"][1] != f.year+"-02-20" {
		t.Fatalf("update event %+v", ev)
	}

	// A stale version is a conflict and changes nothing.
	in.Title = "Overwrite"
	_, err = f.svc.UpdateCase(ctx, f.h, f.admin, c.ID, in)
	wantCode(t, err, strongroom.ECONFLICT, "version")
	if !strings.Contains(strongroom.ErrorMessage(err), "Someone else changed this case") {
		t.Fatalf("conflict message %q", strongroom.ErrorMessage(err))
	}
	if got, _ := f.svc.GetCase(ctx, f.h, f.admin, c.ID); got.Title != "Acme v. Widget (appeal)" {
		t.Fatalf("stale update overwrote: %q", got.Title)
	}

	// Delete: gone for everyone, numbers stay taken.
	wantCode(t, f.svc.DeleteCase(ctx, f.h, f.admin, c.ID, 1), strongroom.ECONFLICT)
	beforeDelete := len(f.events())
	if err := f.svc.DeleteCase(ctx, f.h, f.admin, c.ID, 2); err != nil {
		t.Fatal(err)
	}
	if n := len(f.events()); n != beforeDelete+1 || f.lastEvent().Action != "case.delete" {
		t.Fatalf("delete event missing")
	}
	_, err = f.svc.GetCase(ctx, f.h, f.admin, c.ID)
	wantCode(t, err, strongroom.ENOTFOUND)
	_, missing := f.svc.GetCase(ctx, f.h, f.admin, 999999)
	if strongroom.ErrorMessage(err) != strongroom.ErrorMessage(missing) {
		t.Fatalf("deleted %q and missing %q differ", strongroom.ErrorMessage(err), strongroom.ErrorMessage(missing))
	}
	list, _, err := f.svc.ListCases(ctx, f.h, f.admin, cases.CaseFilter{Tag: "crud"})
	if err != nil || len(list) != 1 || list[0].ID != typed.ID {
		t.Fatalf("list after delete: %v, %d cases", err, len(list))
	}
	if f.count(`SELECT COUNT(*) FROM search_index WHERE case_id = ?`, c.ID) != 0 {
		t.Fatal("a deleted case is still in search")
	}
	if c3 := f.newCase("Third"); c3.Number != f.year+"-00003" {
		t.Fatalf("number after a deletion: %q", c3.Number)
	}
}

func testCaseBadInput(t *testing.T, f *fixture) {
	ctx := context.Background()
	events, stored := len(f.events()), f.count(`SELECT COUNT(*) FROM cases`)
	for _, tc := range []struct {
		name  string
		in    cases.CaseInput
		field string
	}{
		{"no title", cases.CaseInput{}, "title"},
		{"bad status", cases.CaseInput{Title: "T", Status: "reopened"}, "status"},
		{"bad date", cases.CaseInput{Title: "T", OpenedOn: "2026-02-30"}, "opened_on"},
		{"date format", cases.CaseInput{Title: "T", OpenedOn: "02/03/2026"}, "opened_on"},
		{"closed before opened", cases.CaseInput{Title: "T", OpenedOn: "2026-02-03", ClosedOn: "2026-01-01"}, "closed_on"},
		{"bad number", cases.CaseInput{Title: "T", Number: "-x"}, "number"},
		{"control character", cases.CaseInput{Title: "T\x00"}, "title"},
		{"unknown class", cases.CaseInput{Title: "T", Classes: []int64{9999}}, "classes"},
		{"unknown user", cases.CaseInput{Title: "T", Responsible: []int64{9999}}, "responsible"},
		{"unknown group", cases.CaseInput{Title: "T", MDLID: 9999}, "mdl_id"},
		{"tag with comma", cases.CaseInput{Title: "T", Tags: []string{"a,b"}}, "tags"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.CreateCase(ctx, f.h, f.admin, tc.in)
			wantCode(t, err, strongroom.EINVALID, tc.field)
		})
	}
	if n := f.count(`SELECT COUNT(*) FROM cases`); n != stored {
		t.Fatalf("%d cases written by bad input", n-stored)
	}
	if len(f.events()) != events {
		t.Fatal("bad input was audited as a change")
	}
}

// TestRollbackLeavesNoEvent makes the database refuse part of a change:
// the change and its audit event commit together or not at all.
func testRollbackLeavesNoEvent(t *testing.T, f *fixture) {
	ctx := context.Background()
	c := f.newCase("Rollback")
	events := len(f.events())
	// A failure in the middle of the change, before its event.
	f.trigger("search_index", "NEW.title LIKE '%boom%'")
	_, err := f.svc.CreateNote(ctx, f.h, f.admin, c.ID, cases.NoteInput{Title: "boom", Body: "x"})
	if err == nil {
		t.Fatal("the refused insert did not fail the change")
	}
	// A failure of the audit write itself, after the change.
	f.trigger("audit_events", "NEW.action = 'financial.create'")
	_, err = f.svc.CreateFinancial(ctx, f.h, f.admin, c.ID, cases.FinancialInput{Kind: "fee", Amount: "1", Currency: "EUR", OccurredOn: "2026-01-01"})
	if err == nil {
		t.Fatal("the refused audit write did not fail the change")
	}
	if len(f.events()) != events {
		t.Fatal("a failed change left an audit event")
	}
	if n := f.count(`SELECT COUNT(*) FROM notes WHERE case_id = ?`, c.ID) + f.count(`SELECT COUNT(*) FROM financial_records WHERE case_id = ?`, c.ID); n != 0 {
		t.Fatalf("a failed change left %d records", n)
	}
	if n := f.count(`SELECT COUNT(*) FROM search_index WHERE record_type <> 'case' AND case_id = ?`, c.ID); n != 0 {
		t.Fatalf("a failed change left %d class or search rows", n)
	}
}

// trigger makes inserts into table fail when cond holds.
func (f *fixture) trigger(table, cond string) {
	f.t.Helper()
	ctx := context.Background()
	var stmts []string
	if f.h.DB.Dialect == store.Postgres {
		stmts = []string{
			`CREATE FUNCTION boom_` + table + `() RETURNS trigger AS $$ BEGIN IF ` + cond + ` THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`,
			`CREATE TRIGGER boom_` + table + ` BEFORE INSERT ON ` + table + ` FOR EACH ROW EXECUTE FUNCTION boom_` + table + `()`,
		}
	} else {
		stmts = []string{`CREATE TRIGGER boom_` + table + ` BEFORE INSERT ON ` + table + ` WHEN ` + cond + ` BEGIN SELECT RAISE(ABORT, 'boom'); END`}
	}
	for _, s := range stmts {
		if _, err := f.h.DB.ExecContext(ctx, s); err != nil {
			f.t.Fatalf("%s: %v", s, err)
		}
	}
	// The tenant is shared with other scenarios.
	f.t.Cleanup(func() {
		drop := `DROP TRIGGER boom_` + table
		if f.h.DB.Dialect == store.Postgres {
			drop += ` ON ` + table
		}
		if _, err := f.h.DB.ExecContext(ctx, drop); err != nil {
			f.t.Errorf("%s: %v", drop, err)
		}
	})
}

func testMDLGroups(t *testing.T, f *fixture) {
	ctx := context.Background()
	staff := principal(5, false, nil, grants("edit", "cases"))
	_, err := f.svc.CreateMDL(ctx, f.h, staff, cases.MDLGroup{Code: "MDL 2741", Name: "Roundup"})
	wantCode(t, err, strongroom.EFORBIDDEN)
	g, err := f.svc.CreateMDL(ctx, f.h, f.admin, cases.MDLGroup{Code: "MDL 2741", Name: "Roundup Products Liability"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.CreateMDL(ctx, f.h, f.admin, cases.MDLGroup{Code: "mdl 2741", Name: "Again"})
	wantCode(t, err, strongroom.ECONFLICT, "code")
	gs, err := f.svc.ListMDL(ctx, f.h, staff)
	if err != nil || len(gs) != 1 || gs[0] != *g {
		t.Fatalf("list: %v %+v", err, gs)
	}
	c, err := f.svc.CreateCase(ctx, f.h, staff, cases.CaseInput{Title: "Plaintiff v. Maker", MDLID: g.ID})
	if err != nil || c.MDLID != g.ID {
		t.Fatalf("assign: %v %+v", err, c)
	}
	other := f.newCase("Other")
	in := other.Input()
	in.MDLID = g.ID
	if _, err := f.svc.UpdateCase(ctx, f.h, staff, other.ID, in); err != nil {
		t.Fatal(err)
	}
	list, _, err := f.svc.ListCases(ctx, f.h, staff, cases.CaseFilter{MDLID: g.ID})
	if err != nil || len(list) != 2 {
		t.Fatalf("filter by group: %v %d", err, len(list))
	}
}
