package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Case statuses.
const (
	StatusOpen     = "open"
	StatusPending  = "pending"
	StatusClosed   = "closed"
	StatusArchived = "archived"
)

// Statuses lists the case statuses in display order.
func Statuses() []string { return []string{StatusOpen, StatusPending, StatusClosed, StatusArchived} }

// Case is a matter.
type Case struct {
	ID            int64
	Number        string
	Title         string
	Client        string
	PracticeGroup string
	Status        string
	OpenedOn      string // YYYY-MM-DD
	ClosedOn      string // YYYY-MM-DD or empty
	MDLID         int64  // 0: in no multi-district litigation group
	Tags          []string
	Responsible   []int64 // user ids
	Classes       []int64 // security class ids
	Version       int
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// CaseInput is what a user sets on a case. On update, Version is the
// version the edit is based on.
type CaseInput struct {
	Number        string // empty on create: one is generated (2026-00042)
	Title         string
	Client        string
	PracticeGroup string
	Status        string
	OpenedOn      string
	ClosedOn      string
	MDLID         int64
	Tags          []string
	Responsible   []int64
	Classes       []int64
	Version       int
}

// Input returns the input that would leave c as it is, for edits.
func (c *Case) Input() CaseInput {
	return CaseInput{Number: c.Number, Title: c.Title, Client: c.Client, PracticeGroup: c.PracticeGroup,
		Status: c.Status, OpenedOn: c.OpenedOn, ClosedOn: c.ClosedOn, MDLID: c.MDLID,
		Tags: slices.Clone(c.Tags), Responsible: slices.Clone(c.Responsible), Classes: slices.Clone(c.Classes), Version: c.Version}
}

// tagsText is how tags are stored: comma-separated, so that a filter can
// match ",tag," inside ",stored,".
func tagsText(tags []string) string { return strings.Join(tags, ",") }

func splitTags(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

const caseColumns = `c.id, c.number, c.title, c.client, c.practice_group, c.status, c.opened_on, c.closed_on,
	COALESCE(c.mdl_id, 0), c.tags, c.version, c.created_at, c.updated_at`

func scanCase(row interface{ Scan(...any) error }) (*Case, error) {
	var c Case
	var tags, created, updated string
	if err := row.Scan(&c.ID, &c.Number, &c.Title, &c.Client, &c.PracticeGroup, &c.Status, &c.OpenedOn, &c.ClosedOn,
		&c.MDLID, &tags, &c.Version, &created, &updated); err != nil {
		return nil, err
	}
	c.Tags, c.CreatedAt, c.UpdatedAt = splitTags(tags), parseStored(created), parseStored(updated)
	return &c, nil
}

// loadCase reads a live case with its responsible users and classes; the
// caller has already decided that the user may see it.
func loadCase(ctx context.Context, q Querier, id int64) (*Case, error) {
	c, err := scanCase(q.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases c WHERE c.id = ? AND c.deleted_at = ''`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound(TypeCase)
	} else if err != nil {
		return nil, fmt.Errorf("load case %d: %w", id, err)
	}
	if c.Responsible, err = int64s(ctx, q, `SELECT user_id FROM case_users WHERE case_id = ? ORDER BY user_id`, id); err != nil {
		return nil, err
	}
	if c.Classes, err = Classes(ctx, q, TypeCase, id); err != nil {
		return nil, err
	}
	return c, nil
}

func int64s(ctx context.Context, q Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read ids: %w", err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// shown is a case as principal p is shown it.
// Restricted users (outside firms) are not shown the firm's staff.
func shown(p *identity.Principal, c *Case) *Case {
	c.Classes = shownClasses(p.Subject, c.Classes)
	if p.Subject.Restricted {
		c.Responsible = []int64{}
	}
	return c
}

// checkResponsible keeps restricted users from setting responsible users,
// whom they are not shown: on update they keep the current ones.
func checkResponsible(p *identity.Principal, in *CaseInput, current []int64) error {
	if !p.Subject.Restricted {
		return nil
	}
	if current != nil {
		in.Responsible = current
		return nil
	}
	if len(in.Responsible) > 0 {
		return strongroom.FieldError("responsible", "Only the firm's own staff assign responsible users.")
	}
	return nil
}

// GetCase returns a case the user may see; a hidden case is ENOTFOUND,
// exactly like a missing one.
func (s *Service) GetCase(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64) (*Case, error) {
	if err := Visible(ctx, t.DB, p.Subject, TypeCase, id, access.Read); err != nil {
		return nil, err
	}
	c, err := loadCase(ctx, t.DB, id)
	if err != nil {
		return nil, err
	}
	return shown(p, c), nil
}

// maxAttempts bounds retries of a create whose generated number another
// writer took at the same moment.
const maxAttempts = 5

// CreateCase opens a case. An empty number is generated from the opening
// year and the next free sequence number (2026-00042).
func (s *Service) CreateCase(ctx context.Context, t *tenancy.Handle, p *identity.Principal, in CaseInput) (*Case, error) {
	if err := p.Subject.Require(access.Cases, access.Edit); err != nil {
		return nil, err
	}
	if err := in.normalize(s.Now().UTC().Format(dateLayout)); err != nil {
		return nil, err
	}
	if err := checkResponsible(p, &in, nil); err != nil {
		return nil, err
	}
	classes, err := ownClasses(p.Subject, nil, in.Classes)
	if err != nil {
		return nil, err
	}
	in.Classes = classes
	if err := stillVisible(p.Subject, access.Cases, in.Classes, "case"); err != nil {
		return nil, err
	}
	var id int64
	for attempt := 1; ; attempt++ {
		err = t.DB.InTx(ctx, func(tx *store.Tx) error {
			next := in
			if next.Number == "" {
				n, err := nextNumber(ctx, tx, next.OpenedOn[:4])
				if err != nil {
					return err
				}
				next.Number = n
			} else if err := numberFree(ctx, tx, next.Number, 0); err != nil {
				return err
			}
			if err := checkRefs(ctx, tx, &next); err != nil {
				return err
			}
			if id, err = insertCase(ctx, tx, &next, s.now()); err != nil {
				return err
			}
			return record(ctx, tx, t, p, change{action: "case.create", objType: "case", id: id, changes: caseFields(&next)})
		})
		if err == nil || !uniqueViolation(err) {
			break
		}
		if attempt == maxAttempts {
			return nil, strongroom.Errorf(strongroom.ECONFLICT, "Another case took the same number at the same moment; try again.")
		}
	}
	if err != nil {
		return nil, err
	}
	return s.GetCase(ctx, t, p, id)
}

// caseFields lists a new case's fields for its audit event.
func caseFields(in *CaseInput) []audit.Change {
	return created("number", in.Number, "title", in.Title, "client", in.Client, "practice_group", in.PracticeGroup,
		"status", in.Status, "opened_on", in.OpenedOn, "closed_on", in.ClosedOn, "mdl_id", in.MDLID,
		"tags", in.Tags, "responsible", in.Responsible, "classes", in.Classes)
}

// insertCase writes a validated case with its users, classes and search
// entry; the caller writes the audit event.
func insertCase(ctx context.Context, tx *store.Tx, in *CaseInput, now string) (int64, error) {
	var mdl any
	if in.MDLID != 0 {
		mdl = in.MDLID
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO cases (number, title, client, practice_group, status, opened_on, closed_on,
		mdl_id, tags, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		in.Number, in.Title, in.Client, in.PracticeGroup, in.Status, in.OpenedOn, in.ClosedOn, mdl, tagsText(in.Tags), now, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert case: %w", err)
	}
	if err := setResponsible(ctx, tx, id, in.Responsible); err != nil {
		return 0, err
	}
	if err := SetClasses(ctx, tx, TypeCase, id, in.Classes); err != nil {
		return 0, err
	}
	return id, indexCase(ctx, tx, id, in)
}

func setResponsible(ctx context.Context, tx *store.Tx, id int64, users []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM case_users WHERE case_id = ?`, id); err != nil {
		return fmt.Errorf("clear users of case %d: %w", id, err)
	}
	for _, u := range users {
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_users (case_id, user_id) VALUES (?, ?)`, id, u); err != nil {
			return fmt.Errorf("set user of case %d: %w", id, err)
		}
	}
	return nil
}

func indexCase(ctx context.Context, tx *store.Tx, id int64, in *CaseInput) error {
	body := strings.Join([]string{in.Client, in.PracticeGroup, strings.Join(in.Tags, " ")}, "\n")
	return Index(ctx, tx, TypeCase, id, id, in.Number+" "+in.Title, body)
}

// UpdateCase changes a case. The edit must be based on the current
// version; changed classes are copied to the records that inherit them.
func (s *Service) UpdateCase(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, in CaseInput) (*Case, error) {
	if err := p.Subject.Require(access.Cases, access.Edit); err != nil {
		return nil, err
	}
	err := t.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := Visible(ctx, tx, p.Subject, TypeCase, id, access.Edit); err != nil {
			return err
		}
		before, err := loadCase(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.Version != before.Version {
			return errStale("case")
		}
		if err := in.normalize(before.OpenedOn); err != nil {
			return err
		}
		if in.Number == "" {
			in.Number = before.Number
		}
		if err := checkResponsible(p, &in, before.Responsible); err != nil {
			return err
		}
		if in.Classes, err = ownClasses(p.Subject, before.Classes, in.Classes); err != nil {
			return err
		}
		if err := stillVisible(p.Subject, access.Cases, in.Classes, "case"); err != nil {
			return err
		}
		if err := numberFree(ctx, tx, in.Number, id); err != nil {
			return err
		}
		if err := checkRefs(ctx, tx, &in); err != nil {
			return err
		}
		return s.writeCase(ctx, tx, t, p, before, &in)
	})
	if err != nil {
		return nil, err
	}
	return s.GetCase(ctx, t, p, id)
}

// writeCase stores an update of before to in, with its audit event.
func (s *Service) writeCase(ctx context.Context, tx *store.Tx, t *tenancy.Handle, p *identity.Principal, before *Case, in *CaseInput) error {
	var mdl any
	if in.MDLID != 0 {
		mdl = in.MDLID
	}
	res, err := tx.ExecContext(ctx, `UPDATE cases SET number = ?, title = ?, client = ?, practice_group = ?, status = ?,
		opened_on = ?, closed_on = ?, mdl_id = ?, tags = ?, updated_at = ?, version = version + 1
		WHERE id = ? AND version = ? AND deleted_at = ''`,
		in.Number, in.Title, in.Client, in.PracticeGroup, in.Status, in.OpenedOn, in.ClosedOn, mdl, tagsText(in.Tags),
		s.now(), before.ID, before.Version)
	if err != nil {
		return fmt.Errorf("update case %d: %w", before.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errStale("case")
	}
	if err := setResponsible(ctx, tx, before.ID, in.Responsible); err != nil {
		return err
	}
	if !slices.Equal(before.Classes, in.Classes) {
		if err := SetClasses(ctx, tx, TypeCase, before.ID, in.Classes); err != nil {
			return err
		}
		if err := Propagate(ctx, tx, before.ID); err != nil {
			return err
		}
	}
	if err := indexCase(ctx, tx, before.ID, in); err != nil {
		return err
	}
	var d diffs
	d.add("number", before.Number, in.Number)
	d.add("title", before.Title, in.Title)
	d.add("client", before.Client, in.Client)
	d.add("practice_group", before.PracticeGroup, in.PracticeGroup)
	d.add("status", before.Status, in.Status)
	d.add("opened_on", before.OpenedOn, in.OpenedOn)
	d.add("closed_on", before.ClosedOn, in.ClosedOn)
	d.add("mdl_id", before.MDLID, in.MDLID)
	d.add("tags", before.Tags, nonNilStrings(in.Tags))
	d.add("responsible", before.Responsible, nonNilIDs(in.Responsible))
	d.add("classes", nonNilIDs(before.Classes), nonNilIDs(in.Classes))
	return record(ctx, tx, t, p, change{action: "case.update", objType: "case", id: before.ID, changes: d})
}

func nonNilIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
