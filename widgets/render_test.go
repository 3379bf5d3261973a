package widgets_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/charts"
	"strongroom/dashboards"
	"strongroom/format"
	"strongroom/identity"
	"strongroom/metrics"
	"strongroom/seed"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
	"strongroom/widgets"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

type fixture struct {
	h        *tenancy.Handle
	admin    *identity.Principal
	r        *widgets.Renderer
	secretID int64 // the class of the hidden case
}

// newFixture is a tenant with three open cases, one of them of class
// Secret, and an invoice on each.
func newFixture(t *testing.T, e store.Engine) *fixture {
	t.Helper()
	ctx := context.Background()
	h, ids := seedtest.Tenant(t, e)
	admin, err := seed.AdminPrincipal(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ids.CreateClass(ctx, h, admin, identity.Class{Name: "Secret"})
	if err != nil {
		t.Fatal(err)
	}
	err = seed.Write(ctx, h, func(b *seed.Builder) {
		for i, cl := range [][]int64{nil, nil, {c.ID}} {
			id := b.Case(seed.Case{Title: fmt.Sprintf("Matter %d", i), PracticeGroup: []string{"Litigation", "Tax", "Litigation"}[i],
				Status: "open", OpenedOn: "2026-03-0" + fmt.Sprint(i+1), Classes: cl})
			b.Record(seed.Record{Type: cases.TypeFinancial, CaseID: id, Classes: cl, Kind: "invoice",
				AmountE4: int64(1000000 * (i + 1)), Currency: "USD", On: "2026-03-0" + fmt.Sprint(i+2), Body: "Fees"})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	m.Now = func() time.Time { return now }
	return &fixture{h: h, admin: admin, secretID: c.ID, r: &widgets.Renderer{Metrics: m, Now: func() time.Time { return now }}}
}

func reader(id int64, restricted bool, classes []int64, grants map[access.Area]access.Grant) *identity.Principal {
	return &identity.Principal{User: &identity.User{ID: id}, Subject: access.NewSubject(id, restricted, classes, []access.Role{{Name: "r", Grants: grants}})}
}

var readAll = map[access.Area]access.Grant{access.Dashboards: access.ReadGrant, access.Cases: access.ReadGrant, access.Financial: access.ReadGrant}

func widget(kind, source string, o dashboards.Options) dashboards.Widget {
	if o.Width == 0 {
		o.Width = 2
	}
	if o.RefreshSeconds == 0 {
		o.RefreshSeconds = 300
	}
	if o.Period == "" {
		o.Period = dashboards.PeriodLast30Days
	}
	if o.Aggregation == "" {
		o.Aggregation = "sum"
	}
	if kind == dashboards.KindTimeseries && o.Style == "" {
		o.Style = "line"
	}
	return dashboards.Widget{ID: 7, Kind: kind, Title: "Figure", Source: source, Options: o}
}

func (f *fixture) draw(t *testing.T, p *identity.Principal, w dashboards.Widget) widgets.Panel {
	t.Helper()
	pn, err := f.r.Panel(context.Background(), f.h, p, w, charts.Options{Format: format.Must("en-US", "UTC", "USD")})
	if err != nil {
		t.Fatal(err)
	}
	return pn
}

func TestPanelsFollowTheViewersAccess(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		open := widget(dashboards.KindKPI, "case:open", dashboards.Options{})
		all := f.draw(t, reader(50, false, []int64{f.secretID}, readAll), open)
		some := f.draw(t, reader(51, false, nil, readAll), open)
		if all.Problem != "" || !strings.Contains(string(all.Chart), ">3<") {
			t.Errorf("a reader of every class: %q %s", all.Problem, all.Chart)
		}
		if some.Problem != "" || !strings.Contains(string(some.Chart), ">2<") || strings.Contains(string(some.Chart), ">3<") {
			t.Errorf("a reader without class Secret must count 2 open cases: %q %s", some.Problem, some.Chart)
		}
		// Money: the hidden case's invoice ($30,000) is in no sum.
		billed := widget(dashboards.KindKPI, "case:billed", dashboards.Options{})
		if got := string(f.draw(t, reader(51, false, nil, readAll), billed).Chart); !strings.Contains(got, "$300") || strings.Contains(got, "$600") {
			t.Errorf("billed for a reader without Secret: %s", got)
		}
		if got := string(f.draw(t, reader(50, false, []int64{f.secretID}, readAll), billed).Chart); !strings.Contains(got, "$600") {
			t.Errorf("billed for a reader of every class: %s", got)
		}
		// Without the financial area: no figure at all, and no hint of one.
		noFin := reader(52, false, []int64{f.secretID}, map[access.Area]access.Grant{access.Dashboards: access.ReadGrant, access.Cases: access.ReadGrant})
		pn := f.draw(t, noFin, billed)
		if pn.Problem == "" || pn.Chart != "" || pn.Table != "" {
			t.Errorf("a reader without financial records must see no figure: %+v", pn)
		}
		// Without the dashboards area, nothing either.
		pn = f.draw(t, reader(53, false, []int64{f.secretID}, map[access.Area]access.Grant{access.Cases: access.ReadGrant}), open)
		if pn.Problem == "" || pn.Chart != "" {
			t.Errorf("a reader without dashboards must see no figure: %+v", pn)
		}
	})
}

func TestEveryKindDraws(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		p := reader(50, false, []int64{f.secretID}, readAll)
		if _, err := f.r.Metrics.Define(context.Background(), f.h, f.admin, metrics.Metric{Name: "crm.pipeline", Label: "Pipeline"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.r.Metrics.Push(context.Background(), f.h, f.admin, []metrics.Point{
			{Metric: "crm.pipeline", At: now.Add(-48 * time.Hour), Value: 1200},
			{Metric: "crm.pipeline", At: now.Add(-24 * time.Hour), Value: 1800},
		}); err != nil {
			t.Fatal(err)
		}
		for name, tc := range map[string]struct {
			w     dashboards.Widget
			want  string
			table bool
		}{
			"kpi over case data":       {widget(dashboards.KindKPI, "case:billed", dashboards.Options{Target: "1000"}), "<svg", false},
			"kpi of a pushed metric":   {widget(dashboards.KindKPI, "crm.pipeline", dashboards.Options{}), "3,000", false},
			"timeseries of case data":  {widget(dashboards.KindTimeseries, "case:opened", dashboards.Options{Bucket: "day"}), "<svg", true},
			"timeseries grouped":       {widget(dashboards.KindTimeseries, "case:opened", dashboards.Options{Bucket: "week", GroupBy: "practice_group"}), "Litigation", true},
			"bar of open by status":    {widget(dashboards.KindBar, "case:open", dashboards.Options{GroupBy: "practice_group"}), "Tax", true},
			"bar by quarter":           {widget(dashboards.KindBar, "crm.pipeline", dashboards.Options{Bucket: "quarter", Period: dashboards.PeriodLast12Months}), "Q1 2026", true},
			"table of a pushed metric": {widget(dashboards.KindTable, "crm.pipeline", dashboards.Options{Bucket: "day"}), "<table", false},
		} {
			pn := f.draw(t, p, tc.w)
			if pn.Problem != "" || !strings.Contains(string(pn.Chart), tc.want) || (pn.Table != "") != tc.table {
				t.Errorf("%s: problem %q, table %v, chart %s", name, pn.Problem, pn.Table != "", pn.Chart)
			}
		}
	})
}

func TestPanelsThatCannotDrawSaySoPlainly(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		p := reader(50, false, nil, readAll)
		for name, w := range map[string]dashboards.Widget{
			"unknown metric":           widget(dashboards.KindKPI, "crm.nothing_yet", dashboards.Options{}),
			"history of a present one": widget(dashboards.KindTimeseries, "case:open", dashboards.Options{Bucket: "day"}),
			"dimension it lacks":       widget(dashboards.KindBar, "case:open", dashboards.Options{GroupBy: "client_secret_dim"}),
		} {
			pn := f.draw(t, p, w)
			if pn.Problem == "" || pn.Chart != "" {
				t.Errorf("%s: %+v", name, pn)
			}
			for _, leak := range []string{"SELECT", "crm.nothing_yet", "sql"} {
				if strings.Contains(pn.Problem, leak) {
					t.Errorf("%s: the problem names %q: %q", name, leak, pn.Problem)
				}
			}
		}
	})
}

// A kiosk screen has no user: its principal is its identity alone.
func TestKioskIdentityDraws(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		sub := access.NewSubject(0, true, nil, nil)
		sub.Levels = map[access.Area]access.Level{access.Dashboards: access.Read, access.Cases: access.Read}
		pn, err := f.r.Panel(context.Background(), f.h, &identity.Principal{Subject: sub}, widget(dashboards.KindKPI, "case:open", dashboards.Options{}),
			charts.Options{Size: charts.Kiosk})
		if err != nil {
			t.Fatal(err)
		}
		// Restricted with no class: only the two cases of no class... a
		// restricted identity sees only records of its classes: none.
		if pn.Problem != "" || !strings.Contains(string(pn.Chart), ">0<") {
			t.Errorf("a restricted kiosk identity of no class: %q %s", pn.Problem, pn.Chart)
		}
	})
}

func TestSpans(t *testing.T) {
	z := time.UTC
	for period, want := range map[string][2]string{
		dashboards.PeriodLast30Days:   {"2026-02-09", "2026-03-11"},
		dashboards.PeriodThisMonth:    {"2026-03-01", "2026-03-11"},
		dashboards.PeriodThisQuarter:  {"2026-01-01", "2026-03-11"},
		dashboards.PeriodLast12Months: {"2025-04-01", "2026-03-11"},
	} {
		s := widgets.SpanOf(dashboards.Options{Period: period}, now, z)
		if got := [2]string{s.From.Format(time.DateOnly), s.To.Format(time.DateOnly)}; got != want {
			t.Errorf("%s: %v, want %v", period, got, want)
		}
	}
	s := widgets.SpanOf(dashboards.Options{Period: dashboards.PeriodCustom, From: "2025-01-01", To: "2025-12-31"}, now, z)
	if s.From.Format(time.DateOnly) != "2025-01-01" || s.To.Format(time.DateOnly) != "2026-01-01" {
		t.Errorf("custom: %v to %v", s.From, s.To)
	}
}
