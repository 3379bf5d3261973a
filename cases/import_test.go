package cases_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
)

const caseHeader = "number,title,client,practice_group,status,opened_on,closed_on,tags,classes\n"
const financialHeader = "case_number,kind,amount,currency,occurred_on,description\n"

// testImportCases covers the case import: bad files refused whole with the
// line and field named, a dry run that writes nothing, and a commit.
func testImportCases(t *testing.T, f *fixture) {
	ctx := context.Background()
	stored, events := f.count(`SELECT COUNT(*) FROM cases`), len(f.events())
	unchanged := func(t *testing.T) {
		t.Helper()
		if n := f.count(`SELECT COUNT(*) FROM cases`); n != stored {
			t.Fatalf("%d cases written", n-stored)
		}
		if n := len(f.events()); n != events {
			t.Fatalf("%d audit events written", n-events)
		}
	}
	for _, tc := range []struct {
		name, csv   string
		line        int
		field, text string
	}{
		{"empty", "", 1, "header", "first line"},
		{"wrong header", "number,title,client\nX,Y,Z\n", 1, "header", "number,title,client,practice_group"},
		{"unbalanced quote", caseHeader + ",Ok,,,,,,,\n,\"Unclosed title,c,,,,,,\n,Later,,,,,,,\n", 3, "title", "not closed"},
		{"bare quote", caseHeader + ",Ok,,,,,,,\n,Fine,Acme \"Big\" Ltd,,,,,,\n", 3, "client", "quote"},
		{"bad status", caseHeader + ",Ok,,,,,,,\n,Two,,,reopened,,,,\n", 3, "status", "must be one of"},
		{"bad date", caseHeader + ",Ok,,,open,2026-02-30,,,\n", 2, "opened_on", "real date"},
		{"unknown class", caseHeader + ",Ok,,,open,,,,Class Z\n", 2, "classes", "no security class"},
		{"short line", caseHeader + ",Ok,,,open\n", 2, "row", "5 fields"},
		{"duplicate number", caseHeader + "N-1,One,,,,,,,\nN-1,Two,,,,,,,\n", 3, "number", "also on line 2"},
	} {
		for _, dry := range []bool{true, false} {
			t.Run(tc.name+map[bool]string{true: "/dry", false: "/commit"}[dry], func(t *testing.T) {
				report, err := f.svc.ImportCases(ctx, f.h, f.admin, strings.NewReader(tc.csv), dry)
				wantCode(t, err, strongroom.EINVALID, tc.field)
				if report == nil || report.Valid() || report.Created != 0 {
					t.Fatalf("report %+v", report)
				}
				e := report.Errors[0]
				if e.Line != tc.line || e.Field != tc.field || !strings.Contains(e.Message, tc.text) {
					t.Fatalf("first error %+v, want line %d field %s (%q)", e, tc.line, tc.field, tc.text)
				}
				if want := "line " + itoa(int64(tc.line)) + ", field " + tc.field + ": "; !strings.HasPrefix(strongroom.ErrorMessage(err), want) {
					t.Fatalf("message %q, want prefix %q", strongroom.ErrorMessage(err), want)
				}
				unchanged(t)
			})
		}
	}

	good := caseHeader +
		"IMP-1,Imported one,Acme Ltd,Litigation,open,2026-01-05,,antitrust;urgent,Class A\n" +
		`,"Imported, two",Beta Inc,Tax,pending,,,,` + "\n" +
		",Imported three,,,closed,2025-06-01,2025-12-31,,class b;Class A\n"
	// A dry run validates and counts, and writes nothing.
	report, err := f.svc.ImportCases(ctx, f.h, f.admin, strings.NewReader(good), true)
	if err != nil || !report.Valid() || report.Rows != 3 || report.Created != 0 || !report.DryRun {
		t.Fatalf("dry run: %v %+v", err, report)
	}
	unchanged(t)
	// A commit writes them all with one event each and a summary.
	report, err = f.svc.ImportCases(ctx, f.h, f.admin, strings.NewReader(good), false)
	if err != nil || report.Created != 3 {
		t.Fatalf("commit: %v %+v", err, report)
	}
	if n := f.count(`SELECT COUNT(*) FROM cases`); n != stored+3 {
		t.Fatalf("%d cases written, want 3", n-stored)
	}
	if n := len(f.events()); n != events+4 || f.lastEvent().Action != "case.import" {
		t.Fatalf("%d events, want 4 ending with case.import", n-events)
	}
	list, _, err := f.svc.ListCases(ctx, f.h, f.admin, cases.CaseFilter{Prefix: "Imported"})
	if err != nil || len(list) != 3 {
		t.Fatalf("imported cases: %v %d", err, len(list))
	}
	byTitle := map[string]*cases.Case{}
	for _, c := range list {
		byTitle[c.Title] = c
	}
	if c := byTitle["Imported, two"]; c == nil || c.Number != f.year+"-00001" || c.OpenedOn != f.year+"-03-02" || c.Status != "pending" {
		t.Fatalf("generated number and defaults: %+v", c)
	}
	if c := byTitle["Imported three"]; c == nil || c.Number != "2025-00001" || len(c.Classes) != 2 {
		t.Fatalf("third: %+v", c)
	}
	// The same file again: every typed number is taken, nothing is written.
	_, err = f.svc.ImportCases(ctx, f.h, f.admin, strings.NewReader(good), false)
	wantCode(t, err, strongroom.EINVALID, "number")
	if !strings.HasPrefix(strongroom.ErrorMessage(err), "line 2, field number:") {
		t.Fatalf("message %q", strongroom.ErrorMessage(err))
	}
	// Read access to cases is not enough.
	_, err = f.svc.ImportCases(ctx, f.h, principal(90, false, nil, grants(access.ReadGrant, access.Cases)), strings.NewReader(good), true)
	wantCode(t, err, strongroom.EFORBIDDEN)
	// An import is bounded by its own deadline, not a request's: with a
	// request deadline no transaction can meet, other writes answer
	// "unavailable" while an import still commits.
	t.Run("own deadline", func(t *testing.T) {
		saved := f.h.DB.Timeout
		f.h.DB.Timeout = time.Nanosecond
		defer func() { f.h.DB.Timeout = saved }()
		if _, err := f.svc.CreateCase(ctx, f.h, f.admin, cases.CaseInput{Title: "Too slow"}); strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE {
			t.Fatalf("a write past the request deadline: %v, want EUNAVAILABLE", err)
		}
		report, err := f.svc.ImportCases(ctx, f.h, f.admin, strings.NewReader(caseHeader+",Imported under its own deadline,,,,,,,\n"), false)
		if err != nil || report.Created != 1 {
			t.Fatalf("import: %v %+v", err, report)
		}
	})
}

// testImportFinancial covers the financial import, including cases the
// importing user cannot see, which answer like missing ones.
func testImportFinancial(t *testing.T, f *fixture) {
	ctx := context.Background()
	a := f.newCase("Import A", f.classA)
	b := f.newCase("Import B", f.classB)
	counsel := principal(91, true, []int64{f.classA}, everything())
	count := func() int {
		return f.count(`SELECT COUNT(*) FROM financial_records WHERE case_id IN (?, ?)`, a.ID, b.ID)
	}
	events := len(f.events())
	for _, tc := range []struct {
		name, csv   string
		line        int
		field, text string
	}{
		{"overflow", financialHeader + a.Number + ",fee,100.00,EUR,2026-01-01,ok\n" + a.Number + ",fee,100000000000.01,EUR,2026-01-01,x\n", 3, "amount", "at most"},
		{"too many decimals", financialHeader + a.Number + ",fee,1.00001,EUR,2026-01-01,x\n", 2, "amount", "decimal places"},
		{"float-looking", financialHeader + a.Number + ",fee,1.5e3,EUR,2026-01-01,x\n", 2, "amount", "no exponents"},
		{"currency", financialHeader + a.Number + ",fee,1,eur,2026-01-01,x\n", 2, "currency", "ISO 4217"},
		{"kind", financialHeader + a.Number + ",gift,1,EUR,2026-01-01,x\n", 2, "kind", "one of"},
		{"date", financialHeader + a.Number + ",fee,1,EUR,01.01.2026,x\n", 2, "occurred_on", "real date"},
		{"unknown case", financialHeader + "NO-SUCH-CASE,fee,1,EUR,2026-01-01,x\n", 2, "case_number", "no such case"},
		{"hidden case", financialHeader + a.Number + ",fee,1,EUR,2026-01-01,x\n" + b.Number + ",fee,1,EUR,2026-01-01,x\n", 3, "case_number", "no such case"},
		{"unbalanced quote", financialHeader + a.Number + ",fee,1,EUR,2026-01-01,\"open\n", 2, "description", "not closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			report, err := f.svc.ImportFinancial(ctx, f.h, counsel, strings.NewReader(tc.csv), false)
			wantCode(t, err, strongroom.EINVALID, tc.field)
			e := report.Errors[0]
			if e.Line != tc.line || e.Field != tc.field || !strings.Contains(strings.ToLower(e.Message), strings.ToLower(tc.text)) {
				t.Fatalf("first error %+v, want line %d field %s (%q)", e, tc.line, tc.field, tc.text)
			}
			if count() != 0 || len(f.events()) != events {
				t.Fatal("a refused import wrote something")
			}
		})
	}
	good := financialHeader + a.Number + ",fee,1234.50,EUR,2026-01-01,Drafting\n" +
		a.Number + ",trust_deposit,-0.0001,USD,2026-01-02,\"Refund, partial\"\n"
	report, err := f.svc.ImportFinancial(ctx, f.h, counsel, strings.NewReader(good), true)
	if err != nil || report.Rows != 2 || count() != 0 {
		t.Fatalf("dry run: %v %+v", err, report)
	}
	if _, err := f.svc.ImportFinancial(ctx, f.h, counsel, strings.NewReader(good), false); err != nil {
		t.Fatal(err)
	}
	rs, _, err := f.svc.ListFinancial(ctx, f.h, counsel, a.ID, cases.ListOptions{})
	if err != nil || len(rs) != 2 {
		t.Fatalf("imported records: %v %d", err, len(rs))
	}
	amounts := map[string]bool{}
	for _, r := range rs {
		amounts[r.Amount()+" "+r.Currency] = true
		if r.Classes[0] != f.classA {
			t.Errorf("imported record classes %v: should inherit the case's", r.Classes)
		}
	}
	if !amounts["1234.50 EUR"] || !amounts["-0.0001 USD"] {
		t.Fatalf("amounts %v", amounts)
	}
	if n := len(f.events()); n != events+3 {
		t.Fatalf("%d events, want 3", n-events)
	}
}
