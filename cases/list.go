package cases

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"strongroom"
	"strongroom/access"
	"strongroom/store"
)

// Page sizes of lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// ListOptions pages through a list: Cursor is the Next of the page before
// (empty for the first page), Limit the page size (0: DefaultPageSize).
type ListOptions struct {
	Cursor string
	Limit  int
}

func (o ListOptions) limit() (int, error) {
	switch {
	case o.Limit == 0:
		return DefaultPageSize, nil
	case o.Limit < 0 || o.Limit > MaxPageSize:
		return 0, strongroom.FieldError("limit", "The page size must be between 1 and %d.", MaxPageSize)
	}
	return o.Limit, nil
}

// cursor is where a page ends: the sort key and id of its last row, and
// the sort it belongs to. It is handed out opaque (base64 of JSON); a
// forged one only moves the start of a list that the access predicate
// still filters.
type cursor struct {
	Sort string `json:"s"`
	Key  string `json:"k"`
	ID   int64  `json:"i"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor of the given sort; nil for none.
func decodeCursor(s, sort string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := strongroom.FieldError("cursor", "This page link is not valid (perhaps for another sort order); start from the first page.")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 1024 {
		return nil, bad
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Sort != sort || c.ID <= 0 {
		return nil, bad
	}
	return &c, nil
}

// keyset returns the condition that starts a page after cursor c in an
// order over key then id (descending when desc), and its ORDER BY.
func keyset(c *cursor, key, id string, desc bool) (cond string, args []any, order string) {
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	order = " ORDER BY " + key + " " + dir + ", " + id + " " + dir
	if c == nil {
		return "", nil, order
	}
	return fmt.Sprintf(" AND (%[1]s %[3]s ? OR (%[1]s = ? AND %[2]s %[3]s ?))", key, id, op), []any{c.Key, c.Key, c.ID}, order
}

// listSpec describes how to list one type of record of a case.
type listSpec struct {
	typ     RecordType
	columns string // the record's own columns, then baseColumns
	from    string // the table aliased x, with any joins
	key     string // the text column the list is sorted by
	desc    bool
}

// listRecords lists the live records of one type in a case that the user
// may see: the WHERE comes from the access predicate. The caller has
// checked the area and the case. scan reads one row and returns the item,
// its RecordBase (whose classes are then filled in) and its sort key.
func listRecords[T any](ctx context.Context, q Querier, s *access.Subject, spec listSpec, caseID int64, opt ListOptions,
	scan func(*store.Rows) (T, *RecordBase, string, error)) ([]T, string, error) {
	limit, err := opt.limit()
	if err != nil {
		return nil, "", err
	}
	c, err := decodeCursor(opt.Cursor, string(spec.typ))
	if err != nil {
		return nil, "", err
	}
	pred := Predicate(s, spec.typ, access.Read, "x")
	cond, condArgs, order := keyset(c, spec.key, "x.id", spec.desc)
	args := append([]any{caseID}, pred.Args...)
	args = append(append(args, condArgs...), limit+1)
	rows, err := q.QueryContext(ctx, `SELECT `+spec.columns+` FROM `+spec.from+
		` WHERE x.case_id = ? AND x.deleted_at = '' AND `+pred.SQL+cond+order+` LIMIT ?`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list %s records: %w", spec.typ, err)
	}
	var items []T
	var bases []*RecordBase
	var keys []string
	for rows.Next() {
		item, base, key, err := scan(rows)
		if err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("list %s records: %w", spec.typ, err)
		}
		items, bases, keys = append(items, item), append(bases, base), append(keys, key)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(items) > limit {
		items, bases = items[:limit], bases[:limit]
		next = cursor{Sort: string(spec.typ), Key: keys[limit-1], ID: bases[limit-1].ID}.encode()
	}
	ids := make([]int64, len(bases))
	for i, b := range bases {
		ids[i] = b.ID
	}
	classes, err := classesOf(ctx, q, spec.typ, ids)
	if err != nil {
		return nil, "", err
	}
	for _, b := range bases {
		b.Classes = shownClasses(s, classes[b.ID])
	}
	return items, next, nil
}
