package standby

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"strongroom"
	"strongroom/store"
)

// The standby keeps its state in the control plane's settings table, one
// row per fact, so that it needs no migration of its own: the role of the
// installation, one row per tenant copy and one per swap in progress.
const (
	roleSetting       = "standby.role"
	promotedAtSetting = "standby.promoted_at"
	tenantPrefix      = "standby.tenant."
	swapPrefix        = "standby.swap."
)

// Role is what an installation is to the standby.
type Role string

const (
	// RoleNone: an ordinary installation (a primary, or a fresh one).
	RoleNone Role = ""
	// RoleStandby: it holds restored copies and serves nothing.
	RoleStandby Role = "standby"
	// RolePromoting: promote has begun; the standby loop stops.
	RolePromoting Role = "promoting"
	// RolePromoted: it was a standby and is a primary now.
	RolePromoted Role = "promoted"
)

// TenantState is what the standby holds of one tenant.
type TenantState struct {
	Slug string `json:"slug"`
	// BackupID and BackupTime name the backup the copy was restored from;
	// empty while no restore of the tenant has succeeded.
	BackupID   string    `json:"backup_id,omitempty"`
	BackupTime time.Time `json:"backup_time,omitzero"`
	RestoredAt time.Time `json:"restored_at,omitzero"`
	Target     string    `json:"target,omitempty"`
	// CheckedAt is when the target was last looked at for this tenant.
	CheckedAt time.Time `json:"checked_at,omitzero"`
	// LastError is the safe message of the last failed restore or look at
	// the target, cleared by the next success.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Refused lists backups found damaged or not this installation's
	// (their restore failed on the backup itself, not on the target or
	// the disk): they are not tried again.
	Refused []string `json:"refused,omitempty"`
}

// RecoveryPoint is the age of the data the copy holds at now: the time
// since its backup was taken.
func (s TenantState) RecoveryPoint(now time.Time) time.Duration {
	if s.BackupTime.IsZero() {
		return 0
	}
	return now.Sub(s.BackupTime)
}

func (s *TenantState) refused(id string) bool {
	for _, r := range s.Refused {
		if r == id {
			return true
		}
	}
	return false
}

// maxRefused bounds the list of refused backups kept per tenant.
const maxRefused = 20

func (s *TenantState) refuse(id string) {
	if s.refused(id) {
		return
	}
	s.Refused = append(s.Refused, id)
	if len(s.Refused) > maxRefused {
		s.Refused = s.Refused[len(s.Refused)-maxRefused:]
	}
}

// ReadRole returns the installation's role.
func ReadRole(ctx context.Context, c *store.Control) (Role, error) {
	v, ok, err := c.Setting(ctx, roleSetting)
	if err != nil || !ok {
		return RoleNone, err
	}
	return Role(v), nil
}

// PromotedAt returns when the installation was promoted (zero if never).
func PromotedAt(ctx context.Context, c *store.Control) (time.Time, error) {
	v, ok, err := c.Setting(ctx, promotedAtSetting)
	if err != nil || !ok {
		return time.Time{}, err
	}
	return store.ParseTime(string(v))
}

// CheckServe refuses to serve an installation that is a standby (or is
// being promoted): its tenants are copies that must not take writes until
// it is promoted, or the primary and it would both be serving.
func CheckServe(ctx context.Context, c *store.Control) error {
	role, err := ReadRole(ctx, c)
	if err != nil {
		return err
	}
	switch role {
	case RoleStandby:
		return strongroom.Errorf(strongroom.ECONFLICT,
			"This installation is a warm standby: its tenants are restored copies and it serves nothing. Run \"strongroom standby promote\" to make it the primary, once the old primary is fenced.")
	case RolePromoting:
		return strongroom.Errorf(strongroom.ECONFLICT,
			"This installation's promotion from standby has not finished. Run \"strongroom standby promote\" again.")
	}
	return nil
}

const upsertSQL = `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`

func setSetting(ctx context.Context, db *store.DB, name string, value []byte) error {
	if _, err := db.ExecContext(ctx, upsertSQL, name, value); err != nil {
		return fmt.Errorf("store setting %s: %w", name, err)
	}
	return nil
}

func setSettingTx(ctx context.Context, tx *store.Tx, name string, value []byte) error {
	if _, err := tx.ExecContext(ctx, upsertSQL, name, value); err != nil {
		return fmt.Errorf("store setting %s: %w", name, err)
	}
	return nil
}

// SetRole records the installation's role.
func SetRole(ctx context.Context, c *store.Control, r Role, now time.Time) error {
	return c.DB().InTx(ctx, func(tx *store.Tx) error {
		if err := setSettingTx(ctx, tx, roleSetting, []byte(r)); err != nil {
			return err
		}
		if r == RolePromoted {
			return setSettingTx(ctx, tx, promotedAtSetting, []byte(store.FormatTime(now)))
		}
		return nil
	})
}

// Tenants returns the state of every tenant the standby has looked at, by
// slug.
func Tenants(ctx context.Context, c *store.Control) ([]TenantState, error) {
	rows, err := c.DB().QueryContext(ctx, `SELECT name, value FROM settings WHERE name LIKE ?`, tenantPrefix+"%")
	if err != nil {
		return nil, fmt.Errorf("read standby state: %w", err)
	}
	defer rows.Close()
	var out []TenantState
	for rows.Next() {
		var name string
		var value []byte
		if err := rows.Scan(&name, &value); err != nil {
			return nil, fmt.Errorf("read standby state: %w", err)
		}
		var s TenantState
		if !strings.HasPrefix(name, tenantPrefix) || json.Unmarshal(value, &s) != nil {
			continue
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read standby state: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Slug < out[j].Slug })
	return out, nil
}

func tenantState(ctx context.Context, c *store.Control, slug string) (TenantState, error) {
	v, ok, err := c.Setting(ctx, tenantPrefix+slug)
	if err != nil || !ok {
		return TenantState{Slug: slug}, err
	}
	var s TenantState
	if err := json.Unmarshal(v, &s); err != nil {
		return TenantState{Slug: slug}, nil
	}
	return s, nil
}

func putTenantState(ctx context.Context, db *store.DB, s TenantState) error {
	b, _ := json.Marshal(s)
	return setSetting(ctx, db, tenantPrefix+s.Slug, b)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
