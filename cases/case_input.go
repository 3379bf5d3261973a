package cases

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"strongroom"
	"strongroom/store"
)

// Limits of case fields.
const (
	maxNumber = 40
	maxTags   = 20
	maxTag    = 50
)

// normalize tidies what may be tidied (tag case and order, id sets) and
// validates the rest, reporting every problem at once; today fills an
// empty opening date. A closed case must say when it closed: the date is
// not guessed, since a case is often marked closed (or imported) well
// after the day it closed.
func (in *CaseInput) normalize(today string) error {
	var ps strongroom.Problems
	if in.Number != "" {
		ps.Add(checkNumber(in.Number))
	}
	ps.Add(checkText("title", in.Title, 1, 300, false))
	ps.Add(checkText("client", in.Client, 0, 300, false))
	ps.Add(checkText("practice_group", in.PracticeGroup, 0, 100, false))
	if in.Status == "" {
		in.Status = StatusOpen
	}
	if !slices.Contains(Statuses(), in.Status) {
		ps.Addf("status", "The status must be one of: %s.", strings.Join(Statuses(), ", "))
	}
	if in.OpenedOn == "" {
		in.OpenedOn = today
	}
	ps.Add(checkDate("opened_on", in.OpenedOn, true))
	ps.Add(checkDate("closed_on", in.ClosedOn, false))
	switch {
	case in.Status == StatusClosed && in.ClosedOn == "":
		ps.Addf("closed_on", "A closed case needs the date it closed.")
	case in.ClosedOn != "" && in.ClosedOn < in.OpenedOn && !ps.Has("opened_on") && !ps.Has("closed_on"):
		ps.Addf("closed_on", "A case cannot close before it opened.")
	}
	if in.MDLID < 0 {
		ps.Addf("mdl_id", "Choose a multi-district litigation group from the list.")
	}
	tags, err := normalizeTags(in.Tags)
	ps.Add(err)
	in.Tags = tags
	responsible, err := idSet("responsible", in.Responsible)
	ps.Add(err)
	classes, err := idSet("classes", in.Classes)
	ps.Add(err)
	if !ps.OK() {
		return ps.Err()
	}
	in.Responsible, in.Classes = responsible, classes
	return nil
}

// checkNumber validates a typed-in case number.
func checkNumber(n string) error {
	if err := checkText("number", n, 1, maxNumber, false); err != nil {
		return err
	}
	for i, r := range n {
		ok := r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' ||
			i > 0 && strings.ContainsRune("-_./", r)
		if !ok {
			return strongroom.FieldError("number", "A case number may hold letters, digits and - _ . / (not first).")
		}
	}
	return nil
}

// normalizeTags lowercases, trims, de-duplicates and sorts tags.
func normalizeTags(raw []string) ([]string, error) {
	var out []string
	for _, t := range raw {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if err := checkText("tags", t, 1, maxTag, false); err != nil {
			return nil, err
		}
		if strings.ContainsAny(t, ",;") {
			return nil, strongroom.FieldError("tags", "A tag may not hold commas or semicolons.")
		}
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > maxTags {
		return nil, strongroom.FieldError("tags", "A case may carry at most %d tags.", maxTags)
	}
	return out, nil
}

// finishRecord ends the checks of a record's input: its classes are
// checked with the rest, and only when every check passed are they set to
// their sorted, de-duplicated form. It returns every problem found, or nil.
func finishRecord(ps *strongroom.Problems, classes *[]int64) error {
	set, err := idSet("classes", *classes)
	ps.Add(err)
	if !ps.OK() {
		return ps.Err()
	}
	*classes = set
	return nil
}

// idSet sorts and de-duplicates ids, refusing non-positive ones.
func idSet(field string, ids []int64) ([]int64, error) {
	out := slices.Clone(ids)
	for _, id := range out {
		if id <= 0 {
			return nil, strongroom.FieldError(field, "Choose from the list.")
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// checkRefs checks that what a case refers to exists: its classes, its
// multi-district litigation group and its responsible users.
func checkRefs(ctx context.Context, tx *store.Tx, in *CaseInput) error {
	if err := CheckClasses(ctx, tx, in.Classes); err != nil {
		return err
	}
	if in.MDLID != 0 {
		if n, err := count(ctx, tx, `SELECT COUNT(*) FROM mdl_groups WHERE id = ?`, in.MDLID); err != nil {
			return err
		} else if n == 0 {
			return strongroom.FieldError("mdl_id", "There is no such multi-district litigation group.")
		}
	}
	for _, u := range in.Responsible {
		if n, err := count(ctx, tx, `SELECT COUNT(*) FROM users WHERE id = ?`, u); err != nil {
			return err
		} else if n == 0 {
			return strongroom.FieldError("responsible", "There is no user %d.", u)
		}
	}
	return nil
}

func count(ctx context.Context, q Querier, query string, args ...any) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return n, nil
}
