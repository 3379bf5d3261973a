// Package access is Strongroom's one authorization point. It turns a user
// (their roles, security classes and whether they are restricted) and a data
// area into both a Go decision (Subject.Allowed, Subject.CanSee,
// Subject.Require) and a SQL predicate (Subject.Predicate) that a store
// appends to every list, search, count and aggregate over a record table.
// The two are written side by side here and tested against each other on
// both engines, so that what a user can open and what a user can count never
// disagree.
//
// # Roles
//
// A Role grants Deny, ReadGrant or EditGrant per Area; an area missing from a
// role's map is no grant. A user may hold any number of roles; Effective
// combines them: any deny gives None, else Edit if any role grants edit, else
// Read if any grants read, else None. No grant means no access.
//
// # Security classes
//
// A record may carry security classes. It is visible to a user when it
// carries a class the user holds, or when it carries none and the user is not
// restricted. A restricted user (an outside firm, local counsel) sees only
// records carrying one of their classes.
//
// Each record's effective classes are kept in one table of the tenant
// database (created by tenant migration 0003_identity on both engines):
//
//	record_classes(
//		record_type TEXT NOT NULL,   -- as passed to Subject.Predicate: "case", "document"
//		record_id   BIGINT NOT NULL, -- the record's id in its own table
//		class_id    BIGINT NOT NULL, -- a security class
//		PRIMARY KEY (record_type, record_id, class_id))
//
// A record with no row there carries no class. Writers keep the table in
// step with the record, in the same transaction: a record that inherits
// classes (a document inheriting its case's) has them copied there, and
// changing a case's classes rewrites those of the records under it, so a
// predicate never walks a hierarchy.
//
// # Not found versus forbidden
//
// A record a user may not see does not exist for that user. A list over an
// area the user lacks fails whole with EFORBIDDEN (Subject.Require); a single
// record that exists but is hidden is ENOTFOUND, exactly like a missing one
// (Subject.CanSee false → the store answers as for a missing row).
//
// This package imports neither database/sql nor net/http.
package access

import (
	"strings"

	"strongroom"
)

// Area is a data area (or record type) that roles grant access to.
type Area string

// The data areas. Add new record types here and to areas (and give them a
// label); nothing else lists them.
const (
	Cases          Area = "cases"
	Documents      Area = "documents"
	Financial      Area = "financial"
	Contacts       Area = "contacts"
	Notes          Area = "notes"
	Reports        Area = "reports"
	Dashboards     Area = "dashboards"
	Audit          Area = "audit"
	Administration Area = "administration"
)

// areas is the one ordered list of data areas, with their human names.
var areas = []struct {
	area  Area
	label string
}{
	{Cases, "cases"},
	{Documents, "documents"},
	{Financial, "financial records"},
	{Contacts, "contacts"},
	{Notes, "notes"},
	{Reports, "reports"},
	{Dashboards, "dashboards"},
	{Audit, "audit records"},
	{Administration, "administration"},
}

// Areas returns every data area in display order. The slice is the caller's.
func Areas() []Area {
	out := make([]Area, len(areas))
	for i, a := range areas {
		out[i] = a.area
	}
	return out
}

// Valid reports whether a is a known data area.
func (a Area) Valid() bool {
	for _, x := range areas {
		if x.area == a {
			return true
		}
	}
	return false
}

// Label returns the human name of an area ("financial records"), or the raw
// name for an unknown one.
func (a Area) Label() string {
	for _, x := range areas {
		if x.area == a {
			return x.label
		}
	}
	return string(a)
}

// ParseArea reads an area name as the API and forms spell it ("cases"). The
// match is exact; anything else is an EINVALID error naming field "area".
// The message does not echo the input.
func ParseArea(s string) (Area, error) {
	if a := Area(s); a.Valid() {
		return a, nil
	}
	names := make([]string, len(areas))
	for i, a := range areas {
		names[i] = string(a.area)
	}
	return "", strongroom.FieldError("area", "Unknown data area; use one of: %s.", strings.Join(names, ", "))
}

// Grant is what a role gives one area.
type Grant string

const (
	// NoGrant is the absence of a grant; a role's map normally leaves the
	// area out instead of storing it.
	NoGrant   Grant = ""
	Deny      Grant = "deny"
	ReadGrant Grant = "read"
	EditGrant Grant = "edit"
)

// Valid reports whether g is Deny, ReadGrant or EditGrant. NoGrant is not a
// storable grant.
func (g Grant) Valid() bool {
	return g == Deny || g == ReadGrant || g == EditGrant
}

// ParseGrant reads a grant as the API and forms spell it. "deny", "read" and
// "edit" give that grant; "" and "none" give NoGrant with a nil error, which
// the caller stores by leaving the area out of the role's map. The match is
// exact; anything else is an EINVALID error naming field "grant".
func ParseGrant(s string) (Grant, error) {
	switch s {
	case "", "none":
		return NoGrant, nil
	case string(Deny), string(ReadGrant), string(EditGrant):
		return Grant(s), nil
	}
	return "", strongroom.FieldError("grant", "Unknown grant; use one of: none, deny, read, edit.")
}

// Level is the effective access a user has to an area.
type Level int

const (
	None Level = iota
	Read
	Edit
)

// String names the level ("none", "read", "edit").
func (l Level) String() string {
	switch l {
	case None:
		return "none"
	case Read:
		return "read"
	case Edit:
		return "edit"
	}
	return "invalid"
}

// Role is a named set of grants. An area missing from Grants, or mapped to
// NoGrant, has no grant from this role. Built-in roles (BuiltinRoles) are
// created with each tenant.
type Role struct {
	ID          int64
	Name        string
	Description string
	Builtin     bool
	Grants      map[Area]Grant
}

// Validate checks a role as an administrator defines it: a name, and only
// known areas with deny, read, edit or NoGrant (which a store should not
// write as a row).
func (r *Role) Validate() error {
	switch {
	case strings.TrimSpace(r.Name) == "":
		return strongroom.FieldError("name", "A role name is required.")
	case len(r.Name) > 100:
		return strongroom.FieldError("name", "A role name may be at most 100 characters long.")
	case len(r.Description) > 1000:
		return strongroom.FieldError("description", "A role description may be at most 1000 characters long.")
	}
	for a, g := range r.Grants {
		if !a.Valid() {
			return strongroom.FieldError("area", "Unknown data area in the role's grants.")
		}
		if g != NoGrant && !g.Valid() {
			return strongroom.FieldError("grant", "The grant for %s must be deny, read or edit.", a.Label())
		}
	}
	return nil
}

// Effective combines roles into one level per area: any deny gives None;
// else Edit if any role grants edit; else Read if any grants read; else None.
// A grant value that is not deny, read or edit is treated as deny, so a
// damaged row fails closed. The map holds every area in Areas().
func Effective(roles []Role) map[Area]Level {
	out := make(map[Area]Level, len(areas))
	for _, x := range areas {
		out[x.area] = effective(roles, x.area)
	}
	return out
}

func effective(roles []Role, a Area) Level {
	best := None
	for _, r := range roles {
		g, ok := r.Grants[a]
		if !ok || g == NoGrant {
			continue
		}
		switch g {
		case ReadGrant:
			best = max(best, Read)
		case EditGrant:
			best = Edit
		default: // Deny, or anything unknown
			return None
		}
	}
	return best
}
