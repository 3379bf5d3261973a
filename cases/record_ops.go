package cases

import (
	"context"
	"fmt"
	"strconv"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// caseReadable checks that a user may work with records of type t inside
// a case: they need the area of t (EFORBIDDEN without it) and must see the
// case (ENOTFOUND otherwise, as for a missing case).
func caseReadable(ctx context.Context, q Querier, p *identity.Principal, t RecordType, caseID int64) error {
	if err := p.Subject.Require(t.Area(), access.Read); err != nil {
		return err
	}
	return Visible(ctx, q, p.Subject, TypeCase, caseID, access.Read)
}

// deleteRecord soft-deletes one record inside a case, based on its
// version, with its audit event. A contact left with no live part in any
// case is deleted with its last part.
func (s *Service) deleteRecord(ctx context.Context, t *tenancy.Handle, p *identity.Principal, typ RecordType, id int64, version int) error {
	if err := p.Subject.Require(typ.Area(), access.Edit); err != nil {
		return err
	}
	if version <= 0 {
		return strongroom.FieldError("version", "Send the version of the %s you are deleting.", label(typ))
	}
	return t.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := Visible(ctx, tx, p.Subject, typ, id, access.Edit); err != nil {
			return err
		}
		var caseID int64
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT case_id, version FROM `+typ.Table()+` WHERE id = ?`, id).Scan(&caseID, &current); err != nil {
			return fmt.Errorf("read %s %d: %w", typ, id, err)
		}
		if err := checkVersion(typ, version, current); err != nil {
			return err
		}
		at := s.now()
		if err := softDelete(ctx, tx, typ, id, version, at); err != nil {
			return err
		}
		c := change{action: string(typ) + ".delete", objType: string(typ), id: id,
			details: map[string]string{"case_id": strconv.FormatInt(caseID, 10)}}
		if typ == TypeContact {
			contactID, err := orphanContact(ctx, tx, id, at)
			if err != nil {
				return err
			}
			c.details["contact_id"] = strconv.FormatInt(contactID, 10)
		}
		return record(ctx, tx, t, p, c)
	})
}

// orphanContact deletes the contact of a deleted part (case_contacts row)
// when that was its last live part in any case, and returns its id.
func orphanContact(ctx context.Context, tx *store.Tx, linkID int64, at string) (int64, error) {
	var contactID int64
	if err := tx.QueryRowContext(ctx, `SELECT contact_id FROM case_contacts WHERE id = ?`, linkID).Scan(&contactID); err != nil {
		return 0, fmt.Errorf("read contact of part %d: %w", linkID, err)
	}
	_, err := tx.ExecContext(ctx, `UPDATE contacts SET deleted_at = ?, updated_at = ?, version = version + 1
		WHERE id = ? AND deleted_at = '' AND NOT EXISTS (SELECT 1 FROM case_contacts l WHERE l.contact_id = contacts.id AND l.deleted_at = '')`,
		at, at, contactID)
	if err != nil {
		return 0, fmt.Errorf("delete contact %d: %w", contactID, err)
	}
	return contactID, nil
}
