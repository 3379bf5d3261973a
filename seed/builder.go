package seed

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/cases"
	"strongroom/store"
	"strongroom/tenancy"
)

// Case is one case for Write to make, with chosen values. Empty fields
// get plain defaults.
type Case struct {
	Title         string
	Client        string
	PracticeGroup string
	Status        string // default "open"
	OpenedOn      string // YYYY-MM-DD; default 2025-01-15
	Classes       []int64
	Deleted       bool // soft-deleted, and left in the search index
}

// Record is one record inside a case for Write to make.
type Record struct {
	Type   cases.RecordType // document, financial, contact, note or event
	CaseID int64
	// Title and Body are indexed as the case services index them: a
	// document's or note's title and description or body; a contact's
	// name (Title) and role (Kind); an event's title; a financial
	// record's description (Body).
	Title   string
	Body    string
	Classes []int64
	// Financial records: Kind (default "fee"), AmountE4, Currency (default
	// "USD"), On (occurred_on). Events: Kind (default "deadline"), On
	// (due_on), Done. Contacts: Kind is the role (default "witness").
	Kind     string
	AmountE4 int64
	Currency string
	On       string
	Done     bool
	Deleted  bool // soft-deleted, and left in the search index
}

// Builder hands out the ids of the rows Write makes.
type Builder struct {
	ctx     context.Context
	tx      *store.Tx
	gen     *generator
	classes map[int64][]int64
	deleted []deletedRow
	err     error
}

// deletedRow is a row to mark soft-deleted once written.
type deletedRow struct {
	table string
	id    int64
}

// Write makes, in one transaction with one audit event, the cases and
// records fn asks for: the same rows, classes and search entries as the
// generated data. It is for tests and tools that need records with known
// text and classes.
func Write(ctx context.Context, h *tenancy.Handle, fn func(b *Builder)) error {
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		w := newWriter(h.DB.Dialect)
		if err := w.start(ctx, tx); err != nil {
			return err
		}
		b := &Builder{ctx: ctx, tx: tx, gen: newGenerator(newTextGen(1), w, time.Now()), classes: map[int64][]int64{}}
		fn(b)
		if b.err != nil {
			return b.err
		}
		if err := w.flush(ctx, tx); err != nil {
			return err
		}
		for _, d := range b.deleted {
			if _, err := tx.ExecContext(ctx, `UPDATE `+d.table+` SET deleted_at = ? WHERE id = ?`, b.gen.now, d.id); err != nil {
				return err
			}
		}
		if err := w.finish(ctx, tx); err != nil {
			return err
		}
		_, err := h.Audit.Append(ctx, tx, audit.Event{
			Actor: audit.Actor{Kind: audit.ActorSystem}, Action: "data.generate", ObjectType: "tenant", ObjectID: h.Tenant.Slug,
			Details: map[string]string{"kind": "fixture", "records": strconv.Itoa(b.gen.records)},
		})
		return err
	})
}

// Case adds a case and returns its id.
func (b *Builder) Case(c Case) int64 {
	w, now := b.gen.w, b.gen.now
	id := w.id("cases")
	if c.Status == "" {
		c.Status = "open"
	}
	if c.OpenedOn == "" {
		c.OpenedOn = "2025-01-15"
	}
	if c.Title == "" {
		c.Title = "Case " + strconv.FormatInt(id, 10)
	}
	number := fmt.Sprintf("FX-%06d", id)
	w.add("cases", id, number, c.Title, c.Client, c.PracticeGroup, c.Status, c.OpenedOn, "", nil, "", now, now)
	b.setDeleted("cases", id, c.Deleted)
	b.gen.classes("case", id, c.Classes)
	b.classes[id] = c.Classes
	b.gen.index("case", id, id, number+" "+c.Title, c.Client+"\n"+c.PracticeGroup+"\n")
	return id
}

// setDeleted marks a row deleted once it is written.
func (b *Builder) setDeleted(table string, id int64, deleted bool) {
	if deleted {
		b.deleted = append(b.deleted, deletedRow{table, id})
	}
}

// Record adds a record and returns its id (for a contact: the id of its
// case_contacts row, the contact record's id).
func (b *Builder) Record(r Record) int64 {
	if b.err != nil {
		return 0
	}
	caseClasses, ok := b.classes[r.CaseID]
	if !ok {
		cs, err := cases.Classes(b.ctx, b.tx, cases.TypeCase, r.CaseID)
		if err != nil {
			b.err = err
			return 0
		}
		b.classes[r.CaseID], caseClasses = cs, cs
	}
	gen, w, now := b.gen, b.gen.w, b.gen.now
	own, effective := 0, caseClasses
	if len(r.Classes) > 0 {
		own, effective = 1, r.Classes
	}
	var id int64
	switch r.Type {
	case cases.TypeDocument:
		id = w.id("documents")
		w.add("documents", id, r.CaseID, r.Title, r.Body, own, now, now)
	case cases.TypeFinancial:
		id = w.id("financial_records")
		w.add("financial_records", id, r.CaseID, or(r.Kind, "fee"), r.AmountE4, or(r.Currency, "USD"), or(r.On, "2025-02-01"), r.Body, own, now, now)
	case cases.TypeContact:
		contact := w.id("contacts")
		w.add("contacts", contact, "person", r.Title, "", "", "", now, now)
		id = w.id("case_contacts")
		w.add("case_contacts", id, r.CaseID, contact, or(r.Kind, "witness"), own, now, now)
	case cases.TypeNote:
		id = w.id("notes")
		w.add("notes", id, r.CaseID, r.Title, r.Body, own, now, now)
	case cases.TypeEvent:
		id = w.id("case_events")
		done := 0
		if r.Done {
			done = 1
		}
		w.add("case_events", id, r.CaseID, or(r.Kind, "deadline"), r.Title, or(r.On, "2025-03-01"), done, own, now, now)
	default:
		b.err = strongroom.Errorf(strongroom.EINVALID, "seed: no record type %q", r.Type)
		return 0
	}
	b.setDeleted(r.Type.Table(), id, r.Deleted)
	gen.classes(string(r.Type), id, effective)
	title, body := r.Title, r.Body
	switch r.Type {
	case cases.TypeFinancial:
		title, body = or(r.Body, or(r.Kind, "fee")), "" // as cases indexes it: by description
	case cases.TypeContact:
		body = or(r.Kind, "witness") // the contact's role
	case cases.TypeEvent:
		body = ""
	}
	gen.index(string(r.Type), id, r.CaseID, title, body)
	return id
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
