package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"strongroom/access"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// caseRecord is a record inside a case: a type that embeds RecordBase.
type caseRecord interface{ base() *RecordBase }

// recordKind is one type of record inside a case as the steps every type
// shares (list, get, create, update) need it: how it is listed and read
// (listSpec), how a row is scanned, the key its list is sorted by and,
// for personal data, the audit subject an edit is sealed under.
type recordKind[R caseRecord] struct {
	listSpec
	scan    func(row interface{ Scan(...any) error }) (R, error)
	sortKey func(R) string
	subject func(R) string // nil: none
}

// load reads a live record with its effective classes; the caller has
// already decided that the user may see it.
func (k recordKind[R]) load(ctx context.Context, q Querier, id int64) (R, error) {
	r, err := k.scan(q.QueryRowContext(ctx, `SELECT `+k.columns+` FROM `+k.from+` WHERE x.id = ? AND x.deleted_at = ''`, id))
	if errors.Is(err, sql.ErrNoRows) {
		var none R
		return none, ErrNotFound(k.typ)
	} else if err != nil {
		var none R
		return none, fmt.Errorf("load %s %d: %w", label(k.typ), id, err)
	}
	r.base().Classes, err = Classes(ctx, q, k.typ, id)
	return r, err
}

// list lists the records of a case the user may see.
func (k recordKind[R]) list(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64, opt ListOptions) ([]R, string, error) {
	if err := caseReadable(ctx, t.DB, p, k.typ, caseID); err != nil {
		return nil, "", err
	}
	return listRecords(ctx, t.DB, p.Subject, k.listSpec, caseID, opt, func(rows *store.Rows) (R, *RecordBase, string, error) {
		r, err := k.scan(rows)
		if err != nil {
			var none R
			return none, nil, "", err
		}
		return r, r.base(), k.sortKey(r), nil
	})
}

// get returns one record the user may see, with the classes they are
// shown.
func (k recordKind[R]) get(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64) (R, error) {
	var none R
	if err := Visible(ctx, t.DB, p.Subject, k.typ, id, access.Read); err != nil {
		return none, err
	}
	r, err := k.load(ctx, t.DB, id)
	if err != nil {
		return none, err
	}
	b := r.base()
	b.Classes = shownClasses(p.Subject, b.Classes)
	return r, nil
}

// create adds a record to a case: the area, the input (validate), then
// in one transaction the case, the record's own classes (asked for in
// *classes, replaced by those it will carry) and insert, which writes the
// row with its classes and search entry and returns its audit event.
func (k recordKind[R]) create(ctx context.Context, s *Service, t *tenancy.Handle, p *identity.Principal, caseID int64,
	classes *[]int64, validate func() error, insert func(tx *store.Tx, now string) (change, error)) (R, error) {
	var none R
	if err := p.Subject.Require(k.typ.Area(), access.Edit); err != nil {
		return none, err
	}
	if err := validate(); err != nil {
		return none, err
	}
	var id int64
	err := t.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := caseReadable(ctx, tx, p, k.typ, caseID); err != nil {
			return err
		}
		var err error
		if *classes, err = recordClasses(ctx, tx, p.Subject, k.typ, caseID, nil, *classes); err != nil {
			return err
		}
		c, err := insert(tx, s.now())
		if err != nil {
			return err
		}
		id = c.id
		return record(ctx, tx, t, p, c)
	})
	if err != nil {
		return none, err
	}
	return k.get(ctx, t, p, id)
}

// edit is one update of a record, as its type states it.
type edit[R caseRecord] struct {
	version  int      // the version the edit is based on
	classes  *[]int64 // asked for; replaced by those the record will carry
	validate func() error
	// set names the type's columns an update sets ("kind = ?, title = ?")
	// and their values.
	set func() (string, []any)
	// reindex rewrites the search entry (and anything else the type keeps
	// beside the row) and returns the changes of the type's own fields.
	reindex func(tx *store.Tx, before R, now string) (diffs, error)
}

// update changes a record, based on its version: in one transaction the
// record, its version, the input, its classes, its row, its search entry
// and its audit event.
func (k recordKind[R]) update(ctx context.Context, s *Service, t *tenancy.Handle, p *identity.Principal, id int64, e edit[R]) (R, error) {
	var none R
	if err := p.Subject.Require(k.typ.Area(), access.Edit); err != nil {
		return none, err
	}
	err := t.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := Visible(ctx, tx, p.Subject, k.typ, id, access.Edit); err != nil {
			return err
		}
		before, err := k.load(ctx, tx, id)
		if err != nil {
			return err
		}
		b := before.base()
		if err := checkVersion(k.typ, e.version, b.Version); err != nil {
			return err
		}
		if err := e.validate(); err != nil {
			return err
		}
		if *e.classes, err = recordClasses(ctx, tx, p.Subject, k.typ, b.CaseID, b.OwnClassIDs(), *e.classes); err != nil {
			return err
		}
		return k.write(ctx, tx, t, p, before, e, s.now())
	})
	if err != nil {
		return none, err
	}
	return k.get(ctx, t, p, id)
}

// write stores a checked update of before, with its audit event.
func (k recordKind[R]) write(ctx context.Context, tx *store.Tx, t *tenancy.Handle, p *identity.Principal, before R, e edit[R], now string) error {
	b := before.base()
	cols, args := e.set()
	args = append(args, boolInt(len(*e.classes) > 0), now, b.ID, b.Version)
	res, err := tx.ExecContext(ctx, `UPDATE `+k.typ.Table()+` SET `+cols+`, own_classes = ?, updated_at = ?, version = version + 1
		WHERE id = ? AND version = ? AND deleted_at = ''`, args...)
	if err != nil {
		return fmt.Errorf("update %s %d: %w", label(k.typ), b.ID, err)
	}
	if err := updated(k.typ, res); err != nil {
		return err
	}
	if _, err := SetRecordClasses(ctx, tx, k.typ, b.ID, b.CaseID, *e.classes); err != nil {
		return err
	}
	d, err := e.reindex(tx, before, now)
	if err != nil {
		return err
	}
	after, err := Classes(ctx, tx, k.typ, b.ID)
	if err != nil {
		return err
	}
	d.add("classes", nonNilIDs(b.Classes), nonNilIDs(after))
	c := change{action: string(k.typ) + ".update", objType: string(k.typ), id: b.ID, changes: d}
	if k.subject != nil {
		c.subject = k.subject(before)
	}
	return record(ctx, tx, t, p, c)
}
