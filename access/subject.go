package access

import (
	"slices"

	"strongroom"
)

// Subject is a user as authorization sees them: effective levels per area,
// the security classes they hold, and whether they are restricted. Build it
// with NewSubject once per request; it is read-only afterwards and safe for
// concurrent use. A nil *Subject has no access to anything.
type Subject struct {
	UserID     int64
	Restricted bool
	Classes    []int64 // sorted, unique
	Levels     map[Area]Level
}

// NewSubject builds the Subject for a user from their roles and classes.
// classes is copied, sorted and made unique.
func NewSubject(userID int64, restricted bool, classes []int64, roles []Role) *Subject {
	cs := slices.Clone(classes)
	slices.Sort(cs)
	cs = slices.Compact(cs)
	return &Subject{UserID: userID, Restricted: restricted, Classes: cs, Levels: Effective(roles)}
}

// Level returns the user's effective level for an area (None for an unknown
// area or a nil Subject).
func (s *Subject) Level(a Area) Level {
	if s == nil {
		return None
	}
	return s.Levels[a]
}

// Allowed reports whether the user's level for the area is at least need.
// A need below Read counts as Read: reading records always needs a grant.
func (s *Subject) Allowed(a Area, need Level) bool {
	return s.Level(a) >= max(need, Read)
}

// Require returns nil when Allowed, else an EFORBIDDEN error with a plain
// message: "You do not have access to <area label>." when the user has no
// access to the area, "You do not have permission to change <area label>."
// when they may read but need is Edit. Use it where the whole area is at stake
// (a list, a search, a create); for one existing record use CanSee and answer
// ENOTFOUND.
func (s *Subject) Require(a Area, need Level) error {
	if s.Allowed(a, need) {
		return nil
	}
	if s.Level(a) >= Read {
		return strongroom.Errorf(strongroom.EFORBIDDEN, "You do not have permission to change %s.", a.Label())
	}
	return strongroom.Errorf(strongroom.EFORBIDDEN, "You do not have access to %s.", a.Label())
}

// CanSee decides one record: the area level (Allowed) and the class rule,
// given the record's effective classes (in any order). A caller that gets
// false for a record that exists answers ENOTFOUND, as for a missing one.
func (s *Subject) CanSee(a Area, need Level, recordClasses []int64) bool {
	if !s.Allowed(a, need) {
		return false
	}
	if len(recordClasses) == 0 {
		return !s.Restricted
	}
	for _, c := range recordClasses {
		if s.HasClass(c) {
			return true
		}
	}
	return false
}

// HasClass reports whether the user holds security class c.
func (s *Subject) HasClass(c int64) bool {
	return s != nil && slices.Contains(s.Classes, c)
}
