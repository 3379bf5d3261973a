package cases

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"strongroom"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// FinancialKinds lists the kinds of financial record.
func FinancialKinds() []string {
	return []string{"fee", "expense", "invoice", "payment", "settlement", "trust_deposit"}
}

// Financial is a financial record of a case. The amount is exact.
type Financial struct {
	RecordBase
	Kind        string
	AmountE4    int64 // ten-thousandths of the currency unit
	Currency    string
	OccurredOn  string
	Description string
}

// Amount is the amount as a decimal string ("1234.50").
func (f *Financial) Amount() string { return FormatAmount(f.AmountE4) }

// FinancialInput is what a user sets on a financial record. Amount is a
// decimal string; Classes are the record's own (none: it inherits its
// case's); Version is the version an edit is based on.
type FinancialInput struct {
	Kind        string
	Amount      string
	Currency    string
	OccurredOn  string
	Description string
	Classes     []int64
	Version     int
}

// Input returns the input that would leave f as it is.
func (f *Financial) Input() FinancialInput {
	return FinancialInput{Kind: f.Kind, Amount: f.Amount(), Currency: f.Currency, OccurredOn: f.OccurredOn,
		Description: f.Description, Classes: slices.Clone(f.OwnClassIDs()), Version: f.Version}
}

// validate checks the input, reporting every problem at once, and
// returns the amount in ten-thousandths.
func (in *FinancialInput) validate() (int64, error) {
	var ps strongroom.Problems
	if !slices.Contains(FinancialKinds(), in.Kind) {
		ps.Addf("kind", "The kind must be one of: %s.", strings.Join(FinancialKinds(), ", "))
	}
	amount, err := ParseAmount(in.Amount)
	ps.Add(err)
	ps.Add(CheckCurrency(in.Currency))
	ps.Add(checkDate("occurred_on", in.OccurredOn, true))
	ps.Add(checkText("description", in.Description, 0, 2000, false))
	if err := finishRecord(&ps, &in.Classes); err != nil {
		return 0, err
	}
	return amount, nil
}

var financialSpec = listSpec{
	typ:     TypeFinancial,
	columns: `x.kind, x.amount_e4, x.currency, x.occurred_on, x.description, ` + baseColumns,
	from:    `financial_records x`,
	key:     `x.occurred_on`,
	desc:    true,
}

func scanFinancial(row interface{ Scan(...any) error }) (*Financial, error) {
	var f Financial
	dest, finish := f.baseDest()
	if err := row.Scan(append([]any{&f.Kind, &f.AmountE4, &f.Currency, &f.OccurredOn, &f.Description}, dest...)...); err != nil {
		return nil, err
	}
	finish()
	return &f, nil
}

var financial = recordKind[*Financial]{listSpec: financialSpec, scan: scanFinancial,
	sortKey: func(f *Financial) string { return f.OccurredOn }}

// ListFinancial lists the financial records of a case the user may see,
// latest first.
func (s *Service) ListFinancial(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64, opt ListOptions) ([]*Financial, string, error) {
	return financial.list(ctx, t, p, caseID, opt)
}

// GetFinancial returns one financial record the user may see.
func (s *Service) GetFinancial(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64) (*Financial, error) {
	return financial.get(ctx, t, p, id)
}

// CreateFinancial adds a financial record to a case.
func (s *Service) CreateFinancial(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64, in FinancialInput) (*Financial, error) {
	var amount int64
	validate := func() (err error) { amount, err = in.validate(); return err }
	return financial.create(ctx, s, t, p, caseID, &in.Classes, validate, func(tx *store.Tx, now string) (change, error) {
		id, err := insertFinancial(ctx, tx, caseID, &in, amount, now)
		if err != nil {
			return change{}, err
		}
		return financialCreated(id, caseID, &in, amount), nil
	})
}

func financialCreated(id, caseID int64, in *FinancialInput, amount int64) change {
	return change{action: "financial.create", objType: "financial", id: id, changes: created("case_id", caseID,
		"kind", in.Kind, "amount", FormatAmount(amount), "currency", in.Currency, "occurred_on", in.OccurredOn,
		"description", in.Description, "classes", nonNilIDs(in.Classes))}
}

// insertFinancial writes a validated record with its classes and search
// entry; the caller writes the audit event.
func insertFinancial(ctx context.Context, tx *store.Tx, caseID int64, in *FinancialInput, amount int64, now string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO financial_records (case_id, kind, amount_e4, currency, occurred_on, description,
		own_classes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		caseID, in.Kind, amount, in.Currency, in.OccurredOn, in.Description, boolInt(len(in.Classes) > 0), now, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert financial record: %w", err)
	}
	if _, err := SetRecordClasses(ctx, tx, TypeFinancial, id, caseID, in.Classes); err != nil {
		return 0, err
	}
	return id, indexFinancial(ctx, tx, id, caseID, in)
}

// indexFinancial makes a financial record findable by its description
// (by its kind when it has none).
func indexFinancial(ctx context.Context, tx *store.Tx, id, caseID int64, in *FinancialInput) error {
	title := in.Description
	if title == "" {
		title = in.Kind
	}
	return Index(ctx, tx, TypeFinancial, id, caseID, title, "")
}

// UpdateFinancial changes a financial record, based on its version.
func (s *Service) UpdateFinancial(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, in FinancialInput) (*Financial, error) {
	var amount int64
	validate := func() (err error) { amount, err = in.validate(); return err }
	return financial.update(ctx, s, t, p, id, edit[*Financial]{version: in.Version, classes: &in.Classes, validate: validate,
		set: func() (string, []any) {
			return `kind = ?, amount_e4 = ?, currency = ?, occurred_on = ?, description = ?`,
				[]any{in.Kind, amount, in.Currency, in.OccurredOn, in.Description}
		},
		reindex: func(tx *store.Tx, before *Financial, _ string) (diffs, error) {
			var d diffs
			d.add("kind", before.Kind, in.Kind)
			d.add("amount", before.Amount(), FormatAmount(amount))
			d.add("currency", before.Currency, in.Currency)
			d.add("occurred_on", before.OccurredOn, in.OccurredOn)
			d.add("description", before.Description, in.Description)
			return d, indexFinancial(ctx, tx, id, before.CaseID, &in)
		}})
}

// DeleteFinancial soft-deletes a financial record, based on its version.
func (s *Service) DeleteFinancial(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, version int) error {
	return s.deleteRecord(ctx, t, p, TypeFinancial, id, version)
}
