package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// EventKinds lists the kinds of event and deadline.
func EventKinds() []string {
	return []string{"deadline", "hearing", "meeting", "filing", "reminder", "other"}
}

// Event is an event or deadline of a case.
type Event struct {
	RecordBase
	Kind     string
	Title    string
	DueOn    string // YYYY-MM-DD
	RemindOn string // YYYY-MM-DD or empty
	Done     bool
}

// EventInput is what a user sets on an event.
type EventInput struct {
	Kind     string
	Title    string
	DueOn    string
	RemindOn string
	Done     bool
	Classes  []int64
	Version  int
}

// Input returns the input that would leave e as it is.
func (e *Event) Input() EventInput {
	return EventInput{Kind: e.Kind, Title: e.Title, DueOn: e.DueOn, RemindOn: e.RemindOn, Done: e.Done,
		Classes: slices.Clone(e.OwnClassIDs()), Version: e.Version}
}

func (in *EventInput) validate() error {
	if !slices.Contains(EventKinds(), in.Kind) {
		return strongroom.FieldError("kind", "The kind must be one of: %s.", strings.Join(EventKinds(), ", "))
	}
	if err := checkText("title", in.Title, 1, 300, false); err != nil {
		return err
	}
	if err := checkDate("due_on", in.DueOn, true); err != nil {
		return err
	}
	if err := checkDate("remind_on", in.RemindOn, false); err != nil {
		return err
	}
	if in.RemindOn != "" && in.RemindOn > in.DueOn {
		return strongroom.FieldError("remind_on", "A reminder must come on or before the due date.")
	}
	var err error
	in.Classes, err = idSet("classes", in.Classes)
	return err
}

var eventSpec = listSpec{
	typ:     TypeEvent,
	columns: `x.kind, x.title, x.due_on, x.remind_on, x.done, ` + baseColumns,
	from:    `case_events x`,
	key:     `x.due_on`,
}

func scanEvent(row interface{ Scan(...any) error }) (*Event, error) {
	var e Event
	var done int
	dest, finish := e.baseDest()
	if err := row.Scan(append([]any{&e.Kind, &e.Title, &e.DueOn, &e.RemindOn, &done}, dest...)...); err != nil {
		return nil, err
	}
	finish()
	e.Done = done == 1
	return &e, nil
}

func loadEvent(ctx context.Context, q Querier, id int64) (*Event, error) {
	e, err := scanEvent(q.QueryRowContext(ctx, `SELECT `+eventSpec.columns+` FROM case_events x WHERE x.id = ? AND x.deleted_at = ''`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound(TypeEvent)
	} else if err != nil {
		return nil, fmt.Errorf("load event %d: %w", id, err)
	}
	e.Classes, err = Classes(ctx, q, TypeEvent, id)
	return e, err
}

// ListEvents lists the events of a case the user may see, by due date.
func (s *Service) ListEvents(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64, opt ListOptions) ([]*Event, string, error) {
	if err := caseReadable(ctx, t.DB, p, TypeEvent, caseID); err != nil {
		return nil, "", err
	}
	return listRecords(ctx, t.DB, p.Subject, eventSpec, caseID, opt, func(rows *sql.Rows) (*Event, *RecordBase, string, error) {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, nil, "", err
		}
		return e, &e.RecordBase, e.DueOn, nil
	})
}

// GetEvent returns one event the user may see.
func (s *Service) GetEvent(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64) (*Event, error) {
	if err := Visible(ctx, t.DB, p.Subject, TypeEvent, id, access.Read); err != nil {
		return nil, err
	}
	e, err := loadEvent(ctx, t.DB, id)
	if err != nil {
		return nil, err
	}
	e.Classes = shownClasses(p.Subject, e.Classes)
	return e, nil
}

// CreateEvent adds an event or deadline to a case.
func (s *Service) CreateEvent(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64, in EventInput) (*Event, error) {
	if err := p.Subject.Require(TypeEvent.Area(), access.Edit); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	var id int64
	err := t.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := caseReadable(ctx, tx, p, TypeEvent, caseID); err != nil {
			return err
		}
		var err error
		if in.Classes, err = recordClasses(ctx, tx, p.Subject, TypeEvent, caseID, nil, in.Classes); err != nil {
			return err
		}
		now := s.now()
		err = tx.QueryRowContext(ctx, `INSERT INTO case_events (case_id, kind, title, due_on, remind_on, done, own_classes,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			caseID, in.Kind, in.Title, in.DueOn, in.RemindOn, boolInt(in.Done), boolInt(len(in.Classes) > 0), now, now).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
		if _, err := SetRecordClasses(ctx, tx, TypeEvent, id, caseID, in.Classes); err != nil {
			return err
		}
		if err := Index(ctx, tx, TypeEvent, id, caseID, in.Title, ""); err != nil {
			return err
		}
		return record(ctx, tx, t, p, change{action: "event.create", objType: "event", id: id,
			changes: created("case_id", caseID, "kind", in.Kind, "title", in.Title, "due_on", in.DueOn,
				"remind_on", in.RemindOn, "done", in.Done, "classes", nonNilIDs(in.Classes))})
	})
	if err != nil {
		return nil, err
	}
	return s.GetEvent(ctx, t, p, id)
}

// UpdateEvent changes an event, based on its version.
func (s *Service) UpdateEvent(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, in EventInput) (*Event, error) {
	if err := p.Subject.Require(TypeEvent.Area(), access.Edit); err != nil {
		return nil, err
	}
	err := t.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := Visible(ctx, tx, p.Subject, TypeEvent, id, access.Edit); err != nil {
			return err
		}
		before, err := loadEvent(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := checkVersion(TypeEvent, in.Version, before.Version); err != nil {
			return err
		}
		if err := in.validate(); err != nil {
			return err
		}
		if in.Classes, err = recordClasses(ctx, tx, p.Subject, TypeEvent, before.CaseID, before.OwnClassIDs(), in.Classes); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE case_events SET kind = ?, title = ?, due_on = ?, remind_on = ?, done = ?,
			own_classes = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ? AND deleted_at = ''`,
			in.Kind, in.Title, in.DueOn, in.RemindOn, boolInt(in.Done), boolInt(len(in.Classes) > 0), s.now(), id, before.Version)
		if err != nil {
			return fmt.Errorf("update event %d: %w", id, err)
		}
		if err := updated(TypeEvent, res); err != nil {
			return err
		}
		if _, err := SetRecordClasses(ctx, tx, TypeEvent, id, before.CaseID, in.Classes); err != nil {
			return err
		}
		if err := Index(ctx, tx, TypeEvent, id, before.CaseID, in.Title, ""); err != nil {
			return err
		}
		after, err := Classes(ctx, tx, TypeEvent, id)
		if err != nil {
			return err
		}
		var d diffs
		d.add("kind", before.Kind, in.Kind)
		d.add("title", before.Title, in.Title)
		d.add("due_on", before.DueOn, in.DueOn)
		d.add("remind_on", before.RemindOn, in.RemindOn)
		d.add("done", before.Done, in.Done)
		d.add("classes", nonNilIDs(before.Classes), nonNilIDs(after))
		return record(ctx, tx, t, p, change{action: "event.update", objType: "event", id: id, changes: d})
	})
	if err != nil {
		return nil, err
	}
	return s.GetEvent(ctx, t, p, id)
}

// DeleteEvent soft-deletes an event, based on its version.
func (s *Service) DeleteEvent(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, version int) error {
	return s.deleteRecord(ctx, t, p, TypeEvent, id, version)
}
