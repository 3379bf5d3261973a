package erasure

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/cases"
	"strongroom/erasure/personal"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Export is everything the tenant holds about one person, for a subject
// access request: their fields, the cases that link them, the documents a
// user uploaded, and the audit events about them with personal values
// opened. Records the administrator may not see are left out, as
// everywhere.
type Export struct {
	Subject    string            `json:"subject"`
	Kind       string            `json:"kind"`
	ID         int64             `json:"id"`
	ExportedAt time.Time         `json:"exported_at"`
	Fields     map[string]string `json:"fields"`
	Cases      []CaseLink        `json:"cases"`
	Documents  []DocumentLink    `json:"documents"`
	Events     []ExportEvent     `json:"audit_events"`
	// More is set when there were more audit events than MaxExportEvents.
	More bool `json:"more_audit_events"`
}

// CaseLink is a case that names the person: a contact's part (Role) or
// a user's responsibility for the case.
type CaseLink struct {
	CaseID   int64  `json:"case_id"`
	Number   string `json:"number"`
	Title    string `json:"title"`
	Role     string `json:"role"`
	RecordID int64  `json:"record_id,omitempty"` // the contact's part
	Deleted  bool   `json:"deleted"`
}

// DocumentLink is a file version a user uploaded.
type DocumentLink struct {
	DocumentID int64     `json:"document_id"`
	Version    int       `json:"version"`
	Filename   string    `json:"filename"`
	UploadedAt time.Time `json:"uploaded_at"`
}

// ExportEvent is one audit event about the person, opened.
type ExportEvent struct {
	Seq        int64             `json:"seq"`
	Time       time.Time         `json:"time"`
	Action     string            `json:"action"`
	Actor      string            `json:"actor"`
	SourceIP   string            `json:"source_ip,omitempty"`
	ObjectType string            `json:"object_type"`
	ObjectID   string            `json:"object_id"`
	Changes    []ExportChange    `json:"changes,omitempty"`
	Details    map[string]string `json:"details,omitempty"`
	Personal   map[string]string `json:"personal,omitempty"`
}

// ExportChange is one changed field of an event.
type ExportChange struct {
	Field  string `json:"field"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
}

// MaxExportEvents bounds the audit events one export reads.
const MaxExportEvents = 10000

// Export gathers what the tenant holds about subj. It is audited as
// "subject.export" (the subject id only) before anything is read.
func (s *Service) Export(ctx context.Context, h *tenancy.Handle, p *identity.Principal, subj Subject) (*Export, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	personal.EnsureSealed(ctx, h)
	if ok, err := present(ctx, h.DB, subj); err != nil {
		return nil, err
	} else if !ok {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "There is no such person (or they have been erased).")
	}
	if err := requireVisible(ctx, h.DB, p, subj); err != nil {
		return nil, err
	}
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: "subject.export",
			ObjectType: subj.Kind, ObjectID: strconv.FormatInt(subj.ID, 10)})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit subject.export: %w", err)
	}
	x := &Export{Subject: subj.String(), Kind: subj.Kind, ID: subj.ID, ExportedAt: s.Now().UTC(),
		Cases: []CaseLink{}, Documents: []DocumentLink{}, Events: []ExportEvent{}}
	steps := []func(context.Context, *tenancy.Handle, *identity.Principal, Subject, *Export) error{
		exportFields, exportCases, exportDocuments, exportEvents}
	for _, step := range steps {
		if err := step(ctx, h, p, subj, x); err != nil {
			return nil, fmt.Errorf("export %s: %w", subj, err)
		}
	}
	return x, nil
}

func exportFields(ctx context.Context, h *tenancy.Handle, _ *identity.Principal, subj Subject, x *Export) error {
	table, cols, extra := "contacts", personal.ContactFields, `t.kind, '', ''`
	if subj.Kind == KindUser {
		table, cols, extra = "users", personal.UserFields, `t.username, t.status, t.created_at`
	}
	plainCols := "t.name, t.email, t.phone, t.address, ''"
	if subj.Kind == KindUser {
		plainCols = "t.display_name, t.email"
	}
	plain := make([]string, len(cols))
	var a, b, c string
	var sealed, sealedKey []byte
	dest := []any{&a, &b, &c, &sealed, &sealedKey}
	for i := range plain {
		dest = append(dest, &plain[i])
	}
	rows, err := h.DB.QueryContext(ctx, `SELECT `+extra+`, t.sealed, sk.sealed_key, `+plainCols+` FROM `+table+
		` t LEFT JOIN audit_subject_keys sk ON sk.subject_id = ? WHERE t.id = ?`, subj.String(), subj.ID)
	if err != nil {
		return err
	}
	found := rows.Next()
	if found {
		err = rows.Scan(dest...)
	}
	rows.Close()
	if err != nil || !found {
		x.Fields = map[string]string{}
		return err
	}
	x.Fields = map[string]string{}
	for i, col := range cols {
		x.Fields[col] = plain[i]
	}
	if sealed != nil {
		if x.Fields, _, err = personal.Open(h, subj.String(), table, sealedKey, sealed, cols...); err != nil {
			return err
		}
	}
	if subj.Kind == KindUser {
		x.Fields["username"], x.Fields["status"], x.Fields["created_at"] = a, b, c
	} else {
		x.Fields["kind"] = a
	}
	return nil
}

func exportCases(ctx context.Context, h *tenancy.Handle, p *identity.Principal, subj Subject, x *Export) error {
	pred := cases.Predicate(p.Subject, cases.TypeCase, access.Read, "c")
	q := `SELECT x.id, c.id, c.number, c.title, x.role, x.deleted_at <> '' OR c.deleted_at <> '' FROM case_contacts x
		JOIN cases c ON c.id = x.case_id WHERE x.contact_id = ? AND ` + pred.SQL + ` ORDER BY c.id, x.id`
	if subj.Kind == KindUser {
		q = `SELECT 0, c.id, c.number, c.title, 'responsible', c.deleted_at <> '' FROM case_users x
			JOIN cases c ON c.id = x.case_id WHERE x.user_id = ? AND ` + pred.SQL + ` ORDER BY c.id`
	}
	rows, err := h.DB.QueryContext(ctx, q, append([]any{subj.ID}, pred.Args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var l CaseLink
		if err := rows.Scan(&l.RecordID, &l.CaseID, &l.Number, &l.Title, &l.Role, &l.Deleted); err != nil {
			return err
		}
		x.Cases = append(x.Cases, l)
	}
	return rows.Err()
}

func exportDocuments(ctx context.Context, h *tenancy.Handle, p *identity.Principal, subj Subject, x *Export) error {
	if subj.Kind != KindUser {
		return nil
	}
	pred := cases.Predicate(p.Subject, cases.TypeDocument, access.Read, "d")
	rows, err := h.DB.QueryContext(ctx, `SELECT d.id, v.number, v.filename, v.created_at FROM document_versions v
		JOIN documents d ON d.id = v.document_id WHERE v.created_by = ? AND `+pred.SQL+` ORDER BY d.id, v.number`,
		append([]any{subj.ID}, pred.Args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var l DocumentLink
		var at string
		if err := rows.Scan(&l.DocumentID, &l.Version, &l.Filename, &at); err != nil {
			return err
		}
		l.UploadedAt, _ = store.ParseTime(at)
		x.Documents = append(x.Documents, l)
	}
	return rows.Err()
}

// exportEvents reads the events about the person (their subject id, or
// their account as the object or actor) that the administrator may read:
// an event about a record only when the audit area's predicate admits the
// record's classes, as the audit views decide (web/audit_view.go).
func exportEvents(ctx context.Context, h *tenancy.Handle, p *identity.Principal, subj Subject, x *Export) error {
	if !p.Subject.Allowed(access.Audit, access.Read) {
		return nil
	}
	where := `e.subject_id = ?`
	args := []any{subj.String()}
	if subj.Kind == KindUser {
		id := strconv.FormatInt(subj.ID, 10)
		where += ` OR (e.object_type = 'user' AND e.object_id = ?) OR (e.actor_kind = 'user' AND e.actor_id = ?)`
		args = append(args, id, id)
	}
	readable, rargs := auditReadable(p.Subject)
	rows, err := h.DB.QueryContext(ctx, `SELECT e.seq FROM (SELECT seq, actor_kind, actor_id, object_type, object_id, subject_id,
		CASE WHEN object_id <> '' AND LENGTH(object_id) <= 18 AND LTRIM(object_id, '0123456789') = ''
		THEN CAST(object_id AS BIGINT) END AS record_id FROM audit_events) e
		WHERE (`+where+`) AND `+readable+` ORDER BY e.seq LIMIT ?`, append(append(args, rargs...), MaxExportEvents+1)...)
	if err != nil {
		return err
	}
	var seqs []int64
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			rows.Close()
			return err
		}
		seqs = append(seqs, seq)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(seqs) > MaxExportEvents {
		seqs, x.More = seqs[:MaxExportEvents], true
	}
	for _, seq := range seqs {
		evs, err := h.Audit.Events(ctx, seq-1, 1)
		if err != nil {
			return err
		}
		for _, e := range evs {
			x.Events = append(x.Events, exportEvent(e))
		}
	}
	return nil
}

func exportEvent(e audit.Event) ExportEvent {
	out := ExportEvent{Seq: e.Seq, Time: e.Time, Action: e.Action, Actor: strings.TrimSuffix(e.Actor.Kind+":"+e.Actor.ID, ":"),
		SourceIP: e.SourceIP, ObjectType: e.ObjectType, ObjectID: e.ObjectID, Details: e.Details, Personal: e.Personal}
	for _, c := range e.Changes {
		out.Changes = append(out.Changes, ExportChange{Field: c.Field, Before: c.Before, After: c.After})
	}
	return out
}

// auditReadable is the audit views' condition that s may read event e.
func auditReadable(s *access.Subject) (string, []any) {
	types := cases.RecordTypes()
	var args []any
	for _, t := range types {
		args = append(args, string(t))
	}
	conds := []string{"e.object_type NOT IN (" + store.Placeholders(len(types)) + ")"}
	for _, t := range types {
		rp := s.Predicate(access.Audit, access.Read, string(t), "e.record_id")
		conds = append(conds, "(e.object_type = ? AND "+rp.SQL+")")
		args = append(append(args, string(t)), rp.Args...)
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}
