package cases_test

import (
	"context"
	"strings"
	"testing"

	"strongroom"
	"strongroom/cases"
)

// fieldsOf lists the fields of every problem of err, in order.
func fieldsOf(err error) []string {
	var out []string
	for _, p := range strongroom.ErrorProblems(err) {
		out = append(out, p.Field)
	}
	return out
}

func wantFields(t *testing.T, err error, want ...string) {
	t.Helper()
	wantCode(t, err, strongroom.EINVALID, want[0])
	if got := fieldsOf(err); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("problems of %v: %v, want %v", err, got, want)
	}
}

// testAllProblemsAtOnce: a case or record with several mistakes is told
// of all of them in one answer, and nothing is written.
func testAllProblemsAtOnce(t *testing.T, f *fixture) {
	ctx := context.Background()
	c := f.newCase("Problems")
	stored, events := f.count(`SELECT COUNT(*) FROM cases`), len(f.events())
	t.Run("case", func(t *testing.T) {
		_, err := f.svc.CreateCase(ctx, f.h, f.admin, cases.CaseInput{Title: "", Status: "reopened", OpenedOn: "2026-02-30"})
		wantFields(t, err, "title", "status", "opened_on")
	})
	t.Run("case update", func(t *testing.T) {
		in := c.Input()
		in.Title, in.Number, in.Tags = " padded ", "-bad", []string{"a;b"}
		_, err := f.svc.UpdateCase(ctx, f.h, f.admin, c.ID, in)
		wantFields(t, err, "number", "title", "tags")
	})
	t.Run("financial", func(t *testing.T) {
		_, err := f.svc.CreateFinancial(ctx, f.h, f.admin, c.ID, cases.FinancialInput{Kind: "bribe", Amount: "1,5",
			Currency: "eur", OccurredOn: ""})
		wantFields(t, err, "kind", "amount", "currency", "occurred_on")
	})
	t.Run("event", func(t *testing.T) {
		_, err := f.svc.CreateEvent(ctx, f.h, f.admin, c.ID, cases.EventInput{Kind: "party", DueOn: "tomorrow"})
		wantFields(t, err, "kind", "title", "due_on")
	})
	t.Run("note", func(t *testing.T) {
		_, err := f.svc.CreateNote(ctx, f.h, f.admin, c.ID, cases.NoteInput{Title: "", Body: "x\x00", Classes: []int64{-1}})
		wantFields(t, err, "title", "body", "classes")
	})
	t.Run("contact", func(t *testing.T) {
		_, err := f.svc.CreateContact(ctx, f.h, f.admin, c.ID, cases.ContactInput{Kind: "robot", Email: "nobody", Role: "bailiff"})
		wantFields(t, err, "kind", "name", "email", "role")
	})
	t.Run("litigation group", func(t *testing.T) {
		_, err := f.svc.CreateMDL(ctx, f.h, f.admin, cases.MDLGroup{})
		wantFields(t, err, "code", "name")
	})
	if n := f.count(`SELECT COUNT(*) FROM cases`); n != stored {
		t.Fatalf("%d cases written by bad input", n-stored)
	}
	if n := len(f.events()); n != events {
		t.Fatalf("%d audit events written by bad input", n-events)
	}
}

// testClosedDate: a closed case must say when it closed; the date is not
// made up.
func testClosedDate(t *testing.T, f *fixture) {
	ctx := context.Background()
	_, err := f.svc.CreateCase(ctx, f.h, f.admin, cases.CaseInput{Title: "Closed", Status: cases.StatusClosed})
	wantFields(t, err, "closed_on")
	c := f.newCase("Closing")
	in := c.Input()
	in.Status = cases.StatusClosed
	_, err = f.svc.UpdateCase(ctx, f.h, f.admin, c.ID, in)
	wantFields(t, err, "closed_on")
	in.ClosedOn = f.year + "-03-02"
	got, err := f.svc.UpdateCase(ctx, f.h, f.admin, c.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != cases.StatusClosed || got.ClosedOn != in.ClosedOn {
		t.Fatalf("closed case %+v", got)
	}
}

// testImportListsEveryProblem: a dry run lists every problem of every
// row, with the row's line.
func testImportListsEveryProblem(t *testing.T, f *fixture) {
	ctx := context.Background()
	stored := f.count(`SELECT COUNT(*) FROM cases`)
	csv := caseHeader +
		",Fine,,,,,,,\n" +
		",,,,reopened,2026-02-30,,,\n" + // title, status, opened_on
		"-x,Closed,,,closed,,,,Class Z\n" // number, closed_on, classes
	report, err := f.svc.ImportCases(ctx, f.h, f.admin, strings.NewReader(csv), true)
	wantCode(t, err, strongroom.EINVALID)
	var got []string
	for _, e := range report.Errors {
		got = append(got, itoa(int64(e.Line))+":"+e.Field)
	}
	want := "3:title 3:status 3:opened_on 4:classes 4:number 4:closed_on"
	if strings.Join(got, " ") != want || report.ErrorCount != 6 {
		t.Fatalf("errors %v (%d), want %s", got, report.ErrorCount, want)
	}
	if !strings.Contains(strongroom.ErrorMessage(err), "and 5 more") {
		t.Fatalf("refusal %q", strongroom.ErrorMessage(err))
	}
	if ps := strongroom.ErrorProblems(err); len(ps) != 6 || ps[5].Field != "closed_on" || !strings.HasPrefix(ps[5].Message, "line 4, field closed_on: ") {
		t.Fatalf("the refusal's problems: %v", ps)
	}
	money := financialHeader + ",fee,abc,eur,,\n"
	report, err = f.svc.ImportFinancial(ctx, f.h, f.admin, strings.NewReader(money), true)
	wantCode(t, err, strongroom.EINVALID)
	got = nil
	for _, e := range report.Errors {
		got = append(got, itoa(int64(e.Line))+":"+e.Field)
	}
	if want := "2:case_number 2:amount 2:currency 2:occurred_on"; strings.Join(got, " ") != want {
		t.Fatalf("errors %v, want %s", got, want)
	}
	if n := f.count(`SELECT COUNT(*) FROM cases`); n != stored {
		t.Fatalf("%d cases written by a dry run", n-stored)
	}
}
