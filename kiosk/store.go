package kiosk

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"strongroom/access"
	"strongroom/audit"
	"strongroom/store"
	"strongroom/tenancy"
)

// querier is a tenant database or a transaction of it.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*store.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *store.Row
}

const linkCols = `id, label, public_id, rotation_seconds, expires_at, paused, revoked_at, allowed_cidrs, areas, restricted,
	COALESCE(created_by, 0), created_at, updated_at, last_viewed_at, view_count, version`

type scanner interface{ Scan(dest ...any) error }

func scanLink(row scanner, extra ...any) (*Link, error) {
	var l Link
	var rot, paused, restricted int
	var exp, rev, cidrs, areas, created, updated, viewed string
	dest := append([]any{&l.ID, &l.Label, &l.PublicID, &rot, &exp, &paused, &rev, &cidrs, &areas, &restricted,
		&l.CreatedBy, &created, &updated, &viewed, &l.ViewCount, &l.Version}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	l.Rotation = time.Duration(rot) * time.Second
	l.Paused, l.Identity.Restricted = paused != 0, restricted != 0
	var err error
	for _, t := range []struct {
		s  string
		to *time.Time
	}{{exp, &l.ExpiresAt}, {rev, &l.RevokedAt}, {created, &l.CreatedAt}, {updated, &l.UpdatedAt}, {viewed, &l.LastViewedAt}} {
		if t.s != "" {
			if *t.to, err = store.ParseTime(t.s); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range splitList(cidrs) {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, err
		}
		l.AllowedCIDRs = append(l.AllowedCIDRs, p)
	}
	for _, a := range splitList(areas) {
		// An area a later Strongroom no longer knows simply grants nothing.
		l.Identity.Areas = append(l.Identity.Areas, access.Area(a))
	}
	return &l, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func joinCIDRs(ps []netip.Prefix) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ",")
}

func joinAreas(as []access.Area) string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return strings.Join(out, ",")
}

func formatOptional(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.FormatTime(t)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// getLink reads one link with its dashboards and classes.
func getLink(ctx context.Context, q querier, id int64) (*Link, error) {
	l, err := scanLink(q.QueryRowContext(ctx, `SELECT `+linkCols+` FROM kiosk_links WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errLinkNotFound()
	}
	if err != nil {
		return nil, err
	}
	return l, loadParts(ctx, q, []*Link{l})
}

// loadParts reads the dashboards and classes of links, two queries for all.
func loadParts(ctx context.Context, q querier, links []*Link) error {
	if len(links) == 0 {
		return nil
	}
	byID := map[int64]*Link{}
	ids := make([]int64, len(links))
	for i, l := range links {
		byID[l.ID], ids[i] = l, l.ID
	}
	in, args := store.IDList(ids)
	rows, err := q.QueryContext(ctx, `SELECT link_id, dashboard_id FROM kiosk_link_dashboards WHERE link_id IN (`+in+`) ORDER BY link_id, position`, args...)
	if err != nil {
		return err
	}
	if err := eachPair(rows, func(link, v int64) { byID[link].Dashboards = append(byID[link].Dashboards, v) }); err != nil {
		return err
	}
	rows, err = q.QueryContext(ctx, `SELECT link_id, class_id FROM kiosk_link_classes WHERE link_id IN (`+in+`) ORDER BY link_id, class_id`, args...)
	if err != nil {
		return err
	}
	return eachPair(rows, func(link, v int64) { byID[link].Identity.Classes = append(byID[link].Identity.Classes, v) })
}

func eachPair(rows *store.Rows, fn func(a, b int64)) error {
	defer rows.Close()
	for rows.Next() {
		var a, b int64
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		fn(a, b)
	}
	return rows.Err()
}

// writeParts replaces a link's dashboards and classes.
func writeParts(ctx context.Context, tx *store.Tx, id int64, c *checked) error {
	for _, q := range []string{`DELETE FROM kiosk_link_dashboards WHERE link_id = ?`, `DELETE FROM kiosk_link_classes WHERE link_id = ?`} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	for i, d := range c.dashboards {
		if _, err := tx.ExecContext(ctx, `INSERT INTO kiosk_link_dashboards (link_id, dashboard_id, position) VALUES (?, ?, ?)`, id, d, i); err != nil {
			return err
		}
	}
	for _, cl := range c.identity.Classes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO kiosk_link_classes (link_id, class_id) VALUES (?, ?)`, id, cl); err != nil {
			return err
		}
	}
	return nil
}

// record appends an audit event about link id. It never carries a token.
func record(ctx context.Context, tx *store.Tx, h *tenancy.Handle, actor audit.Actor, ip, action string, id int64, changes []audit.Change, details map[string]string) error {
	obj := ""
	if id != 0 {
		obj = strconv.FormatInt(id, 10)
	}
	_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: actor, SourceIP: ip, Action: action,
		ObjectType: "kiosk_link", ObjectID: obj, Changes: changes, Details: details})
	return err
}
