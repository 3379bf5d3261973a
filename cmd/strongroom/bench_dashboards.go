package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/charts"
	"strongroom/dashboards"
	"strongroom/format"
	"strongroom/identity"
	"strongroom/metrics"
	"strongroom/seed"
	"strongroom/store"
	"strongroom/tenancy"
	"strongroom/widgets"
)

// benchPushed is the pushed metric the bench dashboard shows beside the
// case figures; bench dashboards defines it and pushes a year of daily
// points (the same points on every run).
const benchPushed = "bench.pipeline"

// benchDashboard is twelve widgets of every kind over the case figures
// (and one pushed metric), as a firm's management dashboard has them.
func benchDashboard() []dashboards.Widget {
	type o = dashboards.Options
	year, month, d30, quarter := dashboards.PeriodLast12Months, dashboards.PeriodThisMonth, dashboards.PeriodLast30Days, dashboards.PeriodThisQuarter
	ws := []struct {
		kind, title, source string
		opts                o
	}{
		{dashboards.KindBar, "Open cases by status", "case:open", o{GroupBy: "status"}},
		{dashboards.KindTimeseries, "Cases opened per month", "case:opened", o{Period: year, Bucket: "month"}},
		{dashboards.KindKPI, "Billed this quarter", "case:billed", o{Period: quarter, Target: "25000000", Currency: "USD"}},
		{dashboards.KindBar, "Collected by month", "case:collected", o{Period: year, Bucket: "month", Currency: "USD"}},
		{dashboards.KindTimeseries, "Deadlines due", "case:deadlines_due", o{Period: d30, Bucket: "day"}},
		{dashboards.KindKPI, "Overdue deadlines", "case:deadlines_overdue", o{}},
		{dashboards.KindTimeseries, "Documents added", "case:documents_added", o{Period: d30, Bucket: "day", Style: "area"}},
		{dashboards.KindKPI, "Average age of open cases", "case:age_days", o{}},
		{dashboards.KindTable, "Billed by quarter", "case:billed", o{Period: year, Bucket: "quarter"}},
		{dashboards.KindKPI, "Trust deposits this month", "case:trust", o{Period: month}},
		{dashboards.KindTimeseries, "Cases closed by practice group", "case:closed", o{Period: year, Bucket: "month", GroupBy: "practice_group"}},
		{dashboards.KindKPI, "Pipeline", benchPushed, o{Period: d30}},
	}
	out := make([]dashboards.Widget, len(ws))
	for i, w := range ws {
		w.opts.Width, w.opts.RefreshSeconds = 4, 300
		if w.opts.Period == "" {
			w.opts.Period = d30
		}
		if w.opts.Aggregation == "" {
			w.opts.Aggregation = "sum"
		}
		if w.kind == dashboards.KindTimeseries && w.opts.Style == "" {
			w.opts.Style = "line"
		}
		out[i] = dashboards.Widget{ID: int64(i + 1), Kind: w.kind, Title: w.title, Source: w.source, Options: w.opts}
	}
	return out
}

// dashboardViewers are an unrestricted viewer (administrator, holding
// every bench class: sees the whole tenant) and a restricted one
// (read-only, local counsel of the first bench class: sees only its
// records).
func dashboardViewers(ctx context.Context, h *tenancy.Handle) ([]benchUser, error) {
	rows, err := h.DB.QueryContext(ctx, `SELECT id, name FROM security_classes WHERE name LIKE 'Bench class %' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var classes []int64
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		classes = append(classes, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(classes) == 0 {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "Tenant %s has no bench data; run \"strongroom bench seed\" first.", h.Tenant.Slug)
	}
	roles := map[string]access.Role{}
	for _, r := range access.BuiltinRoles() {
		roles[r.Name] = r
	}
	return []benchUser{
		{"unrestricted", &identity.Principal{User: &identity.User{ID: -1, Username: "bench-unrestricted"},
			Subject: access.NewSubject(-1, false, classes, []access.Role{roles[access.AdministratorRole]})}},
		{"restricted", &identity.Principal{User: &identity.User{ID: -2, Username: "bench-restricted"},
			Subject: access.NewSubject(-2, true, classes[:1], []access.Role{roles[access.ReadOnlyRole]})}},
	}, nil
}

// pushBenchMetric defines the pushed metric and gives it a point a day
// for a year up to today (midnight UTC), so each run pushes the same
// points again.
func pushBenchMetric(ctx context.Context, h *tenancy.Handle, m *metrics.Service) error {
	admin, err := seed.AdminPrincipal(ctx, h)
	if err != nil {
		return err
	}
	if _, err := m.Define(ctx, h, admin, metrics.Metric{Name: benchPushed, Label: "Pipeline", Source: metrics.Pushed}); err != nil {
		return fmt.Errorf("define %s: %w", benchPushed, err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var ps []metrics.Point
	for i := range 366 {
		ps = append(ps, metrics.Point{Metric: benchPushed, At: today.AddDate(0, 0, -i), Value: float64(100000 + (i*7919)%50000)})
	}
	if _, err := m.Push(ctx, h, admin, ps); err != nil {
		return fmt.Errorf("push %s: %w", benchPushed, err)
	}
	return nil
}

// dashResult is what was measured for one viewer.
type dashResult struct {
	cold, warm, floor, pool timings
	queries                 int
	// widget and widgetFloor are each widget's cold time and its SQL's
	// floor, when -v asks for them.
	widget, widgetFloor []timings
}

// benchDashboards renders the bench dashboard for each viewer: cold (the
// tenant's cached figures dropped first) beside the floor of the SQL the
// render issued, then warm (every figure from the cache).
func benchDashboards(ctx context.Context, h *tenancy.Handle, fl *floor, renders int, verbose, explain bool, stdout io.Writer) error {
	viewers, err := dashboardViewers(ctx, h)
	if err != nil {
		return err
	}
	m := metrics.New()
	if err := pushBenchMetric(ctx, h, m); err != nil {
		return err
	}
	var records int
	if err := h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM search_index`).Scan(&records); err != nil {
		return err
	}
	ws := benchDashboard()
	r := &widgets.Renderer{Metrics: m}
	o := charts.Options{Format: format.Must("en-US", "UTC", "USD")}
	fmt.Fprintf(stdout, "Tenant %s on %s: %d records (cases included); a dashboard of %d widgets, %d renders per viewer and cache state; %s, GOMAXPROCS %d; load average %s.\n\n",
		h.Tenant.Slug, h.DB.Dialect, records, len(ws), renders, runtime.Version(), runtime.GOMAXPROCS(0), loadAverage())
	// PostgreSQL has no file to run the SQL on directly: there the floor
	// is the same SQL on the service's own pool.
	onPool := fl == nil
	if onPool {
		fl = poolFloor(h.DB)
		fmt.Fprint(stdout, "Floor: the render's SQL run again on the service's own pool (no file to run it on directly).\n\n")
	}
	b := &dashBencher{h: h, r: r, ws: ws, o: o, floor: fl, pool: poolFloor(h.DB), onPool: onPool, renders: renders}
	if explain && !onPool {
		b.explain = stdout
	}
	results := make([]dashResult, len(viewers))
	for i, v := range viewers {
		if results[i], err = b.viewer(ctx, v, verbose); err != nil {
			return err
		}
	}
	printDashResults(stdout, viewers, results, !onPool)
	if verbose {
		printWidgetResults(stdout, ws, viewers, results)
	}
	fmt.Fprintf(stdout, "\nLoad average at the end: %s.\n", loadAverage())
	return nil
}

type dashBencher struct {
	h       *tenancy.Handle
	r       *widgets.Renderer
	ws      []dashboards.Widget
	o       charts.Options
	floor   *floor
	pool    *floor
	onPool  bool // the floor is the pool (PostgreSQL): no separate pool row
	renders int
	explain io.Writer // nil: no plans printed
}

// render draws the dashboard for p, refusing panels that could not be
// drawn: a benchmark of problems would measure nothing.
func (b *dashBencher) render(ctx context.Context, p *identity.Principal) error {
	pns, err := b.r.Panels(ctx, b.h, p, b.ws, b.o)
	if err != nil {
		return err
	}
	for _, pn := range pns {
		if pn.Problem != "" {
			return fmt.Errorf("widget %q: %s", pn.Title, pn.Problem)
		}
	}
	return nil
}

func (b *dashBencher) cold() { b.r.Metrics.Cache().Invalidate(b.h.Tenant.Slug) }

func (b *dashBencher) viewer(ctx context.Context, v benchUser, verbose bool) (dashResult, error) {
	var res dashResult
	// One untimed cold render records the SQL and touches the pages.
	b.cold()
	rctx, log := store.RecordQueries(ctx)
	if err := b.render(rctx, v.p); err != nil {
		return res, fmt.Errorf("dashboard for %s: %w", v.name, err)
	}
	reads := log.Reads()
	res.queries = len(reads)
	if b.explain != nil {
		if err := b.floor.explain(ctx, b.explain, v.name, reads); err != nil {
			return res, err
		}
	}
	if _, err := b.floor.run(ctx, reads); err != nil {
		return res, err
	}
	for i := range b.renders {
		runCold := func() error {
			b.cold()
			start := time.Now()
			err := b.render(ctx, v.p)
			res.cold = append(res.cold, time.Since(start))
			return err
		}
		runFloor := func() error {
			d, err := b.floor.run(ctx, reads)
			res.floor = append(res.floor, d)
			return err
		}
		runPool := func() error {
			if b.onPool {
				return nil
			}
			d, err := b.pool.run(ctx, reads)
			res.pool = append(res.pool, d)
			return err
		}
		steps := []func() error{runCold, runFloor, runPool}
		if i%2 == 1 {
			steps[0], steps[2] = steps[2], steps[0]
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return res, err
			}
		}
		// Warm: right after a cold render every figure is cached.
		start := time.Now()
		if err := b.render(ctx, v.p); err != nil {
			return res, err
		}
		res.warm = append(res.warm, time.Since(start))
	}
	if verbose {
		return res, b.perWidget(ctx, v, &res)
	}
	return res, nil
}

// perWidget times each widget alone, cold, beside the floor of its SQL.
func (b *dashBencher) perWidget(ctx context.Context, v benchUser, res *dashResult) error {
	res.widget, res.widgetFloor = make([]timings, len(b.ws)), make([]timings, len(b.ws))
	for i, w := range b.ws {
		b.cold()
		rctx, log := store.RecordQueries(ctx)
		if _, err := b.r.Panel(rctx, b.h, v.p, w, b.o); err != nil {
			return err
		}
		reads := log.Reads()
		for range min(b.renders, 20) {
			b.cold()
			start := time.Now()
			if _, err := b.r.Panel(ctx, b.h, v.p, w, b.o); err != nil {
				return err
			}
			res.widget[i] = append(res.widget[i], time.Since(start))
			d, err := b.floor.run(ctx, reads)
			if err != nil {
				return err
			}
			res.widgetFloor[i] = append(res.widgetFloor[i], d)
		}
	}
	return nil
}

// printDashResults prints each viewer's renders beside the floor, and
// with withPool the same SQL on the service's pool beside it too.
func printDashResults(w io.Writer, viewers []benchUser, results []dashResult, withPool bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\tqueries\tp50\tp95\tp99\tfloor p50\tfloor p95\tfloor p99\tratio p50\tratio p99\t\n")
	line := func(label string, n int, svc, fl timings) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t", label, n, ms(svc.quantile(0.5)), ms(svc.quantile(0.95)), ms(svc.quantile(0.99)))
		if fl == nil {
			fmt.Fprint(tw, "-\t-\t-\t-\t-\t\n")
			return
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", ms(fl.quantile(0.5)), ms(fl.quantile(0.95)), ms(fl.quantile(0.99)),
			ratio(svc.quantile(0.5), fl.quantile(0.5)), ratio(svc.quantile(0.99), fl.quantile(0.99)))
	}
	for i, v := range viewers {
		r := results[i]
		line("dashboard, cold cache, "+v.name, r.queries, r.cold, r.floor)
		line("dashboard, warm cache, "+v.name, 0, r.warm, nil)
		if withPool {
			line("render's SQL on the service's pool; floor, "+v.name, r.queries, r.pool, r.floor)
		}
	}
	tw.Flush()
}

func printWidgetResults(w io.Writer, ws []dashboards.Widget, viewers []benchUser, results []dashResult) {
	fmt.Fprintln(w, "\nEach widget alone, cold (median of up to 20; floor: its SQL alone):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "widget\tkind\tsource")
	for _, v := range viewers {
		fmt.Fprintf(tw, "\t%s\tfloor", v.name)
	}
	fmt.Fprintln(tw)
	for i, wd := range ws {
		fmt.Fprintf(tw, "%s\t%s\t%s", wd.Title, wd.Kind, wd.Source)
		for j := range viewers {
			fmt.Fprintf(tw, "\t%s\t%s", ms(results[j].widget[i].quantile(0.5)), ms(results[j].widgetFloor[i].quantile(0.5)))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// explain prints each query with its arguments, its plan (SQLite's
// EXPLAIN QUERY PLAN) and how long it took on the floor.
func (f *floor) explain(ctx context.Context, w io.Writer, who string, qs []store.Query) error {
	for i, q := range qs {
		fmt.Fprintf(w, "-- %s, query %d: %s\n--   args %v\n", who, i+1, q.SQL, q.Args)
		rows, err := f.query(ctx, "EXPLAIN QUERY PLAN "+q.SQL, q.Args...)
		if err != nil {
			return fmt.Errorf("explain: %w", err)
		}
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				rows.Close()
				return err
			}
			fmt.Fprintf(w, "--   %d<%d %s\n", id, parent, detail)
		}
		rows.Close()
		d, err := f.run(ctx, []store.Query{q})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "--   %s on the floor\n", ms(d))
	}
	return nil
}
