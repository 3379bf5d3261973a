package cases

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"strongroom/audit"
	"strongroom/store"
	"strongroom/tenancy"
)

// RetentionPeriod is how long a soft-deleted case or record is kept
// (hidden from everyone) before Purge removes it for good.
const RetentionPeriod = 30 * 24 * time.Hour

// purgeBatch bounds how many rows of one table one Purge removes, so that
// one transaction stays small; the next run takes the rest.
const purgeBatch = 5000

// PurgeReport counts what one Purge removed, by record type; contacts
// (the people and organisations themselves) are counted under "person".
type PurgeReport map[string]int

// Purge removes, in one transaction, the records and cases deleted more
// than RetentionPeriod before now, with their classes and search entries,
// and the contacts left with no part in any case. Each removal writes a
// system audit event in the same transaction. A case is removed only once
// nothing refers to it: its documents are package documents' (Hooks.PurgeCase).
func (s *Service) Purge(ctx context.Context, t *tenancy.Handle, now time.Time) (PurgeReport, error) {
	cutoff := store.FormatTime(now.Add(-RetentionPeriod))
	report := PurgeReport{}
	err := t.DB.InTx(ctx, func(tx *store.Tx) error {
		var events []audit.Event
		purged := func(typ string, id int64) {
			report[typ]++
			events = append(events, audit.Event{Actor: audit.Actor{Kind: audit.ActorSystem}, Action: typ + ".purge",
				ObjectType: typ, ObjectID: strconv.FormatInt(id, 10), Details: map[string]string{"retention_days": "30"}})
		}
		for _, typ := range []RecordType{TypeFinancial, TypeContact, TypeNote, TypeEvent} {
			ids, err := int64s(ctx, tx, `SELECT id FROM `+typ.Table()+` WHERE deleted_at <> '' AND deleted_at < ? ORDER BY id LIMIT ?`, cutoff, purgeBatch)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := purgeRow(ctx, tx, typ, id); err != nil {
					return err
				}
				purged(string(typ), id)
			}
		}
		people, err := int64s(ctx, tx, `SELECT id FROM contacts WHERE deleted_at <> '' AND deleted_at < ?
			AND NOT EXISTS (SELECT 1 FROM case_contacts l WHERE l.contact_id = contacts.id) ORDER BY id LIMIT ?`, cutoff, purgeBatch)
		if err != nil {
			return err
		}
		for _, id := range people {
			if _, err := tx.ExecContext(ctx, `DELETE FROM contacts WHERE id = ?`, id); err != nil {
				return fmt.Errorf("purge contact details %d: %w", id, err)
			}
			purged("person", id)
		}
		if err := s.purgeCases(ctx, tx, cutoff, purged); err != nil {
			return err
		}
		if len(events) == 0 {
			return nil
		}
		_, err = t.Audit.AppendBatch(ctx, tx, events)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("purge tenant %s: %w", t.Tenant.Slug, err)
	}
	return report, nil
}

// purgeCases removes cases deleted before cutoff that no record refers
// to any more, after Hooks.PurgeCase has had its turn.
func (s *Service) purgeCases(ctx context.Context, tx *store.Tx, cutoff string, purged func(string, int64)) error {
	ids, err := int64s(ctx, tx, `SELECT id FROM cases WHERE deleted_at <> '' AND deleted_at < ? ORDER BY id LIMIT ?`, cutoff, purgeBatch)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if s.Hooks.PurgeCase != nil {
			if err := s.Hooks.PurgeCase(ctx, tx, id); err != nil {
				return err
			}
		}
		left := 0
		for _, typ := range RecordTypes()[1:] {
			n, err := count(ctx, tx, `SELECT COUNT(*) FROM `+typ.Table()+` WHERE case_id = ?`, id)
			if err != nil {
				return err
			}
			left += n
		}
		if left > 0 {
			continue // records (documents, say) still refer to it: a later run
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM case_users WHERE case_id = ?`, id); err != nil {
			return fmt.Errorf("purge users of case %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_index WHERE case_id = ?`, id); err != nil {
			return fmt.Errorf("purge search entries of case %d: %w", id, err)
		}
		if err := purgeRow(ctx, tx, TypeCase, id); err != nil {
			return err
		}
		purged(string(TypeCase), id)
	}
	return nil
}

// purgeRow removes one record and its search entry. Its record_classes
// rows stay: the record's history in the audit log is still shown only to
// those who hold its classes.
func purgeRow(ctx context.Context, tx *store.Tx, typ RecordType, id int64) error {
	if err := Unindex(ctx, tx, typ, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+typ.Table()+` WHERE id = ?`, id); err != nil {
		return fmt.Errorf("purge %s %d: %w", typ, id, err)
	}
	return nil
}
