package integrations

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"strongroom"
	"strongroom/store"
)

// querier is a *store.DB or a *store.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*store.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *store.Row
}

// row is an integration as stored: with its sealed credential, which
// leaves this package only opened, and only towards the API it is for.
type row struct {
	it     *Integration
	sealed []byte
}

const columns = `id, name, label, preset, config, sealed_credentials, allow_http, interval_seconds, enabled,
	last_run_at, last_success_at, last_error, failures, next_run_at, created_at, updated_at, version`

type scanner interface{ Scan(dest ...any) error }

func scanRow(sc scanner) (*row, error) {
	var r row
	it := &Integration{}
	var config string
	var allowHTTP, enabled int
	var interval int64
	var times [6]string
	if err := sc.Scan(&it.ID, &it.Name, &it.Label, &it.Preset, &config, &r.sealed, &allowHTTP, &interval, &enabled,
		&times[0], &times[1], &it.LastError, &it.Failures, &times[2], &times[3], &times[4], &it.Version); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(config), &it.Connector); err != nil {
		return nil, fmt.Errorf("integration %d: stored config: %w", it.ID, err)
	}
	it.AllowHTTP, it.Enabled = allowHTTP == 1, enabled == 1
	it.Interval = time.Duration(interval) * time.Second
	it.CredentialsSet = len(r.sealed) > 0
	for i, dst := range []*time.Time{&it.LastRunAt, &it.LastSuccessAt, &it.NextRunAt, &it.CreatedAt, &it.UpdatedAt} {
		if times[i] == "" {
			continue
		}
		t, err := store.ParseTime(times[i])
		if err != nil {
			return nil, err
		}
		*dst = t
	}
	r.it = it
	return &r, nil
}

func getRow(ctx context.Context, q querier, id int64) (*row, error) {
	r, err := scanRow(q.QueryRowContext(ctx, `SELECT `+columns+` FROM integrations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "Integration not found.")
	}
	return r, err
}

// listRows reads integrations by label; a where clause of the package's
// own (never the caller's text) narrows them, its arguments after it.
func listRows(ctx context.Context, q querier, where string, args ...any) ([]*Integration, error) {
	rs, err := listFull(ctx, q, where, args...)
	if err != nil {
		return nil, err
	}
	out := make([]*Integration, len(rs))
	for i, r := range rs {
		out[i] = r.it
	}
	return out, nil
}

func listFull(ctx context.Context, q querier, where string, args ...any) ([]*row, error) {
	query := `SELECT ` + columns + ` FROM integrations`
	if where != "" {
		query += ` WHERE ` + where
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY label, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	defer rows.Close()
	var out []*row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func configJSON(c Connector) (string, error) {
	b, err := json.Marshal(c)
	return string(b), err
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.FormatTime(t)
}
