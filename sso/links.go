package sso

import (
	"context"
	"strings"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Link is an identity at a provider linked to a user.
type Link struct {
	ID         int64
	ProviderID int64
	Issuer     string
	Subject    string
	UserID     int64
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
}

// LinkInput names an identity by its provider and subject (the ID token's
// sub); the issuer is the provider's.
type LinkInput struct {
	ProviderID int64  `json:"provider_id"`
	Subject    string `json:"subject"`
	UserID     int64  `json:"user_id"`
}

// Links lists the tenant's links (userID 0: every user's), for administrators.
func (s *Service) Links(ctx context.Context, h *tenancy.Handle, p *identity.Principal, userID int64) ([]Link, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	q := `SELECT id, provider_id, issuer, subject, user_id, created_at, last_used_at FROM sso_links`
	var args []any
	if userID != 0 {
		q += ` WHERE user_id = ?`
		args = append(args, userID)
	}
	rows, err := h.DB.QueryContext(ctx, q+` ORDER BY user_id, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Link
	for rows.Next() {
		var l Link
		var created, used string
		if err := rows.Scan(&l.ID, &l.ProviderID, &l.Issuer, &l.Subject, &l.UserID, &created, &used); err != nil {
			return nil, err
		}
		l.CreatedAt, _ = store.ParseTime(created)
		l.LastUsedAt, _ = store.ParseTime(used)
		out = append(out, l)
	}
	return out, rows.Err()
}

// LinkUser links an identity to an existing user: an administrator's
// explicit act. An identity already linked (to this user or another) is
// refused.
func (s *Service) LinkUser(ctx context.Context, h *tenancy.Handle, p *identity.Principal, in LinkInput) (*Link, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	var ps strongroom.Problems
	in.Subject = strings.TrimSpace(in.Subject)
	if in.Subject == "" || len(in.Subject) > 255 || strings.ContainsFunc(in.Subject, isControl) {
		ps.Addf("subject", "Enter the identity's subject (the sub of its ID token), at most 255 characters.")
	}
	if in.ProviderID <= 0 {
		ps.Addf("provider_id", "Choose the identity provider.")
	}
	if in.UserID <= 0 {
		ps.Addf("user_id", "Choose the user.")
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	prov, err := loadProvider(ctx, h.DB, in.ProviderID)
	if err != nil {
		return nil, strongroom.FieldError("provider_id", "There is no such identity provider.")
	}
	var id int64
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = ?`, in.UserID).Scan(&n); err != nil {
			return err
		}
		if n != 1 {
			return strongroom.FieldError("user_id", "There is no such user.")
		}
		var err error
		id, err = s.insertLink(ctx, tx, prov.ID, s.IssuerOf(prov), in.Subject, in.UserID)
		if err != nil {
			return err
		}
		return s.recordDetails(ctx, tx, h, p.AuditActor(), p.IP, "sso.link", "user", in.UserID,
			map[string]string{"provider": itoa(int(prov.ID)), "link": itoa(int(id))})
	})
	if err != nil {
		return nil, err
	}
	links, err := s.Links(ctx, h, p, in.UserID)
	if err != nil {
		return nil, err
	}
	for i := range links {
		if links[i].ID == id {
			return &links[i], nil
		}
	}
	return nil, notFound("link")
}

// insertLink stores a link, refusing an identity linked already.
func (s *Service) insertLink(ctx context.Context, tx *store.Tx, providerID int64, issuer, subject string, userID int64) (int64, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sso_links WHERE issuer = ? AND subject = ?`, issuer, subject).Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, &strongroom.Error{Code: strongroom.ECONFLICT, Field: "subject",
			Message: "That identity is already linked to a user. Unlink it there first."}
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO sso_links (provider_id, issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		providerID, issuer, subject, userID, store.FormatTime(s.Now())).Scan(&id)
	return id, err
}

// Unlink removes a link; the user can no longer sign in with it.
func (s *Service) Unlink(ctx context.Context, h *tenancy.Handle, p *identity.Principal, linkID int64) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		var userID, providerID int64
		if err := tx.QueryRowContext(ctx, `SELECT user_id, provider_id FROM sso_links WHERE id = ?`, linkID).Scan(&userID, &providerID); err != nil {
			return notFound("link")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sso_links WHERE id = ?`, linkID); err != nil {
			return err
		}
		return s.recordDetails(ctx, tx, h, p.AuditActor(), p.IP, "sso.unlink", "user", userID,
			map[string]string{"provider": itoa(int(providerID)), "link": itoa(int(linkID))})
	})
}

// refused writes an audited refusal of a sign-in (ids and address only)
// in a transaction of its own: the refusal is kept.
func (s *Service) refused(ctx context.Context, h *tenancy.Handle, ip string, providerID int64, reason string, userID int64) {
	details := map[string]string{"reason": reason, "provider": itoa(int(providerID))}
	obj, objID := "sso_provider", providerID
	if userID != 0 {
		obj, objID = "user", userID
	}
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: audit.Actor{Kind: audit.ActorAnonymous}, SourceIP: ip,
			Action: "sso.refused", ObjectType: obj, ObjectID: itoa(int(objID)), Details: details})
		return err
	})
	if err != nil {
		s.log.Error("audit a refused single sign-on", "tenant", h.Tenant.Slug, "err", err)
	}
}
