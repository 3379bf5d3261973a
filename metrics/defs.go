package metrics

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"strongroom"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// casePrefix starts the names of CaseMetric kinds; no stored metric may
// take one.
const casePrefix = "case."

// checkMetric checks a definition whole.
func checkMetric(m *Metric) error {
	var ps strongroom.Problems
	switch {
	case m.Name == "":
		ps.Addf("name", "A metric needs a name.")
	case !namePattern.MatchString(m.Name):
		ps.Addf("name", "A metric name is lowercase letters, digits, dots and underscores, starting with a letter, at most 63 characters.")
	case strings.HasPrefix(m.Name, casePrefix):
		ps.Addf("name", "Names starting with %q are the figures computed from case data.", casePrefix)
	}
	if !utf8.ValidString(m.Label) || utf8.RuneCountInString(m.Label) > maxLabel {
		ps.Addf("label", "A label is at most %d characters.", maxLabel)
	}
	if !utf8.ValidString(m.Unit) || utf8.RuneCountInString(m.Unit) > maxUnit {
		ps.Addf("unit", "A unit is at most %d characters.", maxUnit)
	}
	if m.Source == "" {
		m.Source = Pushed
	}
	if m.Source != Pushed && m.Source != Integration {
		ps.Addf("source", "A source is pushed or integration.")
	}
	return ps.Err()
}

const metricColumns = `id, name, label, unit, source, created_at, updated_at`

func scanMetric(row interface{ Scan(...any) error }) (*Metric, error) {
	var m Metric
	var src, c, u string
	if err := row.Scan(&m.ID, &m.Name, &m.Label, &m.Unit, &src, &c, &u); err != nil {
		return nil, err
	}
	m.Source = Source(src)
	m.CreatedAt, _ = store.ParseTime(c)
	m.UpdatedAt, _ = store.ParseTime(u)
	return &m, nil
}

// Define creates a metric, or changes the label and unit of the one of
// that name (a script may define its metrics on every run). Its source
// cannot change: that is a conflict. Needs edit access to dashboards.
func (s *Service) Define(ctx context.Context, h *tenancy.Handle, p *identity.Principal, in Metric) (*Metric, error) {
	if err := requireEdit(p); err != nil {
		return nil, err
	}
	if err := checkMetric(&in); err != nil {
		return nil, err
	}
	now := store.FormatTime(s.Now())
	var out *Metric
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := scanMetric(tx.QueryRowContext(ctx, `SELECT `+metricColumns+` FROM metrics WHERE name = ?`, in.Name))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO metrics (name, label, unit, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (name) DO NOTHING RETURNING id`, in.Name, in.Label, in.Unit, string(in.Source), now, now).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "name", Message: "The metric was defined at the same moment by someone else; try again."}
			} else if err != nil {
				return err
			}
			out = &in
			out.ID = id
			out.CreatedAt, _ = store.ParseTime(now)
			out.UpdatedAt = out.CreatedAt
			return appendEvent(ctx, tx, h, p, "metric.define", strconv.FormatInt(id, 10),
				map[string]string{"name": in.Name, "source": string(in.Source)})
		case err != nil:
			return err
		case cur.Source != in.Source:
			return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "source", Message: "A metric keeps the source it was defined with; delete it to change it."}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE metrics SET label = ?, unit = ?, updated_at = ? WHERE id = ?`, in.Label, in.Unit, now, cur.ID); err != nil {
			return err
		}
		cur.Label, cur.Unit = in.Label, in.Unit
		cur.UpdatedAt, _ = store.ParseTime(now)
		out = cur
		return appendEvent(ctx, tx, h, p, "metric.update", strconv.FormatInt(cur.ID, 10), map[string]string{"name": in.Name})
	})
	if err != nil {
		return nil, err
	}
	s.cache.Invalidate(h.Tenant.Slug)
	return out, nil
}

// List returns every stored metric, by name. Needs read access to
// dashboards.
func (s *Service) List(ctx context.Context, h *tenancy.Handle, p *identity.Principal) ([]Metric, error) {
	if err := requireRead(p); err != nil {
		return nil, err
	}
	rows, err := h.DB.QueryContext(ctx, `SELECT `+metricColumns+` FROM metrics ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Metric{}
	for rows.Next() {
		m, err := scanMetric(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	return out, rows.Err()
}

// Get returns one stored metric by name.
func (s *Service) Get(ctx context.Context, h *tenancy.Handle, p *identity.Principal, name string) (*Metric, error) {
	if err := requireRead(p); err != nil {
		return nil, err
	}
	return getMetric(ctx, h.DB, name)
}

func getMetric(ctx context.Context, db *store.DB, name string) (*Metric, error) {
	if !namePattern.MatchString(name) {
		return nil, notFound()
	}
	m, err := scanMetric(db.QueryRowContext(ctx, `SELECT `+metricColumns+` FROM metrics WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound()
	}
	return m, err
}

// Delete removes a stored metric and all its points. Needs edit access to
// dashboards.
func (s *Service) Delete(ctx context.Context, h *tenancy.Handle, p *identity.Principal, name string) error {
	if err := requireEdit(p); err != nil {
		return err
	}
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM metrics WHERE name = ?`, name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound()
		} else if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM metric_points WHERE metric_id = ?`, id)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if _, err := tx.ExecContext(ctx, `DELETE FROM metrics WHERE id = ?`, id); err != nil {
			return err
		}
		return appendEvent(ctx, tx, h, p, "metric.delete", strconv.FormatInt(id, 10),
			map[string]string{"name": name, "points": strconv.FormatInt(n, 10)})
	})
	if err != nil {
		return err
	}
	s.cache.Invalidate(h.Tenant.Slug)
	return nil
}
