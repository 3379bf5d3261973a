package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/store"
	"strongroom/tenancy"
)

// loadRoles reads the roles with the given ids, grants included.
func loadRoles(ctx context.Context, q rowsQuerier, roleIDs []int64) ([]access.Role, error) {
	var roles []access.Role
	for _, id := range roleIDs {
		r, err := loadRole(ctx, q, id)
		if err != nil {
			return nil, err
		}
		roles = append(roles, *r)
	}
	return roles, nil
}

func loadRole(ctx context.Context, q rowsQuerier, id int64) (*access.Role, error) {
	r := access.Role{ID: id, Grants: map[access.Area]access.Grant{}}
	var builtin int
	err := q.QueryRowContext(ctx, `SELECT name, description, builtin FROM roles WHERE id = ?`, id).Scan(&r.Name, &r.Description, &builtin)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("role")
	} else if err != nil {
		return nil, fmt.Errorf("load role %d: %w", id, err)
	}
	r.Builtin = builtin == 1
	rows, err := q.QueryContext(ctx, `SELECT area, grant_level FROM role_grants WHERE role_id = ?`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var area, grant string
		if err := rows.Scan(&area, &grant); err != nil {
			return nil, err
		}
		r.Grants[access.Area(area)] = access.Grant(grant)
	}
	return &r, rows.Err()
}

// ListRoles returns every role of the tenant.
func (svc *Service) ListRoles(ctx context.Context, h *tenancy.Handle, p *Principal) ([]access.Role, error) {
	if err := p.Subject.Require(access.Administration, access.Read); err != nil {
		return nil, err
	}
	roleIDs, err := ids(ctx, h.DB, `SELECT id FROM roles ORDER BY name_key`)
	if err != nil {
		return nil, err
	}
	return loadRoles(ctx, h.DB, roleIDs)
}

// GetRole returns one role.
func (svc *Service) GetRole(ctx context.Context, h *tenancy.Handle, p *Principal, id int64) (*access.Role, error) {
	if err := p.Subject.Require(access.Administration, access.Read); err != nil {
		return nil, err
	}
	return loadRole(ctx, h.DB, id)
}

// validateRole checks a role and drops "no grant" entries from its grants.
// Every problem is reported at once.
func validateRole(r *access.Role) error {
	var ps strongroom.Problems
	ps.Add(checkText("name", r.Name, 1, 100))
	ps.Add(checkText("description", r.Description, 0, 500))
	grants := map[access.Area]access.Grant{}
	for _, area := range slices.Sorted(maps.Keys(r.Grants)) {
		a, err := access.ParseArea(string(area))
		if err != nil {
			ps.Add(err)
			continue
		}
		g, err := access.ParseGrant(string(r.Grants[area]))
		if err != nil {
			ps.Add(err)
			continue
		}
		if g != access.NoGrant {
			grants[a] = g
		}
	}
	if !ps.OK() {
		return ps.Err()
	}
	r.Grants = grants
	return r.Validate()
}

// SaveRole creates a role (ID 0) or replaces one's name and grants. An
// edit that would leave the tenant with no administrator is refused.
func (svc *Service) SaveRole(ctx context.Context, h *tenancy.Handle, p *Principal, r access.Role) (*access.Role, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	if err := validateRole(&r); err != nil {
		return nil, err
	}
	err := inTx(ctx, h, func(tx *store.Tx) error {
		action, changes := "role.create", []audit.Change{{Field: "name", After: r.Name}, {Field: "grants", After: grantStrings(r.Grants)}}
		if r.ID != 0 {
			before, err := loadRole(ctx, tx, r.ID)
			if err != nil {
				return err
			}
			action = "role.update"
			changes[0].Before, changes[1].Before = before.Name, grantStrings(before.Grants)
		}
		id, err := writeRole(ctx, tx, r)
		if err != nil {
			return err
		}
		if err := ensureAdministrator(ctx, tx); err != nil {
			return err
		}
		r.ID = id
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: action, objectType: "role", objectID: id, changes: changes})
	})
	if err != nil {
		return nil, err
	}
	return loadRole(ctx, h.DB, r.ID)
}

func grantStrings(g map[access.Area]access.Grant) map[string]string {
	out := map[string]string{}
	for a, v := range g {
		out[string(a)] = string(v)
	}
	return out
}

// writeRole inserts or updates a role and replaces its grants.
func writeRole(ctx context.Context, tx *store.Tx, r access.Role) (int64, error) {
	key := UsernameKey(r.Name)
	if exists(ctx, tx, `SELECT COUNT(*) FROM roles WHERE name_key = ? AND id <> ?`, key, r.ID) {
		return 0, &strongroom.Error{Code: strongroom.ECONFLICT, Field: "name", Message: "A role with that name exists."}
	}
	id := r.ID
	if id == 0 {
		if err := tx.QueryRowContext(ctx, `INSERT INTO roles (name, name_key, description, builtin) VALUES (?, ?, ?, ?) RETURNING id`,
			r.Name, key, r.Description, boolInt(r.Builtin)).Scan(&id); err != nil {
			return 0, fmt.Errorf("insert role: %w", err)
		}
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE roles SET name = ?, name_key = ?, description = ?, version = version + 1 WHERE id = ?`,
			r.Name, key, r.Description, id)
		if err != nil {
			return 0, fmt.Errorf("update role %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return 0, notFound("role")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM role_grants WHERE role_id = ?`, id); err != nil {
			return 0, err
		}
	}
	for _, area := range access.Areas() {
		if g, ok := r.Grants[area]; ok && g != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO role_grants (role_id, area, grant_level) VALUES (?, ?, ?)`, id, string(area), string(g)); err != nil {
				return 0, err
			}
		}
	}
	return id, nil
}

// DeleteRole removes a role from every user who has it.
func (svc *Service) DeleteRole(ctx context.Context, h *tenancy.Handle, p *Principal, id int64) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	return inTx(ctx, h, func(tx *store.Tx) error {
		r, err := loadRole(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM roles WHERE id = ?`, id); err != nil {
			return err
		}
		if err := ensureAdministrator(ctx, tx); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "role.delete", objectType: "role", objectID: id,
			changes: []audit.Change{{Field: "name", Before: r.Name}}})
	})
}

// ensureAdministrator refuses, inside the transaction of a change, a state
// in which no active user may edit the administration area: a tenant can
// never lose its last administrator.
func ensureAdministrator(ctx context.Context, tx *store.Tx) error {
	userIDs, err := ids(ctx, tx, `SELECT id FROM users WHERE status = 'active' ORDER BY id`)
	if err != nil {
		return err
	}
	for _, id := range userIDs {
		roleIDs, err := ids(ctx, tx, `SELECT role_id FROM user_roles WHERE user_id = ?`, id)
		if err != nil {
			return err
		}
		roles, err := loadRoles(ctx, tx, roleIDs)
		if err != nil {
			return err
		}
		if access.Effective(roles)[access.Administration] == access.Edit {
			return nil
		}
	}
	return strongroom.Errorf(strongroom.ECONFLICT, "This change would leave the workspace without an administrator, so it was not made.")
}

// Class is a security class: record-level access.
type Class struct {
	ID          int64
	Name        string
	Description string
}

// ListClasses returns every security class.
func (svc *Service) ListClasses(ctx context.Context, h *tenancy.Handle, p *Principal) ([]Class, error) {
	if err := p.Subject.Require(access.Administration, access.Read); err != nil {
		return nil, err
	}
	rows, err := h.DB.QueryContext(ctx, `SELECT id, name, description FROM security_classes ORDER BY name_key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Class
	for rows.Next() {
		var c Class
		if err := rows.Scan(&c.ID, &c.Name, &c.Description); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CreateClass defines a security class.
func (svc *Service) CreateClass(ctx context.Context, h *tenancy.Handle, p *Principal, c Class) (*Class, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	var ps strongroom.Problems
	ps.Add(checkText("name", c.Name, 1, 200))
	ps.Add(checkText("description", c.Description, 0, 500))
	if err := ps.Err(); err != nil {
		return nil, err
	}
	err := inTx(ctx, h, func(tx *store.Tx) error {
		key := UsernameKey(c.Name)
		if exists(ctx, tx, `SELECT COUNT(*) FROM security_classes WHERE name_key = ?`, key) {
			return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "name", Message: "A security class with that name exists."}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO security_classes (name, name_key, description) VALUES (?, ?, ?) RETURNING id`,
			c.Name, key, c.Description).Scan(&c.ID); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "class.create", objectType: "class", objectID: c.ID,
			changes: []audit.Change{{Field: "name", After: c.Name}}})
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteClass removes a security class that no record carries.
func (svc *Service) DeleteClass(ctx context.Context, h *tenancy.Handle, p *Principal, id int64) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	return inTx(ctx, h, func(tx *store.Tx) error {
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM security_classes WHERE id = ?`, id).Scan(&name); errors.Is(err, sql.ErrNoRows) {
			return notFound("security class")
		} else if err != nil {
			return err
		}
		if exists(ctx, tx, `SELECT COUNT(*) FROM record_classes WHERE class_id = ?`, id) {
			// Removing it would make those records visible to everyone.
			return strongroom.Errorf(strongroom.ECONFLICT, "Records still carry this security class; remove it from them first.")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM security_classes WHERE id = ?`, id); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "class.delete", objectType: "class", objectID: id,
			changes: []audit.Change{{Field: "name", Before: name}}})
	})
}
