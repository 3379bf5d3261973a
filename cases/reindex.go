package cases

import (
	"context"
	"fmt"
	"strings"

	"strongroom/store"
)

// reindexPage is how many records are read at a time while rebuilding:
// a page is read whole before its entries are written, since a
// transaction's connection cannot write while it is still reading rows.
// Its entries go in as one INSERT of five values a row, within both
// engines' limits on placeholders (SQLite 32,766), or one COPY. Through
// SQLite's triggers each statement costs an FTS5 flush and merge, so
// fewer, larger ones won (1,000 a statement was slower at 100k records).
const reindexPage = 6000

// indexSource says how the search entries of one record type are made
// from the rows of its table, exactly as the services write them.
type indexSource struct {
	typ RecordType
	// query selects id, case id and the texts entry needs, for the live
	// records with ids above the first argument, in id order, at most the
	// second argument of them.
	query string
	entry func(texts []string) (title, body string)
}

var indexSources = []indexSource{
	{TypeCase, `SELECT id, id, number, title, client, practice_group, tags FROM cases
		WHERE deleted_at = '' AND id > ? ORDER BY id LIMIT ?`,
		func(v []string) (string, string) { // as indexCase
			return v[0] + " " + v[1], strings.Join([]string{v[2], v[3], strings.Join(splitTags(v[4]), " ")}, "\n")
		}},
	// A document's entry also holds the text extracted from its file,
	// which is kept nowhere else: it is rebuilt from title and description
	// here, and the text is extracted again separately (package documents'
	// own job, which reads the files).
	{TypeDocument, `SELECT id, case_id, title, description FROM documents
		WHERE deleted_at = '' AND id > ? ORDER BY id LIMIT ?`,
		func(v []string) (string, string) { return v[0], v[1] }},
	{TypeFinancial, `SELECT id, case_id, description, kind FROM financial_records
		WHERE deleted_at = '' AND id > ? ORDER BY id LIMIT ?`,
		func(v []string) (string, string) { // as indexFinancial
			if v[0] == "" {
				return v[1], ""
			}
			return v[0], ""
		}},
	{TypeContact, `SELECT cc.id, cc.case_id, c.name, cc.role FROM case_contacts cc JOIN contacts c ON c.id = cc.contact_id
		WHERE cc.deleted_at = '' AND cc.id > ? ORDER BY cc.id LIMIT ?`,
		func(v []string) (string, string) { return v[0], v[1] }},
	{TypeNote, `SELECT id, case_id, title, body FROM notes
		WHERE deleted_at = '' AND id > ? ORDER BY id LIMIT ?`,
		func(v []string) (string, string) { return v[0], v[1] }},
	{TypeEvent, `SELECT id, case_id, title FROM case_events
		WHERE deleted_at = '' AND id > ? ORDER BY id LIMIT ?`,
		func(v []string) (string, string) { return v[0], "" }},
}

// RebuildIndex replaces the search index of db with one made from the
// records themselves, through Index as the services write it: every live
// record of every type (deleted ones are out of search, as their deletion
// left them). It runs in one transaction, so searches see the old index
// or the new one, never half of it; it is bounded by ctx only, not by the
// handle's per-operation deadline. It returns the number of entries.
//
// It follows a restore, whose snapshot leaves the derived index out. On
// SQLite the table is filled with its full-text triggers set aside and
// the FTS5 index is built once from it (rebuildSQLite); on PostgreSQL the
// entries go in by COPY (rebuildPostgres).
func RebuildIndex(ctx context.Context, db *store.DB) (int, error) {
	return rebuildIndex(ctx, db, rebuildWay)
}

func rebuildIndex(ctx context.Context, db *store.DB, b ftsBuild) (int, error) {
	ctx = store.WithTimeout(ctx, 0)
	total := 0
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if db.Dialect == store.SQLite {
			total, err = rebuildSQLite(ctx, tx, b)
		} else {
			total, err = rebuildPostgres(ctx, tx, b.pg)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("rebuild search index of %s: %w", db.Name, err)
	}
	return total, nil
}

// fillIndex writes the entries of every live record into search_index.
func fillIndex(ctx context.Context, tx *store.Tx, per int, cp store.Copier) (int, error) {
	total := 0
	for _, src := range indexSources {
		n, err := reindexType(ctx, tx, src, per, cp)
		if err != nil {
			return total, fmt.Errorf("rebuild the search index of %s records: %w", src.typ, err)
		}
		total += n
	}
	return total, nil
}

type indexRow struct {
	id, caseID int64
	texts      []string
}

func reindexType(ctx context.Context, tx *store.Tx, src indexSource, per int, cp store.Copier) (int, error) {
	n := 0
	for after := int64(0); ; {
		page, err := readIndexPage(ctx, tx, src.query, after, per)
		if err != nil {
			return n, err
		}
		if err := indexPage(ctx, tx, src, page, cp); err != nil {
			return n, err
		}
		if len(page) > 0 {
			after = page[len(page)-1].id
		}
		n += len(page)
		if len(page) < per {
			return n, nil
		}
	}
}

// indexPage writes the entries of one page as Index would, in one
// multi-row INSERT, or one COPY when cp is given. The index was emptied at
// the start of the rebuild and each record comes once, so there is
// nothing to unindex first. One statement per page matters on SQLite
// when the triggers run: every statement that fires them opens a
// savepoint, at which FTS5 flushes its pending terms to disk and merges
// segments, which row by row made a rebuild of 100,000 records take
// minutes.
func indexPage(ctx context.Context, tx *store.Tx, src indexSource, page []indexRow, cp store.Copier) error {
	if len(page) == 0 {
		return nil
	}
	if cp != nil {
		return copyPage(ctx, cp, src, page)
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO search_index (record_type, record_id, case_id, title, body) VALUES `)
	args := make([]any, 0, 5*len(page))
	for i, r := range page {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?)")
		title, body := src.entry(r.texts)
		args = append(args, string(src.typ), r.id, r.caseID, indexable(title, maxIndexedBody), indexable(body, maxIndexedBody))
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("index %d %s records from %d: %w", len(page), src.typ, page[0].id, err)
	}
	return nil
}

func readIndexPage(ctx context.Context, tx *store.Tx, query string, after int64, per int) ([]indexRow, error) {
	rows, err := tx.QueryContext(ctx, query, after, per)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var page []indexRow
	for rows.Next() {
		r := indexRow{texts: make([]string, len(cols)-2)}
		dst := []any{&r.id, &r.caseID}
		for i := range r.texts {
			dst = append(dst, &r.texts[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		page = append(page, r)
	}
	return page, rows.Err()
}
