// Package search is full-text search across cases and the records in them:
// titles, descriptions, notes and the text of documents, as the writers in
// package cases and package documents keep it in search_index. SQLite ranks
// with FTS5's bm25 (titles weigh ten times bodies); PostgreSQL with ts_rank
// over the generated tsvector ('simple' configuration).
//
// Hits, totals and facet counts all come from one WHERE: for each record
// type the user may read, that type's access predicate (package access),
// that the record and its case are not deleted, and the filters. A record
// the user may not see is never a hit and never counted. Case details of a
// hit (number, title, status, practice group) are shown, filtered on and
// counted only when the user may see that case too.
package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Service runs searches on the tenant a request names.
type Service struct{}

// New returns the search service.
func New() *Service { return &Service{} }

// Hit is one record found.
type Hit struct {
	Type  cases.RecordType
	ID    int64
	Title string
	// Snippet is a piece of the text around the first searched word it
	// holds; SnippetMarks and TitleMarks are where the searched words
	// stand in it and in the title. Both texts are the records' own: they
	// are plain text, to be escaped wherever they are shown.
	Snippet      string
	SnippetMarks []Span
	TitleMarks   []Span
	Rank         float64 // higher is better; comparable within one search only (0 sorted by date)
	// Case is the case the record is in, when the user may see it.
	Case *CaseRef
}

// CaseRef names a case.
type CaseRef struct {
	ID       int64
	Number   string
	Title    string
	OpenedOn string // YYYY-MM-DD
}

// Count is one value of a facet and how many hits have it.
type Count struct {
	Value string
	Count int
}

// Facets count the hits of a search by record type, and by the status
// and practice group of their case (for hits whose case the user may see).
type Facets struct {
	Types          []Count
	Statuses       []Count
	PracticeGroups []Count
}

// Result is one page of a search.
type Result struct {
	Hits []Hit
	// Total is the number of hits on every page together, and Facets
	// count them. When More is set there are more than MaxCount hits: then
	// Total (MaxCount+1) and the facets count the first MaxCount+1 hits
	// found, and are lower bounds.
	Total  int
	More   bool
	Facets Facets
	// Windowed is set when the hits are ranked a window of MaxCount at a
	// time, newest first (SQLite, when More is set; see hits).
	Windowed bool
	// Next continues the search after this page; empty on the last one.
	Next string
}

// Search runs a search for the principal. A user who may read none of the
// searchable areas gets EFORBIDDEN; bad input gets EINVALID naming the
// field ("q", "type", "status", "practice_group", "opened_from",
// "opened_to", "class", "sort", "limit" or "cursor").
func (s *Service) Search(ctx context.Context, h *tenancy.Handle, p *identity.Principal, q Query) (*Result, error) {
	pl, err := newPlan(h, p, q)
	if err != nil {
		return nil, err
	}
	if q.Cursor == "" {
		if err := recordSearch(ctx, h, p, q); err != nil {
			return nil, err
		}
	}
	res := &Result{Hits: []Hit{}}
	if len(pl.types) == 0 || (p.Subject.Restricted && len(p.Subject.Classes) == 0) {
		// Only types the user may not read were asked for, or the user is
		// restricted to classes they do not hold: nothing can be a hit.
		return res, nil
	}
	err = read(ctx, h.DB, func(q cases.Querier) error {
		if err := pl.counts(ctx, q, res); err != nil {
			return err
		}
		if res.Total == 0 {
			return nil
		}
		return pl.hits(ctx, q, res)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// read runs a search's queries. On PostgreSQL they run in a read-only
// transaction with settings of their own:
//   - plans made for the words actually searched (not a generic plan for
//     any words, which expects thousands of matches);
//   - a small work_mem, which keeps the planner from turning the access
//     predicate's EXISTS into hash tables of every classified record of a
//     type, built anew for each search: checked row by row through the
//     record_classes key instead, a search costs what its matches cost (a
//     rare word: 155 ms → 10 ms at a million records). Much smaller, and
//     the bitmap of a common word's matches turns lossy;
//   - no JIT compilation, which costs more than such queries gain.
func read(ctx context.Context, db *store.DB, fn func(cases.Querier) error) error {
	if db.Dialect != store.Postgres {
		return fn(db)
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET TRANSACTION READ ONLY`); err != nil {
			return fmt.Errorf("search: %w", err)
		}
		var a, b, c string
		err := tx.QueryRowContext(ctx, `SELECT set_config('plan_cache_mode', 'force_custom_plan', true),
			set_config('work_mem', '256kB', true), set_config('jit', 'off', true)`).Scan(&a, &b, &c)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		return fn(tx)
	})
}

// recordSearch writes a new search, with its query, to the audit log (the
// following pages of the same search are not written again).
func recordSearch(ctx context.Context, h *tenancy.Handle, p *identity.Principal, q Query) error {
	details := map[string]string{}
	for k, v := range map[string]string{"status": q.Status, "practice_group": q.PracticeGroup,
		"opened_from": q.OpenedFrom, "opened_to": q.OpenedTo} {
		if v != "" {
			details[k] = v
		}
	}
	if q.ClassID != 0 {
		details["class"] = strconv.FormatInt(q.ClassID, 10)
	}
	if len(q.Types) > 0 {
		types := make([]string, len(q.Types))
		for i, t := range q.Types {
			types[i] = string(t)
		}
		details["types"] = strings.Join(types, ",")
	}
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: "search.query",
			ObjectType: "search", Details: details, Personal: map[string]string{"q": q.Q},
			SubjectID: audit.QueriesSubject(p.User.ID, time.Now())})
		return err
	})
}

func newPlan(h *tenancy.Handle, p *identity.Principal, q Query) (*plan, error) {
	var readable []cases.RecordType
	for _, t := range cases.RecordTypes() {
		if p.Subject.Allowed(t.Area(), access.Read) {
			readable = append(readable, t)
		}
	}
	if len(readable) == 0 {
		return nil, strongroom.Errorf(strongroom.EFORBIDDEN, "You do not have access to any records to search.")
	}
	words, err := terms(q.Q)
	if err != nil {
		return nil, err
	}
	if err := q.validate(); err != nil {
		return nil, err
	}
	if q.ClassID != 0 && !p.Subject.HasClass(q.ClassID) {
		return nil, strongroom.FieldError("class", "Choose one of your security classes.")
	}
	var cur cursor
	if q.Sort == SortDate {
		_, err = decodeDateCursor(q.Cursor) // read again by datePage
	} else {
		cur, err = decodeCursor(q.Cursor)
	}
	if err != nil {
		return nil, err
	}
	pl := &plan{dialect: h.DB.Dialect, subject: p.Subject, words: words, q: q, cur: cur}
	for _, t := range readable {
		if len(q.Types) == 0 || slices.Contains(q.Types, t) {
			pl.types = append(pl.types, t)
		}
	}
	return pl, nil
}

// hits reads one page of hits into res.
//
// On SQLite, a search with more than MaxCount hits is ranked a window at a
// time: the newest MaxCount hits (by index entry) first, best first, then
// the next MaxCount, and so on. Scoring every match of a common word with
// bm25 takes longer than the whole search may (about 5 µs a match: 27,000
// matches of "settlement agreement" cost 150 ms), and recent records are
// what a broad search is most often after. A page may span two windows;
// its cursor names the window its last hit is in. PostgreSQL ranks every
// match.
func (pl *plan) hits(ctx context.Context, q cases.Querier, res *Result) error {
	if pl.q.Sort == SortDate {
		return pl.datePage(ctx, q, res)
	}
	window, after := pl.ranked, pl.cur
	if pl.dialect == store.SQLite && after.valid && after.before > 0 {
		var err error
		if window, err = pl.window(ctx, q, after.before); err != nil {
			return err
		}
	}
	before := after.before
	for {
		pl.ranked = window
		more, err := pl.rankPage(ctx, q, res, after, before)
		if err != nil || more || pl.dialect != store.SQLite || len(window) < maxCount {
			return err
		}
		// This window is done and the page is not full: go on with the
		// next, older window.
		before = window[len(window)-1].row
		if window, err = pl.window(ctx, q, before); err != nil {
			return err
		}
		if len(window) == 0 {
			return nil
		}
		after = cursor{}
	}
}

// window reads the next window of hits to rank: the newest maxCount hits
// whose index rows are below before.
func (pl *plan) window(ctx context.Context, q cases.Querier, before int64) ([]hitKey, error) {
	hits, err := pl.readCounted(ctx, q, before, maxCount)
	keys := make([]hitKey, len(hits))
	for i, h := range hits {
		keys[i] = h.hitKey
	}
	return keys, err
}

// counted is a hit as countsSQL reads it.
type counted struct {
	hitKey
	status, group string
	caseVisible   bool
}

// readCounted runs countsSQL.
func (pl *plan) readCounted(ctx context.Context, q cases.Querier, before int64, limit int) ([]counted, error) {
	query, args := pl.countsSQL(before, limit)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search counts: %w", err)
	}
	defer rows.Close()
	var out []counted
	for rows.Next() {
		var c counted
		if err := rows.Scan(&c.row, &c.typ, &c.id, &c.status, &c.group, &c.caseVisible); err != nil {
			return nil, fmt.Errorf("search counts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// pageRow is one row of a page of hits, in either order: the hit, where it
// stands, its body's window and its case.
type pageRow struct {
	hit         Hit
	typ         string
	row         int64
	body        window
	caseRef     CaseRef
	caseVisible bool
}

// scanHit reads one row of hitsSQL or dateSQL (their columns are the same).
func scanHit(rows *store.Rows) (pageRow, error) {
	var r pageRow
	var visible int
	err := rows.Scan(&r.row, &r.typ, &r.hit.ID, &r.hit.Title, &r.body.start, &r.body.text, &r.body.length, &r.hit.Rank,
		&r.caseRef.ID, &r.caseRef.Number, &r.caseRef.Title, &r.caseRef.OpenedOn, &visible)
	r.caseVisible = visible == 1
	return r, err
}

// presented is the row's hit as its reader sees it (see present).
func (pl *plan) presented(r pageRow) Hit {
	pl.present(&r.hit, r.typ, r.body, r.caseVisible, r.caseRef)
	return r.hit
}

// rankPage ranks pl.ranked (or every match, when nil) and adds the hits
// after the cursor to res until the page is full. It reports whether the
// page ended with hits left in this window, and sets res.Next when a hit
// follows the page. before is the window's bound, kept in cursors.
func (pl *plan) rankPage(ctx context.Context, q cases.Querier, res *Result, after cursor, before int64) (bool, error) {
	if pl.ranked != nil && len(pl.ranked) == 0 {
		return false, nil
	}
	need := pl.q.Limit - len(res.Hits)
	query, args := pl.hitsSQL(after, need+1)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var last cursor
	for rows.Next() {
		h, err := scanHit(rows)
		if err != nil {
			return false, fmt.Errorf("search: %w", err)
		}
		if len(res.Hits) == pl.q.Limit {
			res.Next = last.encode()
			return true, nil
		}
		res.Hits = append(res.Hits, pl.presented(h))
		last = cursor{rank: h.hit.Rank, row: h.row, typ: h.typ, id: h.hit.ID, before: before, valid: true}
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	if len(res.Hits) == pl.q.Limit && pl.dialect == store.SQLite && len(pl.ranked) == maxCount {
		// The page is full at the end of a full window: whether a hit
		// follows is for the next window to tell. Say so only if it has
		// one, so that the last page never offers an empty next one.
		next, err := pl.window(ctx, q, pl.ranked[len(pl.ranked)-1].row)
		if err != nil {
			return false, err
		}
		if len(next) > 0 {
			res.Next = last.encode()
		}
		return true, nil
	}
	return false, nil
}

// counts reads the total and the facets into res, from the hits counted
// (at most maxCount+1), and keeps the hits to rank: all of them, or on
// SQLite when there are more, the first window (the newest maxCount).
func (pl *plan) counts(ctx context.Context, q cases.Querier, res *Result) error {
	hits, err := pl.readCounted(ctx, q, 0, maxCount+1)
	if err != nil {
		return err
	}
	types, statuses, groups := map[string]int{}, map[string]int{}, map[string]int{}
	keys := []hitKey{}
	for _, h := range hits {
		res.Total++
		keys = append(keys, h.hitKey)
		types[h.typ]++
		if h.caseVisible {
			statuses[h.status]++
			groups[h.group]++
		}
	}
	res.More = res.Total > maxCount
	switch {
	case !res.More:
		pl.ranked = keys
	case pl.dialect == store.SQLite:
		pl.ranked = keys[:maxCount]
		res.Windowed = pl.q.Sort != SortDate
	}
	res.Facets = Facets{Types: sorted(types), Statuses: sorted(statuses), PracticeGroups: sorted(groups)}
	return nil
}

// sorted lists a facet's values, most hits first.
func sorted(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for v, n := range m {
		out = append(out, Count{Value: v, Count: n})
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value)) })
	return out
}
