package documents

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Update changes a document's title, description and, when in.Classes is
// set, its own security classes. in.Version must be the document's
// current version.
func (s *Service) Update(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, in Edit) (*Document, error) {
	if _, err := s.get(ctx, t.DB, p, id, access.Edit); err != nil {
		return nil, err
	}
	var err error
	if in.Version <= 0 {
		return nil, strongroom.FieldError("version", "Send the version of the document you are changing.")
	}
	if err := cleanInput(&in.Title, &in.Description, nil); err != nil {
		return nil, err
	}
	err = t.DB.InTx(ctx, func(tx *store.Tx) error { return s.update(ctx, tx, t, p, id, in) })
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, t, p, id)
}

func (s *Service) update(ctx context.Context, tx *store.Tx, t *tenancy.Handle, p *identity.Principal, id int64, in Edit) error {
	d, err := s.get(ctx, tx, p, id, access.Edit)
	if err != nil {
		return err
	}
	if d.Version != in.Version {
		return errConflict()
	}
	var changes []audit.Change
	if in.Title != d.Title {
		changes = append(changes, audit.Change{Field: "title", Before: d.Title, After: in.Title})
	}
	if in.Description != d.Description {
		changes = append(changes, audit.Change{Field: "description", Before: d.Description, After: in.Description})
	}
	own := d.OwnClasses
	if in.Classes != nil {
		if _, err := effectiveClasses(ctx, tx, p, d.CaseID, *in.Classes); err != nil {
			return err
		}
		if own, err = cases.SetRecordClasses(ctx, tx, cases.TypeDocument, id, d.CaseID, *in.Classes); err != nil {
			return err
		}
		after, err := cases.Classes(ctx, tx, cases.TypeDocument, id)
		if err != nil {
			return err
		}
		if !slices.Equal(after, d.Classes) || own != d.OwnClasses {
			changes = append(changes, audit.Change{Field: "classes", Before: nonNil(d.Classes), After: nonNil(after)},
				audit.Change{Field: "own_classes", Before: d.OwnClasses, After: own})
		}
	}
	if len(changes) == 0 {
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE documents SET title = ?, description = ?, own_classes = ?, updated_at = ?, version = version + 1
		WHERE id = ? AND version = ?`, in.Title, in.Description, boolInt(own), store.FormatTime(s.Now()), id, in.Version)
	if err != nil {
		return fmt.Errorf("update document %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errConflict()
	}
	if in.Title != d.Title || in.Description != d.Description {
		if err := s.reindex(ctx, tx, d, in.Title, in.Description); err != nil {
			return err
		}
	}
	return record(ctx, tx, t, p, "document.update", id, changes)
}

// reindex rewrites a document's search entry after its title or
// description changed, keeping the extracted text of its file (which is
// not kept anywhere else in the clear).
func (s *Service) reindex(ctx context.Context, tx *store.Tx, d *Document, title, description string) error {
	var body string
	err := tx.QueryRowContext(ctx, `SELECT body FROM search_index WHERE record_type = ? AND record_id = ?`,
		string(cases.TypeDocument), d.ID).Scan(&body)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read search entry of document %d: %w", d.ID, err)
	}
	text := ""
	if rest, ok := strings.CutPrefix(body, d.Description+"\n"); ok {
		text = rest
	}
	return cases.Index(ctx, tx, cases.TypeDocument, d.ID, d.CaseID, title, indexBody(description, text))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Delete hides a document everywhere: lists, reads, downloads and search.
// Its files stay until Purge removes them 30 days later.
func (s *Service) Delete(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, version int) error {
	if _, err := s.get(ctx, t.DB, p, id, access.Edit); err != nil {
		return err
	}
	if version <= 0 {
		return strongroom.FieldError("version", "Send the version of the document you are deleting.")
	}
	return t.DB.InTx(ctx, func(tx *store.Tx) error {
		d, err := s.get(ctx, tx, p, id, access.Edit)
		if err != nil {
			return err
		}
		now := store.FormatTime(s.Now())
		res, err := tx.ExecContext(ctx, `UPDATE documents SET deleted_at = ?, updated_at = ?, version = version + 1
			WHERE id = ? AND version = ? AND deleted_at = ''`, now, now, id, version)
		if err != nil {
			return fmt.Errorf("delete document %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errConflict()
		}
		if err := cases.Unindex(ctx, tx, cases.TypeDocument, id); err != nil {
			return err
		}
		return record(ctx, tx, t, p, "document.delete", id, []audit.Change{
			{Field: "deleted_at", Before: "", After: now}, {Field: "title", Before: d.Title},
		})
	})
}
