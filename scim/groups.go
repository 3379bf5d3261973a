package scim

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"strongroom/audit"
	"strongroom/dashboards"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Group is a group the provider keeps: a Strongroom group (source sso,
// whose members administrators do not edit) that dashboards are shared
// with and that an administrator may map to roles.
type Group struct {
	ID          int64
	DisplayName string
	ExternalID  string
	Members     []int64
	Created     time.Time
	Modified    time.Time
	Version     int
}

func groupAttrs(g *Group) Attrs {
	return func(path string) ([]string, bool, bool) {
		if g == nil {
			g = &Group{}
		}
		switch path {
		case "id":
			return []string{strconv.FormatInt(g.ID, 10)}, true, true
		case "displayname":
			return []string{g.DisplayName}, false, true
		case "externalid":
			return []string{g.ExternalID}, true, true
		case "members", "members.value":
			vs := make([]string, len(g.Members))
			for i, m := range g.Members {
				vs[i] = strconv.FormatInt(m, 10)
			}
			return vs, true, true
		}
		return nil, false, false
	}
}

const groupQuery = `SELECT g.id, g.name, sg.external_id, g.created_at, g.updated_at, g.version
	FROM user_groups g JOIN scim_groups sg ON sg.group_id = g.id`

func scanGroups(ctx context.Context, q querier, where string, args ...any) ([]*Group, error) {
	rows, err := q.QueryContext(ctx, groupQuery+where+` ORDER BY g.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read SCIM groups: %w", err)
	}
	var out []*Group
	for rows.Next() {
		var g Group
		var c, u string
		if err := rows.Scan(&g.ID, &g.DisplayName, &g.ExternalID, &c, &u, &g.Version); err != nil {
			rows.Close()
			return nil, err
		}
		g.Created, _ = store.ParseTime(c)
		g.Modified, _ = store.ParseTime(u)
		out = append(out, &g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, g := range out {
		if g.Members, err = store.QueryIDs(ctx, q, `SELECT m.user_id FROM user_group_members m WHERE m.group_id = ? ORDER BY m.user_id`, g.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func loadGroup(ctx context.Context, q querier, id int64) (*Group, error) {
	gs, err := scanGroups(ctx, q, ` WHERE g.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, errNotFound("group")
	}
	return gs[0], nil
}

// userGroups returns the provider's groups a user belongs to.
func userGroups(ctx context.Context, q querier, userID int64) ([]GroupRef, error) {
	rows, err := q.QueryContext(ctx, `SELECT g.id, g.name FROM user_groups g JOIN scim_groups sg ON sg.group_id = g.id
		WHERE g.id IN (SELECT group_id FROM user_group_members WHERE user_id = ?) ORDER BY g.id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []GroupRef{}
	for rows.Next() {
		var g GroupRef
		if err := rows.Scan(&g.ID, &g.DisplayName); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// GetGroup returns one of the provider's groups.
func (s *Service) GetGroup(ctx context.Context, h *tenancy.Handle, c *Client, id int64) (*Group, error) {
	return loadGroup(ctx, h.DB, id)
}

// ListGroups returns the provider's groups that pass filter, a page.
func (s *Service) ListGroups(ctx context.Context, h *tenancy.Handle, c *Client, filter string, start, n int) (*List[*Group], error) {
	var f Filter
	if filter != "" {
		var err error
		if f, err = ParseFilter(filter, groupAttrs(nil)); err != nil {
			return nil, err
		}
	}
	all, err := scanGroups(ctx, h.DB, "")
	if err != nil {
		return nil, err
	}
	var hits []*Group
	for _, g := range all {
		if Matches(f, groupAttrs(g)) {
			hits = append(hits, g)
		}
	}
	l := page(hits, start, n)
	return &l, nil
}

// setGroup sets the attributes of obj on g.
func setGroup(g *Group, obj map[string]any) error {
	for k, v := range obj {
		if err := setGroupAttr(g, k, v); err != nil {
			return err
		}
	}
	return nil
}

func setGroupAttr(g *Group, path string, v any) error {
	var err error
	switch attrKey(path) {
	case "displayname":
		g.DisplayName, err = str("displayName", v)
	case "externalid":
		g.ExternalID, err = str("externalId", v)
	case "members":
		g.Members, err = memberIDs(v)
	}
	return err
}

// memberIDs reads [{"value": "42"}, …].
func memberIDs(v any) ([]int64, error) {
	if v == nil {
		return []int64{}, nil
	}
	list, ok := v.([]any)
	if !ok {
		if m, isObj := v.(map[string]any); isObj {
			list = []any{m}
		} else {
			return nil, errValue("members", "members must be a list of objects with a value.")
		}
	}
	if len(list) > MaxMembers {
		return nil, typed("tooMany", "members", "A request may name at most %d members.", MaxMembers)
	}
	out := []int64{}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, errValue("members", "members must be a list of objects with a value.")
		}
		s, _ := m["value"].(string)
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, errValue("members", "A member's value must be the id of a user.")
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func (g *Group) check() error {
	n := len([]rune(g.DisplayName))
	switch {
	case strings.TrimSpace(g.DisplayName) == "":
		return errValue("displayName", "displayName is required.")
	case n > 100:
		return errValue("displayName", "displayName must be at most 100 characters long.")
	case strings.TrimSpace(g.DisplayName) != g.DisplayName:
		return errValue("displayName", "displayName may not start or end with spaces.")
	}
	return nil
}

// CreateGroup makes the group a POST /Groups describes, with its members.
func (s *Service) CreateGroup(ctx context.Context, h *tenancy.Handle, c *Client, body []byte) (*Group, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	g := &Group{}
	if err := setGroup(g, obj); err != nil {
		return nil, err
	}
	if err := g.check(); err != nil {
		return nil, err
	}
	var id int64
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		key := identity.UsernameKey(g.DisplayName)
		if n := count(ctx, tx, `SELECT COUNT(*) FROM user_groups WHERE name_key = ?`, key); n != 0 {
			return errUnique("displayName", "A group named %q exists.", g.DisplayName)
		}
		now := store.FormatTime(s.Now())
		if err := tx.QueryRowContext(ctx, `INSERT INTO user_groups (name, name_key, description, source, created_at, updated_at)
			VALUES (?, ?, '', ?, ?, ?) RETURNING id`, g.DisplayName, key, dashboards.SourceSSO, now, now).Scan(&id); err != nil {
			return fmt.Errorf("insert SCIM group: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO scim_groups (group_id, external_id) VALUES (?, ?)`, id, g.ExternalID); err != nil {
			return err
		}
		if err := s.recordGroup(ctx, h, tx, c.actor(), c.IP, "group.create", id, []audit.Change{{Field: "name", After: g.DisplayName}}); err != nil {
			return err
		}
		return s.setMembers(ctx, h, tx, c, id, nil, g.Members)
	})
	if err != nil {
		return nil, err
	}
	s.publishGroup(h, id)
	return loadGroup(ctx, h.DB, id)
}

func count(ctx context.Context, tx *store.Tx, query string, args ...any) int {
	var n int
	if err := tx.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return -1
	}
	return n
}

func (s *Service) recordGroup(ctx context.Context, h *tenancy.Handle, tx *store.Tx, actor audit.Actor, ip, action string, id int64, changes []audit.Change) error {
	e := audit.Event{Actor: actor, SourceIP: ip, Action: action, ObjectType: "user_group", ObjectID: strconv.FormatInt(id, 10), Changes: changes}
	e.SealTyped(map[string]bool{"name": true})
	_, err := h.Audit.Append(ctx, tx, e)
	return err
}

// ReplaceGroup sets a group to what a PUT describes.
func (s *Service) ReplaceGroup(ctx context.Context, h *tenancy.Handle, c *Client, id int64, body []byte) (*Group, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	return s.changeGroup(ctx, h, c, id, func(g *Group) error {
		g.DisplayName, g.ExternalID, g.Members = "", "", []int64{}
		return setGroup(g, obj)
	})
}

// PatchGroup applies a PATCH's operations, all or none: members added and
// removed as Entra ID sends them (path "members" with a list of values)
// and as Okta does (path members[value eq "42"]), renames, and path-less
// value maps.
func (s *Service) PatchGroup(ctx context.Context, h *tenancy.Handle, c *Client, id int64, body []byte) (*Group, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return nil, err
	}
	return s.changeGroup(ctx, h, c, id, func(g *Group) error {
		for _, op := range ops {
			if err := patchGroup(g, op); err != nil {
				return err
			}
		}
		return nil
	})
}

func patchGroup(g *Group, op Op) error {
	if err := checkPath(op.Path); err != nil {
		return err
	}
	key := attrKey(op.Path)
	if op.Path == "" {
		m, ok := op.Value.(map[string]any)
		if !ok {
			return errValue("value", "An %s without a path needs an object of attributes as its value.", op.Op)
		}
		if op.Op == "add" {
			if mv, ok := m["members"]; ok {
				add, err := memberIDs(mv)
				if err != nil {
					return err
				}
				g.Members = union(g.Members, add)
				delete(m, "members")
			}
		}
		return setGroup(g, m)
	}
	if rest, ok := strings.CutPrefix(key, "members[value eq "); ok && strings.HasSuffix(rest, "]") {
		if op.Op != "remove" {
			return typed("invalidPath", "path", "Add members with path members and a list of values.")
		}
		var v string
		if _, err := fmt.Sscanf(strings.TrimSuffix(rest, "]"), "%q", &v); err != nil {
			return typed("invalidPath", "path", "The path %q cannot be read.", op.Path)
		}
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errValue("members", "A member's value must be the id of a user.")
		}
		g.Members = slices.DeleteFunc(g.Members, func(m int64) bool { return m == id })
		return nil
	}
	if key != "members" {
		if op.Op == "remove" {
			if key == "displayname" {
				return typed("mutability", "displayName", "displayName is required and cannot be removed.")
			}
			return setGroupAttr(g, op.Path, nil)
		}
		return setGroupAttr(g, op.Path, op.Value)
	}
	ids, err := memberIDs(op.Value)
	if err != nil {
		return err
	}
	switch op.Op {
	case "add":
		g.Members = union(g.Members, ids)
	case "replace":
		g.Members = ids
	case "remove":
		if op.Value == nil {
			g.Members = []int64{}
		} else {
			g.Members = slices.DeleteFunc(g.Members, func(m int64) bool { return slices.Contains(ids, m) })
		}
	}
	return nil
}

func union(a, b []int64) []int64 {
	out := slices.Clone(a)
	for _, v := range b {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// changeGroup loads a group, lets edit change a copy and saves the
// difference, in one transaction.
func (s *Service) changeGroup(ctx context.Context, h *tenancy.Handle, c *Client, id int64, edit func(*Group) error) (*Group, error) {
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		before, err := loadGroup(ctx, tx, id)
		if err != nil {
			return err
		}
		g := *before
		g.Members = slices.Clone(before.Members)
		if err := edit(&g); err != nil {
			return err
		}
		if err := g.check(); err != nil {
			return err
		}
		if g.DisplayName != before.DisplayName || g.ExternalID != before.ExternalID {
			key := identity.UsernameKey(g.DisplayName)
			if n := count(ctx, tx, `SELECT COUNT(*) FROM user_groups WHERE name_key = ? AND id <> ?`, key, id); n != 0 {
				return errUnique("displayName", "A group named %q exists.", g.DisplayName)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE user_groups SET name = ?, name_key = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
				g.DisplayName, key, store.FormatTime(s.Now()), id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE scim_groups SET external_id = ? WHERE group_id = ?`, g.ExternalID, id); err != nil {
				return err
			}
			var changes []audit.Change
			if g.DisplayName != before.DisplayName {
				changes = append(changes, audit.Change{Field: "name", Before: before.DisplayName, After: g.DisplayName})
			}
			if g.ExternalID != before.ExternalID {
				changes = append(changes, audit.Change{Field: "external_id", Before: before.ExternalID, After: g.ExternalID})
			}
			if err := s.recordGroup(ctx, h, tx, c.actor(), c.IP, "group.update", id, changes); err != nil {
				return err
			}
		}
		return s.setMembers(ctx, h, tx, c, id, before.Members, g.Members)
	})
	if err != nil {
		return nil, err
	}
	s.publishGroup(h, id)
	return loadGroup(ctx, h.DB, id)
}

// setMembers moves a group's members from before to after. A member must
// be a user the provider sees; the whole request fails otherwise.
func (s *Service) setMembers(ctx context.Context, h *tenancy.Handle, tx *store.Tx, c *Client, groupID int64, before, after []int64) error {
	for _, id := range after {
		if slices.Contains(before, id) {
			continue
		}
		if count(ctx, tx, `SELECT COUNT(*) FROM users u WHERE u.id = ? AND NOT EXISTS
			(SELECT 1 FROM scim_users su WHERE su.user_id = u.id AND su.deprovisioned_at <> '')`, id) != 1 {
			return errValue("members", "There is no user %d.", id)
		}
		if err := s.setMember(ctx, h, tx, c.actor(), c.IP, groupID, id, true); err != nil {
			return err
		}
	}
	for _, id := range before {
		if !slices.Contains(after, id) {
			if err := s.setMember(ctx, h, tx, c.actor(), c.IP, groupID, id, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// setMember puts a user in a group or takes them out, audited, and
// brings their mapped roles in line.
func (s *Service) setMember(ctx context.Context, h *tenancy.Handle, tx *store.Tx, actor audit.Actor, ip string, groupID, userID int64, in bool) error {
	query, action := `DELETE FROM user_group_members WHERE group_id = ? AND user_id = ?`, "group.member_remove"
	if in {
		query, action = `INSERT INTO user_group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, "group.member_add"
	}
	res, err := tx.ExecContext(ctx, query, groupID, userID)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE user_groups SET updated_at = ? WHERE id = ?`, store.FormatTime(s.Now()), groupID); err != nil {
		return err
	}
	_, err = h.Audit.Append(ctx, tx, audit.Event{Actor: actor, SourceIP: ip, Action: action, ObjectType: "user_group",
		ObjectID: strconv.FormatInt(groupID, 10), Details: map[string]string{"user_id": strconv.FormatInt(userID, 10)}})
	if err != nil {
		return err
	}
	return s.syncRoles(ctx, h, tx, actor, ip, userID)
}

// DeleteGroup removes a group, its members' places in it, its role
// mapping and the dashboard shares with it; the roles it gave go.
func (s *Service) DeleteGroup(ctx context.Context, h *tenancy.Handle, c *Client, id int64) error {
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		g, err := loadGroup(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_groups WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete SCIM group %d: %w", id, err)
		}
		if err := s.recordGroup(ctx, h, tx, c.actor(), c.IP, "group.delete", id,
			[]audit.Change{{Field: "name", Before: g.DisplayName}, {Field: "members", Before: len(g.Members)}}); err != nil {
			return err
		}
		for _, m := range g.Members {
			if err := s.syncRoles(ctx, h, tx, c.actor(), c.IP, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.publishGroup(h, id)
	}
	return err
}

// syncRoles gives a user the roles their groups are mapped to and takes
// away those a mapping gave that no group of theirs gives any more. A
// role an administrator gave is never taken away here.
func (s *Service) syncRoles(ctx context.Context, h *tenancy.Handle, tx *store.Tx, actor audit.Actor, ip string, userID int64) error {
	want, err := store.QueryIDs(ctx, tx, `SELECT DISTINCT gr.role_id FROM scim_group_roles gr
		JOIN user_group_members m ON m.group_id = gr.group_id WHERE m.user_id = ? ORDER BY gr.role_id`, userID)
	if err != nil {
		return err
	}
	given, err := store.QueryIDs(ctx, tx, `SELECT role_id FROM scim_user_roles WHERE user_id = ?`, userID)
	if err != nil {
		return err
	}
	held, err := store.QueryIDs(ctx, tx, `SELECT role_id FROM user_roles WHERE user_id = ?`, userID)
	if err != nil {
		return err
	}
	var add, remove []int64
	for _, r := range want {
		if !slices.Contains(held, r) {
			add = append(add, r)
		}
	}
	for _, r := range given {
		if !slices.Contains(want, r) {
			remove = append(remove, r)
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	for _, r := range add {
		if _, err := tx.ExecContext(ctx, `INSERT INTO scim_user_roles (user_id, role_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, userID, r); err != nil {
			return err
		}
	}
	for _, r := range remove {
		if _, err := tx.ExecContext(ctx, `DELETE FROM scim_user_roles WHERE user_id = ? AND role_id = ?`, userID, r); err != nil {
			return err
		}
	}
	return s.Identity.SetProvisionedRoles(ctx, tx, h, actor, ip, userID, add, remove)
}

func (s *Service) publishGroup(h *tenancy.Handle, id int64) {
	if s.Dashboards != nil {
		s.Dashboards.Changes.Publish(dashboards.Change{Tenant: h.Tenant.Slug, Kind: dashboards.ChangeGroup, GroupID: id})
	}
}

func (s *Service) publishMembers(h *tenancy.Handle, groupID, userID int64) {
	if s.Dashboards != nil {
		s.Dashboards.Changes.Publish(dashboards.Change{Tenant: h.Tenant.Slug, Kind: dashboards.ChangeMembers, GroupID: groupID, UserID: userID})
	}
}
