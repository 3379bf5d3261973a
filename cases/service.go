package cases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Service runs case operations on the tenant a request names. The web UI
// and the JSON API both call it; it authorizes every operation through
// package access and writes every change with its audit event in one
// transaction of the tenant's database.
type Service struct {
	log *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Hooks let package documents follow a case it keeps records under.
	Hooks Hooks
}

// Hooks are what another package that keeps records under a case (package
// documents) may plug in. Both run inside this package's transaction.
type Hooks struct {
	// CaseDeleted runs when a case is soft-deleted, after this package has
	// marked the case's documents deleted and taken them out of search.
	CaseDeleted func(ctx context.Context, tx *store.Tx, caseID int64, deletedAt string) error
	// PurgeCase runs before a purged case's row is removed; it must remove
	// the documents under the case (and their files). Without it, a case is
	// purged only once no document row refers to it any more.
	PurgeCase func(ctx context.Context, tx *store.Tx, caseID int64) error
}

// New returns the case service.
func New(log *slog.Logger) *Service {
	return &Service{log: log, Now: time.Now}
}

func (s *Service) now() string { return store.FormatTime(s.Now()) }

// change is an audit event about to be written.
type change struct {
	action  string
	objType string
	id      int64
	changes []audit.Change
	details map[string]string
	subject string
}

// event turns a change into the audit event of principal p.
func event(p *identity.Principal, c change) audit.Event {
	e := audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: c.action, ObjectType: c.objType,
		ObjectID: strconv.FormatInt(c.id, 10), Changes: c.changes, Details: c.details, SubjectID: c.subject}
	e.SealTyped(typedFields)
	return e
}

// typedFields are the fields of cases and their records that hold text as
// someone typed it, which may name a person nobody linked: a case's title
// and client, a note, an event's title, a financial description. They are
// sealed under the record's text subject (audit.TextSubject), so that
// erasing a person named there can make them unreadable in the trail.
var typedFields = map[string]bool{"title": true, "client": true, "body": true, "description": true}

// record writes the audit event of a change in tx, the change's transaction.
func record(ctx context.Context, tx *store.Tx, t *tenancy.Handle, p *identity.Principal, c change) error {
	if _, err := t.Audit.Append(ctx, tx, event(p, c)); err != nil {
		return fmt.Errorf("audit %s: %w", c.action, err)
	}
	return nil
}

// diffs collects the fields an update changed, for its audit event.
type diffs []audit.Change

func (d *diffs) add(field string, before, after any) {
	if !reflect.DeepEqual(before, after) {
		*d = append(*d, audit.Change{Field: field, Before: before, After: after})
	}
}

// addPersonal adds a change whose values are personal data: the audit log
// seals them under the event's subject so they can be erased later.
func (d *diffs) addPersonal(field string, before, after any) {
	if !reflect.DeepEqual(before, after) {
		*d = append(*d, audit.Change{Field: field, Before: before, After: after, Personal: true})
	}
}

// created lists every field of a new record as a change from nothing.
func created(fields ...any) []audit.Change {
	var out []audit.Change
	for i := 0; i+1 < len(fields); i += 2 {
		out = append(out, audit.Change{Field: fields[i].(string), After: fields[i+1]})
	}
	return out
}

// errStale is the answer to an edit based on a version that is not the
// current one: never a silent overwrite.
func errStale(what string) error {
	return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "version",
		Message: fmt.Sprintf("Someone else changed this %s since you opened it. Reload it, make your changes again and save.", what)}
}

// checkText validates a text field: length in characters, no control
// characters (multi-line text may hold line breaks and tabs), and no
// leading or trailing spaces on single-line text.
func checkText(field, value string, min, max int, multiline bool) error {
	if !utf8.ValidString(value) {
		return strongroom.FieldError(field, "This is not valid UTF-8 text.")
	}
	n := utf8.RuneCountInString(value)
	switch {
	case n < min && min == 1:
		return strongroom.FieldError(field, "This field is required.")
	case n < min:
		return strongroom.FieldError(field, "Must be at least %d characters long.", min)
	case n > max:
		return strongroom.FieldError(field, "Must be at most %d characters long.", max)
	}
	for _, r := range value {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if r < 0x20 || r == 0x7f {
			return strongroom.FieldError(field, "May not hold control characters.")
		}
	}
	if !multiline && strings.TrimSpace(value) != value {
		return strongroom.FieldError(field, "May not start or end with spaces.")
	}
	return nil
}

// dateLayout is how dates are written everywhere: 2026-03-31.
const dateLayout = "2006-01-02"

// checkDate validates a date field (YYYY-MM-DD); empty is allowed when
// not required.
func checkDate(field, value string, required bool) error {
	if value == "" {
		if required {
			return strongroom.FieldError(field, "A date is required.")
		}
		return nil
	}
	d, err := time.Parse(dateLayout, value)
	if err != nil || d.Format(dateLayout) != value {
		return strongroom.FieldError(field, "Enter a real date as YYYY-MM-DD.")
	}
	if d.Year() < 1900 || d.Year() > 2200 {
		return strongroom.FieldError(field, "Enter a date between 1900 and 2200.")
	}
	return nil
}

// ownClasses works out the classes a record will carry when principal p
// asks for asked, the record carrying current now. A restricted user may
// add and remove only classes they hold; the others stay as they are,
// since such a user is not even shown them.
func ownClasses(s *access.Subject, current, asked []int64) ([]int64, error) {
	out := slices.Clone(asked)
	if s.Restricted {
		for _, c := range asked {
			if !s.HasClass(c) && !slices.Contains(current, c) {
				return nil, strongroom.FieldError("classes", "You may only assign security classes you hold.")
			}
		}
		for _, c := range current {
			if !s.HasClass(c) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// shownClasses is what a user is shown of a record's classes: all of them,
// or only those they hold when restricted (other firms' class names and ids
// are not theirs to see).
func shownClasses(s *access.Subject, classes []int64) []int64 {
	out := []int64{}
	for _, c := range classes {
		if !s.Restricted || s.HasClass(c) {
			out = append(out, c)
		}
	}
	return out
}

// stillVisible refuses a change after which the user could no longer see
// the record they are creating or editing.
func stillVisible(s *access.Subject, area access.Area, classes []int64, what string) error {
	if !s.CanSee(area, access.Read, classes) {
		return strongroom.FieldError("classes", "You would not be able to see this %s any more: give it one of your security classes.", what)
	}
	return nil
}

// boolInt stores a boolean as 0 or 1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parseStored reads a stored time, leaving the zero time for a bad one.
func parseStored(s string) time.Time {
	t, _ := store.ParseTime(s)
	return t
}

// uniqueViolation reports whether err is a unique-constraint violation,
// by the drivers' codes: PostgreSQL SQLSTATE 23505, SQLite extended codes
// 2067 (UNIQUE) and 1555 (PRIMARY KEY). The driver packages are not
// imported: their error types are matched by method.
func uniqueViolation(err error) bool {
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		return pg.SQLState() == "23505"
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		return lite.Code() == 2067 || lite.Code() == 1555
	}
	return false
}
