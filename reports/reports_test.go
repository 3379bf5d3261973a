package reports_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/reports"
	"strongroom/seed"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// today is the clock of the deadlines report in these tests.
var today = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// fixture is a tenant whose financial records, cases and deadlines are
// known, so that every total can be worked out here from the rules.
type fixture struct {
	h     *tenancy.Handle
	A, B  int64
	cases []fcase
	fin   []ffin
	dl    []fdeadline
}

type fcase struct {
	id            int64
	classes       []int64
	status, group string
	deleted       bool
}

type ffin struct {
	caseIdx  int
	classes  []int64
	kind     string
	amountE4 int64
	currency string
	on       string
	deleted  bool
}

type fdeadline struct {
	caseIdx int
	classes []int64
	kind    string
	due     string
	done    bool
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
	for i, p := range []*int64{&f.A, &f.B} {
		c, err := ids.CreateClass(ctx, h, admin, identity.Class{Name: fmt.Sprintf("Class %c", 'A'+i)})
		if err != nil {
			t.Fatal(err)
		}
		*p = c.ID
	}
	f.cases = []fcase{
		{status: "open", group: "Litigation"},
		{classes: []int64{f.A}, status: "open", group: "Corporate"},
		{classes: []int64{f.B}, status: "closed", group: "Litigation"},
		{status: "pending", group: ""},
		{status: "open", group: "Tax", deleted: true},
	}
	f.fin = []ffin{
		// 0.1 + 0.2 must be 0.30, exactly.
		{caseIdx: 0, kind: "fee", amountE4: 1000, currency: "USD", on: "2025-01-05"},
		{caseIdx: 0, kind: "fee", amountE4: 2000, currency: "USD", on: "2025-01-20"},
		{caseIdx: 0, kind: "expense", amountE4: 12345, currency: "EUR", on: "2025-02-01"},
		{caseIdx: 0, classes: []int64{f.B}, kind: "settlement", amountE4: 300000000, currency: "USD", on: "2025-02-03"},
		{caseIdx: 1, kind: "fee", amountE4: 5000000, currency: "USD", on: "2025-01-07"},
		{caseIdx: 1, kind: "payment", amountE4: -2500, currency: "GBP", on: "2025-03-01"},
		{caseIdx: 1, kind: "fee", amountE4: 1, currency: "USD", on: "2025-03-01"},
		{caseIdx: 2, kind: "expense", amountE4: 70000, currency: "USD", on: "2025-02-14"},
		{caseIdx: 2, classes: []int64{f.A}, kind: "fee", amountE4: 4000, currency: "EUR", on: "2025-02-14"},
		{caseIdx: 3, kind: "invoice", amountE4: 9223372036854775807 / 4, currency: "USD", on: "2024-12-31"},
		{caseIdx: 3, kind: "invoice", amountE4: 9223372036854775807 / 4, currency: "USD", on: "2024-12-31"},
		{caseIdx: 0, kind: "fee", amountE4: 999999, currency: "USD", on: "2025-01-01", deleted: true},
		{caseIdx: 4, kind: "fee", amountE4: 888, currency: "USD", on: "2025-01-01"},
	}
	f.dl = []fdeadline{
		{caseIdx: 0, kind: "deadline", due: "2026-03-01"},                        // overdue
		{caseIdx: 1, kind: "deadline", due: "2026-03-12"},                        // within 7 days
		{caseIdx: 2, kind: "deadline", due: "2026-04-01"},                        // 8–30 days
		{caseIdx: 0, classes: []int64{f.A}, kind: "deadline", due: "2026-05-01"}, // 31–90 days
		{caseIdx: 3, kind: "deadline", due: "2027-01-01"},                        // later
		{caseIdx: 0, kind: "deadline", due: "2026-03-11", done: true},
		{caseIdx: 0, kind: "hearing", due: "2026-03-11"},
		{caseIdx: 0, kind: "deadline", due: "2026-03-11", deleted: true},
		{caseIdx: 4, kind: "deadline", due: "2026-03-11"},
	}
	err = seed.Write(ctx, h, func(b *seed.Builder) {
		for i := range f.cases {
			c := &f.cases[i]
			c.id = b.Case(seed.Case{Title: fmt.Sprintf("Matter %d", i), PracticeGroup: c.group, Status: c.status,
				Classes: c.classes, Deleted: c.deleted})
		}
		for i := range f.fin {
			r := &f.fin[i]
			b.Record(seed.Record{Type: cases.TypeFinancial, CaseID: f.cases[r.caseIdx].id, Classes: r.classes, Kind: r.kind,
				AmountE4: r.amountE4, Currency: r.currency, On: r.on, Body: "Fixture " + r.kind, Deleted: r.deleted})
			if len(r.classes) == 0 {
				r.classes = f.cases[r.caseIdx].classes
			}
		}
		for i := range f.dl {
			d := &f.dl[i]
			b.Record(seed.Record{Type: cases.TypeEvent, CaseID: f.cases[d.caseIdx].id, Classes: d.classes, Kind: d.kind,
				Title: "Due " + d.due, On: d.due, Done: d.done, Deleted: d.deleted})
			if len(d.classes) == 0 {
				d.classes = f.cases[d.caseIdx].classes
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func service() *reports.Service {
	s := reports.New()
	s.Now = func() time.Time { return today }
	return s
}

var extraRoles = []access.Role{
	{Name: "no-financial", Grants: map[access.Area]access.Grant{access.Reports: access.ReadGrant, access.Cases: access.ReadGrant}},
	{Name: "no-cases", Grants: map[access.Area]access.Grant{access.Reports: access.ReadGrant, access.Financial: access.ReadGrant}},
	{Name: "no-reports", Grants: map[access.Area]access.Grant{access.Cases: access.EditGrant, access.Financial: access.EditGrant}},
}

// subjects is every role × restriction × class set of the matrix.
func (f *fixture) subjects() map[string]*identity.Principal {
	roles := append(slices.Clone(extraRoles), access.BuiltinRoles()...)
	out := map[string]*identity.Principal{}
	id := int64(100)
	for _, r := range roles {
		for _, restricted := range []bool{false, true} {
			for name, cs := range map[string][]int64{"none": nil, "A": {f.A}, "B": {f.B}, "AB": {f.A, f.B}} {
				id++
				out[fmt.Sprintf("%s/restricted=%v/classes=%s", r.Name, restricted, name)] = &identity.Principal{
					User: &identity.User{ID: id}, Subject: access.NewSubject(id, restricted, cs, []access.Role{r}), IP: "192.0.2.9"}
			}
		}
	}
	return out
}

func (f *fixture) finVisible(s *access.Subject, r ffin) bool {
	return !r.deleted && !f.cases[r.caseIdx].deleted && s.CanSee(access.Financial, access.Read, r.classes)
}

// TestReportsMatrix checks every report total against the rules for every
// role, restriction and class set, and the refusals for missing areas.
func TestReportsMatrix(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		subs := f.subjects()
		for _, name := range slices.Sorted(maps.Keys(subs)) {
			p := subs[name]
			t.Run(name, func(t *testing.T) {
				s := p.Subject
				reportsOK := s.Allowed(access.Reports, access.Read)
				casesOK := reportsOK && s.Allowed(access.Cases, access.Read)
				finOK := reportsOK && s.Allowed(access.Financial, access.Read)

				for _, by := range reports.Groupings() {
					for _, rng := range []reports.Range{{}, {From: "2025-01-06", To: "2025-02-14"}, {From: "2025-02-02"}, {To: "2025-01-05"}} {
						rep, err := service().Financial(ctx, f.h, p, by, rng)
						if !finOK {
							forbidden(t, "financial", err)
							continue
						}
						if err != nil {
							t.Fatal(err)
						}
						f.checkFinancial(t, s, by, rng, rep)
					}
				}
				rep, err := service().Cases(ctx, f.h, p, reports.Range{})
				if !casesOK {
					forbidden(t, "cases", err)
				} else if err != nil {
					t.Fatal(err)
				} else {
					f.checkCases(t, s, rep)
				}
				dl, err := service().Deadlines(ctx, f.h, p, reports.Range{}, 0, 0)
				if !casesOK {
					forbidden(t, "deadlines", err)
				} else if err != nil {
					t.Fatal(err)
				} else {
					f.checkDeadlines(t, s, dl)
				}
				for _, name := range reports.Names() {
					_, err := service().Export(ctx, f.h, p, name, "", reports.Range{})
					ok := casesOK
					if name == reports.FinancialReport {
						ok = finOK
					}
					if !ok {
						forbidden(t, "export "+name, err)
					} else if err != nil {
						t.Fatalf("export %s: %v", name, err)
					}
				}
			})
		}
	})
}

func forbidden(t *testing.T, what string, err error) {
	t.Helper()
	if strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
		t.Errorf("%s: %v, want forbidden", what, err)
	}
}

// checkFinancial compares a financial report with sums made here.
func (f *fixture) checkFinancial(t *testing.T, s *access.Subject, by string, rng reports.Range, rep *reports.Financial) {
	t.Helper()
	want := map[string]*big.Int{} // currency → total
	rows := map[string]*big.Int{} // group|currency → total
	counts := map[string]int{}    // currency → records
	for _, r := range f.fin {
		if !f.finVisible(s, r) || (rng.From != "" && r.on < rng.From) || (rng.To != "" && r.on > rng.To) {
			continue
		}
		group := map[string]string{reports.ByKind: r.kind, reports.ByMonth: r.on[:7], reports.ByCurrency: r.currency}[by]
		if by == reports.ByCase {
			group = ""
			if s.CanSee(access.Cases, access.Read, f.cases[r.caseIdx].classes) {
				group = fmt.Sprintf("FX-%06d", f.cases[r.caseIdx].id)
			}
		}
		add(want, r.currency, r.amountE4)
		add(rows, group+"|"+r.currency, r.amountE4)
		counts[r.currency]++
	}
	got, gotRows, gotCounts := map[string]string{}, map[string]string{}, map[string]int{}
	for _, tot := range rep.Totals {
		got[tot.Currency] = tot.Total.String()
		gotCounts[tot.Currency] = tot.Count
	}
	for i, r := range rep.Rows {
		if by == reports.ByMonth && i > 0 && rep.Rows[i-1].Key < r.Key {
			t.Errorf("by month: %s before %s: the newest month comes first", rep.Rows[i-1].Key, r.Key)
		}
		k := r.Key + "|" + r.Currency
		if _, dup := gotRows[k]; dup {
			t.Errorf("by %s: row %s twice", by, k)
		}
		gotRows[k] = r.Total.String()
		if by == reports.ByCase && (r.CaseID == 0) != (r.Label == "(case not shown)") {
			t.Errorf("by case: row %+v", r)
		}
	}
	wantS, wantRows := map[string]string{}, map[string]string{}
	for k, v := range want {
		wantS[k] = reports.FormatE4(v)
	}
	for k, v := range rows {
		wantRows[k] = reports.FormatE4(v)
	}
	if !maps.Equal(got, wantS) || !maps.Equal(gotCounts, counts) {
		t.Errorf("by %s in %v: totals %v %v, want %v %v", by, rng, got, gotCounts, wantS, counts)
	}
	if !maps.Equal(gotRows, wantRows) {
		t.Errorf("by %s in %v: rows %v, want %v", by, rng, gotRows, wantRows)
	}
}

func add(m map[string]*big.Int, k string, v int64) {
	if m[k] == nil {
		m[k] = new(big.Int)
	}
	m[k].Add(m[k], big.NewInt(v))
}

func (f *fixture) checkCases(t *testing.T, s *access.Subject, rep *reports.Cases) {
	t.Helper()
	want, total := map[string]int{}, 0
	for _, c := range f.cases {
		if !c.deleted && s.CanSee(access.Cases, access.Read, c.classes) {
			want[c.group+"|"+c.status]++
			total++
		}
	}
	got := map[string]int{}
	for _, r := range rep.Rows {
		got[r.PracticeGroup+"|"+r.Status] = r.Count
	}
	if !maps.Equal(got, want) || rep.Total != total {
		t.Errorf("cases %v (%d), want %v (%d)", got, rep.Total, want, total)
	}
	sum := 0
	for _, st := range rep.Statuses {
		sum += st.Count
	}
	if sum != total {
		t.Errorf("statuses add up to %d, want %d", sum, total)
	}
}

func (f *fixture) checkDeadlines(t *testing.T, s *access.Subject, rep *reports.Deadlines) {
	t.Helper()
	var want []string
	buckets := make([]int, 5)
	for _, d := range f.dl {
		c := f.cases[d.caseIdx]
		if d.kind != "deadline" || d.done || d.deleted || c.deleted || !s.CanSee(access.Cases, access.Read, d.classes) {
			continue
		}
		want = append(want, d.due)
		switch {
		case d.due < "2026-03-10":
			buckets[0]++
		case d.due <= "2026-03-17":
			buckets[1]++
		case d.due <= "2026-04-09":
			buckets[2]++
		case d.due <= "2026-06-08":
			buckets[3]++
		default:
			buckets[4]++
		}
	}
	slices.Sort(want)
	var got []string
	for _, d := range rep.Items {
		got = append(got, d.DueOn)
		dd := f.dl[slices.IndexFunc(f.dl, func(x fdeadline) bool { return x.due == d.DueOn && x.kind == "deadline" && !x.done && !x.deleted })]
		if visible := s.CanSee(access.Cases, access.Read, f.cases[dd.caseIdx].classes); (d.Case != nil) != visible {
			t.Errorf("deadline %s: case shown %v, visible %v", d.DueOn, d.Case != nil, visible)
		}
		if d.Overdue != (d.DueOn < "2026-03-10") {
			t.Errorf("deadline %s: overdue %v", d.DueOn, d.Overdue)
		}
	}
	gotBuckets := make([]int, len(rep.Buckets))
	for i, b := range rep.Buckets {
		gotBuckets[i] = b.Count
	}
	if !slices.Equal(got, want) || rep.Total != len(want) || !slices.Equal(gotBuckets, buckets) {
		t.Errorf("deadlines %v %v (%d), want %v %v", got, gotBuckets, rep.Total, want, buckets)
	}
}

// TestExactTotals: amounts never pass through a float.
func TestExactTotals(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		p := f.subjects()["Read-only/restricted=false/classes=none"]
		rep, err := service().Financial(context.Background(), f.h, p, reports.ByKind, reports.Range{})
		if err != nil {
			t.Fatal(err)
		}
		var fee string
		for _, r := range rep.Rows {
			if r.Key == "fee" && r.Currency == "USD" {
				fee = r.Total.String()
			}
		}
		if fee != "0.30" {
			t.Fatalf("0.1 + 0.2 = %s", fee)
		}
		// Two invoices of a quarter of the largest int64 each, and more:
		// the sum is exact past 2^53, where a float would round.
		for _, tot := range rep.Totals {
			if tot.Currency == "USD" && tot.Total.String() != "461168601842739.0902" {
				t.Fatalf("USD total %s", tot.Total)
			}
		}
	})
}

func TestFormatE4(t *testing.T) {
	for in, want := range map[int64]string{0: "0.00", 1: "0.0001", 5: "0.0005", 1000: "0.10", 12345000: "1234.50",
		12345670: "1234.567", 12345678: "1234.5678", -2500: "-0.25", -1: "-0.0001", 10000: "1.00"} {
		if got := reports.FormatE4(big.NewInt(in)); got != want {
			t.Errorf("FormatE4(%d) = %s, want %s", in, got, want)
		}
	}
}

// TestExportAudited: each export writes one audit event naming the user,
// the report and the row count, before the data is handed over; a refused
// export writes none.
func TestExportAudited(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		subs := f.subjects()
		p := subs["Read-only/restricted=true/classes=A"]
		before := events(t, f.h)
		tab, err := service().Export(ctx, f.h, p, reports.FinancialReport, reports.ByMonth, reports.Range{From: "2025-01-01", To: "2025-02-28"})
		if err != nil {
			t.Fatal(err)
		}
		evs := events(t, f.h)
		if len(evs) != len(before)+1 {
			t.Fatalf("%d new events", len(evs)-len(before))
		}
		ev := evs[len(evs)-1]
		if ev.Action != "report.export" || ev.ObjectID != "financial" || ev.Actor.ID != fmt.Sprint(p.User.ID) || ev.SourceIP != "192.0.2.9" ||
			ev.Details["rows"] != fmt.Sprint(len(tab.Rows)) || ev.Details["by"] != "month" {
			t.Fatalf("event %+v", ev)
		}
		var buf bytes.Buffer
		if err := tab.WriteCSV(&buf); err != nil {
			t.Fatal(err)
		}
		csv := buf.String()
		if !strings.HasPrefix(csv, "month,currency,total,records\n") || strings.Contains(csv, "settlement") {
			t.Fatalf("csv %q", csv)
		}
		// Restricted to class A: case 1's records and the EUR fee of class
		// A, those of January and February only, newest month first.
		if want := "month,currency,total,records\n2025-02,EUR,0.40,1\n2025-01,USD,500.00,1\n"; csv != want {
			t.Errorf("csv\n%s\nwant\n%s", csv, want)
		}
		if ev.Details["from"] != "2025-01-01" || ev.Details["to"] != "2025-02-28" {
			t.Errorf("the export's range is not recorded: %v", ev.Details)
		}
		if _, err := service().Export(ctx, f.h, subs["no-reports/restricted=false/classes=AB"], reports.CasesReport, "", reports.Range{}); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("refused export: %v", err)
		}
		if _, err := service().Export(ctx, f.h, p, "payroll", "", reports.Range{}); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Fatalf("unknown report: %v", err)
		}
		if _, err := service().Export(ctx, f.h, p, reports.FinancialReport, "weekday", reports.Range{}); strongroom.ErrorField(err) != "by" {
			t.Fatalf("bad grouping: %v", err)
		}
		if n := len(events(t, f.h)); n != len(evs) {
			t.Fatalf("refused exports wrote %d events", n-len(evs))
		}
	})
}

func events(t *testing.T, h *tenancy.Handle) []audit.Event {
	t.Helper()
	evs, err := h.Audit.Events(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestReportRanges checks that the cases and deadlines reports keep to
// their range (the financial report's ranges are in the matrix), that the
// deadlines page after an offset, and that a bad range names its field.
func TestReportRanges(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		p := f.subjects()["Administrator/restricted=false/classes=AB"]
		all, err := service().Cases(ctx, f.h, p, reports.Range{})
		if err != nil {
			t.Fatal(err)
		}
		none, err := service().Cases(ctx, f.h, p, reports.Range{From: "1990-01-01", To: "1990-12-31"})
		if err != nil {
			t.Fatal(err)
		}
		if all.Total != 4 || none.Total != 0 {
			t.Fatalf("cases: %d in all, %d opened in 1990", all.Total, none.Total)
		}
		dl, err := service().Deadlines(ctx, f.h, p, reports.Range{From: "2026-03-02", To: "2026-05-01"}, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var due []string
		for _, d := range dl.Items {
			due = append(due, d.DueOn)
		}
		if dl.Total != 3 || !slices.Equal(due, []string{"2026-03-12", "2026-04-01", "2026-05-01"}) {
			t.Fatalf("deadlines in range: %d %v", dl.Total, due)
		}
		page, err := service().Deadlines(ctx, f.h, p, reports.Range{}, 2, 2)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 5 || len(page.Items) != 2 || page.Items[0].DueOn != "2026-04-01" || page.Items[1].DueOn != "2026-05-01" {
			t.Fatalf("second page of two: %d %+v", page.Total, page.Items)
		}
		for _, c := range []struct{ from, to, field string }{
			{"2025-13-01", "", "from"}, {"", "31/01/2025", "to"}, {"2025-2-1", "", "from"}, {"2025-03-01", "2025-02-01", "to"},
		} {
			if _, err := reports.ParseRange(c.from, c.to); strongroom.ErrorField(err) != c.field || strongroom.ErrorCode(err) != strongroom.EINVALID {
				t.Errorf("ParseRange(%q, %q): %v, want a fault in %s", c.from, c.to, err, c.field)
			}
		}
		if r, err := reports.ParseRange("2025-01-01", "2025-01-01"); err != nil || r.From != "2025-01-01" {
			t.Errorf("a one-day range: %v %v", r, err)
		}
		if r := reports.LastYear(today); r.From != "2025-03-11" || r.To != "2026-03-10" {
			t.Errorf("last year: %+v", r)
		}
	})
}
