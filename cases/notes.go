package cases

import (
	"context"
	"fmt"
	"slices"

	"strongroom"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Note is a note on a case. Body is Markdown, stored as written and
// rendered safely by RenderMarkdown.
type Note struct {
	RecordBase
	Title string
	Body  string
}

// NoteInput is what a user sets on a note.
type NoteInput struct {
	Title   string
	Body    string
	Classes []int64
	Version int
}

// Input returns the input that would leave n as it is.
func (n *Note) Input() NoteInput {
	return NoteInput{Title: n.Title, Body: n.Body, Classes: slices.Clone(n.OwnClassIDs()), Version: n.Version}
}

// maxNoteBody bounds a note's Markdown, in characters.
const maxNoteBody = 100_000

// validate checks the input, reporting every problem at once.
func (in *NoteInput) validate() error {
	var ps strongroom.Problems
	ps.Add(checkText("title", in.Title, 1, 300, false))
	ps.Add(checkText("body", in.Body, 0, maxNoteBody, true))
	return finishRecord(&ps, &in.Classes)
}

var noteSpec = listSpec{
	typ:     TypeNote,
	columns: `x.title, x.body, ` + baseColumns,
	from:    `notes x`,
	key:     `x.created_at`,
	desc:    true,
}

func scanNote(row interface{ Scan(...any) error }) (*Note, error) {
	var n Note
	dest, finish := n.baseDest()
	if err := row.Scan(append([]any{&n.Title, &n.Body}, dest...)...); err != nil {
		return nil, err
	}
	finish()
	return &n, nil
}

var notes = recordKind[*Note]{listSpec: noteSpec, scan: scanNote,
	sortKey: func(n *Note) string { return store.FormatTime(n.CreatedAt) }}

// ListNotes lists the notes of a case the user may see, newest first.
func (s *Service) ListNotes(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64, opt ListOptions) ([]*Note, string, error) {
	return notes.list(ctx, t, p, caseID, opt)
}

// GetNote returns one note the user may see.
func (s *Service) GetNote(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64) (*Note, error) {
	return notes.get(ctx, t, p, id)
}

// CreateNote adds a note to a case.
func (s *Service) CreateNote(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64, in NoteInput) (*Note, error) {
	return notes.create(ctx, s, t, p, caseID, &in.Classes, in.validate, func(tx *store.Tx, now string) (change, error) {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO notes (case_id, title, body, own_classes, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, caseID, in.Title, in.Body, boolInt(len(in.Classes) > 0), now, now).Scan(&id)
		if err != nil {
			return change{}, fmt.Errorf("insert note: %w", err)
		}
		if _, err := SetRecordClasses(ctx, tx, TypeNote, id, caseID, in.Classes); err != nil {
			return change{}, err
		}
		if err := Index(ctx, tx, TypeNote, id, caseID, in.Title, in.Body); err != nil {
			return change{}, err
		}
		return change{action: "note.create", objType: "note", id: id,
			changes: created("case_id", caseID, "title", in.Title, "body", in.Body, "classes", nonNilIDs(in.Classes))}, nil
	})
}

// UpdateNote changes a note, based on its version.
func (s *Service) UpdateNote(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, in NoteInput) (*Note, error) {
	return notes.update(ctx, s, t, p, id, edit[*Note]{version: in.Version, classes: &in.Classes, validate: in.validate,
		set: func() (string, []any) { return `title = ?, body = ?`, []any{in.Title, in.Body} },
		reindex: func(tx *store.Tx, before *Note, _ string) (diffs, error) {
			var d diffs
			d.add("title", before.Title, in.Title)
			d.add("body", before.Body, in.Body)
			return d, Index(ctx, tx, TypeNote, id, before.CaseID, in.Title, in.Body)
		}})
}

// DeleteNote soft-deletes a note, based on its version.
func (s *Service) DeleteNote(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, version int) error {
	return s.deleteRecord(ctx, t, p, TypeNote, id, version)
}
