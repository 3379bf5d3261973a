package documents

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"strongroom/audit"
	"strongroom/cases"
	"strongroom/store"
	"strongroom/tenancy"
)

// Purge removes for good the documents deleted more than 30 days before
// now: their rows, their versions and their files. It also removes the
// files and temporary uploads a crash left behind (RemoveLeftovers). It
// returns how many documents it purged.
// Each document goes in a transaction of its own, audited; its files are
// removed once the rows are gone (a file left by a failed removal is swept
// as an orphan by a later run).
func (s *Service) Purge(ctx context.Context, t *tenancy.Handle, now time.Time) (int, error) {
	dir, err := s.tenantDir(t)
	if err != nil {
		return 0, err
	}
	rows, err := t.DB.QueryContext(ctx, `SELECT id FROM documents WHERE deleted_at <> '' AND deleted_at < ? ORDER BY id`,
		store.FormatTime(now.Add(-purgeAfter)))
	if err != nil {
		return 0, fmt.Errorf("find deleted documents: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, id := range ids {
		keys, err := s.purgeOne(ctx, t, id)
		if err != nil {
			return 0, err
		}
		for _, k := range keys {
			if path, err := filePath(dir, k); err == nil {
				s.removeFile(path)
			}
		}
	}
	_, err = s.RemoveLeftovers(ctx, t, now)
	return len(ids), err
}

// purgeOne deletes a document's rows and returns its files' storage keys.
func (s *Service) purgeOne(ctx context.Context, t *tenancy.Handle, id int64) ([]string, error) {
	var keys []string
	err := t.DB.InTx(ctx, func(tx *store.Tx) error {
		keys = keys[:0]
		rows, err := tx.QueryContext(ctx, `SELECT storage_key FROM document_versions WHERE document_id = ?`, id)
		if err != nil {
			return fmt.Errorf("versions of document %d: %w", id, err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM document_versions WHERE document_id = ?`,
			`DELETE FROM documents WHERE id = ? AND deleted_at <> ''`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("purge document %d: %w", id, err)
			}
		}
		if err := cases.Unindex(ctx, tx, cases.TypeDocument, id); err != nil {
			return err
		}
		_, err = t.Audit.Append(ctx, tx, audit.Event{Actor: audit.Actor{Kind: audit.ActorSystem}, Action: "document.purge",
			ObjectType: "document", ObjectID: strconv.FormatInt(id, 10), Details: map[string]string{"versions": strconv.Itoa(len(keys))}})
		return err
	})
	return keys, err
}
