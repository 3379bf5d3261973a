package metrics

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Series answers a query over a stored metric or a CaseMetric kind. Needs
// read access to dashboards (and, for a case metric, to its records'
// area). Answers come from the cache while fresh.
func (s *Service) Series(ctx context.Context, h *tenancy.Handle, p *identity.Principal, q Query) (*Series, error) {
	if err := requireRead(p); err != nil {
		return nil, err
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	kind, isCase := caseKind(q.Metric)
	if isCase {
		if err := kind.require(p); err != nil {
			return nil, err
		}
	}
	key := CacheKey{Tenant: h.Tenant.Slug, Query: "series\x00" + q.key(), Access: Fingerprint(p.Subject)}
	v, err := s.cache.Get(key, func() (any, error) {
		if isCase {
			return s.caseSeries(ctx, h, p, kind, &q)
		}
		return s.storedSeries(ctx, h, &q)
	})
	if err != nil {
		return nil, err
	}
	return v.(*Series), nil
}

// storedSeries reads the points of a stored metric in the range, in time
// order, and adds them up in their buckets.
func (s *Service) storedSeries(ctx context.Context, h *tenancy.Handle, q *Query) (*Series, error) {
	m, err := getMetric(ctx, h.DB, q.Metric)
	if err != nil {
		return nil, err
	}
	if q.Agg == "" {
		q.Agg = Sum
	}
	g := newGrid(q)
	err = eachPoint(ctx, h.DB, m.ID, q, func(at time.Time, v float64, dims map[string]string) error {
		c, err := g.cell(dims[q.GroupBy], at)
		if c != nil {
			c.add(v, at)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Series{Metric: m.Name, Label: m.Label, Unit: m.Unit, Bucket: q.Bucket, Agg: q.Agg, From: q.From, To: q.To,
		GroupBy: q.GroupBy, Groups: g.series(q.Agg)}, nil
}

// eachPoint calls fn for every point of metric id in the query's range
// whose dimensions match its filter, oldest first.
func eachPoint(ctx context.Context, db *store.DB, id int64, q *Query, fn func(time.Time, float64, map[string]string) error) error {
	rows, err := db.QueryContext(ctx, `SELECT at, value, dims FROM metric_points WHERE metric_id = ? AND at >= ? AND at < ? ORDER BY at, dims_key`,
		id, store.FormatTime(q.From), store.FormatTime(q.To))
	if err != nil {
		return err
	}
	defer rows.Close()
	needDims := len(q.Dims) > 0 || q.GroupBy != ""
	for rows.Next() {
		var at, dimsText string
		var v float64
		if err := rows.Scan(&at, &v, &dimsText); err != nil {
			return err
		}
		var dims map[string]string
		if needDims {
			if dims = parseDims(dimsText); !matches(dims, q.Dims) {
				continue
			}
		}
		t, err := store.ParseTime(at)
		if err != nil {
			return err
		}
		if err := fn(t, v, dims); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Latest is the newest value of a metric whose dimensions match dims: of
// a stored metric, its newest point (of several at that moment, the first
// by dimension key); of a case metric, its value now.
func (s *Service) Latest(ctx context.Context, h *tenancy.Handle, p *identity.Principal, metric string, dims map[string]string) (*Latest, error) {
	if err := requireRead(p); err != nil {
		return nil, err
	}
	if kind, ok := caseKind(metric); ok {
		if err := kind.oneCurrency(dims); err != nil {
			return nil, err
		}
		now := s.Now()
		ser, err := s.Series(ctx, h, p, Query{Metric: metric, From: now.AddDate(0, 0, -30), To: now.Add(time.Second), Dims: dims})
		if err != nil {
			return nil, err
		}
		out := &Latest{Found: true, At: now}
		if !kind.def().current {
			// A figure of a period: its last 30 days.
			out.At = ser.To
		}
		for _, g := range ser.Groups {
			for _, b := range g.Buckets {
				out.Value += b.Value
			}
		}
		return out, nil
	}
	if err := checkDims("dimensions", dims); err != nil {
		return nil, err
	}
	m, err := getMetric(ctx, h.DB, metric)
	if err != nil {
		return nil, err
	}
	rows, err := h.DB.QueryContext(ctx, `SELECT at, value, dims FROM metric_points WHERE metric_id = ? ORDER BY at DESC, dims_key`, m.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var at, d string
		var v float64
		if err := rows.Scan(&at, &v, &d); err != nil {
			return nil, err
		}
		if len(dims) > 0 && !matches(parseDims(d), dims) {
			continue
		}
		t, err := store.ParseTime(at)
		if err != nil {
			return nil, err
		}
		return &Latest{Found: true, At: t, Value: v}, nil
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return &Latest{}, nil
}

// Compare gives the value of [q.From, q.To) and of the same length of time
// just before, each as one bucket (q.Bucket and q.GroupBy are ignored),
// for a KPI widget. A case metric that is a figure of now has no earlier
// period to compare with.
func (s *Service) Compare(ctx context.Context, h *tenancy.Handle, p *identity.Principal, q Query) (*KPI, error) {
	q.Bucket, q.GroupBy = NoBucket, ""
	if kind, ok := caseKind(q.Metric); ok {
		if kind.def().current {
			return nil, strongroom.FieldError("metric", "This figure is of the present moment; it has no earlier period to compare with.")
		}
		if err := kind.oneCurrency(q.Dims); err != nil {
			return nil, err
		}
	}
	cur, err := s.Series(ctx, h, p, q)
	if err != nil {
		return nil, err
	}
	prev := q
	prev.From, prev.To = q.From.Add(-q.To.Sub(q.From)), q.From
	before, err := s.Series(ctx, h, p, prev)
	if err != nil {
		return nil, err
	}
	k := &KPI{Metric: cur.Metric, Label: cur.Label, Unit: cur.Unit, Current: total(cur), Previous: total(before)}
	k.Change = k.Current.Value - k.Previous.Value
	if k.Previous.Value != 0 {
		k.Percent, k.HasPercent = 100*k.Change/k.Previous.Value, true
	}
	return k, nil
}

// total is the one bucket of an ungrouped series (a grouped case metric,
// money per currency, cannot be one figure: its groups must be filtered to
// one first).
func total(s *Series) Value {
	v := Value{Start: s.From}
	for _, g := range s.Groups {
		for _, b := range g.Buckets {
			v.Value += b.Value
			v.Count += b.Count
		}
	}
	return v
}
