package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"strongroom/store"
)

// tenantCopy is the latest copy of a tenant's backups on one target, as
// the control database recorded it, and its last verified copy there.
type tenantCopy struct {
	Tenant, Target string
	Backup         string
	Started        time.Time
	State          string // completed or failed
	Error          string
	LastVerified   time.Time
}

// latestCopies reads, per tenant and target, the newest copy and the
// newest verified one.
func latestCopies(ctx context.Context, db *store.DB) ([]tenantCopy, error) {
	rows, err := db.QueryContext(ctx, `SELECT tenant_slug, target, id, started_at, status, error,
		(SELECT MAX(c2.verified_at) FROM backup_copies c2 JOIN backups b2 ON b2.id = c2.backup_id
			WHERE b2.tenant_slug = x.tenant_slug AND c2.target = x.target AND c2.status = 'completed')
		FROM (SELECT b.tenant_slug, c.target, b.id, b.started_at, c.status, c.error,
			ROW_NUMBER() OVER (PARTITION BY b.tenant_slug, c.target ORDER BY b.started_at DESC, b.id DESC) AS rn
			FROM backups b JOIN backup_copies c ON c.backup_id = b.id) x
		WHERE rn = 1 ORDER BY tenant_slug, target`)
	if err != nil {
		return nil, fmt.Errorf("read backup copies: %w", err)
	}
	defer rows.Close()
	var out []tenantCopy
	for rows.Next() {
		var c tenantCopy
		var started string
		var verified sql.NullString
		if err := rows.Scan(&c.Tenant, &c.Target, &c.Backup, &started, &c.State, &c.Error, &verified); err != nil {
			return nil, fmt.Errorf("read backup copies: %w", err)
		}
		c.Started, _ = store.ParseTime(started)
		if verified.Valid {
			c.LastVerified, _ = store.ParseTime(verified.String)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
