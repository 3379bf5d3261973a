package reports

import (
	"cmp"
	"context"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"

	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Table is a report as rows of text, ready to be written as CSV.
type Table struct {
	Filename string
	Header   []string
	Rows     [][]string
}

// Export computes a report as a table and records the export in the audit
// trail (who, which report, how many rows); only once that is committed
// does it return the table for the caller to send. by is the grouping of
// the financial report; rng the days the report covers.
func (s *Service) Export(ctx context.Context, h *tenancy.Handle, p *identity.Principal, name, by string, rng Range) (*Table, error) {
	var t *Table
	switch name {
	case CasesReport:
		r, err := s.Cases(ctx, h, p, rng)
		if err != nil {
			return nil, err
		}
		t = casesTable(r)
	case FinancialReport:
		r, err := s.Financial(ctx, h, p, by, rng)
		if err != nil {
			return nil, err
		}
		t = financialTable(r)
		by = r.By
	case DeadlinesReport:
		r, err := s.Deadlines(ctx, h, p, rng, 0, 0)
		if err != nil {
			return nil, err
		}
		t = deadlinesTable(r)
	default:
		return nil, unknown()
	}
	details := map[string]string{"report": name, "format": "csv", "rows": strconv.Itoa(len(t.Rows))}
	if name == FinancialReport {
		details["by"] = by
	}
	rng.details(details)
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: "report.export",
			ObjectType: "report", ObjectID: name, Details: details})
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

func casesTable(r *Cases) *Table {
	t := &Table{Filename: "cases-by-status.csv", Header: []string{"practice_group", "status", "cases"}}
	for _, row := range r.Rows {
		t.Rows = append(t.Rows, []string{cell(row.PracticeGroup), row.Status, strconv.Itoa(row.Count)})
	}
	return t
}

func financialTable(r *Financial) *Table {
	t := &Table{Filename: "financial-by-" + r.By + ".csv"}
	if r.By == ByCase {
		t.Header = []string{"case_number", "case_title", "currency", "total", "records"}
	} else {
		t.Header = []string{r.By, "currency", "total", "records"}
	}
	for _, row := range r.Rows {
		line := []string{cell(row.Key)}
		if r.By == ByCase {
			line = append(line, cell(row.Label))
		}
		t.Rows = append(t.Rows, append(line, row.Currency, row.Total.String(), strconv.Itoa(row.Count)))
	}
	return t
}

func deadlinesTable(r *Deadlines) *Table {
	t := &Table{Filename: "open-deadlines.csv", Header: []string{"due_on", "title", "case_number", "case_title", "overdue"}}
	for _, d := range r.Items {
		var number, title string
		if d.Case != nil {
			number, title = d.Case.Number, d.Case.Title
		}
		t.Rows = append(t.Rows, []string{d.DueOn, cell(d.Title), cell(number), cell(title), strconv.FormatBool(d.Overdue)})
	}
	return t
}

// cell guards a text value against spreadsheet formulas: a cell starting
// with = + - @ (or a tab or carriage return) is prefixed with a quote.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV writes the table as CSV.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	if err := cw.WriteAll(t.Rows); err != nil {
		return err
	}
	return cw.Error()
}

// largestFirst lists counts, largest first, then by label.
func largestFirst(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for l, n := range m {
		out = append(out, Count{Label: l, Count: n})
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Label, b.Label)) })
	return out
}
