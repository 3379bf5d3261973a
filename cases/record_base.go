package cases

import (
	"context"
	"fmt"
	"time"

	"strongroom/access"
	"strongroom/store"
)

// RecordBase is what every record inside a case has.
type RecordBase struct {
	ID     int64
	CaseID int64
	// Classes are the record's effective classes: its own, or its case's.
	Classes []int64
	// OwnClasses says whether the record carries classes of its own.
	OwnClasses bool
	Version    int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// OwnClassIDs returns the classes the record carries itself (nil when it
// inherits its case's), for edits.
func (b *RecordBase) OwnClassIDs() []int64 {
	if b.OwnClasses {
		return b.Classes
	}
	return nil
}

// baseColumns are the shared columns of a record table aliased x, in the
// order scanBase reads them after the record's own columns.
const baseColumns = `x.id, x.case_id, x.own_classes, x.version, x.created_at, x.updated_at`

// baseDest returns the scan destinations for baseColumns; finish turns the
// raw values into b.
func (b *RecordBase) baseDest() (dest []any, finish func()) {
	var own int
	var created, updated string
	return []any{&b.ID, &b.CaseID, &own, &b.Version, &created, &updated}, func() {
		b.OwnClasses, b.CreatedAt, b.UpdatedAt = own == 1, parseStored(created), parseStored(updated)
	}
}

// recordClasses decides the own classes of a record being written by a
// user with subject s, and checks that the user will still see it.
func recordClasses(ctx context.Context, tx *store.Tx, s *access.Subject, t RecordType, caseID int64, currentOwn, asked []int64) ([]int64, error) {
	own, err := ownClasses(s, currentOwn, asked)
	if err != nil {
		return nil, err
	}
	effective := own
	if len(own) == 0 {
		if effective, err = Classes(ctx, tx, TypeCase, caseID); err != nil {
			return nil, err
		}
	}
	return own, stillVisible(s, t.Area(), effective, label(t))
}

// softDelete marks one record deleted (based on version) and takes it
// out of search. Purge removes it for good after the retention period.
func softDelete(ctx context.Context, tx *store.Tx, t RecordType, id int64, version int, at string) error {
	res, err := tx.ExecContext(ctx, `UPDATE `+t.Table()+` SET deleted_at = ?, updated_at = ?, version = version + 1
		WHERE id = ? AND version = ? AND deleted_at = ''`, at, at, id, version)
	if err != nil {
		return fmt.Errorf("delete %s %d: %w", t, id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errStale(label(t))
	}
	return Unindex(ctx, tx, t, id)
}

// checkVersion refuses an edit based on another version than current.
func checkVersion(t RecordType, asked, current int) error {
	if asked != current {
		return errStale(label(t))
	}
	return nil
}

// updated checks that an UPDATE … WHERE version = ? changed its row.
func updated(t RecordType, res interface{ RowsAffected() (int64, error) }) error {
	if n, _ := res.RowsAffected(); n != 1 {
		return errStale(label(t))
	}
	return nil
}

// classesOf reads the effective classes of many records of one type.
func classesOf(ctx context.Context, q Querier, t RecordType, ids []int64) (map[int64][]int64, error) {
	out := make(map[int64][]int64, len(ids))
	for start := 0; start < len(ids); start += 500 {
		in, idArgs := store.IDList(ids[start:min(start+500, len(ids))])
		args := append([]any{string(t)}, idArgs...)
		rows, err := q.QueryContext(ctx, `SELECT record_id, class_id FROM record_classes WHERE record_type = ? AND record_id IN (`+
			in+`) ORDER BY record_id, class_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("classes of %s records: %w", t, err)
		}
		for rows.Next() {
			var id, c int64
			if err := rows.Scan(&id, &c); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = append(out[id], c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// base lets the steps every record type shares reach a record's
// RecordBase (every record type embeds one).
func (b *RecordBase) base() *RecordBase { return b }
