package metrics

import (
	"context"
	"slices"

	"strongroom"
	"strongroom/store"
	"strongroom/tenancy"
)

// Record stores the points an integration's pull produced, checked like
// a push (finite values, times in range, dimensions) but written by the
// server, not a user: a metric it names that is not defined yet is
// defined with source integration (the administrator named it in the
// integration), and a pushed metric of that name is refused, so that an
// integration never overwrites what scripts push. All or nothing. Pulls
// record their outcome on the integration itself, so no event is written
// per pull.
func (s *Service) Record(ctx context.Context, h *tenancy.Handle, points []Point) (int, error) {
	if len(points) == 0 {
		return 0, nil
	}
	defs, err := s.pushable(ctx, h)
	if err != nil {
		return 0, err
	}
	var n int
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		now := store.FormatTime(s.Now())
		for _, pt := range points {
			if d, ok := defs[pt.Metric]; ok {
				if d.Source != Integration {
					return strongroom.FieldError("metric", "The metric %q is pushed by scripts; an integration cannot write to it. Choose another metric name.", pt.Metric)
				}
				continue
			}
			m := &Metric{Name: pt.Metric, Label: pt.Metric, Source: Integration}
			if err := checkMetric(m); err != nil {
				return err
			}
			err := tx.QueryRowContext(ctx, `INSERT INTO metrics (name, label, unit, source, created_at, updated_at)
				VALUES (?, ?, '', ?, ?, ?) RETURNING id`, m.Name, m.Label, string(m.Source), now, now).Scan(&m.ID)
			if err != nil {
				return err
			}
			defs[m.Name] = m
		}
		rows, err := s.check(points, defs, Integration)
		if err != nil {
			return err
		}
		for chunk := range slices.Chunk(rows, 100) {
			if err := upsert(ctx, tx, chunk); err != nil {
				return err
			}
		}
		n = len(rows)
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.cache.Invalidate(h.Tenant.Slug)
	return n, nil
}
