package access

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// never is the predicate of a list the user may not read at all: it selects
// no row, so counts and totals are zero rather than a hint.
const never = "1 = 0"

// rcAlias is the alias of record_classes inside a predicate's subqueries; an
// idColumn may not be qualified by it, or the correlation would turn inward.
const rcAlias = "access_rc"

var (
	recordTypePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	idColumnPattern   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}\.[A-Za-z_][A-Za-z0-9_]{0,62}$`)
)

// Predicate is a SQL condition with '?' placeholders and their arguments, to
// be ANDed into a WHERE clause ("... WHERE c.closed = ? AND " + p.SQL) with
// p.Args appended in the same position.
type Predicate struct {
	SQL  string
	Args []any
}

// Predicate returns the condition that selects exactly the rows of a record
// table that a list, search, count or aggregate may include for this user:
// the rows for which CanSee(a, need, classes) holds. idColumn is the outer
// query's qualified id column ("c.id"); recordType is the record's type in
// record_classes ("case"). When the area is not allowed at need, the
// condition is "1 = 0". Class ids and the record type are bound as
// arguments, never formatted into the SQL.
//
// idColumn must be qualified (alias.column, so that it cannot be captured by
// the subquery's own columns) and recordType lowercase letters, digits and
// underscores. Both come from code, not from users, so a bad one is a
// programming error and Predicate panics.
func (s *Subject) Predicate(a Area, need Level, recordType, idColumn string) Predicate {
	checkIdentifiers(recordType, idColumn)
	if !s.Allowed(a, need) {
		return Predicate{SQL: never}
	}
	unclassified := fmt.Sprintf("NOT EXISTS (SELECT 1 FROM record_classes %[1]s WHERE %[1]s.record_type = ? AND %[1]s.record_id = %[2]s)",
		rcAlias, idColumn)
	if len(s.Classes) == 0 {
		if s.Restricted {
			return Predicate{SQL: never}
		}
		return Predicate{SQL: unclassified, Args: []any{recordType}}
	}
	classes := slices.Compact(slices.Sorted(slices.Values(s.Classes)))
	held := fmt.Sprintf("EXISTS (SELECT 1 FROM record_classes %[1]s WHERE %[1]s.record_type = ? AND %[1]s.record_id = %[2]s AND %[1]s.class_id IN (%[3]s))",
		rcAlias, idColumn, strings.TrimSuffix(strings.Repeat("?, ", len(classes)), ", "))
	args := make([]any, 0, len(classes)+2)
	if s.Restricted {
		args = append(args, recordType)
		for _, c := range classes {
			args = append(args, c)
		}
		return Predicate{SQL: held, Args: args}
	}
	args = append(args, recordType, recordType)
	for _, c := range classes {
		args = append(args, c)
	}
	return Predicate{SQL: "(" + unclassified + " OR " + held + ")", Args: args}
}

func checkIdentifiers(recordType, idColumn string) {
	if !recordTypePattern.MatchString(recordType) {
		panic(fmt.Sprintf("access: record type %q is not a lowercase identifier", recordType))
	}
	if !idColumnPattern.MatchString(idColumn) {
		panic(fmt.Sprintf("access: id column %q is not a qualified identifier (alias.column)", idColumn))
	}
	if q, _, _ := strings.Cut(idColumn, "."); strings.EqualFold(q, rcAlias) || strings.EqualFold(q, "record_classes") {
		panic(fmt.Sprintf("access: id column %q is qualified by the predicate's own table", idColumn))
	}
}
