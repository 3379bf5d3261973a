package documents

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/minio/sio"

	"strongroom/cases"
	"strongroom/store"
	"strongroom/tenancy"
)

// ReextractBatch is how many documents one batch of re-extraction reads
// when its caller names no other number: small enough that a batch of
// large PDFs ends well within a job's lease and timeout.
const (
	ReextractBatch    = 50
	maxReextractBatch = 500
)

// Reextraction is what one batch of Reextract did.
type Reextraction struct {
	Read      int // documents looked at
	Indexed   int // search entries rewritten with their file's text
	Unchanged int // entries that held it already, or documents changed or deleted meanwhile
	Skipped   int // files missing or unreadable: logged, their entries left as they were
	// Last is the id of the last document looked at: the next batch starts
	// after it. More says whether documents after it may remain.
	Last int64
	More bool
}

// reextractRow is a live document's current file, as the batch reads it.
type reextractRow struct {
	id         int64
	version    FileVersion
	storageKey string
	wrapped    []byte
}

// Reextract puts the text of the current file of up to limit live
// documents of t with ids above after (in id order) back into their search
// entries. It follows a restore: snapshots leave the derived index out,
// cases.RebuildIndex remakes each document's entry from its title and
// description, and the text of its file is kept nowhere else in the clear.
// Files are opened and extracted exactly as at upload (same key unwrap,
// same checks and bounds); an entry gets what upload would have written,
// so a batch run twice changes nothing. A file that is missing, damaged or
// does not open is logged and skipped, not an error of the batch.
func (s *Service) Reextract(ctx context.Context, t *tenancy.Handle, after int64, limit int) (Reextraction, error) {
	if limit <= 0 || limit > maxReextractBatch {
		limit = ReextractBatch
	}
	out := Reextraction{Last: after}
	rows, err := reextractPage(ctx, t.DB, after, limit)
	if err != nil {
		return out, err
	}
	for _, r := range rows {
		text, err := s.fileText(ctx, t, r)
		if ctx.Err() != nil {
			// A cut-short extraction must not be written as "no text".
			return out, ctx.Err()
		}
		switch {
		case err != nil:
			s.log.Warn("document text not re-extracted: its file is missing or unreadable",
				"tenant", t.Tenant.Slug, "document", r.id, "version", r.version.Number, "err", err)
			out.Skipped++
		default:
			changed, err := s.writeText(ctx, t.DB, r, text)
			if err != nil {
				return out, err
			}
			if changed {
				out.Indexed++
			} else {
				out.Unchanged++
			}
		}
		out.Read++
		out.Last = r.id
	}
	out.More = len(rows) == limit
	return out, nil
}

// reextractPage reads the current file versions of up to limit live
// documents with ids above after, in id order.
func reextractPage(ctx context.Context, db *store.DB, after int64, limit int) ([]reextractRow, error) {
	rows, err := db.QueryContext(ctx, `SELECT d.id, v.number, v.content_type, v.size_bytes, v.sha256, v.storage_key, v.wrapped_key
		FROM documents d JOIN document_versions v ON v.document_id = d.id AND v.number = d.current_version
		WHERE d.deleted_at = '' AND d.id > ? ORDER BY d.id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read documents after %d for re-extraction: %w", after, err)
	}
	defer rows.Close()
	var out []reextractRow
	for rows.Next() {
		var r reextractRow
		if err := rows.Scan(&r.id, &r.version.Number, &r.version.ContentType, &r.version.Size, &r.version.SHA256,
			&r.storageKey, &r.wrapped); err != nil {
			return nil, fmt.Errorf("read documents after %d for re-extraction: %w", after, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// fileText opens a document's file as a download does (key unwrapped,
// decrypted whole and checked against its recorded size and hash, so a
// damaged or swapped file gives no text) and extracts its text as upload
// does.
func (s *Service) fileText(ctx context.Context, t *tenancy.Handle, r reextractRow) (string, error) {
	d, err := s.openChecked(t, r.storageKey, r.wrapped, r.version)
	if err != nil {
		return "", err
	}
	defer d.Close()
	capture := &textCapture{}
	if isUTF8Text(r.version.ContentType) {
		// Upload captured the plaintext's start as it streamed by; here
		// it is decrypted again, no further than the capture keeps.
		plain, err := sio.DecryptReader(d.file, sioConfig(d.key))
		if err != nil {
			return "", fmt.Errorf("decrypt: %w", err)
		}
		if _, err := io.Copy(capture, io.LimitReader(plain, maxTextBytes)); err != nil {
			return "", fmt.Errorf("decrypt: %w", err)
		}
	}
	return s.extractText(ctx, r.version.ContentType, capture, d.file, d.key, r.version.Size), nil
}

// writeText rewrites a document's search entry with its title, its
// description and text, as upload writes it, and reports whether the entry
// changed. The document row is read again (locked on PostgreSQL, where an
// edit could otherwise commit between the read and the write): a document
// deleted meanwhile is left out of search, and one given a newer file
// meanwhile was indexed with that file's text by its upload.
func (s *Service) writeText(ctx context.Context, db *store.DB, r reextractRow, text string) (bool, error) {
	changed := false
	err := db.InTx(ctx, func(tx *store.Tx) error {
		changed = false
		q := `SELECT case_id, title, description, current_version FROM documents WHERE id = ? AND deleted_at = ''`
		if tx.Dialect == store.Postgres {
			q += ` FOR UPDATE`
		}
		var caseID int64
		var title, description string
		var current int
		err := tx.QueryRowContext(ctx, q, r.id).Scan(&caseID, &title, &description, &current)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return fmt.Errorf("read document %d: %w", r.id, err)
		}
		if current != r.version.Number {
			return nil
		}
		body := indexBody(description, text)
		var oldCase int64
		var oldTitle, oldBody string
		err = tx.QueryRowContext(ctx, `SELECT case_id, title, body FROM search_index WHERE record_type = ? AND record_id = ?`,
			string(cases.TypeDocument), r.id).Scan(&oldCase, &oldTitle, &oldBody)
		if err == nil && oldCase == caseID && oldTitle == title && oldBody == body {
			return nil
		} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read search entry of document %d: %w", r.id, err)
		}
		changed = true
		return cases.Index(ctx, tx, cases.TypeDocument, r.id, caseID, title, body)
	})
	return changed, err
}

// LiveDocuments counts the documents of t that are not deleted: what a
// re-extraction of the whole tenant will read.
func (s *Service) LiveDocuments(ctx context.Context, t *tenancy.Handle) (int, error) {
	var n int
	if err := t.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM documents WHERE deleted_at = ''`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count documents: %w", err)
	}
	return n, nil
}
