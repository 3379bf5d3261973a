package metrics_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/metrics"
	"strongroom/store"
	"strongroom/store/storetest"
)

func TestDefinitions(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		h, admin := tenant(t, e)
		s := service()
		m, err := s.Define(ctx, h, admin, metrics.Metric{Name: "crm.pipeline", Label: "Pipeline", Unit: "EUR"})
		if err != nil {
			t.Fatal(err)
		}
		if m.ID == 0 || m.Source != metrics.Pushed {
			t.Fatalf("defined %+v", m)
		}
		if _, err := s.Define(ctx, h, admin, metrics.Metric{Name: "crm.pipeline", Label: "Open pipeline", Unit: "EUR"}); err != nil {
			t.Fatalf("define again: %v", err)
		}
		got, err := s.Get(ctx, h, principal(50, false, nil, dashRead), "crm.pipeline")
		if err != nil || got.Label != "Open pipeline" || got.ID != m.ID {
			t.Fatalf("get: %+v %v", got, err)
		}
		_, err = s.Define(ctx, h, admin, metrics.Metric{Name: "crm.pipeline", Source: metrics.Integration})
		if strongroom.ErrorCode(err) != strongroom.ECONFLICT || strongroom.ErrorField(err) != "source" {
			t.Errorf("source change: %v", err)
		}
		for name, want := range map[string]string{"": "name", "Sales": "name", "case.open": "name", "9x": "name", strings.Repeat("a", 64): "name"} {
			_, err := s.Define(ctx, h, admin, metrics.Metric{Name: name})
			if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != want {
				t.Errorf("define %q: %v, want invalid %s", name, err, want)
			}
		}
		_, err = s.Define(ctx, h, admin, metrics.Metric{Name: "x", Source: "scraped", Label: strings.Repeat("l", 201)})
		if ps := strongroom.ErrorProblems(err); len(ps) != 2 {
			t.Errorf("two problems at once: %v", ps)
		}
		// Reading needs dashboards read; defining and deleting need edit.
		if _, err := s.Define(ctx, h, principal(51, false, nil, dashRead), metrics.Metric{Name: "y"}); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Errorf("define with read: %v", err)
		}
		if _, err := s.List(ctx, h, principal(52, false, nil)); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Errorf("list without dashboards: %v", err)
		}
		if err := s.Delete(ctx, h, principal(51, false, nil, dashRead), "crm.pipeline"); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Errorf("delete with read: %v", err)
		}
		list, err := s.List(ctx, h, principal(50, false, nil, dashRead))
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v %v", list, err)
		}
		if _, err := s.Push(ctx, h, admin, []metrics.Point{{Metric: "crm.pipeline", At: now, Value: 1}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, h, admin, "crm.pipeline"); err != nil {
			t.Fatal(err)
		}
		if n := countPoints(t, h); n != 0 {
			t.Errorf("%d points left after delete", n)
		}
		if _, err := s.Get(ctx, h, admin, "crm.pipeline"); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Errorf("get deleted: %v", err)
		}
		if err := s.Delete(ctx, h, admin, "crm.pipeline"); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Errorf("delete twice: %v", err)
		}
		for _, a := range []string{"metric.define", "metric.update", "metric.delete"} {
			if len(events(t, h, a)) != 1 {
				t.Errorf("want one %s event", a)
			}
		}
	})
}

func TestPush(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		h, admin := tenant(t, e)
		s := service()
		for _, n := range []string{"crm.pipeline", "sales.won"} {
			if _, err := s.Define(ctx, h, admin, metrics.Metric{Name: n}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Define(ctx, h, admin, metrics.Metric{Name: "erp.stock", Source: metrics.Integration}); err != nil {
			t.Fatal(err)
		}
		day := now.Add(-24 * time.Hour)
		good := []metrics.Point{
			{Metric: "crm.pipeline", At: day, Value: 123.4, Dims: map[string]string{"region": "north"}},
			{Metric: "crm.pipeline", At: day, Value: 50, Dims: map[string]string{"region": "south"}},
			{Metric: "sales.won", At: day, Value: 3},
		}
		res, err := s.Push(ctx, h, admin, good)
		if err != nil {
			t.Fatal(err)
		}
		if res.Points != 3 || res.Metrics["crm.pipeline"] != 2 {
			t.Errorf("result %+v", res)
		}
		// The same key again replaces the value: a retried push is harmless.
		again := []metrics.Point{{Metric: "crm.pipeline", At: day, Value: 200, Dims: map[string]string{"region": "north"}}}
		if _, err := s.Push(ctx, h, admin, again); err != nil {
			t.Fatal(err)
		}
		if n := countPoints(t, h); n != 3 {
			t.Fatalf("%d points, want 3", n)
		}
		lt, err := s.Latest(ctx, h, admin, "crm.pipeline", map[string]string{"region": "north"})
		if err != nil || lt.Value != 200 {
			t.Fatalf("latest north: %+v %v", lt, err)
		}
		evs := events(t, h, "metric.push")
		if len(evs) != 2 || evs[0].Details["points"] != "3" || evs[0].Details["metrics"] != "crm.pipeline:2,sales.won:1" {
			t.Fatalf("push events %+v", evs)
		}
		if strings.Contains(fmt.Sprint(evs[0].Details), "123.4") {
			t.Error("a pushed value is in the audit trail")
		}

		many := make([]metrics.Point, metrics.MaxPoints+1)
		for i := range many {
			many[i] = metrics.Point{Metric: "sales.won", At: day, Value: 1}
		}
		ok := metrics.Point{Metric: "sales.won", At: day, Value: 7}
		bad := func(p metrics.Point) []metrics.Point { return []metrics.Point{ok, p} }
		cases := map[string]struct {
			points []metrics.Point
			field  string
		}{
			"none":            {nil, "points"},
			"too many":        {many, "points"},
			"unknown metric":  {bad(metrics.Point{Metric: "crm.unknown", At: day, Value: 1}), "points[1].metric"},
			"no metric":       {bad(metrics.Point{At: day, Value: 1}), "points[1].metric"},
			"integration":     {bad(metrics.Point{Metric: "erp.stock", At: day, Value: 1}), "points[1].metric"},
			"NaN":             {bad(metrics.Point{Metric: "sales.won", At: day, Value: math.NaN()}), "points[1].value"},
			"Inf":             {bad(metrics.Point{Metric: "sales.won", At: day, Value: math.Inf(-1)}), "points[1].value"},
			"no time":         {bad(metrics.Point{Metric: "sales.won", Value: 1}), "points[1].at"},
			"future":          {bad(metrics.Point{Metric: "sales.won", At: now.Add(25 * time.Hour), Value: 1}), "points[1].at"},
			"too old":         {bad(metrics.Point{Metric: "sales.won", At: now.AddDate(-11, 0, 0), Value: 1}), "points[1].at"},
			"six dims":        {bad(metrics.Point{Metric: "sales.won", At: day, Value: 1, Dims: map[string]string{"a": "1", "b": "1", "c": "1", "d": "1", "e": "1", "f": "1"}}), "points[1].dimensions"},
			"bad dim key":     {bad(metrics.Point{Metric: "sales.won", At: day, Value: 1, Dims: map[string]string{"Region!": "x"}}), "points[1].dimensions"},
			"empty dim value": {bad(metrics.Point{Metric: "sales.won", At: day, Value: 1, Dims: map[string]string{"region": ""}}), "points[1].dimensions.region"},
			"long dim value":  {bad(metrics.Point{Metric: "sales.won", At: day, Value: 1, Dims: map[string]string{"region": strings.Repeat("x", 101)}}), "points[1].dimensions.region"},
			"control char":    {bad(metrics.Point{Metric: "sales.won", At: day, Value: 1, Dims: map[string]string{"region": "a\nb"}}), "points[1].dimensions.region"},
		}
		for name, c := range cases {
			t.Run(name, func(t *testing.T) {
				_, err := s.Push(ctx, h, admin, c.points)
				if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != c.field {
					t.Fatalf("%v (field %q), want invalid %s", err, strongroom.ErrorField(err), c.field)
				}
				if n := countPoints(t, h); n != 3 {
					t.Errorf("%d points after a refused push, want 3", n)
				}
			})
		}
		if len(events(t, h, "metric.push")) != 2 {
			t.Error("a refused push was audited as a push")
		}
		if _, err := s.Push(ctx, h, principal(60, false, nil, dashRead), []metrics.Point{ok}); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Errorf("push with dashboards read: %v", err)
		}
		// Every problem is named at once.
		_, err = s.Push(ctx, h, admin, []metrics.Point{{Metric: "nope", Value: math.NaN()}, {Metric: "sales.won", At: day, Value: math.Inf(1)}})
		if ps := strongroom.ErrorProblems(err); len(ps) != 4 {
			t.Errorf("problems %v, want 4", ps)
		}
	})
}

func TestSeries(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		h, admin := tenant(t, e)
		s := service()
		if _, err := s.Define(ctx, h, admin, metrics.Metric{Name: "sales.amount", Unit: "EUR"}); err != nil {
			t.Fatal(err)
		}
		at := func(d string, hour int) time.Time {
			t, _ := time.Parse(time.DateOnly, d)
			return t.Add(time.Duration(hour) * time.Hour)
		}
		n, so := map[string]string{"region": "north"}, map[string]string{"region": "south"}
		pts := []metrics.Point{
			{Metric: "sales.amount", At: at("2026-02-02", 9), Value: 10, Dims: n}, // Monday
			{Metric: "sales.amount", At: at("2026-02-02", 15), Value: 30, Dims: n},
			{Metric: "sales.amount", At: at("2026-02-03", 9), Value: 5, Dims: so},
			{Metric: "sales.amount", At: at("2026-02-09", 9), Value: 7, Dims: n}, // next Monday
			{Metric: "sales.amount", At: at("2026-03-01", 0), Value: 100},        // March, no dims
			{Metric: "sales.amount", At: at("2026-01-31", 23), Value: 1000},      // before the range
		}
		if _, err := s.Push(ctx, h, admin, pts); err != nil {
			t.Fatal(err)
		}
		reader := principal(70, true, nil, dashRead) // a restricted user reads stored metrics alike
		series := func(q metrics.Query) *metrics.Series {
			t.Helper()
			q.Metric = "sales.amount"
			if q.From.IsZero() {
				q.From, q.To = at("2026-02-01", 0), at("2026-03-02", 0)
			}
			ser, err := s.Series(ctx, h, reader, q)
			if err != nil {
				t.Fatal(err)
			}
			return ser
		}
		values := func(g metrics.Group) []float64 {
			var out []float64
			for _, b := range g.Buckets {
				out = append(out, b.Value)
			}
			return out
		}
		check := func(name string, got, want []float64) {
			t.Helper()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %v, want %v", name, got, want)
			}
		}
		check("none sum", values(series(metrics.Query{}).Groups[0]), []float64{152})
		for agg, want := range map[metrics.Agg]float64{metrics.Avg: 30.4, metrics.Min: 5, metrics.Max: 100, metrics.Last: 100, metrics.Count: 5} {
			check("none "+string(agg), values(series(metrics.Query{Agg: agg}).Groups[0]), []float64{want})
		}
		month := series(metrics.Query{Bucket: metrics.Month})
		check("month", values(month.Groups[0]), []float64{52, 100})
		if !month.Groups[0].Buckets[1].Start.Equal(at("2026-03-01", 0)) {
			t.Errorf("month starts %v", month.Groups[0].Buckets[1].Start)
		}
		week := series(metrics.Query{Bucket: metrics.Week})
		// 2026-02-01 is a Sunday: its week began Monday 26 January.
		if !week.Groups[0].Buckets[0].Start.Equal(at("2026-01-26", 0)) || len(week.Groups[0].Buckets) != 5 {
			t.Fatalf("weeks %+v", week.Groups[0].Buckets)
		}
		check("week", values(week.Groups[0]), []float64{0, 45, 7, 0, 100})
		day := series(metrics.Query{Bucket: metrics.Day, Agg: metrics.Last, Dims: n})
		if len(day.Groups[0].Buckets) != 29 || day.Groups[0].Buckets[1].Value != 30 || day.Groups[0].Buckets[1].Count != 2 {
			t.Errorf("day last north: %+v", day.Groups[0].Buckets[:3])
		}
		byRegion := series(metrics.Query{GroupBy: "region"})
		if len(byRegion.Groups) != 3 || byRegion.Groups[0].Key != "" || byRegion.Groups[1].Key != "north" {
			t.Fatalf("groups %+v", byRegion.Groups)
		}
		check("by region", []float64{byRegion.Groups[0].Buckets[0].Value, byRegion.Groups[1].Buckets[0].Value, byRegion.Groups[2].Buckets[0].Value}, []float64{100, 47, 5})
		// Buckets begin at midnight in the zone asked for.
		ny, _ := time.LoadLocation("America/New_York")
		zoned := series(metrics.Query{Bucket: metrics.Day, Zone: ny, From: at("2026-02-02", 5), To: at("2026-02-03", 5)})
		check("New York day", values(zoned.Groups[0]), []float64{40})

		kpi, err := s.Compare(ctx, h, reader, metrics.Query{Metric: "sales.amount", From: at("2026-02-09", 0), To: at("2026-02-16", 0)})
		if err != nil {
			t.Fatal(err)
		}
		if kpi.Current.Value != 7 || kpi.Previous.Value != 45 || kpi.Change != -38 || !kpi.HasPercent {
			t.Errorf("kpi %+v", kpi)
		}
		lt, err := s.Latest(ctx, h, reader, "sales.amount", nil)
		if err != nil || !lt.Found || lt.Value != 100 {
			t.Errorf("latest %+v %v", lt, err)
		}

		for name, c := range map[string]struct {
			q     metrics.Query
			field string
		}{
			"no metric":   {metrics.Query{From: at("2026-02-01", 0), To: at("2026-02-02", 0)}, "metric"},
			"bad bucket":  {metrics.Query{Metric: "sales.amount", Bucket: "hour", From: at("2026-02-01", 0), To: at("2026-02-02", 0)}, "bucket"},
			"bad agg":     {metrics.Query{Metric: "sales.amount", Agg: "median", From: at("2026-02-01", 0), To: at("2026-02-02", 0)}, "agg"},
			"backwards":   {metrics.Query{Metric: "sales.amount", From: at("2026-02-02", 0), To: at("2026-02-01", 0)}, "to"},
			"no from":     {metrics.Query{Metric: "sales.amount", To: at("2026-02-01", 0)}, "from"},
			"many days":   {metrics.Query{Metric: "sales.amount", Bucket: metrics.Day, From: at("2020-01-01", 0), To: at("2026-01-01", 0)}, "bucket"},
			"bad groupby": {metrics.Query{Metric: "sales.amount", GroupBy: "Re gion", From: at("2026-02-01", 0), To: at("2026-02-02", 0)}, "group_by"},
		} {
			_, err := s.Series(ctx, h, reader, c.q)
			if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != c.field {
				t.Errorf("%s: %v, want invalid %s", name, err, c.field)
			}
		}
		if _, err := s.Series(ctx, h, reader, metrics.Query{Metric: "sales.nothing", From: at("2026-02-01", 0), To: at("2026-02-02", 0)}); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Errorf("unknown metric: %v", err)
		}
		if _, err := s.Series(ctx, h, principal(71, false, nil), metrics.Query{Metric: "sales.amount", From: at("2026-02-01", 0), To: at("2026-02-02", 0)}); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Errorf("no dashboards: %v", err)
		}
	})
}
