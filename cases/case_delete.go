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

// DeleteCase soft-deletes a case (based on version) and every record in
// it, documents included, and takes them all out of search. They are
// hidden everywhere at once and purged after RetentionPeriod.
func (s *Service) DeleteCase(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, version int) error {
	if err := p.Subject.Require(access.Cases, access.Edit); err != nil {
		return err
	}
	if version <= 0 {
		return strongroom.FieldError("version", "Send the version of the case you are deleting.")
	}
	return t.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := Visible(ctx, tx, p.Subject, TypeCase, id, access.Edit); err != nil {
			return err
		}
		before, err := loadCase(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := checkVersion(TypeCase, version, before.Version); err != nil {
			return err
		}
		at := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE cases SET deleted_at = ?, updated_at = ?, version = version + 1
			WHERE id = ? AND version = ? AND deleted_at = ''`, at, at, id, version)
		if err != nil {
			return fmt.Errorf("delete case %d: %w", id, err)
		}
		if err := updated(TypeCase, res); err != nil {
			return err
		}
		details, err := deleteCaseRecords(ctx, tx, id, at)
		if err != nil {
			return err
		}
		if s.Hooks.CaseDeleted != nil {
			if err := s.Hooks.CaseDeleted(ctx, tx, id, at); err != nil {
				return err
			}
		}
		details["number"] = before.Number
		return record(ctx, tx, t, p, change{action: "case.delete", objType: "case", id: id, details: details})
	})
}

// deleteCaseRecords marks every live record of a case deleted at at, and
// the contacts left with no live part in any case; it takes the case and
// its records out of search. It returns how many of each went, for the
// audit event.
func deleteCaseRecords(ctx context.Context, tx *store.Tx, caseID int64, at string) (map[string]string, error) {
	details := map[string]string{}
	for _, t := range RecordTypes()[1:] {
		res, err := tx.ExecContext(ctx, `UPDATE `+t.Table()+` SET deleted_at = ?, updated_at = ?, version = version + 1
			WHERE case_id = ? AND deleted_at = ''`, at, at, caseID)
		if err != nil {
			return nil, fmt.Errorf("delete %s records of case %d: %w", t, caseID, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			details[string(t)+"_records"] = strconv.FormatInt(n, 10)
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE contacts SET deleted_at = ?, updated_at = ?, version = version + 1
		WHERE deleted_at = '' AND id IN (SELECT contact_id FROM case_contacts WHERE case_id = ?)
		AND NOT EXISTS (SELECT 1 FROM case_contacts l WHERE l.contact_id = contacts.id AND l.deleted_at = '')`, at, at, caseID)
	if err != nil {
		return nil, fmt.Errorf("delete contacts of case %d: %w", caseID, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_index WHERE case_id = ?`, caseID); err != nil {
		return nil, fmt.Errorf("unindex case %d: %w", caseID, err)
	}
	return details, nil
}
