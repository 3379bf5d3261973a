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

// validate checks the input, reporting every problem at once.
func (in *EventInput) validate() error {
	var ps strongroom.Problems
	if !slices.Contains(EventKinds(), in.Kind) {
		ps.Addf("kind", "The kind must be one of: %s.", strings.Join(EventKinds(), ", "))
	}
	ps.Add(checkText("title", in.Title, 1, 300, false))
	ps.Add(checkDate("due_on", in.DueOn, true))
	ps.Add(checkDate("remind_on", in.RemindOn, false))
	if in.RemindOn != "" && in.RemindOn > in.DueOn && !ps.Has("due_on") && !ps.Has("remind_on") {
		ps.Addf("remind_on", "A reminder must come on or before the due date.")
	}
	return finishRecord(&ps, &in.Classes)
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

var events = recordKind[*Event]{listSpec: eventSpec, scan: scanEvent, sortKey: func(e *Event) string { return e.DueOn }}

// ListEvents lists the events of a case the user may see, by due date.
func (s *Service) ListEvents(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64, opt ListOptions) ([]*Event, string, error) {
	return events.list(ctx, t, p, caseID, opt)
}

// GetEvent returns one event the user may see.
func (s *Service) GetEvent(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64) (*Event, error) {
	return events.get(ctx, t, p, id)
}

// CreateEvent adds an event or deadline to a case.
func (s *Service) CreateEvent(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64, in EventInput) (*Event, error) {
	return events.create(ctx, s, t, p, caseID, &in.Classes, in.validate, func(tx *store.Tx, now string) (change, error) {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO case_events (case_id, kind, title, due_on, remind_on, done, own_classes,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			caseID, in.Kind, in.Title, in.DueOn, in.RemindOn, boolInt(in.Done), boolInt(len(in.Classes) > 0), now, now).Scan(&id)
		if err != nil {
			return change{}, fmt.Errorf("insert event: %w", err)
		}
		if _, err := SetRecordClasses(ctx, tx, TypeEvent, id, caseID, in.Classes); err != nil {
			return change{}, err
		}
		if err := Index(ctx, tx, TypeEvent, id, caseID, in.Title, ""); err != nil {
			return change{}, err
		}
		return change{action: "event.create", objType: "event", id: id,
			changes: created("case_id", caseID, "kind", in.Kind, "title", in.Title, "due_on", in.DueOn,
				"remind_on", in.RemindOn, "done", in.Done, "classes", nonNilIDs(in.Classes))}, nil
	})
}

// UpdateEvent changes an event, based on its version.
func (s *Service) UpdateEvent(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, in EventInput) (*Event, error) {
	return events.update(ctx, s, t, p, id, edit[*Event]{version: in.Version, classes: &in.Classes, validate: in.validate,
		set: func() (string, []any) {
			return `kind = ?, title = ?, due_on = ?, remind_on = ?, done = ?`, []any{in.Kind, in.Title, in.DueOn, in.RemindOn, boolInt(in.Done)}
		},
		reindex: func(tx *store.Tx, before *Event, _ string) (diffs, error) {
			var d diffs
			d.add("kind", before.Kind, in.Kind)
			d.add("title", before.Title, in.Title)
			d.add("due_on", before.DueOn, in.DueOn)
			d.add("remind_on", before.RemindOn, in.RemindOn)
			d.add("done", before.Done, in.Done)
			return d, Index(ctx, tx, TypeEvent, id, before.CaseID, in.Title, "")
		}})
}

// DeleteEvent soft-deletes an event, based on its version.
func (s *Service) DeleteEvent(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, version int) error {
	return s.deleteRecord(ctx, t, p, TypeEvent, id, version)
}
