package store

import "context"

// QueryIDs runs a query of one integer column and returns its values in
// order: an empty list (never nil) when no row matches.
func QueryIDs(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*Rows, error)
}, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
