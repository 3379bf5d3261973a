package scim

import (
	"context"
	"slices"
	"strconv"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Mapping is one of the provider's groups and the roles its members hold
// because of it.
type Mapping struct {
	GroupID   int64
	GroupName string
	Members   int
	RoleIDs   []int64
}

// Mappings lists the provider's groups with their roles, for
// administrators.
func (s *Service) Mappings(ctx context.Context, h *tenancy.Handle, p *identity.Principal) ([]Mapping, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	groups, err := scanGroups(ctx, h.DB, "")
	if err != nil {
		return nil, err
	}
	out := []Mapping{}
	for _, g := range groups {
		roles, err := store.QueryIDs(ctx, h.DB, `SELECT role_id FROM scim_group_roles WHERE group_id = ? ORDER BY role_id`, g.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, Mapping{GroupID: g.ID, GroupName: g.DisplayName, Members: len(g.Members), RoleIDs: roles})
	}
	return out, nil
}

// SetGroupRoles replaces the roles a group of the provider's gives its
// members, and gives or takes them from every member at once.
func (s *Service) SetGroupRoles(ctx context.Context, h *tenancy.Handle, p *identity.Principal, groupID int64, roleIDs []int64) (*Mapping, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	roles := slices.Clone(roleIDs)
	slices.Sort(roles)
	roles = slices.Compact(roles)
	if roles == nil {
		roles = []int64{}
	}
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		g, err := loadGroup(ctx, tx, groupID)
		if err != nil {
			return err
		}
		before, err := store.QueryIDs(ctx, tx, `SELECT role_id FROM scim_group_roles WHERE group_id = ? ORDER BY role_id`, groupID)
		if err != nil {
			return err
		}
		if slices.Equal(before, roles) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM scim_group_roles WHERE group_id = ?`, groupID); err != nil {
			return err
		}
		for _, r := range roles {
			if count(ctx, tx, `SELECT COUNT(*) FROM roles WHERE id = ?`, r) != 1 {
				return strongroom.FieldError("roles", "There is no role %d.", r)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO scim_group_roles (group_id, role_id) VALUES (?, ?)`, groupID, r); err != nil {
				return err
			}
		}
		_, err = h.Audit.Append(ctx, tx, audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: "scim.group_roles",
			ObjectType: "user_group", ObjectID: strconv.FormatInt(groupID, 10),
			Changes: []audit.Change{{Field: "roles", Before: before, After: roles}}})
		if err != nil {
			return err
		}
		for _, m := range g.Members {
			if err := s.syncRoles(ctx, h, tx, p.AuditActor(), p.IP, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ms, err := s.Mappings(ctx, h, p)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.GroupID == groupID {
			return &m, nil
		}
	}
	return nil, errNotFound("group")
}
