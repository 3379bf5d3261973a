package cases

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"strongroom/access"
	"strongroom/identity"
	"strongroom/tenancy"
)

// CaseView is a case with the records in it that a user may see. A type
// of record is listed only when the user has its area (the Show flags);
// each list holds only the records the user may see, up to a page of
// MaxPageSize (More set when there are more).
type CaseView struct {
	Case *Case
	MDL  *MDLGroup // nil when the case is in no group

	ShowFinancial, ShowContacts, ShowNotes, ShowEvents bool

	Financial []*Financial
	Contacts  []*ContactRecord
	Notes     []*Note
	Events    []*Event
	// More names the types with more records than are listed.
	More map[RecordType]bool
}

// ViewCase gathers the page of one case.
func (s *Service) ViewCase(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64) (*CaseView, error) {
	c, err := s.GetCase(ctx, t, p, id)
	if err != nil {
		return nil, err
	}
	v := &CaseView{Case: c, More: map[RecordType]bool{}}
	if c.MDLID != 0 {
		if v.MDL, err = loadMDL(ctx, t.DB, c.MDLID); err != nil {
			return nil, err
		}
	}
	all := ListOptions{Limit: MaxPageSize}
	var next string
	if v.ShowFinancial = p.Subject.Allowed(access.Financial, access.Read); v.ShowFinancial {
		if v.Financial, next, err = s.ListFinancial(ctx, t, p, id, all); err != nil {
			return nil, err
		}
		v.More[TypeFinancial] = next != ""
	}
	if v.ShowContacts = p.Subject.Allowed(access.Contacts, access.Read); v.ShowContacts {
		if v.Contacts, next, err = s.ListContacts(ctx, t, p, id, all); err != nil {
			return nil, err
		}
		v.More[TypeContact] = next != ""
	}
	if v.ShowNotes = p.Subject.Allowed(access.Notes, access.Read); v.ShowNotes {
		if v.Notes, next, err = s.ListNotes(ctx, t, p, id, all); err != nil {
			return nil, err
		}
		v.More[TypeNote] = next != ""
	}
	if v.ShowEvents = p.Subject.Allowed(TypeEvent.Area(), access.Read); v.ShowEvents {
		if v.Events, next, err = s.ListEvents(ctx, t, p, id, all); err != nil {
			return nil, err
		}
		v.More[TypeEvent] = next != ""
	}
	return v, nil
}

// Choice is an option of a form's list: a user or a security class.
type Choice struct {
	ID   int64
	Name string
}

// ClassChoices lists the security classes a user may put on records:
// every class, or for a restricted user only the classes they hold.
func (s *Service) ClassChoices(ctx context.Context, t *tenancy.Handle, p *identity.Principal) ([]Choice, error) {
	if err := p.Subject.Require(access.Cases, access.Read); err != nil {
		return nil, err
	}
	all, err := choices(ctx, t.DB, `SELECT id, name FROM security_classes ORDER BY name_key`)
	if err != nil {
		return nil, err
	}
	out := []Choice{}
	for _, c := range all {
		if !p.Subject.Restricted || p.Subject.HasClass(c.ID) {
			out = append(out, c)
		}
	}
	return out, nil
}

// UserChoices lists the active users a case can be assigned to, by
// display name. Restricted users (outside firms) are not shown the firm's
// staff list: they get an empty list.
func (s *Service) UserChoices(ctx context.Context, t *tenancy.Handle, p *identity.Principal) ([]Choice, error) {
	if err := p.Subject.Require(access.Cases, access.Read); err != nil {
		return nil, err
	}
	if p.Subject.Restricted {
		return []Choice{}, nil
	}
	cs, err := choices(ctx, t.DB, `SELECT id, '' FROM users WHERE status = 'active' ORDER BY id`)
	if err != nil {
		return nil, err
	}
	// Display names are sealed at rest, so they are opened and sorted here.
	names, err := identity.DisplayNames(ctx, t, nil)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		cs[i].Name = names[cs[i].ID]
	}
	slices.SortStableFunc(cs, func(a, b Choice) int { return cmp.Compare(a.Name, b.Name) })
	return cs, nil
}

func choices(ctx context.Context, q Querier, query string) ([]Choice, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("read choices: %w", err)
	}
	defer rows.Close()
	out := []Choice{}
	for rows.Next() {
		var c Choice
		if err := rows.Scan(&c.ID, &c.Name); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
