package grants

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"strongroom"
	"strongroom/store"
)

const grantColumns = `id, tenant_slug, operator_id, operator_name, reason, ticket, scope_areas, scope_classes,
	duration_s, state, requested_at, decided_at, decided_by, starts_at, ends_at, closed_at`

type scanner interface{ Scan(...any) error }

func scanGrant(row scanner) (*Grant, error) {
	var g Grant
	var reason, state, areas, classes, requested, decided, starts, ends, closed string
	var dur int64
	if err := row.Scan(&g.ID, &g.Tenant, &g.OperatorID, &g.OperatorName, &reason, &g.Ticket, &areas, &classes,
		&dur, &state, &requested, &decided, &g.DecidedBy, &starts, &ends, &closed); err != nil {
		return nil, err
	}
	g.Reason, g.State = Reason(reason), State(state)
	g.Scope = Scope{Areas: splitAreas(areas), Classes: splitIDs(classes)}
	g.Duration = time.Duration(dur) * time.Second
	g.RequestedAt = parseTime(requested)
	g.DecidedAt, g.StartsAt, g.EndsAt, g.ClosedAt = parseTime(decided), parseTime(starts), parseTime(ends), parseTime(closed)
	return &g, nil
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := store.ParseTime(s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.FormatTime(t)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*store.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *store.Row
}

func getGrant(ctx context.Context, q querier, id int64) (*Grant, error) {
	g, err := scanGrant(q.QueryRowContext(ctx, `SELECT `+grantColumns+` FROM access_grants WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "No such access request.")
	}
	return g, err
}

func listGrants(ctx context.Context, q querier, where string, args ...any) ([]*Grant, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+grantColumns+` FROM access_grants WHERE `+where+` ORDER BY id DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Grant
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func insertGrant(ctx context.Context, tx *store.Tx, g *Grant) error {
	return tx.QueryRowContext(ctx, `INSERT INTO access_grants (tenant_slug, operator_id, operator_name, reason, ticket,
		scope_areas, scope_classes, duration_s, state, requested_at, decided_at, decided_by, starts_at, ends_at, closed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		g.Tenant, g.OperatorID, g.OperatorName, string(g.Reason), g.Ticket, joinAreas(g.Scope.Areas), joinIDs(g.Scope.Classes),
		int64(g.Duration/time.Second), string(g.State), formatTime(g.RequestedAt), formatTime(g.DecidedAt), g.DecidedBy,
		formatTime(g.StartsAt), formatTime(g.EndsAt), formatTime(g.ClosedAt)).Scan(&g.ID)
}

// moveGrant changes a grant's state from the state it was read in; false
// when another change came first.
func moveGrant(ctx context.Context, tx *store.Tx, g *Grant, from State) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE access_grants SET state = ?, decided_at = ?, decided_by = ?, starts_at = ?,
		ends_at = ?, closed_at = ? WHERE id = ? AND state = ?`,
		string(g.State), formatTime(g.DecidedAt), g.DecidedBy, formatTime(g.StartsAt), formatTime(g.EndsAt),
		formatTime(g.ClosedAt), g.ID, string(from))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
