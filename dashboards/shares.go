package dashboards

import (
	"context"
	"fmt"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Share is a dashboard shared with a group.
type Share struct {
	GroupID    int64
	GroupName  string
	Permission Permission // PermView or PermEdit
}

func loadShares(ctx context.Context, q querier, dashboardID int64) ([]Share, error) {
	rows, err := q.QueryContext(ctx, `SELECT s.group_id, g.name, s.permission FROM dashboard_shares s
		JOIN user_groups g ON g.id = s.group_id WHERE s.dashboard_id = ? ORDER BY g.name_key, g.id`, dashboardID)
	if err != nil {
		return nil, fmt.Errorf("read shares: %w", err)
	}
	defer rows.Close()
	out := []Share{}
	for rows.Next() {
		var sh Share
		var perm string
		if err := rows.Scan(&sh.GroupID, &sh.GroupName, &perm); err != nil {
			return nil, fmt.Errorf("read shares: %w", err)
		}
		sh.Permission = Permission(perm)
		out = append(out, sh)
	}
	return out, rows.Err()
}

// ParseSharePermission reads "view" or "edit"; anything else is an
// EINVALID error naming field "permission".
func ParseSharePermission(s string) (Permission, error) {
	switch Permission(s) {
	case PermView, PermEdit:
		return Permission(s), nil
	}
	return permNone, strongroom.FieldError("permission", "Share to view or to edit.")
}

// Share shares a dashboard with a group to view or edit, or changes the
// permission of an existing share.
func (s *Service) Share(ctx context.Context, h *tenancy.Handle, p *identity.Principal, dashboardID, groupID int64, perm Permission) error {
	changed := false
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := authorize(ctx, tx, p, dashboardID, access.Edit); err != nil {
			return err
		}
		if _, err := ParseSharePermission(string(perm)); err != nil {
			return err
		}
		if _, err := loadGroup(ctx, tx, groupID); err != nil {
			return &strongroom.Error{Code: strongroom.ENOTFOUND, Field: "group_id", Message: "No such group."}
		}
		if before, err := sharePermission(ctx, tx, dashboardID, groupID); err != nil || before == perm {
			return err // shared so already: nothing changes, nothing is recorded
		}
		if err := s.touch(ctx, tx, dashboardID); err != nil {
			return err
		}
		// Read again under the row lock touch took: a share made meanwhile
		// is updated rather than inserted twice.
		before, err := sharePermission(ctx, tx, dashboardID, groupID)
		if err != nil || before == perm {
			return err
		}
		if before == permNone {
			_, err = tx.ExecContext(ctx, `INSERT INTO dashboard_shares (dashboard_id, group_id, permission) VALUES (?, ?, ?)`, dashboardID, groupID, string(perm))
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE dashboard_shares SET permission = ? WHERE dashboard_id = ? AND group_id = ?`, string(perm), dashboardID, groupID)
		}
		if err != nil {
			return fmt.Errorf("share dashboard %d: %w", dashboardID, err)
		}
		changed = true
		return record(ctx, tx, h, p, change{action: "dashboard.share", objType: objDashboard, id: dashboardID,
			changes: []audit.Change{{Field: "permission", Before: string(before), After: string(perm)}},
			details: map[string]string{"group_id": fmt.Sprint(groupID)}})
	})
	if err == nil && changed {
		s.Changes.Publish(Change{Tenant: h.Tenant.Slug, Kind: ChangeShares, DashboardID: dashboardID, GroupID: groupID})
	}
	return err
}

// Unshare ends a dashboard's share with a group; the group's members who
// see it through no other share or ownership stop seeing it at once.
func (s *Service) Unshare(ctx context.Context, h *tenancy.Handle, p *identity.Principal, dashboardID, groupID int64) error {
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := authorize(ctx, tx, p, dashboardID, access.Edit); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, dashboardID); err != nil {
			return err
		}
		before, err := sharePermission(ctx, tx, dashboardID, groupID)
		if err != nil {
			return err
		}
		if before == permNone {
			return strongroom.Errorf(strongroom.ENOTFOUND, "The dashboard is not shared with that group.")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM dashboard_shares WHERE dashboard_id = ? AND group_id = ?`, dashboardID, groupID); err != nil {
			return fmt.Errorf("unshare dashboard %d: %w", dashboardID, err)
		}
		return record(ctx, tx, h, p, change{action: "dashboard.unshare", objType: objDashboard, id: dashboardID,
			changes: []audit.Change{{Field: "permission", Before: string(before)}},
			details: map[string]string{"group_id": fmt.Sprint(groupID)}})
	})
	if err == nil {
		s.Changes.Publish(Change{Tenant: h.Tenant.Slug, Kind: ChangeShares, DashboardID: dashboardID, GroupID: groupID})
	}
	return err
}

func sharePermission(ctx context.Context, q querier, dashboardID, groupID int64) (Permission, error) {
	var perm string
	rows, err := q.QueryContext(ctx, `SELECT permission FROM dashboard_shares WHERE dashboard_id = ? AND group_id = ?`, dashboardID, groupID)
	if err != nil {
		return permNone, err
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&perm); err != nil {
			return permNone, err
		}
	}
	return Permission(perm), rows.Err()
}

// Shares lists a dashboard's shares, for those who may change them: who
// else sees a dashboard is its editors' to know, not its viewers'.
func (s *Service) Shares(ctx context.Context, h *tenancy.Handle, p *identity.Principal, dashboardID int64) ([]Share, error) {
	if _, err := authorize(ctx, h.DB, p, dashboardID, access.Edit); err != nil {
		return nil, err
	}
	return loadShares(ctx, h.DB, dashboardID)
}
