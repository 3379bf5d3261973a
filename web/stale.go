package web

import (
	"net/http"
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
	// Merged: the user left the field as the form showed it, so the form
	// now holds the saved value (someone else's change is kept).
	Merged bool
}

// originPrefix names the hidden inputs that carry the values an edit form
// was opened with ("was.title"), and originMark the one that says they are
// there: with them a stale edit can tell the fields the user changed from
// those they left alone.
const (
	originPrefix = "was."
	originMark   = "was"
)

// originOf reads the values an edit form was opened with from its
// submission; ok is false for a submission without them (an old form).
func originOf(r *http.Request, fields []string) (origin url.Values, ok bool) {
	if r.PostForm == nil || r.PostForm.Get(originMark) != "1" {
		return nil, false
	}
	origin = url.Values{}
	for _, f := range fields {
		if vs := r.PostForm[originPrefix+f]; len(vs) > 0 {
			origin[f] = slices.Clone(vs)
		}
	}
	return origin, true
}

// originFields is the set of values to carry as the form's origin: those
// of fields only.
func originFields(vs url.Values, fields []string) url.Values {
	out := url.Values{}
	for _, f := range fields {
		if len(vs[f]) > 0 {
			out[f] = slices.Clone(vs[f])
		}
	}
	return out
}

// reconcile merges an edit that was based on an old version with what is
// saved now, field by field, the way a careful colleague would: a field the
// user left as the form showed it takes the saved value (someone else's
// change is kept, not silently undone); a field the user changed keeps the
// user's value, and where the saved value differs it is listed so that
// saving again is a knowing choice. Both kinds are listed, the first marked
// Merged. Without the origin every field that
// differs keeps the user's value and is listed. yours is changed in place.
func reconcile(fields []string, theirs, yours, origin url.Values, known bool, show func(field string, vs []string) string) []staleField {
	var out []staleField
	for _, f := range fields {
		a, b := show(f, theirs[f]), show(f, yours[f])
		if a == b {
			continue
		}
		sf := staleField{Field: f, Label: fieldLabel(f), Theirs: orEmpty(a), Yours: orEmpty(b)}
		if known && show(f, origin[f]) == b {
			// Untouched by the user, changed by someone else: take theirs.
			yours[f] = slices.Clone(theirs[f])
			sf.Merged = true
		}
		out = append(out, sf)
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
