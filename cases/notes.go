package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"strongroom/access"
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

func (in *NoteInput) validate() error {
	if err := checkText("title", in.Title, 1, 300, false); err != nil {
		return err
	}
	if err := checkText("body", in.Body, 0, maxNoteBody, true); err != nil {
		return err
	}
	var err error
	in.Classes, err = idSet("classes", in.Classes)
	return err
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

func loadNote(ctx context.Context, q Querier, id int64) (*Note, error) {
	n, err := scanNote(q.QueryRowContext(ctx, `SELECT `+noteSpec.columns+` FROM notes x WHERE x.id = ? AND x.deleted_at = ''`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound(TypeNote)
	} else if err != nil {
		return nil, fmt.Errorf("load note %d: %w", id, err)
	}
	n.Classes, err = Classes(ctx, q, TypeNote, id)
	return n, err
}

// ListNotes lists the notes of a case the user may see, newest first.
func (s *Service) ListNotes(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64, opt ListOptions) ([]*Note, string, error) {
	if err := caseReadable(ctx, t.DB, p, TypeNote, caseID); err != nil {
		return nil, "", err
	}
	return listRecords(ctx, t.DB, p.Subject, noteSpec, caseID, opt, func(rows *sql.Rows) (*Note, *RecordBase, string, error) {
		n, err := scanNote(rows)
		if err != nil {
			return nil, nil, "", err
		}
		return n, &n.RecordBase, store.FormatTime(n.CreatedAt), nil
	})
}

// GetNote returns one note the user may see.
func (s *Service) GetNote(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64) (*Note, error) {
	if err := Visible(ctx, t.DB, p.Subject, TypeNote, id, access.Read); err != nil {
		return nil, err
	}
	n, err := loadNote(ctx, t.DB, id)
	if err != nil {
		return nil, err
	}
	n.Classes = shownClasses(p.Subject, n.Classes)
	return n, nil
}

// CreateNote adds a note to a case.
func (s *Service) CreateNote(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64, in NoteInput) (*Note, error) {
	if err := p.Subject.Require(access.Notes, access.Edit); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	var id int64
	err := t.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := caseReadable(ctx, tx, p, TypeNote, caseID); err != nil {
			return err
		}
		var err error
		if in.Classes, err = recordClasses(ctx, tx, p.Subject, TypeNote, caseID, nil, in.Classes); err != nil {
			return err
		}
		now := s.now()
		err = tx.QueryRowContext(ctx, `INSERT INTO notes (case_id, title, body, own_classes, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, caseID, in.Title, in.Body, boolInt(len(in.Classes) > 0), now, now).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert note: %w", err)
		}
		if _, err := SetRecordClasses(ctx, tx, TypeNote, id, caseID, in.Classes); err != nil {
			return err
		}
		if err := Index(ctx, tx, TypeNote, id, caseID, in.Title, in.Body); err != nil {
			return err
		}
		return record(ctx, tx, t, p, change{action: "note.create", objType: "note", id: id,
			changes: created("case_id", caseID, "title", in.Title, "body", in.Body, "classes", nonNilIDs(in.Classes))})
	})
	if err != nil {
		return nil, err
	}
	return s.GetNote(ctx, t, p, id)
}

// UpdateNote changes a note, based on its version.
func (s *Service) UpdateNote(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, in NoteInput) (*Note, error) {
	if err := p.Subject.Require(access.Notes, access.Edit); err != nil {
		return nil, err
	}
	err := t.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := Visible(ctx, tx, p.Subject, TypeNote, id, access.Edit); err != nil {
			return err
		}
		before, err := loadNote(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := checkVersion(TypeNote, in.Version, before.Version); err != nil {
			return err
		}
		if err := in.validate(); err != nil {
			return err
		}
		if in.Classes, err = recordClasses(ctx, tx, p.Subject, TypeNote, before.CaseID, before.OwnClassIDs(), in.Classes); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE notes SET title = ?, body = ?, own_classes = ?, updated_at = ?, version = version + 1
			WHERE id = ? AND version = ? AND deleted_at = ''`, in.Title, in.Body, boolInt(len(in.Classes) > 0), s.now(), id, before.Version)
		if err != nil {
			return fmt.Errorf("update note %d: %w", id, err)
		}
		if err := updated(TypeNote, res); err != nil {
			return err
		}
		if _, err := SetRecordClasses(ctx, tx, TypeNote, id, before.CaseID, in.Classes); err != nil {
			return err
		}
		if err := Index(ctx, tx, TypeNote, id, before.CaseID, in.Title, in.Body); err != nil {
			return err
		}
		after, err := Classes(ctx, tx, TypeNote, id)
		if err != nil {
			return err
		}
		var d diffs
		d.add("title", before.Title, in.Title)
		d.add("body", before.Body, in.Body)
		d.add("classes", nonNilIDs(before.Classes), nonNilIDs(after))
		return record(ctx, tx, t, p, change{action: "note.update", objType: "note", id: id, changes: d})
	})
	if err != nil {
		return nil, err
	}
	return s.GetNote(ctx, t, p, id)
}

// DeleteNote soft-deletes a note, based on its version.
func (s *Service) DeleteNote(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, version int) error {
	return s.deleteRecord(ctx, t, p, TypeNote, id, version)
}
