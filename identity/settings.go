package identity

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/store"
	"strongroom/tenancy"
)

// MFA policies: who must use a second factor.
const (
	MFAOptional = "optional"
	MFAAdmins   = "admins"
	MFAEveryone = "everyone"
)

// Settings is a tenant's security policy.
type Settings struct {
	LockoutThreshold int           // failed sign-ins in a row that lock an account (1–100)
	AutoUnlockAfter  time.Duration // 0: only an administrator unlocks
	MFA              string        // MFAOptional, MFAAdmins or MFAEveryone
	IdleTimeout      time.Duration // a session ends after this long unused
	AbsoluteTimeout  time.Duration // and this long after sign-in, whatever happens
}

// DefaultSettings is a new tenant's policy.
var DefaultSettings = Settings{
	LockoutThreshold: 5,
	MFA:              MFAOptional,
	IdleTimeout:      30 * time.Minute,
	AbsoluteTimeout:  12 * time.Hour,
}

// Validate checks a policy, naming every field at fault.
func (s Settings) Validate() error {
	var ps strongroom.Problems
	if s.LockoutThreshold < 1 || s.LockoutThreshold > 100 {
		ps.Addf("lockout_threshold", "The lockout threshold must be between 1 and 100 failed sign-ins.")
	}
	switch {
	case s.AutoUnlockAfter < 0 || s.AutoUnlockAfter > 30*24*time.Hour:
		ps.Addf("auto_unlock_after", "Automatic unlock must be off (0) or at most 30 days.")
	case s.AutoUnlockAfter != 0 && s.AutoUnlockAfter < time.Minute:
		ps.Addf("auto_unlock_after", "Automatic unlock must be off (0) or at least one minute.")
	}
	if s.MFA != MFAOptional && s.MFA != MFAAdmins && s.MFA != MFAEveryone {
		ps.Addf("mfa", "Two-factor must be optional, admins or everyone.")
	}
	idleOK := s.IdleTimeout >= time.Minute && s.IdleTimeout <= 24*time.Hour
	if !idleOK {
		ps.Addf("idle_timeout", "The idle timeout must be between 1 minute and 24 hours.")
	}
	if s.AbsoluteTimeout > 30*24*time.Hour || idleOK && s.AbsoluteTimeout < s.IdleTimeout || !idleOK && s.AbsoluteTimeout < time.Minute {
		ps.Addf("absolute_timeout", "The absolute timeout must be at least the idle timeout and at most 30 days.")
	}
	return ps.Err()
}

func (s Settings) values() map[string]string {
	return map[string]string{
		"lockout_threshold": strconv.Itoa(s.LockoutThreshold),
		"auto_unlock_after": s.AutoUnlockAfter.String(),
		"mfa":               s.MFA,
		"idle_timeout":      s.IdleTimeout.String(),
		"absolute_timeout":  s.AbsoluteTimeout.String(),
	}
}

// rowsQuerier is a *store.DB or a *store.Tx.
type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*store.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *store.Row
}

// loadSettings reads the policy; unset values keep their defaults.
func loadSettings(ctx context.Context, q rowsQuerier) (Settings, error) {
	s := DefaultSettings
	rows, err := q.QueryContext(ctx, `SELECT name, value FROM security_settings`)
	if err != nil {
		return s, fmt.Errorf("read security settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return s, err
		}
		d, derr := time.ParseDuration(value)
		switch name {
		case "lockout_threshold":
			if n, err := strconv.Atoi(value); err == nil {
				s.LockoutThreshold = n
			}
		case "auto_unlock_after":
			if derr == nil {
				s.AutoUnlockAfter = d
			}
		case "mfa":
			s.MFA = value
		case "idle_timeout":
			if derr == nil {
				s.IdleTimeout = d
			}
		case "absolute_timeout":
			if derr == nil {
				s.AbsoluteTimeout = d
			}
		}
	}
	return s, rows.Err()
}

// Settings returns the tenant's security policy.
func (svc *Service) Settings(ctx context.Context, h *tenancy.Handle, p *Principal) (Settings, error) {
	if err := p.Subject.Require(access.Administration, access.Read); err != nil {
		return Settings{}, err
	}
	return loadSettings(ctx, h.DB)
}

// UpdateSettings replaces the tenant's security policy.
func (svc *Service) UpdateSettings(ctx context.Context, h *tenancy.Handle, p *Principal, next Settings) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	if err := next.Validate(); err != nil {
		return err
	}
	return inTx(ctx, h, func(tx *store.Tx) error {
		prev, err := loadSettings(ctx, tx)
		if err != nil {
			return err
		}
		before, after := prev.values(), next.values()
		var changes []audit.Change
		for _, name := range []string{"lockout_threshold", "auto_unlock_after", "mfa", "idle_timeout", "absolute_timeout"} {
			if before[name] == after[name] {
				continue
			}
			changes = append(changes, audit.Change{Field: name, Before: before[name], After: after[name]})
			if _, err := tx.ExecContext(ctx, `INSERT INTO security_settings (name, value) VALUES (?, ?)
				ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, after[name]); err != nil {
				return fmt.Errorf("store setting %s: %w", name, err)
			}
		}
		if len(changes) == 0 {
			return nil
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "settings.update", objectType: "settings", changes: changes})
	})
}
