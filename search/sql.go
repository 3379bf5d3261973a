package search

import (
	"strconv"
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
	// ranked, when not nil, holds the hits the hits query ranks: every hit
	// of the search once counted (when there are at most MaxCount), or on
	// SQLite one window of MaxCount hits (see Search). When nil
	// (PostgreSQL, more than MaxCount hits) every text match is ranked.
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
// (CROSS JOIN), so that rows come in the order the full-text subquery
// yields them and a LIMIT stops the work once it has enough. LIMIT -1 (no
// limit) keeps SQLite from flattening that subquery into the join, which
// would lose its order; it stays a co-routine.
//
// Unranked (counting, and finding a window), the matches come newest
// index entry first, below before when it is not 0. Ranked, only the rows
// of p.ranked are scored: FTS5 walks the part of the word lists between
// their lowest and highest row and tests each match against them (+rowid:
// a membership test, not a lookup of each in the index).
func (p *plan) from(b *sqlBuf, ranked bool, before int64) {
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
		if s := p.subject; s.Restricted && len(s.Classes) > 0 {
			// The records a restricted user may see, written so that the
			// planner can start from them (record_classes by class) and
			// test each one's words, rather than check the classes of
			// every match of a common word (400 ms → 60 ms at a million
			// records). The predicate in where still decides.
			b.add(` AND (si.record_type, si.record_id) IN (SELECT n.record_type, n.record_id FROM record_classes n
				WHERE n.class_id IN (` + store.Placeholders(len(s.Classes)) + `))`)
			for _, c := range s.Classes {
				b.args = append(b.args, c)
			}
		}
		return
	}
	if ranked {
		// The rows are known hits, so the words alone are matched: class
		// words would add nothing to a rank (their column weighs 0) but
		// their lists to what bm25 walks to weigh each word, which is
		// long for a user whose classes cover much of the tenant.
		// rankPage never asks for an empty window.
		lo, hi := p.ranked[0].row, p.ranked[0].row
		for _, k := range p.ranked {
			lo, hi = min(lo, k.row), max(hi, k.row)
		}
		b.add(`FROM (SELECT rowid AS id, bm25(search_fts, 10.0, 1.0, 0.0) AS rank FROM search_fts WHERE search_fts MATCH ?
			AND rowid >= ? AND rowid <= ? AND +rowid IN (`+store.Placeholders(len(p.ranked))+`)
			ORDER BY rank, rowid LIMIT -1) AS f CROSS JOIN search_index si ON si.id = f.id`, ftsQuery(p.words), lo, hi)
		for _, k := range p.ranked {
			b.args = append(b.args, k.row)
		}
	} else {
		b.add(`FROM (SELECT rowid AS id FROM search_fts WHERE search_fts MATCH ?`, p.ftsMatch())
		if before > 0 {
			b.add(` AND rowid < ?`, before)
		}
		b.add(` ORDER BY rowid DESC LIMIT -1) AS f CROSS JOIN search_index si ON si.id = f.id`)
	}
	b.add(` CROSS JOIN cases c ON c.id = si.case_id WHERE c.deleted_at = ''`)
}

// ftsMatch is the FTS5 query of a search: the words, and for a restricted
// user one of their classes (the classes column, kept from record_classes
// by triggers: U+E000 "class" and the id, a word no search text can hold,
// since terms keeps only letters and digits). FTS5 intersects the word
// lists itself, so a restricted user's search reads only the matches
// inside their slice of the tenant. The access predicate in where still
// decides each hit; this only spares it the rest.
func (p *plan) ftsMatch() string {
	m := ftsQuery(p.words)
	if p.subject.Restricted && len(p.subject.Classes) > 0 {
		tokens := make([]string, len(p.subject.Classes))
		for i, c := range p.subject.Classes {
			tokens[i] = `"` + classToken(c) + `"`
		}
		m = `(` + m + `) AND (` + strings.Join(tokens, " OR ") + `)`
	}
	return m
}

// classToken is the word the classes column holds for a class.
func classToken(id int64) string { return "\ue000class" + strconv.FormatInt(id, 10) }

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

// hitsSQL is the query of up to limit hits, best first, after the cursor
// when it is valid.
func (p *plan) hitsSQL(after cursor, limit int) (string, []any) {
	var b sqlBuf
	cv := p.caseVisible()
	rank, row := "-f.rank", "f.id"
	if p.dialect == store.Postgres {
		rank, row = pgRank, "0"
	}
	b.add(`SELECT ` + row + `, si.record_type, si.record_id, si.title, `)
	p.bodyColumns(&b)
	b.add(`, `+rank+`, c.id, c.number, c.title, c.opened_on, CASE WHEN `+cv.SQL+` THEN 1 ELSE 0 END `, cv.Args...)
	p.from(&b, true, 0)
	if after.valid {
		c := after
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
		b.add(` ORDER BY 8 DESC, si.record_type, si.record_id`)
	}
	b.add(` LIMIT ?`, limit)
	return b.String(), b.args
}

// countsSQL is the query of the hits behind the total and the facets, and
// of a window of hits to rank: each hit's index row (SQLite), type and id,
// and the status and practice group of its case with whether that case may
// be seen. The WHERE is the hits' own, without the page. At most limit hits
// are read, on SQLite newest index entry first and only those below
// before when it is not 0.
func (p *plan) countsSQL(before int64, limit int) (string, []any) {
	var b sqlBuf
	cv := p.caseVisible()
	row := "si.id"
	if p.dialect == store.Postgres {
		row = "0"
	}
	b.add(`SELECT `+row+`, si.record_type, si.record_id, c.status, c.practice_group, CASE WHEN `+cv.SQL+` THEN 1 ELSE 0 END `, cv.Args...)
	p.from(&b, false, before)
	p.where(&b)
	b.add(` LIMIT ?`, limit)
	return b.String(), b.args
}
