package documents

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// docColumns are what a document is read with: the record and its current
// file version. Every read joins the case so that a document of a deleted
// case is as gone as the case.
const docColumns = `d.id, d.case_id, d.title, d.description, d.own_classes, d.created_at, d.updated_at, d.version,
	v.number, v.filename, v.content_type, v.size_bytes, v.sha256, v.created_at, v.created_by`

const docFrom = ` FROM documents d
	JOIN cases c ON c.id = d.case_id
	JOIN document_versions v ON v.document_id = d.id AND v.number = d.current_version
	WHERE d.deleted_at = '' AND c.deleted_at = ''`

type scanner interface{ Scan(dest ...any) error }

func scanDocument(row scanner) (*Document, error) {
	var d Document
	var own int
	var created, updated, vCreated string
	err := row.Scan(&d.ID, &d.CaseID, &d.Title, &d.Description, &own, &created, &updated, &d.Version,
		&d.Current.Number, &d.Current.Filename, &d.Current.ContentType, &d.Current.Size, &d.Current.SHA256,
		&vCreated, &d.Current.CreatedBy)
	if err != nil {
		return nil, err
	}
	d.OwnClasses = own == 1
	if d.CreatedAt, err = store.ParseTime(created); err != nil {
		return nil, err
	}
	if d.UpdatedAt, err = store.ParseTime(updated); err != nil {
		return nil, err
	}
	if d.Current.CreatedAt, err = store.ParseTime(vCreated); err != nil {
		return nil, err
	}
	return &d, nil
}

// Get returns one document the caller may read.
func (s *Service) Get(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64) (*Document, error) {
	return s.get(ctx, t.DB, p, id, access.Read)
}

// get authorizes need on a document and reads it, with q a *store.DB or
// the *store.Tx of a change.
func (s *Service) get(ctx context.Context, q cases.Querier, p *identity.Principal, id int64, need access.Level) (*Document, error) {
	if err := cases.Visible(ctx, q, p.Subject, cases.TypeDocument, id, need); err != nil {
		return nil, err
	}
	d, err := scanDocument(q.QueryRowContext(ctx, `SELECT `+docColumns+docFrom+` AND d.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("read document %d: %w", id, err)
	}
	if d.Classes, err = cases.Classes(ctx, q, cases.TypeDocument, id); err != nil {
		return nil, err
	}
	return d, nil
}

// List returns the documents of a case that the caller may read, by title.
// A case the caller may not see answers as a missing one.
func (s *Service) List(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64) ([]*Document, error) {
	if err := p.Subject.Require(access.Documents, access.Read); err != nil {
		return nil, err
	}
	if err := cases.Visible(ctx, t.DB, p.Subject, cases.TypeCase, caseID, access.Read); err != nil {
		return nil, err
	}
	pred := cases.Predicate(p.Subject, cases.TypeDocument, access.Read, "d")
	rows, err := t.DB.QueryContext(ctx, `SELECT `+docColumns+docFrom+` AND d.case_id = ? AND `+pred.SQL+` ORDER BY d.title, d.id`,
		append([]any{caseID}, pred.Args...)...)
	if err != nil {
		return nil, fmt.Errorf("list documents of case %d: %w", caseID, err)
	}
	var out []*Document
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, d := range out {
		if d.Classes, err = cases.Classes(ctx, t.DB, cases.TypeDocument, d.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Versions returns the file versions of a document, newest first.
func (s *Service) Versions(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64) ([]FileVersion, error) {
	if _, err := s.get(ctx, t.DB, p, id, access.Read); err != nil {
		return nil, err
	}
	rows, err := t.DB.QueryContext(ctx, `SELECT number, filename, content_type, size_bytes, sha256, created_at, created_by
		FROM document_versions WHERE document_id = ? ORDER BY number DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("versions of document %d: %w", id, err)
	}
	defer rows.Close()
	var out []FileVersion
	for rows.Next() {
		var v FileVersion
		var created string
		if err := rows.Scan(&v.Number, &v.Filename, &v.ContentType, &v.Size, &v.SHA256, &created, &v.CreatedBy); err != nil {
			return nil, err
		}
		if v.CreatedAt, err = store.ParseTime(created); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// HeldClasses returns the security classes the caller holds, by name: the
// ones a form offers for classifying a document.
func (s *Service) HeldClasses(ctx context.Context, t *tenancy.Handle, p *identity.Principal) ([]Class, error) {
	return classNames(ctx, t.DB, p.Subject.Classes)
}

// ClassNames names the classes of a document the caller can see.
func (s *Service) ClassNames(ctx context.Context, t *tenancy.Handle, d *Document) ([]Class, error) {
	return classNames(ctx, t.DB, d.Classes)
}

func classNames(ctx context.Context, q cases.Querier, ids []int64) ([]Class, error) {
	var out []Class
	for _, id := range ids {
		c := Class{ID: id}
		err := q.QueryRowContext(ctx, `SELECT name FROM security_classes WHERE id = ?`, id).Scan(&c.Name)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("name of class %d: %w", id, err)
		}
		out = append(out, c)
	}
	return out, nil
}
