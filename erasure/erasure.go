// Package erasure erases a data subject of a tenant on an administrator's
// request: a contact, or a former user account, with everything personal
// linked to them. Their personal fields are sealed at rest under their own
// key (package erasure/personal, the audit log's per-subject key), so
// deleting that key makes their fields and every personal value of the
// audit trail about them unreadable at once; the rows and mentions that
// name them are removed or rewritten in the same transaction. The erasure
// is written to a ledger in the control database, outside the tenant's
// snapshots, from which a restore erases them again (Reapply).
package erasure

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/erasure/personal"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Kinds of data subject.
const (
	KindContact = "contact"
	KindUser    = "user"
)

// Subject is one data subject of a tenant.
type Subject struct {
	Kind string
	ID   int64
}

// String is the subject id the audit log and the ledger use: "contact:12".
func (s Subject) String() string { return s.Kind + ":" + strconv.FormatInt(s.ID, 10) }

// ParseSubject reads a subject from the parts of a path (kind, id).
func ParseSubject(kind, id string) (Subject, error) {
	if kind != KindContact && kind != KindUser {
		return Subject{}, strongroom.FieldError("kind", "The kind of person must be contact or user.")
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return Subject{}, strongroom.FieldError("id", "The id must be a positive whole number.")
	}
	return Subject{Kind: kind, ID: n}, nil
}

// parseSubjectID reads "contact:12" as the ledger and the audit log write it.
func parseSubjectID(s string) (Subject, error) {
	kind, id, _ := strings.Cut(s, ":")
	return ParseSubject(kind, id)
}

// Service erases data subjects and keeps the ledger of erasures.
type Service struct {
	control *store.DB // the control-plane database, where the ledger lives
	log     *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// New returns the erasure service, keeping its ledger in control (the
// control-plane database).
func New(control *store.DB, log *slog.Logger) *Service {
	return &Service{control: control, log: log, Now: time.Now}
}

// Result says what an erasure removed, in counts: nothing personal.
type Result struct {
	Subject  string `json:"subject"`
	ErasedAt time.Time
	Counts   Counts `json:"removed"`
}

// Counts are the rows an erasure removed or rewrote.
type Counts struct {
	Links        int  `json:"links"`         // case parts (contact) or case assignments (user)
	IndexRows    int  `json:"index_rows"`    // search entries removed or rewritten
	Mentions     int  `json:"mentions"`      // free-text fields rewritten
	AuditTexts   int  `json:"audit_texts"`   // records and searches whose typed text in the audit trail named them
	KeyDestroyed bool `json:"key_destroyed"` // the subject's key existed and is gone
}

// Erase erases subject from the tenant of h: an administrator's request.
// A user must be disabled (or deleted) first. The erasure is recorded in
// the ledger before the tenant's own transaction, so that a crash between
// the two errs on the side of erasing again at the next restore (and the
// request may simply be repeated).
func (s *Service) Erase(ctx context.Context, h *tenancy.Handle, p *identity.Principal, subj Subject) (*Result, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	personal.EnsureSealed(ctx, h)
	if err := checkErasable(ctx, h.DB, subj); err != nil {
		return nil, err
	}
	if err := requireVisible(ctx, h.DB, p, subj); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	if err := s.record(ctx, h.Tenant.Slug, subj.String(), now); err != nil {
		return nil, err
	}
	res := &Result{Subject: subj.String(), ErasedAt: now}
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := checkErasable(ctx, tx, subj); err != nil {
			return err
		}
		c, err := wipe(ctx, tx, h, subj)
		if err != nil {
			return err
		}
		res.Counts = c
		ev := audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: "subject.erase",
			ObjectType: subj.Kind, ObjectID: strconv.FormatInt(subj.ID, 10)}
		if _, err := h.Audit.Append(ctx, tx, ev); err != nil {
			return fmt.Errorf("audit subject.erase: %w", err)
		}
		return nil
	})
	if err != nil {
		if code := strongroom.ErrorCode(err); code == strongroom.ENOTFOUND || code == strongroom.ECONFLICT {
			// Refused after all (the account was re-enabled meanwhile):
			// the ledger must not erase an active user at a restore.
			_ = s.unrecord(ctx, h.Tenant.Slug, subj.String())
		}
		return nil, err
	}
	afterErase(ctx, h, s.log)
	return res, nil
}

// Querier is a database handle or a transaction.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*store.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *store.Row
}

// checkErasable refuses unknown subjects and active users.
func checkErasable(ctx context.Context, q Querier, subj Subject) error {
	notFound := strongroom.Errorf(strongroom.ENOTFOUND, "There is no such person to erase (or they have been erased already).")
	known, err := present(ctx, q, subj)
	if err != nil {
		return err
	}
	if !known {
		return notFound
	}
	if subj.Kind == KindUser {
		var status string
		err := q.QueryRowContext(ctx, `SELECT status FROM users WHERE id = ?`, subj.ID).Scan(&status)
		if err == nil && status == "active" {
			return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "status",
				Message: "This user account is active. Disable the account first, then erase the person's data."}
		}
	}
	return nil
}

// present reports whether anything of subj is left to erase: their key,
// their row (not yet a tombstone) or a row linking them.
func present(ctx context.Context, q Querier, subj Subject) (bool, error) {
	var n int
	var err error
	switch subj.Kind {
	case KindContact:
		err = q.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM audit_subject_keys WHERE subject_id = ?)
			+ (SELECT COUNT(*) FROM contacts WHERE id = ? AND (sealed IS NULL OR sealed <> ?))
			+ (SELECT COUNT(*) FROM case_contacts WHERE contact_id = ?)`,
			subj.String(), subj.ID, personal.Tombstone, subj.ID).Scan(&n)
	default:
		err = q.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM audit_subject_keys WHERE subject_id = ?)
			+ (SELECT COUNT(*) FROM users WHERE id = ? AND username_key <> ?) + (SELECT COUNT(*) FROM case_users WHERE user_id = ?)`,
			subj.String(), subj.ID, tombstone(subj.ID), subj.ID).Scan(&n)
	}
	if err != nil {
		return false, fmt.Errorf("look up %s: %w", subj, err)
	}
	return n > 0, nil
}

// tombstone is the user name an erased account keeps: its row stays, so
// that ids in the audit trail and document versions still name an account
// (read as erased).
func tombstone(id int64) string { return "erased-" + strconv.FormatInt(id, 10) }
