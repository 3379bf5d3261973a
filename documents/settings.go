package documents

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// maxUploadSetting names the tenant's upload limit in security_settings.
const maxUploadSetting = "max_upload_bytes"

// Bounds of the upload limit: an administrator sets it between
// MinUploadLimit and the operator's ceiling (UploadCeiling, at most
// MaxUploadCeiling).
const (
	MinUploadLimit   int64 = 1 << 10
	MaxUploadCeiling int64 = 64 << 30
	// DefaultUploadCeiling is the operator's ceiling unless set otherwise.
	DefaultUploadCeiling int64 = 4 << 30
)

// Ceiling is the largest upload limit a tenant may have on this server.
func (s *Service) Ceiling() int64 {
	if s.UploadCeiling <= 0 || s.UploadCeiling > MaxUploadCeiling {
		return DefaultUploadCeiling
	}
	return max(s.UploadCeiling, MinUploadLimit)
}

// MaxUpload returns the tenant's upload size limit in bytes: its own
// setting, never above the operator's ceiling (which may have been lowered
// since the tenant chose it).
func (s *Service) MaxUpload(ctx context.Context, t *tenancy.Handle) (int64, error) {
	var v string
	err := t.DB.QueryRowContext(ctx, `SELECT value FROM security_settings WHERE name = ?`, maxUploadSetting).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return min(DefaultMaxUpload, s.Ceiling()), nil
	} else if err != nil {
		return 0, fmt.Errorf("read upload limit: %w", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < MinUploadLimit || n > MaxUploadCeiling {
		s.log.Warn("ignoring a malformed upload limit", "tenant", t.Tenant.Slug, "value", v)
		return min(DefaultMaxUpload, s.Ceiling()), nil
	}
	return min(n, s.Ceiling()), nil
}

// SetMaxUpload sets the tenant's upload size limit; administrators only.
func (s *Service) SetMaxUpload(ctx context.Context, t *tenancy.Handle, p *identity.Principal, n int64) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	if n < MinUploadLimit || n > s.Ceiling() {
		return strongroom.FieldError(maxUploadSetting, "The upload limit must be between %s and %s (this server's maximum).", formatSize(MinUploadLimit), formatSize(s.Ceiling()))
	}
	before, err := s.MaxUpload(ctx, t)
	if err != nil {
		return err
	}
	if before == n {
		return nil
	}
	return t.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO security_settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, maxUploadSetting, strconv.FormatInt(n, 10)); err != nil {
			return fmt.Errorf("store upload limit: %w", err)
		}
		_, err := t.Audit.Append(ctx, tx, audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: "settings.update",
			ObjectType: "settings", Changes: []audit.Change{{Field: maxUploadSetting, Before: before, After: n}}})
		return err
	})
}
