package reports

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/tenancy"
)

// The groupings of the financial report.
const (
	ByKind     = "kind"
	ByMonth    = "month"
	ByCase     = "case"
	ByCurrency = "currency"
)

// Groupings lists the groupings of the financial report, the default first.
func Groupings() []string { return []string{ByKind, ByMonth, ByCase, ByCurrency} }

// FinancialRow is the total of one group in one currency. Currencies are
// never added together.
type FinancialRow struct {
	Key      string // the kind, the month (YYYY-MM), the case number or the currency
	CaseID   int64  // grouped by case: the case, or 0 for cases the user may not see
	Label    string // grouped by case: the case's title, or "(case not shown)"
	Currency string
	Total    Money
	Count    int
}

// CurrencyTotal is the total of every row in one currency.
type CurrencyTotal struct {
	Currency string
	Total    Money
	Count    int
}

// Financial is the report of financial totals.
type Financial struct {
	By     string
	Rows   []FinancialRow
	Totals []CurrencyTotal // by currency, most records first
}

// hiddenCase labels the records whose case the user may not see.
const hiddenCase = "(case not shown)"

// Financial sums the financial records the user may read that occurred
// within rng, grouped by by (kind when empty) and currency. Grouped by
// month, the newest month comes first.
func (s *Service) Financial(ctx context.Context, h *tenancy.Handle, p *identity.Principal, by string, rng Range) (*Financial, error) {
	if by == "" {
		by = ByKind
	}
	if !slices.Contains(Groupings(), by) {
		return nil, strongroom.FieldError("by", "Group by one of: %s.", strings.Join(Groupings(), ", "))
	}
	if err := require(p, access.Financial); err != nil {
		return nil, err
	}
	query, args := financialSQL(p, by, rng)
	rows, err := h.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("financial report: %w", err)
	}
	defer rows.Close()
	out := &Financial{By: by, Rows: []FinancialRow{}}
	totals := map[string]*CurrencyTotal{}
	for rows.Next() {
		var r FinancialRow
		var sum string
		if err := rows.Scan(&r.Key, &r.CaseID, &r.Label, &r.Currency, &sum, &r.Count); err != nil {
			return nil, err
		}
		e4, err := parseE4(sum)
		if err != nil {
			return nil, err
		}
		r.Total = Money{Currency: r.Currency}
		r.Total.add(e4)
		if by == ByCase && r.CaseID == 0 {
			r.Key, r.Label = "", hiddenCase
		}
		out.Rows = append(out.Rows, r)
		t := totals[r.Currency]
		if t == nil {
			t = &CurrencyTotal{Currency: r.Currency, Total: Money{Currency: r.Currency}}
			totals[r.Currency] = t
		}
		t.Total.add(e4)
		t.Count += r.Count
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, t := range totals {
		out.Totals = append(out.Totals, *t)
	}
	slices.SortFunc(out.Totals, func(a, b CurrencyTotal) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Currency, b.Currency)
	})
	return out, nil
}

// financialSQL groups the readable, undeleted financial records of
// undeleted cases.
//
// The records are summed without reading their cases: the few deleted
// cases are set aside once (NOT IN, through the index of deleted cases),
// instead of looking up the case of each of a few hundred thousand
// records (which was most of a report's time at a million records).
// Grouped by case, the records are first summed per case and currency,
// and only then is each case read, with whether the user may see it: the
// rows of the cases they may not see come together under one key.
func financialSQL(p *identity.Principal, by string, rng Range) (string, []any) {
	fin := predicate(p, cases.TypeFinancial, "f")
	in, inArgs := rng.sql("f.occurred_on")
	live := `f.deleted_at = '' AND ` + in + ` AND f.case_id NOT IN (SELECT d.id FROM cases d WHERE d.deleted_at <> '') AND ` + fin.SQL
	finArgs := append(inArgs, fin.Args...)
	if by == ByCase {
		cv := predicate(p, cases.TypeCase, "c")
		visible := `CASE WHEN ` + cv.SQL + ` THEN 1 ELSE 0 END`
		query := `SELECT CASE WHEN x.v = 1 THEN x.number ELSE '' END, CASE WHEN x.v = 1 THEN x.case_id ELSE 0 END,
			CASE WHEN x.v = 1 THEN x.title ELSE '' END, x.currency, CAST(SUM(x.total) AS TEXT), SUM(x.n)
			FROM (SELECT s.case_id, s.currency, s.total, s.n, c.number, c.title, ` + visible + ` AS v
				FROM (SELECT f.case_id, f.currency, SUM(f.amount_e4) AS total, COUNT(*) AS n FROM financial_records f
					WHERE ` + live + ` GROUP BY f.case_id, f.currency) AS s
				JOIN cases c ON c.id = s.case_id) AS x
			GROUP BY 1, 2, 3, 4 ORDER BY 1, 4`
		return query, append(append([]any{}, cv.Args...), finArgs...)
	}
	key := map[string]string{
		ByKind:     "f.kind",
		ByMonth:    "substr(f.occurred_on, 1, 7)",
		ByCurrency: "f.currency",
	}[by]
	order := "1, 4"
	if by == ByMonth {
		order = "1 DESC, 4"
	}
	query := `SELECT ` + key + `, 0, '', f.currency, CAST(SUM(f.amount_e4) AS TEXT), COUNT(*)
		FROM financial_records f WHERE ` + live + `
		GROUP BY 1, 4 ORDER BY ` + order
	return query, finArgs
}
