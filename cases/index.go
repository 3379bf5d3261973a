package cases

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"strongroom/store"
)

// maxIndexedBody bounds how much text of one record is indexed (a long
// document's extracted text, say).
const maxIndexedBody = 1 << 20

// Index writes (or rewrites) the search entry of a record, in the
// transaction that changes the record.
func Index(ctx context.Context, tx *store.Tx, t RecordType, id, caseID int64, title, body string) error {
	title, body = indexable(title, maxIndexedBody), indexable(body, maxIndexedBody)
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

// indexable makes text safe for both engines' text columns: valid UTF-8
// (PostgreSQL refuses anything else), no NUL bytes, at most max bytes cut
// at a character boundary.
func indexable(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// Unindex removes a record from search (on deletion).
func Unindex(ctx context.Context, tx *store.Tx, t RecordType, id int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM search_index WHERE record_type = ? AND record_id = ?`, string(t), id)
	if err != nil {
		return fmt.Errorf("unindex %s %d: %w", t, id, err)
	}
	return nil
}
