package search

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/store"
)

// sqlBuf is a query under construction: its text and its arguments, kept
// in the order their placeholders appear.
type sqlBuf struct {
	strings.Builder
	args []any
}

func (b *sqlBuf) add(sql string, args ...any) {
	b.WriteString(sql)
	b.args = append(b.args, args...)
}

// plan is one validated search, ready to be written as SQL.
type plan struct {
	dialect store.Dialect
	subject *access.Subject
	words   []string
	q       Query
	cur     cursor
	// types are the record types that may be hits: those the user may
	// read, narrowed by the type filter. Never empty.
	types []cases.RecordType
	// useSlice starts from the records carrying the user's classes.
	useSlice bool
	// ranked, when not nil, holds every hit, once counted (all of them,
	// below MaxCount): only they are ranked, not every text match.
	ranked []hitKey
}

// hitKey names an index entry: its row on SQLite, its key on PostgreSQL.
type hitKey struct {
	row int64
	typ string
	id  int64
}

// pgWeights rank a word in a title ten times one in the body, as the bm25
// weights do on SQLite ({D, C, B, A}: bodies are B, titles A).
const pgWeights = `'{0.0, 0.0, 0.1, 1.0}'::float4[]`

// pgRank is the rank of a row on PostgreSQL (higher is better).
const pgRank = `ts_rank(` + pgWeights + `, si.tsv, sq.q)::float8`

// caseVisible is whether the user may see the case a hit is in: only
// then are its number, title, status and practice group shown, filtered
// on or counted for that hit.
func (p *plan) caseVisible() access.Predicate {
	return p.subject.Predicate(access.Cases, access.Read, string(cases.TypeCase), "c.id")
}

// from writes the tables a search reads with the text match. On SQLite
// the full-text table comes first and the joins are forced to follow it
// (CROSS JOIN), so that rows are produced in rank order and the LIMIT
// stops the work once a page is full.
//
// A restricted user sees only records carrying one of their classes, a
// thin slice of a large tenant. For them SQLite starts from that slice
// (record_classes, indexed by class) instead of from every match: only
// matches inside it are ranked and counted. The WHERE that follows is
// the same either way; the slice only spares work.
func (p *plan) from(b *sqlBuf, ranked bool) {
	if p.dialect == store.Postgres {
		// The case of each match is read by a LATERAL subquery that
		// OFFSET 0 keeps from being flattened into a join: the matches
		// drive, and each reads its case by key. As a plain join, with a
		// LIMIT above, the planner would sometimes walk every case and
		// search the text index once per case (seconds to minutes).
		b.add(`FROM search_index si CROSS JOIN (SELECT `)
		p.tsquery(b)
		b.add(` AS q) AS sq CROSS JOIN LATERAL (SELECT c.id, c.number, c.title, c.status, c.practice_group, c.opened_on, c.deleted_at
			FROM cases c WHERE c.id = si.case_id OFFSET 0) AS c WHERE c.deleted_at = ''`)
		switch {
		case ranked && p.ranked != nil && len(p.ranked) == 0:
			b.add(` AND 1 = 0`)
		case ranked && p.ranked != nil:
			// Every hit is known: read just those, by key, to rank them.
			b.add(` AND (si.record_type, si.record_id) IN (VALUES ` +
				strings.TrimSuffix(strings.Repeat("(?, CAST(? AS BIGINT)), ", len(p.ranked)), ", ") + `)`)
			for _, k := range p.ranked {
				b.args = append(b.args, k.typ, k.id)
			}
		default:
			b.add(` AND si.tsv @@ sq.q`)
		}
		return
	}
	match := ftsQuery(p.words)
	switch {
	case ranked && p.ranked != nil:
		// Every hit is known: rank those rows only (+rowid: test each
		// match against them rather than look each up in the index).
		b.add(`FROM (SELECT rowid AS id, bm25(search_fts, 10.0, 1.0) AS rank FROM search_fts WHERE search_fts MATCH ?
			AND +rowid IN (`+placeholders(len(p.ranked))+`) ORDER BY rank, rowid LIMIT -1) AS f CROSS JOIN search_index si ON si.id = f.id`, match)
		for _, k := range p.ranked {
			b.args = append(b.args, k.row)
		}
	case ranked && p.slice():
		// +rowid: test each match against the slice, rather than look
		// every id of the slice up in the full-text index.
		b.add(`FROM (SELECT rowid AS id, bm25(search_fts, 10.0, 1.0) AS rank FROM search_fts WHERE search_fts MATCH ?
			AND +rowid IN (SELECT vi.id FROM record_classes vrc CROSS JOIN search_index vi
				ON vi.record_type = vrc.record_type AND vi.record_id = vrc.record_id WHERE `, match)
		p.sliceWhere(b)
		b.add(`) ORDER BY rank, rowid LIMIT -1) AS f CROSS JOIN search_index si ON si.id = f.id`)
	case ranked:
		// LIMIT -1 (no limit) keeps SQLite from flattening the ranked
		// subquery into the join, which would lose its order; it stays
		// a co-routine that yields rows best first.
		b.add(`FROM (SELECT rowid AS id, bm25(search_fts, 10.0, 1.0) AS rank FROM search_fts WHERE search_fts MATCH ?
			ORDER BY rank, rowid LIMIT -1) AS f CROSS JOIN search_index si ON si.id = f.id`, match)
	case p.slice():
		// A record carries a class once; only with several classes may
		// it come twice.
		distinct := ""
		if len(p.subject.Classes) > 1 {
			distinct = "DISTINCT "
		}
		b.add(`FROM (SELECT ` + distinct + `vrc.record_type AS t, vrc.record_id AS id FROM record_classes vrc WHERE `)
		p.sliceWhere(b)
		b.add(`) AS v CROSS JOIN search_index si ON si.record_type = v.t AND si.record_id = v.id`)
	default:
		b.add(`FROM (SELECT rowid AS id FROM search_fts WHERE search_fts MATCH ?) AS f CROSS JOIN search_index si ON si.id = f.id`, match)
	}
	b.add(` CROSS JOIN cases c ON c.id = si.case_id WHERE c.deleted_at = ''`)
	if !ranked && p.slice() {
		b.add(` AND +si.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ?)`, match)
	}
}

// tsquery writes the PostgreSQL query of the words, every one required,
// each given to plainto_tsquery as a bound argument. PostgreSQL's parser
// reads the "-00123" of "LIT-2023-00123" as a signed number, so a word
// that starts with a digit also matches its signed form: searching for a
// case number finds it on both engines.
func (p *plan) tsquery(b *sqlBuf) {
	var plain []string
	var parts []string
	var args []any
	for _, w := range p.words {
		if r := []rune(w)[0]; unicode.IsDigit(r) {
			parts = append(parts, `(plainto_tsquery('simple', ?) || plainto_tsquery('simple', ?))`)
			args = append(args, w, "-"+w)
		} else {
			plain = append(plain, w)
		}
	}
	if len(plain) > 0 {
		parts = append([]string{`plainto_tsquery('simple', ?)`}, parts...)
		args = append([]any{strings.Join(plain, " ")}, args...)
	}
	b.add(strings.Join(parts, " && "), args...)
}

// slice reports whether the search starts from the records carrying the
// user's classes (see from); chooseSlice decides it.
func (p *plan) slice() bool { return p.useSlice }

// sliceProbe bounds the two counts chooseSlice compares.
const sliceProbe = 20000

// chooseSlice decides, for a restricted user on SQLite, whether to start
// from the records carrying their classes or from the text matches:
// whichever is smaller. Both are counted only up to sliceProbe, through
// an index each, so deciding costs little next to either plan.
func (p *plan) chooseSlice(ctx context.Context, db cases.Querier) error {
	if p.dialect != store.SQLite || !p.subject.Restricted || len(p.subject.Classes) == 0 {
		return nil
	}
	var slice, matches int
	var b sqlBuf
	b.add(`SELECT COUNT(*) FROM (SELECT 1 FROM record_classes vrc WHERE `)
	p.sliceWhere(&b)
	b.add(` LIMIT ?)`, sliceProbe)
	if err := db.QueryRowContext(ctx, b.String(), b.args...).Scan(&slice); err != nil {
		return fmt.Errorf("search: size the class slice: %w", err)
	}
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH ? LIMIT ?)`,
		ftsQuery(p.words), slice+1).Scan(&matches)
	if err != nil {
		return fmt.Errorf("search: count matches: %w", err)
	}
	p.useSlice = preferSlice(slice, matches)
	return nil
}

// preferSlice decides between the plans; tests replace it to run both.
var preferSlice = func(slice, matches int) bool { return slice < matches }

// sliceWhere selects the record_classes rows (alias vrc) of the user's
// classes and the searched types.
func (p *plan) sliceWhere(b *sqlBuf) {
	b.add(`vrc.class_id IN (` + placeholders(len(p.subject.Classes)) + `)`)
	for _, c := range p.subject.Classes {
		b.args = append(b.args, c)
	}
	b.add(` AND vrc.record_type IN (` + placeholders(len(p.types)) + `)`)
	for _, t := range p.types {
		b.args = append(b.args, string(t))
	}
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// where writes the conditions every hit, count and facet share: the
// access predicate of each hit's own type, that the record is not
// deleted, and the filters.
//
// The per-type conditions are a CASE rather than an OR of
// "record_type = ? AND …": PostgreSQL would otherwise pull the record
// types out as an index condition and read every index row of those types
// before the text match narrowed anything.
func (p *plan) where(b *sqlBuf) {
	b.add(" AND CASE si.record_type")
	for _, t := range p.types {
		b.add(" WHEN ? THEN (", string(t))
		if live := liveRecord(t); live != "" {
			b.add(live + " AND ")
		}
		pred := p.subject.Predicate(t.Area(), access.Read, string(t), "si.record_id")
		b.add(pred.SQL+")", pred.Args...)
	}
	b.add(" ELSE 1 = 0 END")
	q := p.q
	if q.Status != "" || q.PracticeGroup != "" || q.OpenedFrom != "" || q.OpenedTo != "" {
		cv := p.caseVisible()
		b.add(" AND "+cv.SQL, cv.Args...)
		if q.Status != "" {
			b.add(" AND c.status = ?", q.Status)
		}
		if q.PracticeGroup != "" {
			b.add(" AND c.practice_group = ?", q.PracticeGroup)
		}
		if q.OpenedFrom != "" {
			b.add(" AND c.opened_on >= ?", q.OpenedFrom)
		}
		if q.OpenedTo != "" {
			b.add(" AND c.opened_on <= ?", q.OpenedTo)
		}
	}
	if q.ClassID != 0 {
		b.add(` AND EXISTS (SELECT 1 FROM record_classes fc WHERE fc.record_type = si.record_type
			AND fc.record_id = si.record_id AND fc.class_id = ?)`, q.ClassID)
	}
}

// liveRecord is the condition that the record behind an index entry is not
// soft-deleted. Writers remove the entries of deleted records, but search
// does not rely on it. A case's own row is the joined c, already checked.
func liveRecord(t cases.RecordType) string {
	switch t {
	case cases.TypeCase:
		return ""
	case cases.TypeContact:
		// The link and the person or organisation it names.
		return `EXISTS (SELECT 1 FROM case_contacts x JOIN contacts xc ON xc.id = x.contact_id
			WHERE x.id = si.record_id AND x.deleted_at = '' AND xc.deleted_at = '')`
	}
	return `EXISTS (SELECT 1 FROM ` + t.Table() + ` x WHERE x.id = si.record_id AND x.deleted_at = '')`
}

// hitsSQL is the query of one page of hits, best first, one more than the
// page holds (to tell whether another page follows).
func (p *plan) hitsSQL() (string, []any) {
	var b sqlBuf
	cv := p.caseVisible()
	rank, row := "-f.rank", "f.id"
	if p.dialect == store.Postgres {
		rank, row = pgRank, "0"
	}
	b.add(`SELECT `+row+`, si.record_type, si.record_id, si.title, substr(si.body, 1, 3000), `+rank+`,
		c.id, c.number, c.title, CASE WHEN `+cv.SQL+` THEN 1 ELSE 0 END `, cv.Args...)
	p.from(&b, true)
	if p.cur.valid {
		c := p.cur
		if p.dialect == store.SQLite {
			// bm25 is lower for better matches; ties go by index row.
			b.add(` AND (f.rank > ? OR (f.rank = ? AND f.id > ?))`, -c.rank, -c.rank, c.row)
		} else {
			b.add(` AND (`+pgRank+` < ? OR (`+pgRank+` = ? AND (si.record_type > ? OR (si.record_type = ? AND si.record_id > ?))))`,
				c.rank, c.rank, c.typ, c.typ, c.id)
		}
	}
	p.where(&b)
	if p.dialect == store.Postgres {
		b.add(` ORDER BY 6 DESC, si.record_type, si.record_id`)
	}
	b.add(` LIMIT ?`, p.q.Limit+1)
	return b.String(), b.args
}

// countsSQL is the query of the hits behind the total and the facets:
// each hit's index row (SQLite), type, and the status and practice group of
// its case with whether that case may be seen. The WHERE is the hits' own,
// without the page. At most MaxCount+1 hits are read: past that the total
// is "more than MaxCount" and the facets count the hits read.
func (p *plan) countsSQL() (string, []any) {
	var b sqlBuf
	cv := p.caseVisible()
	row := "si.id"
	if p.dialect == store.Postgres {
		row = "0"
	}
	b.add(`SELECT `+row+`, si.record_type, si.record_id, c.status, c.practice_group, CASE WHEN `+cv.SQL+` THEN 1 ELSE 0 END `, cv.Args...)
	p.from(&b, false)
	p.where(&b)
	b.add(` LIMIT ?`, MaxCount+1)
	return b.String(), b.args
}
