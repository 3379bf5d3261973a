package dashboards

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Dashboard is a page of widgets.
type Dashboard struct {
	ID          int64
	Name        string
	Description string
	// OwnerID is the user who made it; 0 once that account is deleted.
	OwnerID   int64
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int
	// Permission is the caller's: owner, edit or view.
	Permission Permission
	// CanEdit: the caller may change it now (permission and area level).
	CanEdit bool
	// Widgets in their order (GetDashboard only).
	Widgets []Widget
	// Shares, for a caller who may change them (GetDashboard only; nil
	// for one who may only view).
	Shares []Share
	// WidgetCount is how many widgets it has.
	WidgetCount int
}

// DashboardInput is a dashboard as a caller names it.
type DashboardInput struct {
	Name        string
	Description string
	// Version is the version an update is based on.
	Version int
}

func (in *DashboardInput) validate() error {
	var ps strongroom.Problems
	ps.Add(checkText("name", in.Name, 1, 100))
	ps.Add(checkDescription("description", in.Description, 500))
	return ps.Err()
}

// Deletion is what deleting a dashboard takes: the version seen and the
// caller's explicit confirmation (the page asks for it on a page of its
// own), since a deletion takes its widgets and shares and cannot be undone.
type Deletion struct {
	Version   int
	Confirmed bool
}

const dashboardColumns = `d.id, d.name, d.description, COALESCE(d.owner_id, 0), d.created_at, d.updated_at, d.version,
	(SELECT COUNT(*) FROM dashboard_widgets w WHERE w.dashboard_id = d.id), ` + permissionSQL

func (s *Service) scanDashboards(ctx context.Context, q querier, p *identity.Principal, query string, args ...any) ([]Dashboard, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read dashboards: %w", err)
	}
	defer rows.Close()
	out := []Dashboard{}
	for rows.Next() {
		var d Dashboard
		var created, updated, perm string
		if err := rows.Scan(&d.ID, &d.Name, &d.Description, &d.OwnerID, &created, &updated, &d.Version, &d.WidgetCount, &perm); err != nil {
			return nil, fmt.Errorf("read dashboards: %w", err)
		}
		d.CreatedAt, d.UpdatedAt, d.Permission = parseTime(created), parseTime(updated), Permission(perm)
		d.CanEdit = d.Permission.CanEdit() && p.Subject.Allowed(access.Dashboards, access.Edit)
		out = append(out, d)
	}
	return out, rows.Err()
}

// ListDashboards returns the dashboards the caller may see, by name: their
// own and those shared with a group of theirs.
func (s *Service) ListDashboards(ctx context.Context, h *tenancy.Handle, p *identity.Principal) ([]Dashboard, error) {
	if err := p.Subject.Require(access.Dashboards, access.Read); err != nil {
		return nil, err
	}
	uid := p.User.ID
	return s.scanDashboards(ctx, h.DB, p, `SELECT `+dashboardColumns+` FROM dashboards d WHERE `+visibleSQL+`
		ORDER BY LOWER(d.name), d.id`, uid, uid, uid, uid)
}

// GetDashboard returns one dashboard with its widgets, and its shares when
// the caller may change them.
func (s *Service) GetDashboard(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) (*Dashboard, error) {
	if _, err := authorize(ctx, h.DB, p, id, access.Read); err != nil {
		return nil, err
	}
	return s.load(ctx, h.DB, p, id)
}

// load reads a dashboard the caller was authorized for, whole.
func (s *Service) load(ctx context.Context, q querier, p *identity.Principal, id int64) (*Dashboard, error) {
	uid := p.User.ID
	ds, err := s.scanDashboards(ctx, q, p, `SELECT `+dashboardColumns+` FROM dashboards d WHERE d.id = ?`, uid, uid, id)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, notFound("dashboard")
	}
	d := &ds[0]
	if d.Widgets, err = loadWidgets(ctx, q, id); err != nil {
		return nil, err
	}
	if d.CanEdit {
		if d.Shares, err = loadShares(ctx, q, id); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// CreateDashboard makes an empty dashboard owned by the caller.
func (s *Service) CreateDashboard(ctx context.Context, h *tenancy.Handle, p *identity.Principal, in DashboardInput) (*Dashboard, error) {
	if err := p.Subject.Require(access.Dashboards, access.Edit); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	var id int64
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.insertDashboard(ctx, tx, p, in)
		if err != nil {
			return err
		}
		return record(ctx, tx, h, p, change{action: "dashboard.create", objType: objDashboard, id: id,
			changes: []audit.Change{{Field: "name", After: in.Name}, {Field: "description", After: in.Description}}})
	})
	if err != nil {
		return nil, err
	}
	s.Changes.Publish(Change{Tenant: h.Tenant.Slug, Kind: ChangeDashboard, DashboardID: id})
	return s.load(ctx, h.DB, p, id)
}

func (s *Service) insertDashboard(ctx context.Context, tx *store.Tx, p *identity.Principal, in DashboardInput) (int64, error) {
	now := store.FormatTime(s.now())
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO dashboards (name, description, owner_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, in.Name, in.Description, p.User.ID, now, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert dashboard: %w", err)
	}
	return id, nil
}

// UpdateDashboard renames or describes a dashboard; the edit must be based
// on the current version.
func (s *Service) UpdateDashboard(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64, in DashboardInput) (*Dashboard, error) {
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := authorize(ctx, tx, p, id, access.Edit); err != nil {
			return err
		}
		if err := in.validate(); err != nil {
			return err
		}
		before, err := s.load(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if in.Version != before.Version {
			return errStale("dashboard")
		}
		if err := s.bump(ctx, tx, id, before.Version, `name = ?, description = ?, `, in.Name, in.Description); err != nil {
			return err
		}
		var d diffs
		d.add("name", before.Name, in.Name)
		d.add("description", before.Description, in.Description)
		return record(ctx, tx, h, p, change{action: "dashboard.update", objType: objDashboard, id: id, changes: d})
	})
	if err != nil {
		return nil, err
	}
	s.Changes.Publish(Change{Tenant: h.Tenant.Slug, Kind: ChangeDashboard, DashboardID: id})
	return s.load(ctx, h.DB, p, id)
}

// bump sets the columns in set (each "col = ?, ") and moves the version on,
// if the dashboard is still at version.
func (s *Service) bump(ctx context.Context, tx *store.Tx, id int64, version int, set string, args ...any) error {
	args = append(args, store.FormatTime(s.now()), id, version)
	res, err := tx.ExecContext(ctx, `UPDATE dashboards SET `+set+`updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`, args...)
	if err != nil {
		return fmt.Errorf("update dashboard %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errStale("dashboard")
	}
	return nil
}

// touch marks a dashboard changed (its widgets or shares). It is the first
// write of such a transaction, so on PostgreSQL it also locks the row:
// two editors adding widgets at once are taken one after the other, and
// the widget count is checked against what the other committed.
func (s *Service) touch(ctx context.Context, tx *store.Tx, id int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE dashboards SET updated_at = ? WHERE id = ?`, store.FormatTime(s.now()), id)
	if err != nil {
		return fmt.Errorf("touch dashboard %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return notFound("dashboard")
	}
	return nil
}

// DeleteDashboard removes a dashboard with its widgets and shares, once
// confirmed, if it is still at the version the caller saw.
func (s *Service) DeleteDashboard(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64, del Deletion) error {
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := authorize(ctx, tx, p, id, access.Edit); err != nil {
			return err
		}
		before, err := s.load(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !del.Confirmed {
			return strongroom.FieldError("confirm", "Confirm that the dashboard %q and its %d widgets are to be deleted; this cannot be undone.",
				before.Name, before.WidgetCount)
		}
		if del.Version != before.Version {
			return errStale("dashboard")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM dashboards WHERE id = ? AND version = ?`, id, del.Version); err != nil {
			return fmt.Errorf("delete dashboard %d: %w", id, err)
		}
		groups := make([]int64, 0, len(before.Shares))
		for _, sh := range before.Shares {
			groups = append(groups, sh.GroupID)
		}
		return record(ctx, tx, h, p, change{action: "dashboard.delete", objType: objDashboard, id: id,
			changes: []audit.Change{{Field: "name", Before: before.Name}, {Field: "widgets", Before: before.WidgetCount},
				{Field: "shared_with", Before: groups}}})
	})
	if err != nil {
		return err
	}
	s.Changes.Publish(Change{Tenant: h.Tenant.Slug, Kind: ChangeDashboard, DashboardID: id})
	return nil
}

// DuplicateDashboard copies a dashboard the caller may see, with its
// widgets but none of its shares, as a new dashboard of the caller's own.
// name "" gives "Copy of" the original's name.
func (s *Service) DuplicateDashboard(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64, name string) (*Dashboard, error) {
	var copyID int64
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := authorize(ctx, tx, p, id, access.Read); err != nil {
			return err
		}
		if err := p.Subject.Require(access.Dashboards, access.Edit); err != nil {
			return err
		}
		src, err := s.load(ctx, tx, p, id)
		if err != nil {
			return err
		}
		in := DashboardInput{Name: name, Description: src.Description}
		if in.Name == "" {
			in.Name = copyName(src.Name)
		}
		if err := in.validate(); err != nil {
			return err
		}
		if copyID, err = s.insertDashboard(ctx, tx, p, in); err != nil {
			return err
		}
		for _, w := range src.Widgets {
			if err := insertWidget(ctx, tx, copyID, w.Position, w.input()); err != nil {
				return err
			}
		}
		return record(ctx, tx, h, p, change{action: "dashboard.duplicate", objType: objDashboard, id: copyID,
			changes: []audit.Change{{Field: "name", After: in.Name}, {Field: "widgets", After: len(src.Widgets)}},
			details: map[string]string{"source_dashboard_id": fmt.Sprint(id)}})
	})
	if err != nil {
		return nil, err
	}
	s.Changes.Publish(Change{Tenant: h.Tenant.Slug, Kind: ChangeDashboard, DashboardID: copyID})
	return s.load(ctx, h.DB, p, copyID)
}

// copyName is "Copy of NAME", cut to the 100 characters a name may have.
func copyName(name string) string {
	out := "Copy of " + name
	for utf8.RuneCountInString(out) > 100 {
		_, size := utf8.DecodeLastRuneInString(out)
		out = out[:len(out)-size]
	}
	return strings.TrimSpace(out)
}
