package documents

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Create uploads a new document to a case. The caller needs edit on
// documents and must see the case. Everything that can be checked before
// the upload is read is: a refused request does not cost a stored file.
// The rows (document, version, classes, search entry, audit event) commit
// together after the file is safely on disk; if they do not, the file is
// removed.
func (s *Service) Create(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64, in Input, up Upload) (*Document, error) {
	if err := s.AuthorizeCreate(ctx, t, p, caseID); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Title) == "" {
		in.Title = SanitizeFilename(up.Filename)
	}
	if err := cleanInput(&in.Title, &in.Description, func() error {
		_, err := effectiveClasses(ctx, t.DB, p, caseID, in.Classes)
		return err
	}); err != nil {
		return nil, err
	}
	limit, err := s.MaxUpload(ctx, t)
	if err != nil {
		return nil, err
	}
	st, err := s.stage(ctx, t, up, limit)
	if err != nil {
		return nil, err
	}
	var id int64
	err = t.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.insert(ctx, tx, t, p, caseID, in, st)
		return err
	})
	if err != nil {
		st.discard(s)
		return nil, err
	}
	st.release(s)
	return s.Get(ctx, t, p, id)
}

// AuthorizeCreate checks that the caller may add documents to a case: edit
// on documents, and a case they can see (a hidden one answers as missing).
// Create checks it too; an upload form asks first.
func (s *Service) AuthorizeCreate(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64) error {
	if err := p.Subject.Require(access.Documents, access.Edit); err != nil {
		return err
	}
	return cases.Visible(ctx, t.DB, p.Subject, cases.TypeCase, caseID, access.Read)
}

// insert writes a new document's rows in tx.
func (s *Service) insert(ctx context.Context, tx *store.Tx, t *tenancy.Handle, p *identity.Principal, caseID int64, in Input, st *staged) (int64, error) {
	// The case may have been deleted or reclassified during the upload.
	if err := cases.Visible(ctx, tx, p.Subject, cases.TypeCase, caseID, access.Read); err != nil {
		return 0, err
	}
	now := store.FormatTime(s.Now())
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO documents (case_id, title, description, current_version, created_at, updated_at)
		VALUES (?, ?, ?, 1, ?, ?) RETURNING id`, caseID, in.Title, in.Description, now, now).Scan(&id); err != nil {
		return 0, fmt.Errorf("insert document: %w", err)
	}
	own, err := cases.SetRecordClasses(ctx, tx, cases.TypeDocument, id, caseID, in.Classes)
	if err != nil {
		return 0, err
	}
	classes, err := cases.Classes(ctx, tx, cases.TypeDocument, id)
	if err != nil {
		return 0, err
	}
	if err := seeable(p, classes); err != nil {
		return 0, err
	}
	if own {
		if _, err := tx.ExecContext(ctx, `UPDATE documents SET own_classes = 1 WHERE id = ?`, id); err != nil {
			return 0, fmt.Errorf("mark own classes of document %d: %w", id, err)
		}
	}
	if err := insertVersion(ctx, tx, id, 1, st, p.User.ID, now); err != nil {
		return 0, err
	}
	if err := cases.Index(ctx, tx, cases.TypeDocument, id, caseID, in.Title, indexBody(in.Description, st.text)); err != nil {
		return 0, err
	}
	return id, record(ctx, tx, t, p, "document.create", id, []audit.Change{
		{Field: "case_id", After: caseID}, {Field: "title", After: in.Title}, {Field: "description", After: in.Description},
		{Field: "classes", After: nonNil(classes)}, {Field: "own_classes", After: own},
		{Field: "current_version", After: 1}, {Field: "filename", After: st.filename},
		{Field: "content_type", After: st.contentType}, {Field: "size_bytes", After: st.size}, {Field: "sha256", After: st.sha256},
	})
}

// AddVersion uploads a new file as the next version of a document. The
// caller needs edit access to the document and its current version.
func (s *Service) AddVersion(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, version int, up Upload) (*Document, error) {
	before, err := s.get(ctx, t.DB, p, id, access.Edit)
	if err != nil {
		return nil, err
	}
	if version <= 0 {
		return nil, strongroom.FieldError("version", "Send the version of the document you are changing.")
	} else if version != before.Version {
		return nil, errConflict()
	}
	limit, err := s.MaxUpload(ctx, t)
	if err != nil {
		return nil, err
	}
	st, err := s.stage(ctx, t, up, limit)
	if err != nil {
		return nil, err
	}
	err = t.DB.InTx(ctx, func(tx *store.Tx) error { return s.addVersion(ctx, tx, t, p, id, version, st) })
	if err != nil {
		st.discard(s)
		return nil, err
	}
	st.release(s)
	return s.Get(ctx, t, p, id)
}

func (s *Service) addVersion(ctx context.Context, tx *store.Tx, t *tenancy.Handle, p *identity.Principal, id int64, version int, st *staged) error {
	d, err := s.get(ctx, tx, p, id, access.Edit)
	if err != nil {
		return err
	}
	now := store.FormatTime(s.Now())
	res, err := tx.ExecContext(ctx, `UPDATE documents SET current_version = current_version + 1, updated_at = ?, version = version + 1
		WHERE id = ? AND version = ? AND deleted_at = ''`, now, id, version)
	if err != nil {
		return fmt.Errorf("update document %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errConflict()
	}
	number := d.Current.Number + 1
	if err := insertVersion(ctx, tx, id, number, st, p.User.ID, now); err != nil {
		return err
	}
	if err := cases.Index(ctx, tx, cases.TypeDocument, id, d.CaseID, d.Title, indexBody(d.Description, st.text)); err != nil {
		return err
	}
	return record(ctx, tx, t, p, "document.version_add", id, []audit.Change{
		{Field: "current_version", Before: d.Current.Number, After: number},
		{Field: "filename", Before: d.Current.Filename, After: st.filename},
		{Field: "content_type", Before: d.Current.ContentType, After: st.contentType},
		{Field: "size_bytes", Before: d.Current.Size, After: st.size},
		{Field: "sha256", Before: d.Current.SHA256, After: st.sha256},
	})
}

// insertVersion records a staged file as version number of a document.
func insertVersion(ctx context.Context, tx *store.Tx, id int64, number int, st *staged, by int64, now string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO document_versions (document_id, number, filename, content_type, size_bytes, sha256,
		storage_key, wrapped_key, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, number, st.filename, st.contentType, st.size, st.sha256, st.storageKey, st.wrappedKey, now, by)
	if err != nil {
		return fmt.Errorf("insert version %d of document %d: %w", number, id, err)
	}
	return nil
}

// indexBody is what search finds a document by, besides its title.
func indexBody(description, text string) string {
	if text == "" {
		return description
	}
	return truncateUTF8(description+"\n"+text, maxTextBytes)
}

// record writes a document's audit event in the change's transaction.
// Its typed fields (title, description, file name) are sealed under the
// document's text subject: erasing a person they name makes them
// unreadable in the trail (audit.TextSubject).
func record(ctx context.Context, tx *store.Tx, t *tenancy.Handle, p *identity.Principal, action string, id int64, changes []audit.Change) error {
	e := audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: action,
		ObjectType: "document", ObjectID: strconv.FormatInt(id, 10), Changes: changes}
	e.SealTyped(typedFields)
	_, err := t.Audit.Append(ctx, tx, e)
	return err
}

// typedFields are a document's fields that hold text as someone typed it.
var typedFields = map[string]bool{"title": true, "description": true, "filename": true}

func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}
