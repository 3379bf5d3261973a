package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// importedFinancial is a validated row of a financial import.
type importedFinancial struct {
	line   int
	caseID int64
	in     FinancialInput
	amount int64
}

// ImportFinancial imports financial records from CSV with
// FinancialImportHeader, like ImportCases: a dry run validates, a commit
// writes all rows in one transaction or none. Each row's case_number must
// name a case the user can see; a hidden case is reported exactly like a
// missing one.
func (s *Service) ImportFinancial(ctx context.Context, t *tenancy.Handle, p *identity.Principal, r io.Reader, dryRun bool) (*ImportReport, error) {
	ctx = store.WithTimeout(ctx, ImportTimeout)
	if err := p.Subject.Require(access.Financial, access.Edit); err != nil {
		return nil, err
	}
	if err := p.Subject.Require(access.Cases, access.Read); err != nil {
		return nil, err
	}
	report := &ImportReport{DryRun: dryRun}
	rows := readCSV(r, FinancialImportHeader, report)
	if len(rows) == 0 && !report.Valid() {
		return report, report.refusal()
	}
	var records []importedFinancial
	for _, row := range rows {
		f := row.fields
		rec := importedFinancial{line: row.line, in: FinancialInput{Kind: strings.ToLower(strings.TrimSpace(f[1])),
			Amount: strings.TrimSpace(f[2]), Currency: strings.TrimSpace(f[3]), OccurredOn: strings.TrimSpace(f[4]),
			Description: strings.TrimSpace(f[5])}}
		amount, err := rec.in.validate()
		if strings.TrimSpace(f[0]) == "" {
			report.fail(row.line, "case_number", "The case number is required.")
		}
		if err != nil {
			report.failErr(row.line, err)
		}
		if err != nil || strings.TrimSpace(f[0]) == "" {
			continue
		}
		rec.amount = amount
		records = append(records, rec)
	}
	resolve := func(q Querier) error {
		return resolveCases(ctx, q, p, rows, records, report)
	}
	if dryRun || !report.Valid() {
		if err := resolve(t.DB); err != nil {
			return nil, err
		}
		return report, report.refusal()
	}
	err := t.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := resolve(tx); err != nil {
			return err
		}
		if !report.Valid() {
			return report.refusal()
		}
		return s.insertImportedFinancial(ctx, tx, t, p, records, report)
	})
	if err != nil {
		report.Created = 0
		return report, err
	}
	return report, nil
}

// resolveCases finds the case of every record by number, among the live
// cases the user may see.
func resolveCases(ctx context.Context, q Querier, p *identity.Principal, rows []csvRow, records []importedFinancial, report *ImportReport) error {
	numbers := map[int]string{}
	for _, row := range rows {
		numbers[row.line] = strings.TrimSpace(row.fields[0])
	}
	pred := Predicate(p.Subject, TypeCase, access.Read, "c")
	found := map[string]int64{}
	for i := range records {
		number := numbers[records[i].line]
		id, ok := found[number]
		if !ok {
			err := q.QueryRowContext(ctx, `SELECT c.id FROM cases c WHERE c.number = ? AND c.deleted_at = '' AND `+pred.SQL,
				append([]any{number}, pred.Args...)...).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				id = 0
			} else if err != nil {
				return fmt.Errorf("find case %q: %w", number, err)
			}
			found[number] = id
		}
		if id == 0 {
			report.fail(records[i].line, "case_number", "There is no such case.")
			continue
		}
		records[i].caseID = id
	}
	return nil
}

// insertImportedFinancial writes validated records and their audit events
// in one batch.
func (s *Service) insertImportedFinancial(ctx context.Context, tx *store.Tx, t *tenancy.Handle, p *identity.Principal, records []importedFinancial, report *ImportReport) error {
	now := s.now()
	events := make([]audit.Event, 0, len(records)+1)
	for i := range records {
		r := &records[i]
		id, err := insertFinancial(ctx, tx, r.caseID, &r.in, r.amount, now)
		if err != nil {
			return err
		}
		c := financialCreated(id, r.caseID, &r.in, r.amount)
		c.details = map[string]string{"import": "csv", "line": strconv.Itoa(r.line)}
		events = append(events, event(p, c))
	}
	events = append(events, event(p, change{action: "financial.import", objType: "import",
		details: map[string]string{"rows": strconv.Itoa(len(records))}}))
	if _, err := t.Audit.AppendBatch(ctx, tx, events); err != nil {
		return fmt.Errorf("audit financial import: %w", err)
	}
	report.Created = len(records)
	return nil
}
