package metrics

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/tenancy"
)

// CaseMetric is a figure computed from the tenant's case data when it is
// asked for, through the reader's access predicate: a record the reader
// may not see is in no count, sum or average. Its name is its metric name
// in a Query ("case.open"), so a widget reads it as it reads a stored one.
type CaseMetric string

const (
	// OpenCases counts the cases now open or pending (dimensions status,
	// practice_group).
	OpenCases CaseMetric = "case.open"
	// CasesOpened counts cases by the day they were opened.
	CasesOpened CaseMetric = "case.opened"
	// CasesClosed counts cases by the day they were closed.
	CasesClosed CaseMetric = "case.closed"
	// CaseAge is the average age in days of the cases now open or pending.
	CaseAge CaseMetric = "case.age_days"
	// Billed, Collected and Trust sum invoices, payments and trust deposits
	// by the day they occurred, per currency (dimension currency):
	// amounts in different currencies are never added together.
	Billed    CaseMetric = "case.billed"
	Collected CaseMetric = "case.collected"
	Trust     CaseMetric = "case.trust"
	// DeadlinesDue counts the open deadlines by the day they are due.
	DeadlinesDue CaseMetric = "case.deadlines_due"
	// DeadlinesOverdue counts the open deadlines now past their day.
	DeadlinesOverdue CaseMetric = "case.deadlines_overdue"
	// DocumentsAdded counts documents by when they were added.
	DocumentsAdded CaseMetric = "case.documents_added"
)

// caseDef says how a CaseMetric is computed.
type caseDef struct {
	label   string
	unit    string
	record  cases.RecordType // whose predicate and area
	current bool             // a figure of now: one bucket, no period
	agg     Agg
	// dims maps each dimension to its column.
	dims map[string]string
	// from, where: the tables and the conditions besides range and access.
	from, where string
	// day is the column dating a record: a day (YYYY-MM-DD), or with
	// hourly, a stored time cut to its hour (UTC).
	day    string
	hourly bool
	// value is summed per group: "" counts records; amount sums money.
	amount bool
}

var caseCols = map[string]string{"status": "c.status", "practice_group": "c.practice_group"}

const (
	liveCase = `c.deleted_at = ''`
	openCase = `c.deleted_at = '' AND c.status IN ('open', 'pending')`
	// liveFinancial sets the few deleted cases aside once, as the
	// financial report does, rather than reading each record's case.
	liveFinancial = `f.deleted_at = '' AND f.case_id NOT IN (SELECT d.id FROM cases d WHERE d.deleted_at <> '')`
	openDeadline  = `e.kind = 'deadline' AND e.done = 0 AND e.deleted_at = '' AND c.deleted_at = ''`
)

func money(label, kind string) caseDef {
	return caseDef{label: label, record: cases.TypeFinancial, agg: Sum, amount: true,
		dims: map[string]string{"currency": "f.currency"}, from: "financial_records f",
		where: liveFinancial + " AND f.kind = '" + kind + "'", day: "f.occurred_on"}
}

// Record dimensions are their own columns only: a deadline or document
// is never grouped by a column of its case, which the reader may not be
// allowed to see.
var caseDefs = map[CaseMetric]caseDef{
	OpenCases:   {label: "Open cases", record: cases.TypeCase, current: true, agg: Count, dims: caseCols, from: "cases c", where: openCase},
	CasesOpened: {label: "Cases opened", record: cases.TypeCase, agg: Count, dims: caseCols, from: "cases c", where: liveCase, day: "c.opened_on"},
	CasesClosed: {label: "Cases closed", record: cases.TypeCase, agg: Count, dims: map[string]string{"practice_group": "c.practice_group"},
		from: "cases c", where: liveCase + " AND c.closed_on <> ''", day: "c.closed_on"},
	CaseAge: {label: "Average age of open cases", unit: "days", record: cases.TypeCase, current: true, agg: Avg, dims: caseCols,
		from: "cases c", where: openCase, day: "c.opened_on"},
	Billed:       money("Billed", "invoice"),
	Collected:    money("Collected", "payment"),
	Trust:        money("Trust deposits", "trust_deposit"),
	DeadlinesDue: {label: "Deadlines due", record: cases.TypeEvent, agg: Count, from: "case_events e JOIN cases c ON c.id = e.case_id", where: openDeadline, day: "e.due_on"},
	DeadlinesOverdue: {label: "Overdue deadlines", record: cases.TypeEvent, current: true, agg: Count,
		from: "case_events e JOIN cases c ON c.id = e.case_id", where: openDeadline + " AND e.due_on < ?"},
	DocumentsAdded: {label: "Documents added", record: cases.TypeDocument, agg: Count,
		from: "documents d", where: "d.deleted_at = '' AND d.case_id NOT IN (SELECT x.id FROM cases x WHERE x.deleted_at <> '')",
		day: "substr(d.created_at, 1, 13)", hourly: true},
}

// CaseMetrics lists the kinds, by name.
func CaseMetrics() []CaseMetric {
	out := make([]CaseMetric, 0, len(caseDefs))
	for k := range caseDefs {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Label is the kind's human name.
func (k CaseMetric) Label() string { return caseDefs[k].label }

// Current reports whether the kind is a figure of now rather than of a
// period.
func (k CaseMetric) Current() bool { return caseDefs[k].current }

func (k CaseMetric) def() caseDef { return caseDefs[k] }

// caseKind reports whether a metric name is a CaseMetric kind.
func caseKind(name string) (CaseMetric, bool) {
	_, ok := caseDefs[CaseMetric(name)]
	return CaseMetric(name), ok
}

// alias is the table alias of the kind's records.
func (k CaseMetric) alias() string {
	return map[cases.RecordType]string{cases.TypeCase: "c", cases.TypeFinancial: "f", cases.TypeEvent: "e", cases.TypeDocument: "d"}[k.def().record]
}

// require checks the reader may read the kind's records' area (beside
// dashboards, which Series checks).
func (k CaseMetric) require(p *identity.Principal) error {
	return p.Subject.Require(k.def().record.Area(), access.Read)
}

// oneCurrency refuses a single figure of money over every currency.
func (k CaseMetric) oneCurrency(dims map[string]string) error {
	if k.def().amount && dims["currency"] == "" {
		return strongroom.FieldError("dimensions.currency", "Amounts in different currencies are never added together; choose a currency.")
	}
	return nil
}

// checkCase checks the parts of a query that depend on the kind.
func (k CaseMetric) checkCase(q *Query) error {
	d := k.def()
	var ps strongroom.Problems
	if q.Agg != "" && q.Agg != d.agg {
		ps.Addf("agg", "This figure is always computed with %s.", d.agg)
	}
	if d.current && q.Bucket != NoBucket {
		ps.Addf("bucket", "This figure is of the present moment; use bucket none.")
	}
	names := make([]string, 0, len(d.dims))
	for n := range d.dims {
		names = append(names, n)
	}
	slices.Sort(names)
	known := "none"
	if len(names) > 0 {
		known = strings.Join(names, ", ")
	}
	for n := range q.Dims {
		if _, ok := d.dims[n]; !ok {
			ps.Addf("dimensions."+n, "This figure's dimensions are: %s.", known)
		}
	}
	if _, ok := d.dims[q.GroupBy]; q.GroupBy != "" && !ok {
		ps.Addf("group_by", "This figure's dimensions are: %s.", known)
	}
	// Money is shown per currency unless one is chosen.
	if d.amount && q.Dims["currency"] == "" {
		if q.GroupBy != "" && q.GroupBy != "currency" {
			ps.Addf("group_by", "Amounts are grouped by currency unless one currency is chosen.")
		}
		q.GroupBy = "currency"
	}
	q.Agg = d.agg
	return ps.Err()
}

// caseSeries computes a case metric: one query that groups the readable
// records by day (or hour) and dimension in SQL, bucketed here in the
// query's zone.
func (s *Service) caseSeries(ctx context.Context, h *tenancy.Handle, p *identity.Principal, k CaseMetric, q *Query) (*Series, error) {
	if err := k.checkCase(q); err != nil {
		return nil, err
	}
	d := k.def()
	now := s.Now().In(q.Zone)
	today := now.Format(time.DateOnly)
	query, args := k.sql(p, q, today)
	rows, err := h.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("case metric %s: %w", k, err)
	}
	defer rows.Close()
	g := newGrid(q)
	todayStart, _ := time.ParseInLocation(time.DateOnly, today, q.Zone)
	for rows.Next() {
		var day, group, total string
		var n int
		if err := rows.Scan(&day, &group, &total, &n); err != nil {
			return nil, err
		}
		at, ok := q.From, true
		if d.day != "" {
			if at, ok = dayTime(day, d.hourly, q.Zone); !ok {
				continue
			}
		}
		sum := float64(n)
		switch {
		case d.amount:
			if sum, err = e4Sum(total); err != nil {
				return nil, err
			}
		case k == CaseAge:
			sum = float64(n) * todayStart.Sub(at).Hours() / 24
			at = q.From
		}
		if !d.current && (at.Before(q.From) || !at.Before(q.To)) {
			continue
		}
		c, err := g.cell(group, at)
		if err != nil {
			return nil, err
		}
		if c != nil {
			c.addN(sum, n, sum, sum, sum, at)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	groups := g.series(q.Agg)
	if d.amount {
		// Summed in ten-thousandths, which a float holds exactly up to
		// 2^53; divided once, so 0.1 + 0.7 is 0.8.
		for _, grp := range groups {
			for i := range grp.Buckets {
				grp.Buckets[i].Value /= 10000
			}
		}
	}
	return &Series{Metric: string(k), Label: d.label, Unit: d.unit, Bucket: q.Bucket, Agg: q.Agg, From: q.From, To: q.To,
		GroupBy: q.GroupBy, Groups: groups, Current: d.current}, nil
}

// sql builds the kind's query: SELECT day, group, total, count, grouped by
// the day and group columns it has, over the records the access predicate
// admits.
func (k CaseMetric) sql(p *identity.Principal, q *Query, today string) (string, []any) {
	d := k.def()
	pred := cases.Predicate(p.Subject, d.record, access.Read, k.alias())
	var args []any
	where := d.where
	if k == DeadlinesOverdue {
		args = append(args, today)
	}
	day, group := "''", "''"
	var groupBy []string
	if d.day != "" {
		day = d.day
		groupBy = append(groupBy, d.day)
		if !d.current {
			// A wide net in days; the exact range is applied to each
			// day's instant in the zone.
			lo, hi := q.From.UTC().AddDate(0, 0, -2).Format(time.DateOnly), q.To.UTC().AddDate(0, 0, 2).Format(time.DateOnly)
			where += " AND " + d.day + " >= ? AND " + d.day + " <= ?"
			args = append(args, lo, hi)
		}
	}
	if col, ok := d.dims[q.GroupBy]; ok {
		group = col
		groupBy = append(groupBy, col)
	}
	names := make([]string, 0, len(q.Dims))
	for n := range q.Dims {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		where += " AND " + d.dims[n] + " = ?"
		args = append(args, q.Dims[n])
	}
	total := "''"
	if d.amount {
		total = "CAST(SUM(f.amount_e4) AS TEXT)"
	}
	query := `SELECT ` + day + `, ` + group + `, ` + total + `, COUNT(*) FROM ` + d.from + ` WHERE ` + where + ` AND ` + pred.SQL
	if len(groupBy) > 0 {
		query += ` GROUP BY ` + strings.Join(groupBy, ", ")
	}
	return query, append(args, pred.Args...)
}

// dayTime is the instant a record's day (or UTC hour) begins in loc.
func dayTime(s string, hourly bool, loc *time.Location) (time.Time, bool) {
	if hourly {
		t, err := time.Parse("2006-01-02T15", s)
		return t, err == nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	return t, err == nil
}

// e4Sum reads an exact sum of ten-thousandths as the database returns it
// (an integer on SQLite, a numeric as text on PostgreSQL). The reports
// keep money exact; a dashboard figure is a float like every metric value.
func e4Sum(s string) (float64, error) {
	n, ok := new(big.Int).SetString(strings.TrimSpace(s), 10)
	if !ok {
		return 0, strongroom.Errorf(strongroom.EINTERNAL, "a stored amount total is not an integer")
	}
	f, _ := new(big.Float).SetInt(n).Float64()
	return f, nil
}
