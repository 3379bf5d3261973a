package search

import (
	"context"
	"fmt"

	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Class is a security class the user holds, for the class filter.
type Class struct {
	ID   int64
	Name string
}

// Classes returns the security classes the principal holds, by name: the
// only classes a search may be filtered by.
func (s *Service) Classes(ctx context.Context, h *tenancy.Handle, p *identity.Principal) ([]Class, error) {
	ids := p.Subject.Classes
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := h.DB.QueryContext(ctx, `SELECT id, name FROM security_classes WHERE id IN (`+store.Placeholders(len(ids))+`) ORDER BY name_key`, args...)
	if err != nil {
		return nil, fmt.Errorf("classes of user %d: %w", p.User.ID, err)
	}
	defer rows.Close()
	var out []Class
	for rows.Next() {
		var c Class
		if err := rows.Scan(&c.ID, &c.Name); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
