// Package home computes a user's start page: the open cases they are
// responsible for, the deadlines in those cases, and the cases they opened
// last. Every list is read through the access predicate of its records,
// like every other read path, so a case or deadline the user may not see
// is in none of them: not listed and not counted.
package home

import (
	"context"
	"fmt"
	"slices"
	"time"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// KeepViews is how many recently viewed cases are kept per user.
const KeepViews = 20

// Service reads and records what the start page shows.
type Service struct {
	// Now is the clock views are recorded with; tests replace it.
	Now func() time.Time
}

// New returns the start page service.
func New() *Service { return &Service{Now: time.Now} }

// Case is a case in one of the start page's lists.
type Case struct {
	ID                    int64
	Number, Title, Client string
	Status                string
	// ViewedAt is when the user last opened it (recently viewed only).
	ViewedAt time.Time
}

// Deadline is an open event or deadline in one of the user's cases.
type Deadline struct {
	ID      int64
	Kind    string
	Title   string
	DueOn   string // YYYY-MM-DD
	Overdue bool
	Case    Case
}

// Deadlines is the start of the user's deadlines, soonest (so the overdue)
// first, with how many there are in all.
type Deadlines struct {
	Items          []Deadline
	Total, Overdue int
}

// mine is the condition that the case aliased c is one the user is
// responsible for.
const mine = `EXISTS (SELECT 1 FROM case_users u WHERE u.case_id = c.id AND u.user_id = ?)`

// openStatuses are the statuses of a case still being worked.
var openStatuses = []any{cases.StatusOpen, cases.StatusPending}

// caseWhere is the WHERE of the user's open cases: live, open or pending,
// theirs, and readable by them.
func caseWhere(p *identity.Principal) (string, []any) {
	pred := cases.Predicate(p.Subject, cases.TypeCase, access.Read, "c")
	where := `c.deleted_at = '' AND c.status IN (?, ?) AND ` + mine + ` AND ` + pred.SQL
	return where, append(append(slices.Clone(openStatuses), p.User.ID), pred.Args...)
}

// MyCases returns the user's open cases, the most recently changed first
// (at most limit), and how many there are.
func (s *Service) MyCases(ctx context.Context, t *tenancy.Handle, p *identity.Principal, limit int) ([]Case, int, error) {
	if !p.Subject.Allowed(access.Cases, access.Read) {
		return nil, 0, nil
	}
	where, args := caseWhere(p)
	var total int
	if err := t.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases c WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count my cases: %w", err)
	}
	rows, err := t.DB.QueryContext(ctx, `SELECT c.id, c.number, c.title, c.client, c.status FROM cases c WHERE `+where+
		` ORDER BY c.updated_at DESC, c.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list my cases: %w", err)
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		var c Case
		if err := rows.Scan(&c.ID, &c.Number, &c.Title, &c.Client, &c.Status); err != nil {
			return nil, 0, fmt.Errorf("list my cases: %w", err)
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// MyDeadlines returns the open events and deadlines of the user's open
// cases, soonest first (at most limit), those due before today marked
// overdue. today is the tenant's calendar date ("2006-01-02").
func (s *Service) MyDeadlines(ctx context.Context, t *tenancy.Handle, p *identity.Principal, today string, limit int) (*Deadlines, error) {
	out := &Deadlines{}
	if !p.Subject.Allowed(access.Cases, access.Read) {
		return out, nil
	}
	caseCond, args := caseWhere(p)
	ev := cases.Predicate(p.Subject, cases.TypeEvent, access.Read, "e")
	from := ` FROM case_events e JOIN cases c ON c.id = e.case_id
		WHERE e.done = 0 AND e.deleted_at = '' AND ` + ev.SQL + ` AND ` + caseCond
	args = append(slices.Clone(ev.Args), args...)
	if err := t.DB.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN e.due_on < ? THEN 1 ELSE 0 END), 0)`+from,
		append([]any{today}, args...)...).Scan(&out.Total, &out.Overdue); err != nil {
		return nil, fmt.Errorf("count my deadlines: %w", err)
	}
	rows, err := t.DB.QueryContext(ctx, `SELECT e.id, e.kind, e.title, e.due_on, c.id, c.number, c.title`+from+
		` ORDER BY e.due_on, e.id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list my deadlines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d Deadline
		if err := rows.Scan(&d.ID, &d.Kind, &d.Title, &d.DueOn, &d.Case.ID, &d.Case.Number, &d.Case.Title); err != nil {
			return nil, fmt.Errorf("list my deadlines: %w", err)
		}
		d.Overdue = d.DueOn < today
		out.Items = append(out.Items, d)
	}
	return out, rows.Err()
}

// RecentlyViewed returns the cases the user opened last, newest first (at
// most limit): those they may still read and that still exist.
func (s *Service) RecentlyViewed(ctx context.Context, t *tenancy.Handle, p *identity.Principal, limit int) ([]Case, error) {
	if !p.Subject.Allowed(access.Cases, access.Read) {
		return nil, nil
	}
	pred := cases.Predicate(p.Subject, cases.TypeCase, access.Read, "c")
	rows, err := t.DB.QueryContext(ctx, `SELECT c.id, c.number, c.title, c.client, c.status, v.viewed_at
		FROM case_views v JOIN cases c ON c.id = v.case_id
		WHERE v.user_id = ? AND c.deleted_at = '' AND `+pred.SQL+`
		ORDER BY v.viewed_at DESC, c.id DESC LIMIT ?`, append(append([]any{p.User.ID}, pred.Args...), limit)...)
	if err != nil {
		return nil, fmt.Errorf("list recently viewed cases: %w", err)
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		var c Case
		var at string
		if err := rows.Scan(&c.ID, &c.Number, &c.Title, &c.Client, &c.Status, &at); err != nil {
			return nil, fmt.Errorf("list recently viewed cases: %w", err)
		}
		if c.ViewedAt, err = store.ParseTime(at); err != nil {
			return nil, fmt.Errorf("recently viewed case %d: %w", c.ID, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RecordView notes that the user opened case id, keeping their newest
// KeepViews views. A case the user may not read is not recorded.
func (s *Service) RecordView(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64) error {
	if err := cases.Visible(ctx, t.DB, p.Subject, cases.TypeCase, id, access.Read); err != nil {
		return err
	}
	now := store.FormatTime(s.Now())
	return t.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_views (user_id, case_id, viewed_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id, case_id) DO UPDATE SET viewed_at = excluded.viewed_at`, p.User.ID, id, now); err != nil {
			return fmt.Errorf("record case view: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM case_views WHERE user_id = ? AND case_id NOT IN
			(SELECT case_id FROM case_views WHERE user_id = ? ORDER BY viewed_at DESC, case_id DESC LIMIT ?)`,
			p.User.ID, p.User.ID, KeepViews); err != nil {
			return fmt.Errorf("trim case views: %w", err)
		}
		return nil
	})
}

// ResponsibleFor counts the live cases user is responsible for that the
// viewer may read: what the viewer is told a change to the user touches.
func (s *Service) ResponsibleFor(ctx context.Context, t *tenancy.Handle, viewer *identity.Principal, user int64) (int, error) {
	if !viewer.Subject.Allowed(access.Cases, access.Read) {
		return 0, nil
	}
	pred := cases.Predicate(viewer.Subject, cases.TypeCase, access.Read, "c")
	var n int
	err := t.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases c WHERE c.deleted_at = '' AND `+mine+` AND `+pred.SQL,
		append([]any{user}, pred.Args...)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count a user's cases: %w", err)
	}
	return n, nil
}
