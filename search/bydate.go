package search

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"strongroom"
	"strongroom/cases"
)

// The orders a search's hits come in.
const (
	SortRelevance = "relevance" // best match first (the default)
	SortDate      = "date"      // newest case first (by the day it was opened)
)

// Sorted by date, hits come by the day their case was opened, newest
// first, then by record type and id. A hit whose case the user may not see
// has no date (it would tell something about that case) and comes after
// every dated hit. Every match is read in that order, so a date-sorted
// search of a common word costs a sort of its matches; the total and the
// facets are the same as sorted by relevance.

// openedOn is the date a hit sorts by: its case's opening day when the
// user may see the case, else the empty string.
func (p *plan) openedOn() (string, []any) {
	cv := p.caseVisible()
	return `CASE WHEN ` + cv.SQL + ` THEN c.opened_on ELSE '' END`, cv.Args
}

// dateSQL is the query of up to limit hits by date after the cursor.
func (p *plan) dateSQL(after dateCursor, limit int) (string, []any) {
	var b sqlBuf
	cv := p.caseVisible()
	opened, openedArgs := p.openedOn()
	b.add(`SELECT * FROM (SELECT 0 AS row_id, si.record_type AS record_type, si.record_id AS record_id, si.title AS title, `)
	p.bodyColumns(&b)
	b.add(`, CAST(0 AS DOUBLE PRECISION) AS rank, c.id AS case_id, c.number AS number, c.title AS case_title, `+opened+` AS opened,
		CASE WHEN `+cv.SQL+` THEN 1 ELSE 0 END AS case_visible `, append(append([]any{}, openedArgs...), cv.Args...)...)
	p.from(&b, false, 0)
	p.where(&b)
	b.add(`) AS h`)
	if after.valid {
		b.add(` WHERE (h.opened < ? OR (h.opened = ? AND (h.record_type > ? OR (h.record_type = ? AND h.record_id > ?))))`,
			after.opened, after.opened, after.typ, after.typ, after.id)
	}
	b.add(` ORDER BY h.opened DESC, h.record_type, h.record_id LIMIT ?`, limit)
	return b.String(), b.args
}

// datePage reads one page of hits by date into res.
func (pl *plan) datePage(ctx context.Context, q cases.Querier, res *Result) error {
	after, err := decodeDateCursor(pl.q.Cursor)
	if err != nil {
		return err
	}
	query, args := pl.dateSQL(after, pl.q.Limit+1)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("search by date: %w", err)
	}
	defer rows.Close()
	var last dateCursor
	for rows.Next() {
		h, err := scanHit(rows)
		if err != nil {
			return fmt.Errorf("search by date: %w", err)
		}
		if len(res.Hits) == pl.q.Limit {
			res.Next = last.encode()
			return nil
		}
		res.Hits = append(res.Hits, pl.presented(h))
		last = dateCursor{opened: h.caseRef.OpenedOn, typ: h.typ, id: h.hit.ID, valid: true}
	}
	return rows.Err()
}

// dateCursor is where a page sorted by date ends: the last hit's date,
// type and id.
type dateCursor struct {
	opened string
	typ    string
	id     int64
	valid  bool
}

func (c dateCursor) encode() string {
	s := strings.Join([]string{"d", c.opened, c.typ, strconv.FormatInt(c.id, 10)}, "|")
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeDateCursor(s string) (dateCursor, error) {
	if s == "" {
		return dateCursor{}, nil
	}
	bad := strongroom.FieldError("cursor", "This link to more results is no longer valid; search again.")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if len(s) > 200 || err != nil {
		return dateCursor{}, bad
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 4 || parts[0] != "d" || (parts[1] != "" && !isDay(parts[1])) || !cases.RecordType(parts[2]).Valid() {
		return dateCursor{}, bad
	}
	id, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil {
		return dateCursor{}, bad
	}
	return dateCursor{opened: parts[1], typ: parts[2], id: id, valid: true}, nil
}
