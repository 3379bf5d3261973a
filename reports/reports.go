// Package reports computes the tenant's reports: cases by status and
// practice group; financial totals by case, kind, currency and month; and
// open deadlines. Each is shown as a page with a chart, given as JSON, and
// exported as CSV; every export is audited.
//
// A report needs read access to reports and to the area of the records it
// sums (cases, or financial records), and it reads only the records the
// user may read: its WHERE is the access predicate of those records, so a
// hidden record is in no total, count or row. Case details (number, title)
// are shown beside a record only when the user may see that case too.
package reports

import (
	"context"
	"fmt"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/tenancy"
)

// Service computes reports on the tenant a request names.
type Service struct {
	// Now is the clock deadlines are measured against.
	Now func() time.Time
}

// New returns the reports service.
func New() *Service { return &Service{Now: time.Now} }

// Names of the reports, as URLs and audit events spell them.
const (
	CasesReport     = "cases"
	FinancialReport = "financial"
	DeadlinesReport = "deadlines"
)

// Names lists the reports.
func Names() []string { return []string{CasesReport, FinancialReport, DeadlinesReport} }

// require checks the user may read reports and the area a report sums.
func require(p *identity.Principal, area access.Area) error {
	if err := p.Subject.Require(access.Reports, access.Read); err != nil {
		return err
	}
	return p.Subject.Require(area, access.Read)
}

// predicate is the access predicate of records of type t aliased alias.
func predicate(p *identity.Principal, t cases.RecordType, alias string) access.Predicate {
	return cases.Predicate(p.Subject, t, access.Read, alias)
}

// Count is a labelled number.
type Count struct {
	Label string
	Count int
}

// StatusGroup is the number of cases with one status in one practice group.
type StatusGroup struct {
	Status        string
	PracticeGroup string
	Count         int
}

// Cases is the report of cases by status and practice group.
type Cases struct {
	Rows     []StatusGroup // by practice group, then status
	Statuses []Count       // every status, in display order
	Groups   []Count       // every practice group, largest first
	Total    int
}

// caseStatuses are the statuses of a case, in display order.
var caseStatuses = []string{"open", "pending", "closed", "archived"}

// Cases counts the cases the user may read, opened within rng, by status
// and practice group.
func (s *Service) Cases(ctx context.Context, h *tenancy.Handle, p *identity.Principal, rng Range) (*Cases, error) {
	if err := require(p, access.Cases); err != nil {
		return nil, err
	}
	pred := predicate(p, cases.TypeCase, "c")
	in, inArgs := rng.sql("c.opened_on")
	rows, err := h.DB.QueryContext(ctx, `SELECT c.status, c.practice_group, COUNT(*) FROM cases c
		WHERE c.deleted_at = '' AND `+in+` AND `+pred.SQL+` GROUP BY c.status, c.practice_group ORDER BY c.practice_group, c.status`,
		append(inArgs, pred.Args...)...)
	if err != nil {
		return nil, fmt.Errorf("cases report: %w", err)
	}
	defer rows.Close()
	out := &Cases{Rows: []StatusGroup{}}
	statuses, groups := map[string]int{}, map[string]int{}
	for rows.Next() {
		var r StatusGroup
		if err := rows.Scan(&r.Status, &r.PracticeGroup, &r.Count); err != nil {
			return nil, err
		}
		out.Rows = append(out.Rows, r)
		out.Total += r.Count
		statuses[r.Status] += r.Count
		groups[r.PracticeGroup] += r.Count
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, st := range caseStatuses {
		out.Statuses = append(out.Statuses, Count{Label: st, Count: statuses[st]})
	}
	out.Groups = largestFirst(groups)
	return out, nil
}

// unknown is an error for a report name nothing knows.
func unknown() error { return strongroom.Errorf(strongroom.ENOTFOUND, "No such report.") }
