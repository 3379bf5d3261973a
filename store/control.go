package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"strongroom"
)

// Control is the control-plane store: the list of tenants and installation
// settings. It never holds a tenant's own data.
type Control struct {
	db *DB
}

// NewControl returns the control store over an opened control-plane DB.
func NewControl(db *DB) *Control { return &Control{db: db} }

// DB returns the underlying handle (for readiness checks).
func (c *Control) DB() *DB { return c.db }

const tenantColumns = `id, slug, display_name, status, placement, wrapped_key, created_at`

func scanTenant(row interface{ Scan(...any) error }) (*strongroom.Tenant, error) {
	var t strongroom.Tenant
	var status, created string
	if err := row.Scan(&t.ID, &t.Slug, &t.DisplayName, &status, &t.Placement, &t.WrappedKey, &created); err != nil {
		return nil, err
	}
	t.Status = strongroom.TenantStatus(status)
	var err error
	t.CreatedAt, err = ParseTime(created)
	return &t, err
}

// InsertProvisioning records a tenant whose creation is starting. The row is
// invisible to FindTenant and ListTenants until ActivateTenant.
func (c *Control) InsertProvisioning(ctx context.Context, t *strongroom.Tenant) error {
	now := FormatTime(t.CreatedAt)
	err := c.db.InTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants WHERE slug = ?`, t.Slug).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "slug",
				Message: fmt.Sprintf("A tenant with the slug %q already exists.", t.Slug)}
		}
		return tx.QueryRowContext(ctx, `INSERT INTO tenants (slug, display_name, status, placement, wrapped_key, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			t.Slug, t.DisplayName, string(strongroom.TenantProvisioning), t.Placement, t.WrappedKey, now, now).Scan(&t.ID)
	})
	if err != nil {
		return fmt.Errorf("insert tenant %q: %w", t.Slug, err)
	}
	t.Status = strongroom.TenantProvisioning
	return nil
}

// ActivateTenant finishes a creation: it records where the database lives
// and makes the tenant visible. It fails with ENOTFOUND when the provisioning
// row has gone (a sweep removed it), so the creator cleans up after itself.
func (c *Control) ActivateTenant(ctx context.Context, slug, placement string, now time.Time) error {
	res, err := c.db.ExecContext(ctx, `UPDATE tenants SET status = ?, placement = ?, updated_at = ? WHERE slug = ? AND status = ?`,
		string(strongroom.TenantActive), placement, FormatTime(now), slug, string(strongroom.TenantProvisioning))
	if err != nil {
		return fmt.Errorf("activate tenant %q: %w", slug, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return strongroom.Errorf(strongroom.ENOTFOUND, "Tenant %q was removed while it was being created.", slug)
	}
	return nil
}

// DeleteProvisioning removes a tenant row that never became active.
func (c *Control) DeleteProvisioning(ctx context.Context, slug string) error {
	_, err := c.db.ExecContext(ctx, `DELETE FROM tenants WHERE slug = ? AND status = ?`, slug, string(strongroom.TenantProvisioning))
	if err != nil {
		return fmt.Errorf("remove unfinished tenant %q: %w", slug, err)
	}
	return nil
}

// ListProvisioning returns tenants whose creation has not finished.
func (c *Control) ListProvisioning(ctx context.Context) ([]*strongroom.Tenant, error) {
	return c.list(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE status = ? ORDER BY slug`, string(strongroom.TenantProvisioning))
}

// FindTenant returns the tenant with the slug, active or disabled.
func (c *Control) FindTenant(ctx context.Context, slug string) (*strongroom.Tenant, error) {
	row := c.db.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE slug = ? AND status <> ?`,
		slug, string(strongroom.TenantProvisioning))
	t, err := scanTenant(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "No tenant %q.", slug)
	} else if err != nil {
		return nil, fmt.Errorf("find tenant %q: %w", slug, err)
	}
	return t, nil
}

// ListTenants returns every active and disabled tenant, by slug.
func (c *Control) ListTenants(ctx context.Context) ([]*strongroom.Tenant, error) {
	return c.list(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE status <> ? ORDER BY slug`, string(strongroom.TenantProvisioning))
}

func (c *Control) list(ctx context.Context, query string, args ...any) ([]*strongroom.Tenant, error) {
	rows, err := c.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	defer rows.Close()
	var ts []*strongroom.Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// SetTenantStatus disables or enables a tenant.
func (c *Control) SetTenantStatus(ctx context.Context, slug string, status strongroom.TenantStatus, now time.Time) error {
	if status != strongroom.TenantActive && status != strongroom.TenantDisabled {
		return strongroom.FieldError("status", "A tenant can only be set active or disabled.")
	}
	res, err := c.db.ExecContext(ctx, `UPDATE tenants SET status = ?, updated_at = ? WHERE slug = ? AND status <> ?`,
		string(status), FormatTime(now), slug, string(strongroom.TenantProvisioning))
	if err != nil {
		return fmt.Errorf("set status of tenant %q: %w", slug, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return strongroom.Errorf(strongroom.ENOTFOUND, "No tenant %q.", slug)
	}
	return nil
}

// Setting reads an installation setting; ok is false when it is unset.
func (c *Control) Setting(ctx context.Context, name string) (value []byte, ok bool, err error) {
	err = c.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("read setting %s: %w", name, err)
	}
	return value, true, nil
}

// PutSettingOnce stores a setting unless it is already set; it reports
// whether this call stored it. Two processes racing both see one winner.
func (c *Control) PutSettingOnce(ctx context.Context, name string, value []byte) (bool, error) {
	res, err := c.db.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value)
	if err != nil {
		return false, fmt.Errorf("store setting %s: %w", name, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Rekey replaces every tenant's wrapped key and the named check setting in
// one transaction: master-key rotation is all-or-nothing.
func (c *Control) Rekey(ctx context.Context, wrapped map[int64][]byte, checkName string, check []byte) error {
	return c.db.InTx(ctx, func(tx *Tx) error {
		for id, key := range wrapped {
			if _, err := tx.ExecContext(ctx, `UPDATE tenants SET wrapped_key = ? WHERE id = ?`, key, id); err != nil {
				return fmt.Errorf("rewrap tenant key %d: %w", id, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE settings SET value = ? WHERE name = ?`, check, checkName); err != nil {
			return fmt.Errorf("store new key check: %w", err)
		}
		return nil
	})
}

// AllTenants returns every tenant row, provisioning ones included; master-key
// rotation must rewrap them all.
func (c *Control) AllTenants(ctx context.Context) ([]*strongroom.Tenant, error) {
	return c.list(ctx, `SELECT `+tenantColumns+` FROM tenants ORDER BY slug`)
}

// tenant databases record whose they are, so that a database opened under
// the wrong tenant's name is refused rather than served.

// InitTenantInfo records the owning slug in a freshly migrated tenant DB.
func InitTenantInfo(ctx context.Context, db *DB, slug string) error {
	_, err := db.ExecContext(ctx, `INSERT INTO tenant_info (name, value) VALUES ('slug', ?)`, slug)
	if err != nil {
		return fmt.Errorf("record owner of %s: %w", db.Name, err)
	}
	return nil
}

// CheckTenantInfo verifies that db belongs to the tenant slug.
func CheckTenantInfo(ctx context.Context, db *DB, slug string) error {
	var owner string
	err := db.QueryRowContext(ctx, `SELECT value FROM tenant_info WHERE name = 'slug'`).Scan(&owner)
	if err != nil {
		return fmt.Errorf("read owner of %s: %w", db.Name, err)
	}
	if owner != slug {
		return fmt.Errorf("database of %s belongs to tenant %q, not %q", db.Name, owner, slug)
	}
	return nil
}

// A tenant restored beside its original under another slug keeps sealing
// as the original: its audit signing key, subject keys, personal values
// and document keys were bound to that name, and its audit trail goes on
// under the original's origin. tenant_info's sealed_as row names it;
// without the row a tenant seals as itself.

// SealedAs returns the slug the tenant database's sealed values are bound
// to: the sealed_as row, else the owning slug.
func SealedAs(ctx context.Context, db *DB, slug string) (string, error) {
	var v string
	err := db.QueryRowContext(ctx, `SELECT value FROM tenant_info WHERE name = 'sealed_as'`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return slug, nil
	case err != nil:
		return "", fmt.Errorf("read the sealing name of %s: %w", db.Name, err)
	}
	return v, nil
}

// SetSealedAs records that the tenant database seals as origin.
func SetSealedAs(ctx context.Context, db *DB, origin string) error {
	if _, err := db.ExecContext(ctx, `INSERT INTO tenant_info (name, value) VALUES ('sealed_as', ?)`, origin); err != nil {
		return fmt.Errorf("record the sealing name of %s: %w", db.Name, err)
	}
	return nil
}
