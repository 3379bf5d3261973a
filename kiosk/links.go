package kiosk

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Create makes a kiosk link. The token is returned once, here; only its
// hash is kept.
func (s *Service) Create(ctx context.Context, h *tenancy.Handle, p *identity.Principal, in Input) (*Link, string, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, "", err
	}
	c, err := s.check(ctx, h, p, in)
	if err != nil {
		return nil, "", err
	}
	token, public := newToken()
	now := store.FormatTime(s.Now())
	var id int64
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO kiosk_links (label, token_hash, public_id, rotation_seconds, expires_at,
			allowed_cidrs, areas, restricted, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.label, hashToken(token), public, c.rotation, formatOptional(c.expiresAt), joinCIDRs(c.cidrs),
			joinAreas(c.identity.Areas), boolInt(c.identity.Restricted), p.User.ID, now, now).Scan(&id); err != nil {
			return err
		}
		if err := writeParts(ctx, tx, id, c); err != nil {
			return err
		}
		return record(ctx, tx, h, p.AuditActor(), p.IP, "kiosk.create", id, changesOf(nil, c), map[string]string{"public_id": public})
	})
	if err != nil {
		return nil, "", err
	}
	l, err := getLink(ctx, h.DB, id)
	return l, token, err
}

// Get returns one link.
func (s *Service) Get(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) (*Link, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	return getLink(ctx, h.DB, id)
}

// List returns every link, newest first, with its views.
func (s *Service) List(ctx context.Context, h *tenancy.Handle, p *identity.Principal) ([]*Link, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	rows, err := h.DB.QueryContext(ctx, `SELECT `+linkCols+` FROM kiosk_links ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	var out []*Link
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, loadParts(ctx, h.DB, out)
}

// Update replaces a link's settings (label, rotation, expiry, allowlist,
// dashboards, identity), if the link is still at in.Version. Its token
// stays.
func (s *Service) Update(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64, in Input) (*Link, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	c, err := s.check(ctx, h, p, in)
	if err != nil {
		return nil, err
	}
	err = s.change(ctx, h, p, id, "kiosk.update", func(tx *store.Tx, before *Link) ([]audit.Change, error) {
		if before.Version != in.Version {
			return nil, errStale()
		}
		changes := changesOf(before, c)
		if len(changes) == 0 {
			return nil, nil
		}
		// The version in the WHERE clause refuses an update that another
		// transaction overtook after the read above.
		res, err := tx.ExecContext(ctx, `UPDATE kiosk_links SET label = ?, rotation_seconds = ?, expires_at = ?, allowed_cidrs = ?,
			areas = ?, restricted = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`, c.label, c.rotation,
			formatOptional(c.expiresAt), joinCIDRs(c.cidrs), joinAreas(c.identity.Areas), boolInt(c.identity.Restricted),
			store.FormatTime(s.Now()), id, in.Version)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n != 1 {
			return nil, errStale()
		}
		return changes, writeParts(ctx, tx, id, c)
	})
	if err != nil {
		return nil, err
	}
	return getLink(ctx, h.DB, id)
}

// SetPaused pauses a link (its screen shows a "paused" notice) or resumes it.
func (s *Service) SetPaused(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64, paused bool) (*Link, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	action := map[bool]string{true: "kiosk.pause", false: "kiosk.resume"}[paused]
	err := s.change(ctx, h, p, id, action, func(tx *store.Tx, before *Link) ([]audit.Change, error) {
		if before.Paused == paused {
			return nil, nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE kiosk_links SET paused = ?, updated_at = ?, version = version + 1 WHERE id = ?`, boolInt(paused), store.FormatTime(s.Now()), id)
		return []audit.Change{{Field: "paused", Before: before.Paused, After: paused}}, err
	})
	if err != nil {
		return nil, err
	}
	return getLink(ctx, h.DB, id)
}

// Revoke ends a link for good: its token stops at once and it cannot be
// resumed or given a new token. (Delete removes it from the list.)
func (s *Service) Revoke(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) (*Link, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	err := s.change(ctx, h, p, id, "kiosk.revoke", func(tx *store.Tx, before *Link) ([]audit.Change, error) {
		now := store.FormatTime(s.Now())
		_, err := tx.ExecContext(ctx, `UPDATE kiosk_links SET revoked_at = ?, updated_at = ?, version = version + 1 WHERE id = ?`, now, now, id)
		return []audit.Change{{Field: "revoked", Before: false, After: true}}, err
	})
	if err != nil {
		return nil, err
	}
	return getLink(ctx, h.DB, id)
}

// Regenerate gives a link a new token, returned once; the old one stops
// working at once (its hash is gone), and with it every screen's cookie.
func (s *Service) Regenerate(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) (*Link, string, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, "", err
	}
	token, public := newToken()
	err := s.change(ctx, h, p, id, "kiosk.regenerate", func(tx *store.Tx, before *Link) ([]audit.Change, error) {
		_, err := tx.ExecContext(ctx, `UPDATE kiosk_links SET token_hash = ?, public_id = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
			hashToken(token), public, store.FormatTime(s.Now()), id)
		return []audit.Change{{Field: "public_id", Before: before.PublicID, After: public}}, err
	})
	if err != nil {
		return nil, "", err
	}
	l, err := getLink(ctx, h.DB, id)
	return l, token, err
}

// Delete removes a link and its token.
func (s *Service) Delete(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		before, err := getLink(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM kiosk_links WHERE id = ?`, id); err != nil {
			return err
		}
		return record(ctx, tx, h, p.AuditActor(), p.IP, "kiosk.delete", id, nil,
			map[string]string{"label": before.Label, "public_id": before.PublicID})
	})
}

// change runs fn on a link that is not revoked, in one transaction with
// its audit event; fn returning no changes writes nothing.
func (s *Service) change(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64, action string,
	fn func(tx *store.Tx, before *Link) ([]audit.Change, error)) error {
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		before, err := getLink(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.Revoked() {
			return strongroom.Errorf(strongroom.ECONFLICT, "This kiosk link has been revoked; make a new one instead.")
		}
		changes, err := fn(tx, before)
		if err != nil || len(changes) == 0 {
			return err
		}
		return record(ctx, tx, h, p.AuditActor(), p.IP, action, id, changes, nil)
	})
}

// changesOf lists what c changes in before (everything, for a new link).
func changesOf(before *Link, c *checked) []audit.Change {
	if before == nil {
		before = &Link{}
	}
	var out []audit.Change
	add := func(field string, b, a any) {
		if fmt.Sprint(b) != fmt.Sprint(a) {
			out = append(out, audit.Change{Field: field, Before: b, After: a})
		}
	}
	add("label", before.Label, c.label)
	add("rotation_seconds", int(before.Rotation/time.Second), c.rotation)
	add("expires_at", formatOptional(before.ExpiresAt), formatOptional(c.expiresAt))
	add("allowed_cidrs", joinCIDRs(before.AllowedCIDRs), joinCIDRs(c.cidrs))
	add("dashboards", idList(before.Dashboards), idList(c.dashboards))
	add("areas", joinAreas(before.Identity.Areas), joinAreas(c.identity.Areas))
	add("classes", idList(before.Identity.Classes), idList(c.identity.Classes))
	add("restricted", before.Identity.Restricted, c.identity.Restricted)
	return out
}

func idList(ids []int64) string {
	out := make([]byte, 0, len(ids)*4)
	for i, id := range ids {
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendInt(out, id, 10)
	}
	return string(out)
}
