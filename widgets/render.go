// Package widgets draws a dashboard's widgets for one viewer: it turns a
// widget's source and options into a metrics query, asks package metrics
// (which reads case data through the viewer's access predicate and caches
// each answer per access fingerprint), and draws the answer with package
// charts. The same panels make the dashboard page, the kiosk screen (at
// kiosk size, for the link's kiosk identity) and the fragments pushed to
// both over live updates.
//
// A panel that cannot be drawn for its viewer says so in words, never with
// the query, the metric's definition or an error's text: a viewer without
// access to financial records sees "not shown", and a kiosk screen sees no
// more than that.
package widgets

import (
	"context"
	"html/template"
	"strconv"
	"sync"
	"time"

	"strongroom"
	"strongroom/charts"
	"strongroom/dashboards"
	"strongroom/format"
	"strongroom/identity"
	"strongroom/metrics"
	"strongroom/tenancy"
)

// Panel is one widget drawn for one viewer.
type Panel struct {
	ID    int64
	Kind  string
	Title string
	// Width is in grid columns, 1 to dashboards.MaxWidth.
	Width int
	// Span says the period shown ("Last 30 days").
	Span string
	// Chart is the drawing: SVG, or for a table widget the table.
	Chart template.HTML
	// Table is a chart's figures as a table, for a page to give screen
	// readers beside the SVG (time series and bars; a KPI's SVG says its
	// figure in words, a table widget is one).
	Table template.HTML
	// Problem, when set, is why the panel shows no figures, in words a
	// viewer (or a wall screen's onlooker) may read.
	Problem string
	// Hint adds what an editor of the dashboard can do about Problem; a
	// kiosk screen does not show it.
	Hint string
	// Refresh is how often, in seconds, the panel's figures are drawn
	// again.
	Refresh int
}

// Renderer draws panels.
type Renderer struct {
	Metrics *metrics.Service
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (r *Renderer) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// PanelsAtOnce is how many of a dashboard's widgets Panels draws at the
// same time: each figure not in the cache is one or two read queries, and
// a tenant's database serves a few reads at once (SQLite's read pool,
// store/sqlite), so a dashboard's cold figures are read side by side
// rather than one after another, without one dashboard taking every
// connection.
const PanelsAtOnce = 4

// Panels draws a dashboard's widgets, returned in order, up to
// PanelsAtOnce at a time. An error is a fault (the database is
// unavailable): a widget that cannot be drawn for this viewer is a panel
// with a Problem. On a fault the widgets not yet started are not drawn.
func (r *Renderer) Panels(ctx context.Context, h *tenancy.Handle, p *identity.Principal, ws []dashboards.Widget, o charts.Options) ([]Panel, error) {
	out := make([]Panel, len(ws))
	if len(ws) <= 1 {
		for i, w := range ws {
			pn, err := r.Panel(ctx, h, p, w, o)
			if err != nil {
				return nil, err
			}
			out[i] = pn
		}
		return out, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	sem := make(chan struct{}, PanelsAtOnce)
	for i, w := range ws {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			pn, err := r.Panel(ctx, h, p, w, o)
			if err != nil {
				once.Do(func() { first = err; cancel() })
				return
			}
			out[i] = pn
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Panel draws one widget for p.
func (r *Renderer) Panel(ctx context.Context, h *tenancy.Handle, p *identity.Principal, w dashboards.Widget, o charts.Options) (Panel, error) {
	if o.Format == nil {
		o.Format = format.Default
	}
	// The panel heads its chart with the title.
	o.HideTitle = true
	zone := o.Format.Zone()
	span := SpanOf(w.Options, r.now(), zone)
	pn := Panel{ID: w.ID, Kind: w.Kind, Title: w.Title, Width: w.Options.Width, Span: span.Label, Refresh: w.Options.RefreshSeconds}
	d := r.source(w, o, span)
	var err error
	switch w.Kind {
	case dashboards.KindKPI:
		err = r.kpi(ctx, h, p, w, d, o, &pn)
	case dashboards.KindTimeseries:
		err = r.timeseries(ctx, h, p, w, d, o, &pn)
	case dashboards.KindBar, dashboards.KindTable:
		err = r.bars(ctx, h, p, w, d, o, &pn)
	default:
		pn.Problem = "This kind of widget cannot be shown."
	}
	if err != nil {
		return explain(pn, err)
	}
	return pn, nil
}

// drawn is what a widget's source asks of metrics.
type drawn struct {
	query    metrics.Query
	current  bool // a figure of now: one value, no period
	whole    bool // counts: axes step by whole numbers
	currency string
	lower    bool // a fall is good news
}

func (r *Renderer) source(w dashboards.Widget, o charts.Options, span Span) drawn {
	name := dashboards.MetricOf(w.Source)
	d := drawn{query: metrics.Query{Metric: name, From: span.From, To: span.To, Zone: o.Format.Zone(),
		Agg: metrics.Agg(w.Options.Aggregation), GroupBy: w.Options.GroupBy}}
	if ck := metrics.CaseMetric(name); w.Source != name {
		// Case data is always computed its own way (a count, a sum of
		// money, an average age).
		d.query.Agg = ""
		d.current = ck.Current()
		d.whole = ck != metrics.CaseAge && !isMoney(ck)
		d.lower = ck == metrics.DeadlinesOverdue || ck == metrics.CaseAge
		switch ck {
		case metrics.Billed, metrics.Collected, metrics.Trust:
			d.currency = w.Options.Currency
			if d.currency == "" {
				d.currency = o.Format.Currency()
			}
			d.query.Dims = map[string]string{"currency": d.currency}
		}
	} else {
		d.currency = w.Options.Currency
		d.whole = w.Options.Aggregation == "count"
	}
	return d
}

func isMoney(k metrics.CaseMetric) bool {
	return k == metrics.Billed || k == metrics.Collected || k == metrics.Trust
}

func (r *Renderer) kpi(ctx context.Context, h *tenancy.Handle, p *identity.Principal, w dashboards.Widget, d drawn, o charts.Options, pn *Panel) error {
	k := charts.KPI{Label: w.Title, Currency: d.currency, LowerIsBetter: d.lower}
	if t, err := strconv.ParseFloat(w.Options.Target, 64); err == nil && w.Options.Target != "" {
		k.Target = &t
	}
	if d.current {
		q := d.query
		q.Bucket = metrics.NoBucket
		s, err := r.Metrics.Series(ctx, h, p, q)
		if err != nil {
			return err
		}
		k.Unit, k.Value = s.Unit, sum(s)
		pn.Span = "Now"
	} else {
		c, err := r.Metrics.Compare(ctx, h, p, d.query)
		if err != nil {
			return err
		}
		prev := c.Previous.Value
		k.Unit, k.Value, k.Previous = c.Unit, c.Current.Value, &prev
		q := d.query
		q.Bucket = sparkBucket(SpanOf(w.Options, r.now(), o.Format.Zone()))
		s, err := r.Metrics.Series(ctx, h, p, q)
		if err != nil {
			return err
		}
		if len(s.Groups) > 0 {
			for _, b := range s.Groups[0].Buckets {
				k.Spark = append(k.Spark, b.Value)
			}
		}
	}
	pn.Chart = k.SVG(o)
	return nil
}

func (r *Renderer) timeseries(ctx context.Context, h *tenancy.Handle, p *identity.Principal, w dashboards.Widget, d drawn, o charts.Options, pn *Panel) error {
	if d.current {
		pn.Problem = "This figure is of the present moment and has no history to chart."
		pn.Hint = "Show it as a KPI, bar or table widget instead."
		return nil
	}
	q := d.query
	q.Bucket = bucketOf(w.Options)
	s, err := r.Metrics.Series(ctx, h, p, q)
	if err != nil {
		return err
	}
	ts := charts.TimeSeries{Title: w.Title, Unit: s.Unit, Currency: d.currency, Whole: d.whole}
	if w.Options.Style == "area" {
		ts.Style = charts.Area
	}
	for _, g := range s.Groups {
		cs := charts.Series{Name: groupName(g.Key, w.Title)}
		for _, b := range g.Buckets {
			cs.Points = append(cs.Points, charts.Point{At: b.Start, Value: b.Value})
		}
		ts.Series = append(ts.Series, cs)
	}
	pn.Chart, pn.Table = ts.SVG(o), ts.DataTable(o)
	return nil
}

// bars draws a bar or table widget: one bar (or row) per value of the
// grouping dimension for a figure of now or a single bucket, else one per
// bucket with a bar per group.
func (r *Renderer) bars(ctx context.Context, h *tenancy.Handle, p *identity.Principal, w dashboards.Widget, d drawn, o charts.Options, pn *Panel) error {
	q := d.query
	q.Bucket = bucketOf(w.Options)
	if d.current {
		q.Bucket = metrics.NoBucket
		pn.Span = "Now"
	}
	s, err := r.Metrics.Series(ctx, h, p, q)
	if err != nil {
		return err
	}
	b := charts.Bars{Title: w.Title, Unit: s.Unit, Currency: d.currency, Whole: d.whole, CategoryLabel: categoryLabel(q)}
	if q.Bucket == metrics.NoBucket {
		one := charts.BarGroup{}
		for _, g := range s.Groups {
			b.Categories = append(b.Categories, groupName(g.Key, w.Title))
			one.Values = append(one.Values, sum(&metrics.Series{Groups: []metrics.Group{g}}))
		}
		b.Groups = []charts.BarGroup{one}
	} else {
		for i, g := range s.Groups {
			bg := charts.BarGroup{Name: groupName(g.Key, w.Title)}
			for _, v := range g.Buckets {
				if i == 0 {
					b.Categories = append(b.Categories, bucketLabel(v.Start, q.Bucket))
				}
				bg.Values = append(bg.Values, v.Value)
			}
			b.Groups = append(b.Groups, bg)
		}
		if len(b.Groups) == 1 {
			b.Groups[0].Name = ""
		}
	}
	if w.Kind == dashboards.KindTable {
		// A table of one column heads it with what it counts or sums.
		if len(b.Groups) == 1 && b.Groups[0].Name == "" {
			b.Groups[0].Name = s.Label
		}
		pn.Chart = b.DataTable(o)
		return nil
	}
	pn.Chart, pn.Table = b.SVG(o), b.DataTable(o)
	return nil
}

// categoryLabel heads a bar or table widget's categories: the grouping
// dimension in words for one bucket, else the bucket.
func categoryLabel(q metrics.Query) string {
	if q.Bucket == metrics.NoBucket {
		if q.GroupBy == "" {
			return "Figure"
		}
		return format.Words(q.GroupBy)
	}
	return map[metrics.Bucket]string{metrics.Day: "Day", metrics.Week: "Week", metrics.Month: "Month",
		metrics.Quarter: "Quarter", metrics.Year: "Year"}[q.Bucket]
}

// sum adds up the first bucket of every group: a one-bucket series's
// figure.
func sum(s *metrics.Series) float64 {
	var v float64
	for _, g := range s.Groups {
		if len(g.Buckets) > 0 {
			v += g.Buckets[0].Value
		}
	}
	return v
}

// groupName names a group: its dimension's value, or for records without
// one (and an ungrouped series) the widget's title.
func groupName(key, title string) string {
	if key == "" {
		return title
	}
	return key
}

// explain turns the error of a widget's query into its panel's Problem;
// only a fault is returned as an error.
func explain(pn Panel, err error) (Panel, error) {
	pn.Chart, pn.Table = "", ""
	switch strongroom.ErrorCode(err) {
	case strongroom.EFORBIDDEN:
		pn.Problem = "Not shown: this figure needs access that this viewer does not have."
	case strongroom.ENOTFOUND:
		pn.Problem = "No figures yet."
		pn.Hint = "Nothing has been recorded for this metric; push points to it or set up an integration that records it."
	case strongroom.EINVALID:
		pn.Problem = "This widget cannot be drawn as it is set up."
		pn.Hint = strongroom.ErrorMessage(err)
	default:
		return pn, err
	}
	return pn, nil
}
