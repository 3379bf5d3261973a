package web

import (
	"net/url"
	"slices"
	"strings"

	"strongroom"
)

// isStale reports whether err refused an edit because the record changed
// since the form was opened (the cases service's version check).
func isStale(err error) bool {
	return strongroom.ErrorCode(err) == strongroom.ECONFLICT && strongroom.ErrorField(err) == "version"
}

// staleField is a field whose saved value, written by someone else since
// the form was opened, differs from what the user typed.
type staleField struct {
	Field, Label, Theirs, Yours string
}

// staleFields compares the saved values (theirs) with the submitted ones
// (yours) field by field; show writes a field's values for people and
// also decides what counts as the same (tags in another order are).
func staleFields(fields []string, theirs, yours url.Values, show func(field string, vs []string) string) []staleField {
	var out []staleField
	for _, f := range fields {
		a, b := show(f, theirs[f]), show(f, yours[f])
		if a != b {
			out = append(out, staleField{Field: f, Label: fieldLabel(f), Theirs: orEmpty(a), Yours: orEmpty(b)})
		}
	}
	return out
}

func orEmpty(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}

// showList writes a set of values (ids or tags) sorted, each through
// name, joined by commas: sets that differ only in order read the same.
func showList(vs []string, name func(string) string) string {
	var out []string
	for _, v := range vs {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, name(part))
			}
		}
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), ", ")
}
