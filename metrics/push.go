package metrics

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"strongroom"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// PushResult says what a push stored.
type PushResult struct {
	// Points is the number of points written (a point sent twice in one
	// push counts once: the later value wins).
	Points int
	// Metrics counts the points per metric name.
	Metrics map[string]int
}

// row is a checked point ready to store.
type row struct {
	metricID int64
	at       string
	value    float64
	dims     string
	key      string
}

// Push stores points for metrics already defined with source pushed, all
// of them or none: any problem with any point refuses the whole push,
// every problem named by its index ("points[3].value"). Needs edit access
// to dashboards. One metric.push event records the names and counts.
func (s *Service) Push(ctx context.Context, h *tenancy.Handle, p *identity.Principal, points []Point) (*PushResult, error) {
	if err := requireEdit(p); err != nil {
		return nil, err
	}
	switch {
	case len(points) == 0:
		return nil, strongroom.FieldError("points", "Send at least one point.")
	case len(points) > MaxPoints:
		return nil, strongroom.FieldError("points", "Send at most %d points in one request.", MaxPoints)
	}
	defs, err := s.pushable(ctx, h)
	if err != nil {
		return nil, err
	}
	rows, err := s.check(points, defs, Pushed)
	if err != nil {
		return nil, err
	}
	res := &PushResult{Points: len(rows), Metrics: map[string]int{}}
	names := map[int64]string{}
	for _, d := range defs {
		names[d.ID] = d.Name
	}
	for _, r := range rows {
		res.Metrics[names[r.metricID]]++
	}
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		for chunk := range slices.Chunk(rows, 100) {
			if err := upsert(ctx, tx, chunk); err != nil {
				return err
			}
		}
		return appendEvent(ctx, tx, h, p, "metric.push", "", pushDetails(res))
	})
	if err != nil {
		return nil, err
	}
	s.cache.Invalidate(h.Tenant.Slug)
	return res, nil
}

// pushable reads every definition by name.
func (s *Service) pushable(ctx context.Context, h *tenancy.Handle) (map[string]*Metric, error) {
	rows, err := h.DB.QueryContext(ctx, `SELECT `+metricColumns+` FROM metrics`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*Metric{}
	for rows.Next() {
		m, err := scanMetric(rows)
		if err != nil {
			return nil, err
		}
		out[m.Name] = m
	}
	return out, rows.Err()
}

// check checks every point and returns the rows to write, one per key
// (the last point of a key wins, as a second push would).
func (s *Service) check(points []Point, defs map[string]*Metric, source Source) ([]row, error) {
	var ps strongroom.Problems
	now := s.Now()
	earliest, latest := now.Add(-maxPast), now.Add(maxFuture)
	byKey := map[string]int{}
	var out []row
	for i, pt := range points {
		f := fmt.Sprintf("points[%d].", i)
		def := defs[pt.Metric]
		switch {
		case pt.Metric == "":
			ps.Addf(f+"metric", "Name the metric of the point.")
		case def == nil:
			ps.Addf(f+"metric", "No metric of this name is defined; define it before pushing points to it.")
		case def.Source != source && source == Pushed:
			ps.Addf(f+"metric", "This metric is written by an integration, not pushed.")
		case def.Source != source:
			ps.Addf(f+"metric", "This metric is pushed by scripts; an integration cannot write to it.")
		}
		switch {
		case pt.At.IsZero():
			ps.Addf(f+"at", "Give the time of the point (RFC 3339).")
		case pt.At.After(latest):
			ps.Addf(f+"at", "A point may be at most one day in the future.")
		case pt.At.Before(earliest):
			ps.Addf(f+"at", "A point may be at most ten years old.")
		}
		if math.IsNaN(pt.Value) || math.IsInf(pt.Value, 0) {
			ps.Addf(f+"value", "A value must be a finite number.")
		}
		ps.Add(checkDims(f+"dimensions", pt.Dims))
		if !ps.OK() || def == nil {
			continue
		}
		dims := canonicalDims(pt.Dims)
		r := row{metricID: def.ID, at: store.FormatTime(pt.At), value: pt.Value, dims: dims, key: dimsKey(dims)}
		k := strconv.FormatInt(r.metricID, 10) + "\x00" + r.at + "\x00" + r.key
		if j, ok := byKey[k]; ok {
			out[j] = r
			continue
		}
		byKey[k] = len(out)
		out = append(out, r)
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// upsert writes rows, replacing the value of a point already stored
// under the same key. The rows of one statement have distinct keys
// (PostgreSQL refuses to update a row twice in one statement).
func upsert(ctx context.Context, tx *store.Tx, rows []row) error {
	args := make([]any, 0, 5*len(rows))
	for _, r := range rows {
		args = append(args, r.metricID, r.at, r.value, r.dims, r.key)
	}
	values := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(rows)), ", ")
	_, err := tx.ExecContext(ctx, `INSERT INTO metric_points (metric_id, at, value, dims, dims_key) VALUES `+values+`
		ON CONFLICT (metric_id, at, dims_key) DO UPDATE SET value = excluded.value, dims = excluded.dims`, args...)
	return err
}

// pushDetails is the audit record of a push: how many points, and how
// many per metric ("crm.pipeline:3,sales.won:1"); never the values.
func pushDetails(res *PushResult) map[string]string {
	names := make([]string, 0, len(res.Metrics))
	for n := range res.Metrics {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ":" + strconv.Itoa(res.Metrics[n])
	}
	return map[string]string{"points": strconv.Itoa(res.Points), "metrics": strings.Join(parts, ",")}
}
