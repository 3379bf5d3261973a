package cases

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// importedCase is a validated row of a case import.
type importedCase struct {
	line int
	in   CaseInput
}

// ImportCases imports cases from CSV with CaseImportHeader. A dry run
// validates every row against the database and writes nothing. A commit
// writes every case, with its audit event, in one transaction, or nothing
// at all: any row error refuses the whole file with an EINVALID error
// naming the first error's line and field (the report lists them all).
func (s *Service) ImportCases(ctx context.Context, t *tenancy.Handle, p *identity.Principal, r io.Reader, dryRun bool) (*ImportReport, error) {
	ctx = store.WithTimeout(ctx, ImportTimeout)
	if err := p.Subject.Require(access.Cases, access.Edit); err != nil {
		return nil, err
	}
	report := &ImportReport{DryRun: dryRun}
	rows := readCSV(r, CaseImportHeader, report)
	if len(rows) == 0 && !report.Valid() {
		return report, report.refusal()
	}
	classes, err := classNames(ctx, t.DB)
	if err != nil {
		return nil, err
	}
	today := s.Now().UTC().Format(dateLayout)
	var cases []importedCase
	numbers := map[string]int{} // typed-in number → line
	for _, row := range rows {
		in, err := caseRow(row.fields, classes, today, p)
		if err != nil {
			report.failErr(row.line, err)
			continue
		}
		if in.Number != "" {
			key := strings.ToLower(in.Number)
			if prev, dup := numbers[key]; dup {
				report.fail(row.line, "number", "This number is also on line %d.", prev)
				continue
			}
			numbers[key] = row.line
		}
		cases = append(cases, importedCase{line: row.line, in: in})
	}
	if dryRun {
		if err := checkNumbersFree(ctx, t.DB, cases, report); err != nil {
			return nil, err
		}
		return report, report.refusal()
	}
	if !report.Valid() {
		return report, report.refusal()
	}
	err = t.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := checkNumbersFree(ctx, tx, cases, report); err != nil {
			return err
		}
		if !report.Valid() {
			return report.refusal()
		}
		return s.insertImportedCases(ctx, tx, t, p, cases, report)
	})
	if uniqueViolation(err) {
		err = strongroom.Errorf(strongroom.ECONFLICT, "Another case took one of these numbers at the same moment; nothing was imported. Try again.")
	}
	if err != nil {
		report.Created = 0
		return report, err
	}
	return report, nil
}

// caseRow reads one row of a case import into a validated CaseInput.
func caseRow(f []string, classes map[string]int64, today string, p *identity.Principal) (CaseInput, error) {
	in := CaseInput{Number: strings.TrimSpace(f[0]), Title: strings.TrimSpace(f[1]), Client: strings.TrimSpace(f[2]),
		PracticeGroup: strings.TrimSpace(f[3]), Status: strings.ToLower(strings.TrimSpace(f[4])),
		OpenedOn: strings.TrimSpace(f[5]), ClosedOn: strings.TrimSpace(f[6]), Tags: splitList(f[7])}
	var ps strongroom.Problems
	for _, name := range splitList(f[8]) {
		id, ok := classes[strings.ToLower(name)]
		if !ok {
			ps.Addf("classes", "There is no security class named %q.", name)
			continue
		}
		in.Classes = append(in.Classes, id)
	}
	ps.Add(in.normalize(today))
	if !ps.Has("classes") {
		own, err := ownClasses(p.Subject, nil, in.Classes)
		if err == nil {
			in.Classes = own
			err = stillVisible(p.Subject, access.Cases, in.Classes, "case")
		}
		ps.Add(err)
	}
	return in, ps.Err()
}

// classNames maps security class names (lower case) and ids to ids.
func classNames(ctx context.Context, q Querier) (map[string]int64, error) {
	all, err := choices(ctx, q, `SELECT id, name FROM security_classes`)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, c := range all {
		out[strings.ToLower(c.Name)] = c.ID
		out[strconv.FormatInt(c.ID, 10)] = c.ID
	}
	return out, nil
}

// checkNumbersFree reports typed-in numbers that a case already has.
func checkNumbersFree(ctx context.Context, q Querier, cases []importedCase, report *ImportReport) error {
	for _, c := range cases {
		if c.in.Number == "" {
			continue
		}
		n, err := count(ctx, q, `SELECT COUNT(*) FROM cases WHERE number = ?`, c.in.Number)
		if err != nil {
			return err
		}
		if n > 0 {
			report.fail(c.line, "number", "This case number is already taken.")
		}
	}
	return nil
}

// insertImportedCases writes validated cases, generating missing numbers,
// and their audit events in one batch.
func (s *Service) insertImportedCases(ctx context.Context, tx *store.Tx, t *tenancy.Handle, p *identity.Principal, cases []importedCase, report *ImportReport) error {
	next := map[string]int64{} // year → last generated sequence
	taken := map[string]bool{}
	for _, c := range cases {
		taken[c.in.Number] = true
	}
	now := s.now()
	events := make([]audit.Event, 0, len(cases)+1)
	for i := range cases {
		in := &cases[i].in
		for in.Number == "" {
			year := in.OpenedOn[:4]
			if _, ok := next[year]; !ok {
				n, err := nextNumber(ctx, tx, year)
				if err != nil {
					return err
				}
				seq, _ := generatedSeq(n, year)
				next[year] = seq - 1
			}
			next[year]++
			if n := fmt.Sprintf("%s-%05d", year, next[year]); !taken[n] {
				in.Number = n
			}
		}
		if err := CheckClasses(ctx, tx, in.Classes); err != nil {
			return err
		}
		id, err := insertCase(ctx, tx, in, now)
		if err != nil {
			return err
		}
		events = append(events, event(p, change{action: "case.create", objType: "case", id: id, changes: caseFields(in),
			details: map[string]string{"import": "csv", "line": strconv.Itoa(cases[i].line)}}))
	}
	events = append(events, event(p, change{action: "case.import", objType: "import",
		details: map[string]string{"rows": strconv.Itoa(len(cases))}}))
	if _, err := t.Audit.AppendBatch(ctx, tx, events); err != nil {
		return fmt.Errorf("audit case import: %w", err)
	}
	report.Created = len(cases)
	return nil
}
