package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"strongroom"
	"strongroom/access"
	"strongroom/store"
)

// Querier is a *store.DB or a *store.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*store.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *store.Row
}

// Classes returns the effective classes of a record.
func Classes(ctx context.Context, q Querier, t RecordType, id int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT class_id FROM record_classes WHERE record_type = ? AND record_id = ? ORDER BY class_id`, string(t), id)
	if err != nil {
		return nil, fmt.Errorf("read classes of %s %d: %w", t, id, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var c int64
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CheckClasses refuses class ids that do not exist.
func CheckClasses(ctx context.Context, tx *store.Tx, classes []int64) error {
	for _, c := range classes {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM security_classes WHERE id = ?`, c).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return strongroom.FieldError("classes", "There is no security class %d.", c)
		}
	}
	return nil
}

// SetClasses replaces the effective classes of one record.
func SetClasses(ctx context.Context, tx *store.Tx, t RecordType, id int64, classes []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM record_classes WHERE record_type = ? AND record_id = ?`, string(t), id); err != nil {
		return fmt.Errorf("clear classes of %s %d: %w", t, id, err)
	}
	classes = slices.Clone(classes)
	slices.Sort(classes)
	for _, c := range slices.Compact(classes) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO record_classes (record_type, record_id, class_id) VALUES (?, ?, ?)`, string(t), id, c); err != nil {
			return fmt.Errorf("set class of %s %d: %w", t, id, err)
		}
	}
	return nil
}

// SetRecordClasses gives a record inside a case its effective classes:
// own, when it carries any, else its case's. It returns whether the record
// has classes of its own, for the record's own_classes column.
func SetRecordClasses(ctx context.Context, tx *store.Tx, t RecordType, id, caseID int64, own []int64) (bool, error) {
	if len(own) > 0 {
		if err := CheckClasses(ctx, tx, own); err != nil {
			return false, err
		}
		return true, SetClasses(ctx, tx, t, id, own)
	}
	inherited, err := Classes(ctx, tx, TypeCase, caseID)
	if err != nil {
		return false, err
	}
	return false, SetClasses(ctx, tx, t, id, inherited)
}

// Propagate copies a case's classes to every record in it that carries
// none of its own, after the case's classes changed.
func Propagate(ctx context.Context, tx *store.Tx, caseID int64) error {
	classes, err := Classes(ctx, tx, TypeCase, caseID)
	if err != nil {
		return err
	}
	for _, t := range RecordTypes()[1:] {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM `+t.Table()+` WHERE case_id = ? AND own_classes = 0`, caseID)
		if err != nil {
			return fmt.Errorf("records of case %d: %w", caseID, err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			if err := SetClasses(ctx, tx, t, id, classes); err != nil {
				return err
			}
		}
	}
	return nil
}

// ErrNotFound is the answer for a record that does not exist and for one
// the caller may not see: the two must be indistinguishable.
func ErrNotFound(t RecordType) error {
	return strongroom.Errorf(strongroom.ENOTFOUND, "No such %s.", label(t))
}

func label(t RecordType) string {
	switch t {
	case TypeFinancial:
		return "financial record"
	case TypeContact:
		return "contact"
	case TypeEvent:
		return "event"
	}
	return string(t)
}

// Visible checks that the caller may reach one record with the access
// need: the area first (a refusal for the whole area is EFORBIDDEN), then
// the record's classes and existence (both answer ErrNotFound). Soft-deleted
// records are absent.
func Visible(ctx context.Context, q Querier, s *access.Subject, t RecordType, id int64, need access.Level) error {
	if err := s.Require(t.Area(), need); err != nil {
		return err
	}
	var deleted string
	err := q.QueryRowContext(ctx, `SELECT deleted_at FROM `+t.Table()+` WHERE id = ?`, id).Scan(&deleted)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && deleted != "") {
		return ErrNotFound(t)
	} else if err != nil {
		return fmt.Errorf("find %s %d: %w", t, id, err)
	}
	classes, err := Classes(ctx, q, t, id)
	if err != nil {
		return err
	}
	if !s.CanSee(t.Area(), need, classes) {
		return ErrNotFound(t)
	}
	return nil
}
