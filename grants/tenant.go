package grants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// approval reads the tenant's setting; no row is the default, Automatic.
func (s *Service) approval(ctx context.Context, h *tenancy.Handle) (Approval, error) {
	var a string
	err := h.DB.QueryRowContext(ctx, `SELECT approval FROM provider_access_settings WHERE id = 1`).Scan(&a)
	if errors.Is(err, sql.ErrNoRows) {
		return Automatic, nil
	}
	return Approval(a), err
}

// Approval returns the tenant's approval setting, for its administrators.
func (s *Service) Approval(ctx context.Context, h *tenancy.Handle, p *identity.Principal) (Approval, error) {
	if err := requireTenantAdmin(p, access.Read); err != nil {
		return "", err
	}
	return s.approval(ctx, h)
}

// SetApproval changes the tenant's approval setting, audited as
// provider_access.setting.
func (s *Service) SetApproval(ctx context.Context, h *tenancy.Handle, p *identity.Principal, a Approval) error {
	if err := requireTenantAdmin(p, access.Edit); err != nil {
		return err
	}
	if a != Automatic && a != Required {
		return strongroom.FieldError("approval", "Choose automatic or required.")
	}
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		var before string
		err := tx.QueryRowContext(ctx, `SELECT approval FROM provider_access_settings WHERE id = 1`).Scan(&before)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			before = string(Automatic)
			_, err = tx.ExecContext(ctx, `INSERT INTO provider_access_settings (id, approval, updated_at) VALUES (1, ?, ?)`, string(a), formatTime(s.now()))
		case err == nil:
			_, err = tx.ExecContext(ctx, `UPDATE provider_access_settings SET approval = ?, updated_at = ? WHERE id = 1`, string(a), formatTime(s.now()))
		}
		if err != nil {
			return err
		}
		if before == string(a) {
			return nil
		}
		_, err = h.Audit.Append(ctx, tx, audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: "provider_access.setting",
			ObjectType: "provider_access", Changes: []audit.Change{{Field: "approval", Before: before, After: string(a)}}})
		return err
	})
}

// Notice is a break-glass alert shown to the tenant's administrators.
type Notice struct {
	ID             int64
	GrantID        int64
	Operator       string
	Reason         Reason
	Ticket         string
	CreatedAt      time.Time
	AcknowledgedAt time.Time // zero: still shown
	AcknowledgedBy int64
}

func insertNotice(ctx context.Context, tx *store.Tx, g *Grant, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO provider_access_notices (grant_id, operator, reason, ticket, created_at) VALUES (?, ?, ?, ?, ?)`,
		g.ID, g.OperatorName, string(g.Reason), g.Ticket, formatTime(now))
	return err
}

// Notices returns the tenant's break-glass notices, newest first; only
// those not yet acknowledged when open is set. Administrators only: for
// anyone else none.
func (s *Service) Notices(ctx context.Context, h *tenancy.Handle, p *identity.Principal, open bool) ([]Notice, error) {
	if requireTenantAdmin(p, access.Read) != nil {
		return nil, nil
	}
	q := `SELECT id, grant_id, operator, reason, ticket, created_at, acknowledged_at, acknowledged_by FROM provider_access_notices`
	if open {
		q += ` WHERE acknowledged_at = ''`
	}
	rows, err := h.DB.QueryContext(ctx, q+` ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Notice
	for rows.Next() {
		var n Notice
		var reason, created, acked string
		if err := rows.Scan(&n.ID, &n.GrantID, &n.Operator, &reason, &n.Ticket, &created, &acked, &n.AcknowledgedBy); err != nil {
			return nil, err
		}
		n.Reason, n.CreatedAt, n.AcknowledgedAt = Reason(reason), parseTime(created), parseTime(acked)
		out = append(out, n)
	}
	return out, rows.Err()
}

// Acknowledge marks a notice seen, audited as provider_access.acknowledged.
func (s *Service) Acknowledge(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) error {
	if err := requireTenantAdmin(p, access.Edit); err != nil {
		return err
	}
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		var grant int64
		err := tx.QueryRowContext(ctx, `SELECT grant_id FROM provider_access_notices WHERE id = ? AND acknowledged_at = ''`, id).Scan(&grant)
		if errors.Is(err, sql.ErrNoRows) {
			return strongroom.Errorf(strongroom.ENOTFOUND, "No such notice, or it was acknowledged already.")
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE provider_access_notices SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?`,
			formatTime(s.now()), p.User.ID, id); err != nil {
			return err
		}
		_, err = h.Audit.Append(ctx, tx, audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: "provider_access.acknowledged",
			ObjectType: "access_grant", ObjectID: strconv.FormatInt(grant, 10),
			Details: map[string]string{"grant": strconv.FormatInt(grant, 10), "notice": strconv.FormatInt(id, 10)}})
		return err
	})
}

// Events returns the tenant's trail of a grant: its changes of state and
// every request made under it, oldest first.
func (s *Service) Events(ctx context.Context, h *tenancy.Handle, p *identity.Principal, grantID int64) ([]audit.Event, error) {
	if _, err := s.Get(ctx, h, p, grantID); err != nil {
		return nil, err
	}
	id := strconv.FormatInt(grantID, 10)
	var out []audit.Event
	var after int64
	for {
		evs, err := h.Audit.Events(ctx, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if strings.HasPrefix(e.Action, "provider_access.") || e.Action == "operator.request" || e.Action == "operator.cli" {
				if e.Details["grant"] == id {
					out = append(out, e)
				}
			}
			after = e.Seq
		}
		if len(evs) < 1000 {
			return out, nil
		}
	}
}

// alert e-mails the tenant's administrators of a break-glass grant. The
// notice is in the database already; a mail that cannot be sent is
// logged, never a reason to refuse the emergency.
func (s *Service) alert(ctx context.Context, h *tenancy.Handle, g *Grant) {
	if s.Mail == nil || s.Identity == nil {
		return
	}
	to, err := s.adminAddresses(ctx, h)
	if err != nil || len(to) == 0 {
		if err != nil {
			s.Log.Error("break-glass alert: find administrators", "tenant", h.Tenant.Slug, "err", err)
		}
		return
	}
	subject := fmt.Sprintf("Break-glass access to %s by operator %s", h.Tenant.DisplayName, g.OperatorName)
	body := fmt.Sprintf("Operator %s of your service provider opened emergency (break-glass) access to workspace %s.\r\n\r\n"+
		"Grant: #%d\r\nTicket: %s\r\nScope: %s\r\nFrom: %s\r\nUntil: %s\r\n\r\n"+
		"It was granted without approval and is flagged for review. Every request made under it is in your audit trail; "+
		"see Administration > Access by the service provider, where you may also revoke it.\r\n",
		g.OperatorName, h.Tenant.DisplayName, g.ID, g.Ticket, g.Scope.Text(),
		g.StartsAt.UTC().Format(time.RFC1123), g.EndsAt.UTC().Format(time.RFC1123))
	if err := s.Mail.Send(ctx, to, subject, body); err != nil {
		s.Log.Error("break-glass alert: send mail", "tenant", h.Tenant.Slug, "err", err)
	}
}

// adminAddresses are the e-mail addresses of the tenant's active
// administrators.
func (s *Service) adminAddresses(ctx context.Context, h *tenancy.Handle) ([]string, error) {
	sys := &identity.Principal{User: &identity.User{}, Subject: &access.Subject{Levels: map[access.Area]access.Level{access.Administration: access.Edit}}}
	roles, err := s.Identity.ListRoles(ctx, h, sys)
	if err != nil {
		return nil, err
	}
	users, err := s.Identity.ListUsers(ctx, h, sys)
	if err != nil {
		return nil, err
	}
	byID := map[int64]access.Role{}
	for _, r := range roles {
		byID[r.ID] = r
	}
	var out []string
	for _, u := range users {
		if u.Status != "active" || u.Email == "" || u.Erased {
			continue
		}
		var rs []access.Role
		for _, id := range u.RoleIDs {
			rs = append(rs, byID[id])
		}
		if access.NewSubject(u.ID, u.Restricted, nil, rs).Allowed(access.Administration, access.Edit) {
			out = append(out, u.Email)
		}
	}
	return out, nil
}
