package cases

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Sort orders of the case list.
const (
	SortNumber = "number" // by case number, ascending
	SortOpened = "opened" // newest opening date first
)

// CaseFilter narrows and orders the case list. Empty fields filter nothing.
type CaseFilter struct {
	Status        string
	PracticeGroup string
	MDLID         int64
	Tag           string
	// Prefix matches the start of the number or the title (not case
	// sensitive for ASCII letters); full-text search is package search's.
	Prefix string
	Sort   string // SortNumber (default) or SortOpened
	ListOptions
}

func (f *CaseFilter) check() error {
	if f.Sort == "" {
		f.Sort = SortNumber
	}
	if f.Sort != SortNumber && f.Sort != SortOpened {
		return strongroom.FieldError("sort", "Sort by %q or %q.", SortNumber, SortOpened)
	}
	if f.Status != "" && !slices.Contains(Statuses(), f.Status) {
		return strongroom.FieldError("status", "The status must be one of: %s.", strings.Join(Statuses(), ", "))
	}
	if f.MDLID < 0 {
		return strongroom.FieldError("mdl_id", "Choose a multi-district litigation group from the list.")
	}
	f.Tag = strings.ToLower(strings.TrimSpace(f.Tag))
	if len(f.Tag) > maxTag || len(f.Prefix) > 300 || len(f.PracticeGroup) > 100 {
		return strongroom.FieldError("filter", "A filter value is too long.")
	}
	return nil
}

// likeEscape escapes LIKE wildcards so that user text matches literally
// (with ESCAPE '\').
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListCases lists the live cases the user may see, filtered and sorted,
// one page at a time. It returns the page and the cursor of the next page
// ("" on the last).
func (s *Service) ListCases(ctx context.Context, t *tenancy.Handle, p *identity.Principal, f CaseFilter) ([]*Case, string, error) {
	if err := p.Subject.Require(access.Cases, access.Read); err != nil {
		return nil, "", err
	}
	if err := f.check(); err != nil {
		return nil, "", err
	}
	limit, err := f.limit()
	if err != nil {
		return nil, "", err
	}
	c, err := decodeCursor(f.Cursor, "case:"+f.Sort)
	if err != nil {
		return nil, "", err
	}
	pred := Predicate(p.Subject, TypeCase, access.Read, "c")
	where := []string{"c.deleted_at = ''", pred.SQL}
	args := slices.Clone(pred.Args)
	if s := p.Subject; s.Restricted && len(s.Classes) > 0 {
		// The same cases as the predicate allows, written so that the
		// database can start from them (record_classes by class) rather
		// than walk every case checking each: a restricted user's cases
		// are a thin slice of a large tenant. The predicate still decides.
		where = append(where, `c.id IN (SELECT n.record_id FROM record_classes n WHERE n.record_type = 'case'
			AND n.class_id IN (`+store.Placeholders(len(s.Classes))+`))`)
		for _, c := range s.Classes {
			args = append(args, c)
		}
	}
	if f.Status != "" {
		where, args = append(where, "c.status = ?"), append(args, f.Status)
	}
	if f.PracticeGroup != "" {
		where, args = append(where, "c.practice_group = ?"), append(args, f.PracticeGroup)
	}
	if f.MDLID != 0 {
		where, args = append(where, "c.mdl_id = ?"), append(args, f.MDLID)
	}
	if f.Tag != "" {
		where, args = append(where, `(',' || c.tags || ',') LIKE ? ESCAPE '\'`), append(args, "%,"+likeEscape(f.Tag)+",%")
	}
	if f.Prefix != "" {
		pre := strings.ToLower(likeEscape(f.Prefix)) + "%"
		where, args = append(where, `(LOWER(c.number) LIKE ? ESCAPE '\' OR LOWER(c.title) LIKE ? ESCAPE '\')`), append(args, pre, pre)
	}
	key := "c.number"
	if f.Sort == SortOpened {
		key = "c.opened_on"
	}
	cond, condArgs, order := keyset(c, key, "c.id", f.Sort == SortOpened)
	args = append(append(args, condArgs...), limit+1)
	rows, err := t.DB.QueryContext(ctx, `SELECT `+caseColumns+` FROM cases c WHERE `+strings.Join(where, " AND ")+cond+order+` LIMIT ?`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list cases: %w", err)
	}
	var out []*Case
	for rows.Next() {
		cs, err := scanCase(rows)
		if err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("list cases: %w", err)
		}
		out = append(out, cs)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		k := last.Number
		if f.Sort == SortOpened {
			k = last.OpenedOn
		}
		next = cursor{Sort: "case:" + f.Sort, Key: k, ID: last.ID}.encode()
	}
	return out, next, s.fillCases(ctx, t, p, out)
}

// fillCases loads the classes and responsible users of listed cases, each
// in one query for the whole page. Restricted users are shown no staff (as
// on a case's own page, see shown), so theirs are not read.
func (s *Service) fillCases(ctx context.Context, t *tenancy.Handle, p *identity.Principal, cs []*Case) error {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	classes, err := classesOf(ctx, t.DB, TypeCase, ids)
	if err != nil {
		return err
	}
	users := map[int64][]int64{}
	if !p.Subject.Restricted {
		if users, err = responsibleOf(ctx, t.DB, ids); err != nil {
			return err
		}
	}
	for _, c := range cs {
		c.Classes = shownClasses(p.Subject, classes[c.ID])
		c.Responsible = append([]int64{}, users[c.ID]...)
	}
	return nil
}

// responsibleOf returns the responsible users of each of the cases ids (at
// most MaxPageSize of them), in one query.
func responsibleOf(ctx context.Context, q Querier, ids []int64) (map[int64][]int64, error) {
	out := make(map[int64][]int64, len(ids))
	in, args := store.IDList(ids)
	rows, err := q.QueryContext(ctx, `SELECT case_id, user_id FROM case_users WHERE case_id IN (`+
		in+`) ORDER BY case_id, user_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("responsible users of cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c, u int64
		if err := rows.Scan(&c, &u); err != nil {
			return nil, fmt.Errorf("responsible users of cases: %w", err)
		}
		out[c] = append(out[c], u)
	}
	return out, rows.Err()
}
