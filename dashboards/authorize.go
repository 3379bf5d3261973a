package dashboards

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
)

// Who may do what (docs/architecture.md, "Dashboards and groups"):
//
//   - See a dashboard: the dashboards area at read, and being its owner or
//     a member of a group it is shared with (view or edit).
//   - Change it (name, widgets, shares) or delete it: the dashboards area
//     at edit, and being its owner or a member of a group it is shared
//     with for editing.
//   - Create a dashboard: the dashboards area at edit.
//   - Manage groups and their members: the administration area at edit.
//
// Administration grants no dashboard: an administrator sees another's
// dashboard only through a share, like anyone else. A dashboard the
// caller may not see answers ENOTFOUND, as a missing one does, on every
// path; lacking the area altogether is also ENOTFOUND for one dashboard
// (and EFORBIDDEN for the list, which names no dashboard).

// Permission is what a caller may do with one dashboard.
type Permission string

const (
	// PermOwner: the caller owns it, and may do everything with it.
	PermOwner Permission = "owner"
	// PermEdit: shared with a group of the caller's for editing.
	PermEdit Permission = "edit"
	// PermView: shared with a group of the caller's for viewing.
	PermView Permission = "view"
	// permNone: none of the above.
	permNone Permission = ""
)

// CanEdit reports whether the permission allows changes, before the
// caller's area level is considered.
func (p Permission) CanEdit() bool { return p == PermOwner || p == PermEdit }

// visibleSQL is the condition that the dashboard aliased d is the user's
// own or shared with a group they belong to; its two arguments are the
// user's id, twice.
const visibleSQL = `(d.owner_id = ? OR EXISTS (SELECT 1 FROM dashboard_shares s
	JOIN user_group_members m ON m.group_id = s.group_id
	WHERE s.dashboard_id = d.id AND m.user_id = ?))`

// permissionSQL is the caller's permission on the dashboard aliased d
// (owner, edit, view, or empty for none), from the same two arguments.
const permissionSQL = `CASE WHEN d.owner_id = ? THEN 'owner'
	ELSE COALESCE((SELECT MIN(s.permission) FROM dashboard_shares s
		JOIN user_group_members m ON m.group_id = s.group_id
		WHERE s.dashboard_id = d.id AND m.user_id = ?), '') END`

// 'edit' sorts before 'view', so MIN picks edit when any group gives it.

// permission reads the caller's permission on dashboard id; permNone for
// one that is missing or not theirs to see.
func permission(ctx context.Context, q querier, userID, id int64) (Permission, error) {
	var perm string
	err := q.QueryRowContext(ctx, `SELECT `+permissionSQL+` FROM dashboards d WHERE d.id = ?`, userID, userID, id).Scan(&perm)
	if errors.Is(err, sql.ErrNoRows) {
		return permNone, nil
	} else if err != nil {
		return permNone, fmt.Errorf("read permission on dashboard %d: %w", id, err)
	}
	return Permission(perm), nil
}

// authorize returns the caller's permission on dashboard id when they may
// act on it at need (read: see it; edit: change it), else ENOTFOUND for a
// dashboard they may not see and EFORBIDDEN for one they see but may not
// change.
func authorize(ctx context.Context, q querier, p *identity.Principal, id int64, need access.Level) (Permission, error) {
	if !p.Subject.Allowed(access.Dashboards, access.Read) {
		return permNone, notFound("dashboard")
	}
	perm, err := permission(ctx, q, p.User.ID, id)
	if err != nil {
		return permNone, err
	}
	if perm == permNone {
		return permNone, notFound("dashboard")
	}
	if need == access.Edit {
		if !perm.CanEdit() {
			return permNone, strongroom.Errorf(strongroom.EFORBIDDEN, "This dashboard is shared with you to view; you may not change it.")
		}
		if err := p.Subject.Require(access.Dashboards, access.Edit); err != nil {
			return permNone, err
		}
	}
	return perm, nil
}

// requireAdmin refuses principals without edit on administration: groups
// and their members are administrators' to manage.
func requireAdmin(p *identity.Principal) error {
	return p.Subject.Require(access.Administration, access.Edit)
}
