package cases

import (
	"context"
	"fmt"
	"strings"

	"strongroom/access"
	"strongroom/identity"
	"strongroom/tenancy"
)

// CaseContents counts the live records in a case that the user may see,
// by type, for the page that asks before the case is deleted. A type whose
// area the user lacks is left out; records the user may not see are not
// counted (the page says that such records go too, whether there are any
// or not).
func (s *Service) CaseContents(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64) (map[RecordType]int, error) {
	if err := Visible(ctx, t.DB, p.Subject, TypeCase, id, access.Read); err != nil {
		return nil, err
	}
	var types []RecordType
	var cols []string
	var args []any
	for _, rt := range RecordTypes()[1:] {
		if !p.Subject.Allowed(rt.Area(), access.Read) {
			continue
		}
		pred := Predicate(p.Subject, rt, access.Read, "x")
		types = append(types, rt)
		cols = append(cols, `(SELECT COUNT(*) FROM `+rt.Table()+` x WHERE x.case_id = ? AND x.deleted_at = '' AND `+pred.SQL+`)`)
		args = append(append(args, id), pred.Args...)
	}
	out := map[RecordType]int{}
	if len(types) == 0 {
		return out, nil
	}
	counts := make([]int, len(types))
	dest := make([]any, len(types))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := t.DB.QueryRowContext(ctx, `SELECT `+strings.Join(cols, ", "), args...).Scan(dest...); err != nil {
		return nil, fmt.Errorf("count records of case %d: %w", id, err)
	}
	for i, rt := range types {
		out[rt] = counts[i]
	}
	return out, nil
}

// PeopleNames maps user ids to display names, for showing who is
// responsible for a case or uploaded a document; disabled users keep
// their names. Restricted users (outside firms) are not shown the firm's
// staff: they get an empty map.
func (s *Service) PeopleNames(ctx context.Context, t *tenancy.Handle, p *identity.Principal) (map[int64]string, error) {
	if err := p.Subject.Require(access.Cases, access.Read); err != nil {
		return nil, err
	}
	out := map[int64]string{}
	if p.Subject.Restricted {
		return out, nil
	}
	// Display names are sealed at rest: identity opens them.
	return identity.DisplayNames(ctx, t, nil)
}
