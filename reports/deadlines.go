package reports

import (
	"context"
	"fmt"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/tenancy"
)

// CaseRef names the case a record is in.
type CaseRef struct {
	ID     int64
	Number string
	Title  string
}

// Deadline is one open deadline.
type Deadline struct {
	ID      int64
	Title   string
	DueOn   string // YYYY-MM-DD
	Overdue bool
	// Case is the case of the deadline, when the user may see it.
	Case *CaseRef
}

// Deadlines is the report of open deadlines: events of kind "deadline"
// not yet done, in cases not deleted.
type Deadlines struct {
	Today   string
	Buckets []Count    // overdue, due within 7, 30, 90 days, later
	Items   []Deadline // soonest first, at most the limit asked for
	Total   int        // every deadline counted, listed or not
}

// bucketLabels name the due-date buckets, in order.
var bucketLabels = []string{"Overdue", "Due within 7 days", "Due in 8–30 days", "Due in 31–90 days", "Due later"}

// Deadlines lists the open deadlines the user may read, soonest first (at
// most limit of them after the first offset; all when limit is 0), and
// counts them by when they are due. One pass over the open deadlines gives
// both.
//
// rng keeps only the deadlines due within it; the buckets count those.
func (s *Service) Deadlines(ctx context.Context, h *tenancy.Handle, p *identity.Principal, rng Range, limit, offset int) (*Deadlines, error) {
	if err := require(p, access.Cases); err != nil {
		return nil, err
	}
	today := s.Now().UTC()
	day := func(n int) string { return today.AddDate(0, 0, n).Format("2006-01-02") }
	out := &Deadlines{Today: day(0), Items: []Deadline{}}
	ev := predicate(p, cases.TypeEvent, "e")
	cv := predicate(p, cases.TypeCase, "c")
	in, inArgs := rng.sql("e.due_on")
	// The access predicate comes first: it needs only the index entry, so
	// a hidden deadline costs no read of its row.
	rows, err := h.DB.QueryContext(ctx, `SELECT e.id, e.title, e.due_on, c.id, c.number, c.title, CASE WHEN `+cv.SQL+` THEN 1 ELSE 0 END
		FROM case_events e JOIN cases c ON c.id = e.case_id
		WHERE `+ev.SQL+` AND e.kind = 'deadline' AND e.done = 0 AND e.deleted_at = '' AND c.deleted_at = '' AND `+in+`
		ORDER BY e.due_on, e.id`, append(append(append([]any{}, cv.Args...), ev.Args...), inArgs...)...)
	if err != nil {
		return nil, fmt.Errorf("deadlines report: %w", err)
	}
	defer rows.Close()
	limits := []string{day(0), day(7), day(30), day(90)}
	counts := make([]int, len(bucketLabels))
	for rows.Next() {
		var d Deadline
		var c CaseRef
		var visible int
		if err := rows.Scan(&d.ID, &d.Title, &d.DueOn, &c.ID, &c.Number, &c.Title, &visible); err != nil {
			return nil, err
		}
		b := len(limits)
		for i, l := range limits {
			if d.DueOn < l || (i > 0 && d.DueOn <= l) {
				b = i
				break
			}
		}
		counts[b]++
		out.Total++
		if out.Total <= offset || (limit > 0 && len(out.Items) == limit) {
			continue
		}
		d.Overdue = d.DueOn < out.Today
		if visible == 1 {
			d.Case = &c
		}
		out.Items = append(out.Items, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, l := range bucketLabels {
		out.Buckets = append(out.Buckets, Count{Label: l, Count: counts[i]})
	}
	return out, nil
}
