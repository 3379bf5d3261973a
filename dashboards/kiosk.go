package dashboards

import (
	"context"
	"database/sql"
	"errors"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/tenancy"
)

// Visible reports whether the dashboard id exists and p may view it: what
// a kiosk link's maker must be able to do for each dashboard the screen
// shows. A dashboard p may not see answers false, like a missing one.
func (s *Service) Visible(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) (bool, error) {
	_, err := authorize(ctx, h.DB, p, id, access.Read)
	switch {
	case err == nil:
		return true, nil
	case strongroom.ErrorCode(err) == strongroom.ENOTFOUND:
		return false, nil
	}
	return false, err
}

// KioskTitle names dashboard id for a kiosk screen whose identity sub
// reads dashboards. The link chose the dashboard when its administrator
// could view it; a kiosk has no user of its own to share it with.
func (s *Service) KioskTitle(ctx context.Context, h *tenancy.Handle, sub *access.Subject, id int64) (string, error) {
	if err := sub.Require(access.Dashboards, access.Read); err != nil {
		return "", err
	}
	var name string
	err := h.DB.QueryRowContext(ctx, `SELECT name FROM dashboards WHERE id = ?`, id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("dashboard")
	}
	return name, err
}

// KioskWidgets returns dashboard id's widgets, in order, for a kiosk
// screen whose identity sub reads dashboards. As with KioskTitle the link
// chose the dashboard; the figures are computed for sub alone.
func (s *Service) KioskWidgets(ctx context.Context, h *tenancy.Handle, sub *access.Subject, id int64) ([]Widget, error) {
	if _, err := s.KioskTitle(ctx, h, sub, id); err != nil {
		return nil, err
	}
	return loadWidgets(ctx, h.DB, id)
}
