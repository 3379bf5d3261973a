package cases

import (
	"context"
	"fmt"

	"strongroom/store"
)

// maxIndexedBody bounds how much text of one record is indexed (a long
// document's extracted text, say).
const maxIndexedBody = 1 << 20

// Index writes (or rewrites) the search entry of a record, in the
// transaction that changes the record.
func Index(ctx context.Context, tx *store.Tx, t RecordType, id, caseID int64, title, body string) error {
	if len(body) > maxIndexedBody {
		body = body[:maxIndexedBody]
	}
	if err := Unindex(ctx, tx, t, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO search_index (record_type, record_id, case_id, title, body) VALUES (?, ?, ?, ?, ?)`,
		string(t), id, caseID, title, body)
	if err != nil {
		return fmt.Errorf("index %s %d: %w", t, id, err)
	}
	return nil
}

// Unindex removes a record from search (on deletion).
func Unindex(ctx context.Context, tx *store.Tx, t RecordType, id int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM search_index WHERE record_type = ? AND record_id = ?`, string(t), id)
	if err != nil {
		return fmt.Errorf("unindex %s %d: %w", t, id, err)
	}
	return nil
}
