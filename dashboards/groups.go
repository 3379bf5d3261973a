package dashboards

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Group sources.
const (
	SourceLocal = "local" // made and kept by the tenant's administrators
	SourceSSO   = "sso"   // kept by single sign-on: its members are not edited here
)

// Group is a set of users that dashboards are shared with.
type Group struct {
	ID          int64
	Name        string
	Description string
	Source      string
	Members     int // how many users belong to it
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int
}

// GroupInput is a group as an administrator names it.
type GroupInput struct {
	Name        string
	Description string
	// Version is the version an update is based on.
	Version int
}

func (in *GroupInput) validate() error {
	var ps strongroom.Problems
	ps.Add(checkText("name", in.Name, 1, 100))
	ps.Add(checkDescription("description", in.Description, 500))
	return ps.Err()
}

const groupColumns = `g.id, g.name, g.description, g.source, g.created_at, g.updated_at, g.version,
	(SELECT COUNT(*) FROM user_group_members m WHERE m.group_id = g.id)`

func scanGroups(rows *store.Rows, err error) ([]Group, error) {
	if err != nil {
		return nil, fmt.Errorf("read groups: %w", err)
	}
	defer rows.Close()
	out := []Group{}
	for rows.Next() {
		var g Group
		var created, updated string
		if err := rows.Scan(&g.ID, &g.Name, &g.Description, &g.Source, &created, &updated, &g.Version, &g.Members); err != nil {
			return nil, fmt.Errorf("read groups: %w", err)
		}
		g.CreatedAt, g.UpdatedAt = parseTime(created), parseTime(updated)
		out = append(out, g)
	}
	return out, rows.Err()
}

func loadGroup(ctx context.Context, q querier, id int64) (*Group, error) {
	gs, err := scanGroups(q.QueryContext(ctx, `SELECT `+groupColumns+` FROM user_groups g WHERE g.id = ?`, id))
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, notFound("group")
	}
	return &gs[0], nil
}

// mayListGroups: administrators read groups; so do those who may share a
// dashboard, who need the names to choose from.
func mayListGroups(p *identity.Principal) error {
	if p.Subject.Allowed(access.Dashboards, access.Edit) {
		return nil
	}
	return p.Subject.Require(access.Administration, access.Read)
}

// ListGroups returns every group of the tenant by name.
func (s *Service) ListGroups(ctx context.Context, h *tenancy.Handle, p *identity.Principal) ([]Group, error) {
	if err := mayListGroups(p); err != nil {
		return nil, err
	}
	return scanGroups(h.DB.QueryContext(ctx, `SELECT `+groupColumns+` FROM user_groups g ORDER BY g.name_key, g.id`))
}

// GetGroup returns one group.
func (s *Service) GetGroup(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) (*Group, error) {
	if err := mayListGroups(p); err != nil {
		return nil, err
	}
	return loadGroup(ctx, h.DB, id)
}

// nameTaken refuses a name another group has, whatever its letter case.
func nameTaken(ctx context.Context, tx *store.Tx, key string, id int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_groups WHERE name_key = ? AND id <> ?`, key, id).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "name", Message: "A group with that name exists."}
	}
	return nil
}

// CreateGroup makes a local group.
func (s *Service) CreateGroup(ctx context.Context, h *tenancy.Handle, p *identity.Principal, in GroupInput) (*Group, error) {
	if err := requireAdmin(p); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	var id int64
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		key := identity.UsernameKey(in.Name)
		if err := nameTaken(ctx, tx, key, 0); err != nil {
			return err
		}
		now := store.FormatTime(s.now())
		if err := tx.QueryRowContext(ctx, `INSERT INTO user_groups (name, name_key, description, source, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, in.Name, key, in.Description, SourceLocal, now, now).Scan(&id); err != nil {
			return fmt.Errorf("insert group: %w", err)
		}
		return record(ctx, tx, h, p, change{action: "group.create", objType: objGroup, id: id,
			changes: []audit.Change{{Field: "name", After: in.Name}, {Field: "description", After: in.Description}}})
	})
	if err != nil {
		return nil, err
	}
	s.Changes.Publish(Change{Tenant: h.Tenant.Slug, Kind: ChangeGroup, GroupID: id})
	return loadGroup(ctx, h.DB, id)
}

// UpdateGroup renames or describes a group; the edit must be based on the
// current version.
func (s *Service) UpdateGroup(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64, in GroupInput) (*Group, error) {
	if err := requireAdmin(p); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		before, err := loadGroup(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.Version != before.Version {
			return errStale("group")
		}
		key := identity.UsernameKey(in.Name)
		if err := nameTaken(ctx, tx, key, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE user_groups SET name = ?, name_key = ?, description = ?, updated_at = ?,
			version = version + 1 WHERE id = ? AND version = ?`, in.Name, key, in.Description, store.FormatTime(s.now()), id, before.Version)
		if err != nil {
			return fmt.Errorf("update group %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errStale("group")
		}
		var d diffs
		d.add("name", before.Name, in.Name)
		d.add("description", before.Description, in.Description)
		return record(ctx, tx, h, p, change{action: "group.update", objType: objGroup, id: id, changes: d})
	})
	if err != nil {
		return nil, err
	}
	s.Changes.Publish(Change{Tenant: h.Tenant.Slug, Kind: ChangeGroup, GroupID: id})
	return loadGroup(ctx, h.DB, id)
}

// DeleteGroup removes a group, its memberships and the dashboard shares
// with it: its members stop seeing what was shared with them through it.
func (s *Service) DeleteGroup(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		before, err := loadGroup(ctx, tx, id)
		if err != nil {
			return err
		}
		shares, err := store.QueryIDs(ctx, tx, `SELECT dashboard_id FROM dashboard_shares WHERE group_id = ? ORDER BY dashboard_id`, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_groups WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete group %d: %w", id, err)
		}
		return record(ctx, tx, h, p, change{action: "group.delete", objType: objGroup, id: id,
			changes: []audit.Change{{Field: "name", Before: before.Name}, {Field: "members", Before: before.Members},
				{Field: "shared_dashboards", Before: shares}}})
	})
	if err != nil {
		return err
	}
	s.Changes.Publish(Change{Tenant: h.Tenant.Slug, Kind: ChangeGroup, GroupID: id})
	return nil
}

// Members returns the ids of a group's members, in order. Administrators
// only: who belongs to which group is theirs to know.
func (s *Service) Members(ctx context.Context, h *tenancy.Handle, p *identity.Principal, groupID int64) ([]int64, error) {
	if err := p.Subject.Require(access.Administration, access.Read); err != nil {
		return nil, err
	}
	if _, err := loadGroup(ctx, h.DB, groupID); err != nil {
		return nil, err
	}
	return store.QueryIDs(ctx, h.DB, `SELECT user_id FROM user_group_members WHERE group_id = ? ORDER BY user_id`, groupID)
}

// UserGroups returns the groups a user belongs to: any user's for an
// administrator, one's own for everyone else.
func (s *Service) UserGroups(ctx context.Context, h *tenancy.Handle, p *identity.Principal, userID int64) ([]Group, error) {
	if userID != p.User.ID {
		if err := p.Subject.Require(access.Administration, access.Read); err != nil {
			return nil, err
		}
	}
	return scanGroups(h.DB.QueryContext(ctx, `SELECT `+groupColumns+` FROM user_groups g
		WHERE g.id IN (SELECT group_id FROM user_group_members WHERE user_id = ?) ORDER BY g.name_key, g.id`, userID))
}

// AddMember puts a user into a group; one already in it is left as is.
func (s *Service) AddMember(ctx context.Context, h *tenancy.Handle, p *identity.Principal, groupID, userID int64) error {
	return s.setMember(ctx, h, p, groupID, userID, true)
}

// RemoveMember takes a user out of a group; they stop seeing what was
// shared with them through it at once.
func (s *Service) RemoveMember(ctx context.Context, h *tenancy.Handle, p *identity.Principal, groupID, userID int64) error {
	return s.setMember(ctx, h, p, groupID, userID, false)
}

func (s *Service) setMember(ctx context.Context, h *tenancy.Handle, p *identity.Principal, groupID, userID int64, in bool) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	changed := false
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		g, err := loadGroup(ctx, tx, groupID)
		if err != nil {
			return err
		}
		if g.Source != SourceLocal {
			return strongroom.Errorf(strongroom.ECONFLICT, "This group is kept by single sign-on; change its members at the identity provider.")
		}
		if err := userExists(ctx, tx, userID); err != nil {
			return err
		}
		query, action := `DELETE FROM user_group_members WHERE group_id = ? AND user_id = ?`, "group.member_remove"
		if in {
			query = `INSERT INTO user_group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`
			action = "group.member_add"
		}
		res, err := tx.ExecContext(ctx, query, groupID, userID)
		if err != nil {
			return fmt.Errorf("%s: %w", action, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // nothing to change, nothing to record
		}
		changed = true
		if _, err := tx.ExecContext(ctx, `UPDATE user_groups SET updated_at = ? WHERE id = ?`, store.FormatTime(s.now()), groupID); err != nil {
			return err
		}
		return record(ctx, tx, h, p, change{action: action, objType: objGroup, id: groupID,
			details: map[string]string{"user_id": fmt.Sprint(userID)}})
	})
	if err == nil && changed {
		s.Changes.Publish(Change{Tenant: h.Tenant.Slug, Kind: ChangeMembers, GroupID: groupID, UserID: userID})
	}
	return err
}

// userExists answers "no such user" for an id the tenant has no account
// for. Only the id is read: names are package identity's.
func userExists(ctx context.Context, q querier, id int64) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return &strongroom.Error{Code: strongroom.ENOTFOUND, Field: "user_id", Message: "No such user."}
	}
	return err
}
