// Package dashboards holds groups of users and the dashboards they see:
// dashboards with their widgets, shared with groups for viewing or
// editing. It owns the authorization of both (see authorize.go): a
// dashboard is visible to a user who holds the dashboards area and either
// owns it or belongs to a group it is shared with; one that is not visible
// answers exactly like one that does not exist.
//
// A widget names its data source by a string only — a stored metric
// ("crm.pipeline") or a kind of case data ("case:open") — and
// this package checks its syntax, not what it computes: the figures are
// read elsewhere, through the access predicate, when a dashboard is shown.
//
// Every change is written with its audit event in one transaction of the
// tenant's database, and announced on Changes once committed, so that live
// views can check their viewers' access again.
package dashboards

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Service runs group and dashboard operations on the tenant a request
// names. The pages and the JSON API both call it.
type Service struct {
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Changes hears of every committed change of a dashboard, its widgets,
	// its shares or a group's members.
	Changes *Changes
}

// New returns the service with a Changes of its own.
func New() *Service { return &Service{Now: time.Now, Changes: NewChanges()} }

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Second) }

// querier is a database handle or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*store.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *store.Row
}

// change is an audit event about to be written.
type change struct {
	action  string
	objType string
	id      int64
	changes []audit.Change
	details map[string]string
}

// record writes the audit event of a change in tx, the change's
// transaction: both commit or neither.
// Names, descriptions and widget titles are typed text that may name a
// person: they are sealed under the record's text subject, so that an
// erasure of that person can make them unreadable in the trail
// (audit.TextSubject).
func record(ctx context.Context, tx *store.Tx, h *tenancy.Handle, p *identity.Principal, c change) error {
	e := audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: c.action,
		ObjectType: c.objType, ObjectID: strconv.FormatInt(c.id, 10), Changes: c.changes, Details: c.details}
	e.SealTyped(typedFields)
	_, err := h.Audit.Append(ctx, tx, e)
	if err != nil {
		return fmt.Errorf("audit %s: %w", c.action, err)
	}
	return nil
}

// typedFields are the fields of dashboards, widgets and groups that hold
// text as someone typed it.
var typedFields = map[string]bool{"name": true, "description": true, "title": true}

// diffs collects the fields an update changed, for its audit event.
type diffs []audit.Change

func (d *diffs) add(field string, before, after any) {
	if fmt.Sprint(before) != fmt.Sprint(after) {
		*d = append(*d, audit.Change{Field: field, Before: before, After: after})
	}
}

// Audit object types.
const (
	objDashboard = "dashboard"
	objWidget    = "dashboard_widget"
	objGroup     = "user_group"
)

func notFound(what string) error {
	return strongroom.Errorf(strongroom.ENOTFOUND, "No such %s.", what)
}

// errStale answers an edit based on a version that is not the current one.
func errStale(what string) error {
	return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "version",
		Message: fmt.Sprintf("Someone else changed this %s since you opened it. Reload it, make your changes again and save.", what)}
}

// checkText validates a single-line text field by its length in
// characters: no control characters, no leading or trailing spaces.
func checkText(field, value string, min, max int) error {
	if !utf8.ValidString(value) {
		return strongroom.FieldError(field, "This is not valid UTF-8 text.")
	}
	n := utf8.RuneCountInString(value)
	switch {
	case n < min && min == 1:
		return strongroom.FieldError(field, "This field is required.")
	case n > max:
		return strongroom.FieldError(field, "Must be at most %d characters long.", max)
	}
	for _, r := range value {
		if r < 0x20 || r == 0x7f {
			return strongroom.FieldError(field, "May not hold control characters.")
		}
	}
	if strings.TrimSpace(value) != value {
		return strongroom.FieldError(field, "May not start or end with spaces.")
	}
	return nil
}

// checkDescription validates a description: up to max characters, line
// breaks and tabs allowed.
func checkDescription(field, value string, max int) error {
	if !utf8.ValidString(value) {
		return strongroom.FieldError(field, "This is not valid UTF-8 text.")
	}
	if utf8.RuneCountInString(value) > max {
		return strongroom.FieldError(field, "Must be at most %d characters long.", max)
	}
	for _, r := range value {
		if (r < 0x20 && r != '\n' && r != '\r' && r != '\t') || r == 0x7f {
			return strongroom.FieldError(field, "May not hold control characters.")
		}
	}
	return nil
}

func parseTime(s string) time.Time {
	t, _ := store.ParseTime(s)
	return t
}
