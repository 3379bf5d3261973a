package metrics_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/metrics"
	"strongroom/seed"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// caseFixture is a tenant whose cases and records are known, so that every
// case metric can be worked out here from the access rules.
type caseFixture struct {
	h     *tenancy.Handle
	A, B  int64
	cases []fcase
	fin   []frec
	dl    []frec
	docs  []frec
}

type fcase struct {
	id             int64
	classes        []int64
	status, group  string
	opened, closed string
	deleted        bool
}

// frec is a financial record (kind, amount, currency, day), a deadline
// (day due, done) or a document (day added).
type frec struct {
	caseIdx  int
	classes  []int64
	kind     string
	amountE4 int64
	currency string
	on       string
	done     bool
}

func newCaseFixture(t *testing.T, e store.Engine) (*caseFixture, *identity.Principal) {
	t.Helper()
	ctx := context.Background()
	h, ids := seedtest.Tenant(t, e)
	admin, err := seed.AdminPrincipal(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	f := &caseFixture{h: h}
	for i, p := range []*int64{&f.A, &f.B} {
		c, err := ids.CreateClass(ctx, h, admin, identity.Class{Name: fmt.Sprintf("Class %c", 'A'+i)})
		if err != nil {
			t.Fatal(err)
		}
		*p = c.ID
	}
	f.cases = []fcase{
		{status: "open", group: "Litigation", opened: "2026-01-05"},
		{classes: []int64{f.A}, status: "open", group: "Corporate", opened: "2026-01-20"},
		{classes: []int64{f.B}, status: "closed", group: "Litigation", opened: "2025-12-01", closed: "2026-02-10"},
		{status: "pending", group: "", opened: "2026-02-01"},
		{status: "open", group: "Tax", opened: "2026-01-07", deleted: true},
		{classes: []int64{f.A, f.B}, status: "pending", group: "Corporate", opened: "2026-02-15"},
		{status: "closed", group: "Tax", opened: "2026-01-02", closed: "2026-02-20"},
	}
	f.fin = []frec{
		{caseIdx: 0, kind: "invoice", amountE4: 1000, currency: "USD", on: "2026-01-05"},
		{caseIdx: 0, kind: "invoice", amountE4: 2000, currency: "USD", on: "2026-02-20"},
		{caseIdx: 0, classes: []int64{f.B}, kind: "invoice", amountE4: 300000, currency: "EUR", on: "2026-02-03"},
		{caseIdx: 1, kind: "payment", amountE4: 50000, currency: "USD", on: "2026-01-07"},
		{caseIdx: 1, kind: "invoice", amountE4: 7000, currency: "USD", on: "2026-01-08"},
		{caseIdx: 2, kind: "trust_deposit", amountE4: 90000, currency: "GBP", on: "2026-02-14"},
		{caseIdx: 3, kind: "fee", amountE4: 5, currency: "USD", on: "2026-02-14"},
		{caseIdx: 4, kind: "invoice", amountE4: 888, currency: "USD", on: "2026-01-01"},
		{caseIdx: 5, kind: "payment", amountE4: 1234, currency: "EUR", on: "2026-02-16"},
	}
	f.dl = []frec{
		{caseIdx: 0, on: "2026-03-01"},
		{caseIdx: 1, on: "2026-03-12"},
		{caseIdx: 2, on: "2026-02-01"},
		{caseIdx: 0, classes: []int64{f.A}, on: "2026-03-05"},
		{caseIdx: 3, on: "2026-03-20"},
		{caseIdx: 0, on: "2026-03-02", done: true},
		{caseIdx: 4, on: "2026-03-03"},
		{caseIdx: 5, on: "2026-03-15"},
	}
	f.docs = []frec{
		{caseIdx: 0, on: "2026-02-01"},
		{caseIdx: 1, on: "2026-02-02"},
		{caseIdx: 2, on: "2026-02-02"},
		{caseIdx: 3, classes: []int64{f.B}, on: "2026-02-03"},
		{caseIdx: 4, on: "2026-02-03"},
	}
	var docIDs []int64
	err = seed.Write(ctx, h, func(b *seed.Builder) {
		for i := range f.cases {
			c := &f.cases[i]
			c.id = b.Case(seed.Case{Title: fmt.Sprintf("Matter %d", i), PracticeGroup: c.group, Status: c.status,
				OpenedOn: c.opened, Classes: c.classes, Deleted: c.deleted})
		}
		inherit := func(r *frec) {
			if len(r.classes) == 0 {
				r.classes = f.cases[r.caseIdx].classes
			}
		}
		for i := range f.fin {
			r := &f.fin[i]
			b.Record(seed.Record{Type: cases.TypeFinancial, CaseID: f.cases[r.caseIdx].id, Classes: r.classes, Kind: r.kind,
				AmountE4: r.amountE4, Currency: r.currency, On: r.on, Body: "Fixture"})
			inherit(r)
		}
		for i := range f.dl {
			r := &f.dl[i]
			b.Record(seed.Record{Type: cases.TypeEvent, CaseID: f.cases[r.caseIdx].id, Classes: r.classes, Kind: "deadline",
				Title: "Due " + r.on, On: r.on, Done: r.done})
			inherit(r)
		}
		for i := range f.docs {
			r := &f.docs[i]
			docIDs = append(docIDs, b.Record(seed.Record{Type: cases.TypeDocument, CaseID: f.cases[r.caseIdx].id, Classes: r.classes, Title: "Doc"}))
			inherit(r)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// The seed leaves closed_on empty and dates documents now.
	for _, c := range f.cases {
		if _, err := h.DB.ExecContext(ctx, `UPDATE cases SET closed_on = ? WHERE id = ?`, c.closed, c.id); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range docIDs {
		at, _ := time.Parse(time.DateOnly, f.docs[i].on)
		if _, err := h.DB.ExecContext(ctx, `UPDATE documents SET created_at = ? WHERE id = ?`, store.FormatTime(at.Add(10*time.Hour)), id); err != nil {
			t.Fatal(err)
		}
	}
	return f, admin
}

func (f *caseFixture) seesCase(s *access.Subject, i int) bool {
	return !f.cases[i].deleted && s.CanSee(access.Cases, access.Read, f.cases[i].classes)
}

func (f *caseFixture) sees(s *access.Subject, a access.Area, r frec) bool {
	return !f.cases[r.caseIdx].deleted && s.CanSee(a, access.Read, r.classes)
}

// figures is every case metric of the fixture for one reader, as text,
// each computed twice: by the service, and here from the rules.
func (f *caseFixture) figures(t *testing.T, s *metrics.Service, p *identity.Principal) (got, want map[string]string) {
	t.Helper()
	ctx := context.Background()
	sub := p.Subject
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	got, want = map[string]string{}, map[string]string{}
	ask := func(name string, q metrics.Query) {
		if q.From.IsZero() {
			q.From, q.To = from, to
		}
		ser, err := s.Series(ctx, f.h, p, q)
		if err != nil {
			got[name] = "error " + strongroom.ErrorCode(err)
			return
		}
		var out []string
		for _, g := range ser.Groups {
			var vs []string
			for _, b := range g.Buckets {
				vs = append(vs, fmt.Sprintf("%g/%d", b.Value, b.Count))
			}
			out = append(out, fmt.Sprintf("%s=%v", g.Key, vs))
		}
		got[name] = fmt.Sprint(out)
	}
	casesOK := sub.Allowed(access.Dashboards, access.Read) && sub.Allowed(access.Cases, access.Read)
	finOK := sub.Allowed(access.Dashboards, access.Read) && sub.Allowed(access.Financial, access.Read)
	docsOK := sub.Allowed(access.Dashboards, access.Read) && sub.Allowed(access.Documents, access.Read)

	ask("open by status", metrics.Query{Metric: string(metrics.OpenCases), GroupBy: "status"})
	ask("opened by month", metrics.Query{Metric: string(metrics.CasesOpened), Bucket: metrics.Month})
	ask("closed", metrics.Query{Metric: string(metrics.CasesClosed), Bucket: metrics.Month, GroupBy: "practice_group"})
	ask("age", metrics.Query{Metric: string(metrics.CaseAge)})
	ask("billed", metrics.Query{Metric: string(metrics.Billed), Bucket: metrics.Month})
	ask("collected usd", metrics.Query{Metric: string(metrics.Collected), Dims: map[string]string{"currency": "USD"}})
	ask("overdue", metrics.Query{Metric: string(metrics.DeadlinesOverdue)})
	ask("due", metrics.Query{Metric: string(metrics.DeadlinesDue), From: now, To: now.AddDate(0, 0, 30)})
	ask("documents", metrics.Query{Metric: string(metrics.DocumentsAdded), Bucket: metrics.Day, From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 2, 4, 0, 0, 0, 0, time.UTC)})

	forbid := func(names ...string) {
		for _, n := range names {
			want[n] = "error " + strongroom.EFORBIDDEN
		}
	}
	fmtGroups := func(groups map[string][]string) string {
		var out []string
		for _, k := range slices.Sorted(maps.Keys(groups)) {
			out = append(out, fmt.Sprintf("%s=%v", k, groups[k]))
		}
		return fmt.Sprint(out)
	}
	if !casesOK {
		forbid("open by status", "opened by month", "closed", "age", "overdue", "due")
	} else {
		open := map[string]int{}
		var months [2]int
		closed := map[string][2]int{}
		ageSum, ageN := 0.0, 0
		for i, c := range f.cases {
			if !f.seesCase(sub, i) {
				continue
			}
			if c.status == "open" || c.status == "pending" {
				open[c.status]++
				d, _ := time.Parse(time.DateOnly, c.opened)
				ageSum += time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC).Sub(d).Hours() / 24
				ageN++
			}
			if c.opened >= "2026-01" && c.opened < "2026-03" {
				months[map[string]int{"01": 0, "02": 1}[c.opened[5:7]]]++
			}
			if c.closed != "" {
				m := closed[c.group]
				m[map[string]int{"01": 0, "02": 1}[c.closed[5:7]]]++
				closed[c.group] = m
			}
		}
		g := map[string][]string{}
		for st, n := range open {
			g[st] = []string{fmt.Sprintf("%d/%d", n, n)}
		}
		want["open by status"] = fmtGroups(g)
		want["opened by month"] = fmtGroups(map[string][]string{"": {fmt.Sprintf("%d/%d", months[0], months[0]), fmt.Sprintf("%d/%d", months[1], months[1])}})
		g = map[string][]string{}
		for grp, m := range closed {
			g[grp] = []string{fmt.Sprintf("%d/%d", m[0], m[0]), fmt.Sprintf("%d/%d", m[1], m[1])}
		}
		want["closed"] = fmtGroups(g)
		avg := 0.0
		if ageN > 0 {
			avg = ageSum / float64(ageN)
		}
		want["age"] = fmtGroups(map[string][]string{"": {fmt.Sprintf("%g/%d", avg, ageN)}})
		over, due := 0, 0
		for _, d := range f.dl {
			if d.done || !f.sees(sub, access.Cases, d) {
				continue
			}
			if d.on < "2026-03-10" {
				over++
			} else if d.on < "2026-04-09" {
				due++
			}
		}
		want["overdue"] = fmtGroups(map[string][]string{"": {fmt.Sprintf("%d/%d", over, over)}})
		want["due"] = fmtGroups(map[string][]string{"": {fmt.Sprintf("%d/%d", due, due)}})
	}
	if !finOK {
		forbid("billed", "collected usd")
	} else {
		billed := map[string]*[2][2]int64{} // currency → month → e4, count
		var usdPaid, usdPaidN int64
		for _, r := range f.fin {
			if !f.sees(sub, access.Financial, r) {
				continue
			}
			if r.kind == "invoice" {
				b := billed[r.currency]
				if b == nil {
					b = &[2][2]int64{}
					billed[r.currency] = b
				}
				m := map[string]int{"01": 0, "02": 1}[r.on[5:7]]
				b[m][0] += r.amountE4
				b[m][1]++
			}
			if r.kind == "payment" && r.currency == "USD" {
				usdPaid += r.amountE4
				usdPaidN++
			}
		}
		g := map[string][]string{}
		for cur, b := range billed {
			g[cur] = []string{fmt.Sprintf("%g/%d", float64(b[0][0])/1e4, b[0][1]), fmt.Sprintf("%g/%d", float64(b[1][0])/1e4, b[1][1])}
		}
		want["billed"] = fmtGroups(g)
		want["collected usd"] = fmtGroups(map[string][]string{"": {fmt.Sprintf("%g/%d", float64(usdPaid)/1e4, usdPaidN)}})
	}
	if !docsOK {
		forbid("documents")
	} else {
		var days [3]int
		for _, d := range f.docs {
			if f.sees(sub, access.Documents, d) {
				days[map[string]int{"01": 0, "02": 1, "03": 2}[d.on[8:10]]]++
			}
		}
		var vs []string
		for _, n := range days {
			vs = append(vs, fmt.Sprintf("%d/%d", n, n))
		}
		want["documents"] = fmtGroups(map[string][]string{"": vs})
	}
	return got, want
}

// TestCaseMetricsMatrix checks every case metric against the rules for
// every role, restriction and class set: a figure counts exactly the
// records the reader may read, and a reader without the area is refused.
func TestCaseMetricsMatrix(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f, _ := newCaseFixture(t, e)
		roles := append([]access.Role{
			{Name: "dash-cases", Grants: map[access.Area]access.Grant{access.Dashboards: access.ReadGrant, access.Cases: access.ReadGrant}},
			{Name: "dash-fin", Grants: map[access.Area]access.Grant{access.Dashboards: access.ReadGrant, access.Financial: access.ReadGrant}},
		}, access.BuiltinRoles()...)
		id := int64(100)
		for _, r := range roles {
			for _, restricted := range []bool{false, true} {
				for _, cs := range [][]int64{nil, {f.A}, {f.B}, {f.A, f.B}} {
					id++
					p := principal(id, restricted, cs, r)
					t.Run(fmt.Sprintf("%s/restricted=%v/classes=%v", r.Name, restricted, cs), func(t *testing.T) {
						got, want := f.figures(t, service(), p)
						for _, k := range slices.Sorted(maps.Keys(want)) {
							if got[k] != want[k] {
								t.Errorf("%s: %s, want %s", k, got[k], want[k])
							}
						}
					})
				}
			}
		}
	})
}

// TestRestrictedFiguresDiffer shows a restricted reader's figures differ
// from an unrestricted reader's by exactly the cases hidden from them.
func TestRestrictedFiguresDiffer(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f, admin := newCaseFixture(t, e)
		s := service()
		staff := access.BuiltinRoles()[1]
		outsider := principal(200, true, []int64{f.A}, staff)
		q := metrics.Query{Metric: string(metrics.OpenCases), From: now.AddDate(0, -1, 0), To: now}
		everyone := principal(202, false, []int64{f.A, f.B}, staff)
		all, err := s.Latest(ctx, f.h, everyone, q.Metric, nil)
		if err != nil {
			t.Fatal(err)
		}
		some, err := s.Latest(ctx, f.h, outsider, q.Metric, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Open or pending, not deleted: cases 0, 1, 3, 5, all visible to a
		// holder of both classes; the outsider with class A sees 1 and 5
		// only: the difference is cases 0 and 3, the unclassified ones.
		if all.Value != 4 || some.Value != 2 {
			t.Fatalf("open cases: unrestricted %v, restricted %v; want 4 and 2", all.Value, some.Value)
		}
		for _, m := range []metrics.CaseMetric{metrics.OpenCases, metrics.DeadlinesOverdue} {
			hidden := principal(203, false, []int64{f.A}, staff) // the outsider's class, unrestricted
			a, _ := s.Latest(ctx, f.h, hidden, string(m), nil)
			b, _ := s.Latest(ctx, f.h, outsider, string(m), nil)
			var unclassified float64
			if m == metrics.OpenCases {
				unclassified = 2 // cases 0 and 3
			} else {
				unclassified = 1 // case 0's deadline of 1 March
			}
			if a.Value-b.Value != unclassified {
				t.Errorf("%s: unrestricted %v, restricted %v; want a difference of %v", m, a.Value, b.Value, unclassified)
			}
		}
		noFin := principal(201, false, nil, access.BuiltinRoles()[3]) // External counsel: financial denied
		if _, err := s.Series(ctx, f.h, noFin, metrics.Query{Metric: string(metrics.Billed), From: now.AddDate(0, -3, 0), To: now}); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Errorf("billed without financial: %v", err)
		}
		if _, err := s.Compare(ctx, f.h, admin, metrics.Query{Metric: string(metrics.Billed), From: now.AddDate(0, -3, 0), To: now}); strongroom.ErrorField(err) != "dimensions.currency" {
			t.Errorf("billed over every currency: %v", err)
		}
		kpi, err := s.Compare(ctx, f.h, everyone, metrics.Query{Metric: string(metrics.Billed), Dims: map[string]string{"currency": "USD"},
			From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		// February's USD invoices: 0.2; the 28 days before: 0.1 and 0.7.
		if kpi.Current.Value != 0.2 || kpi.Previous.Value != 0.8 {
			t.Errorf("billed kpi %+v", kpi)
		}
		for name, q := range map[string]metrics.Query{
			"bucket of a current figure": {Metric: string(metrics.OpenCases), Bucket: metrics.Day, From: now.AddDate(0, 0, -3), To: now},
			"unknown dimension":          {Metric: string(metrics.DeadlinesDue), Dims: map[string]string{"practice_group": "Tax"}, From: now, To: now.AddDate(0, 0, 3)},
			"other agg":                  {Metric: string(metrics.CasesOpened), Agg: metrics.Max, From: now.AddDate(0, 0, -3), To: now},
		} {
			if _, err := s.Series(ctx, f.h, admin, q); strongroom.ErrorCode(err) != strongroom.EINVALID {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
	})
}
