package operators

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"strongroom"
	"strongroom/keys"
	"strongroom/store"
)

// realmKeySetting names the control-plane setting holding the realm key,
// wrapped by the master key.
const realmKeySetting = "operators_realm_key"

// key returns the realm key that seals operators' TOTP secrets, making it
// at first use. It is unwrapped once and kept.
func (s *Service) key(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.realmKey != nil {
		return s.realmKey, nil
	}
	control := store.NewControl(s.db)
	wrapped, ok, err := control.Setting(ctx, realmKeySetting)
	if err != nil {
		return nil, err
	}
	if !ok {
		k, err := keys.NewDataKey()
		if err != nil {
			return nil, err
		}
		w, err := s.keeper.Wrap(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("wrap operator realm key: %w", err)
		}
		if _, err := control.PutSettingOnce(ctx, realmKeySetting, w); err != nil {
			return nil, err
		}
		// Another process may have won the race: read back what is stored.
		if wrapped, _, err = control.Setting(ctx, realmKeySetting); err != nil {
			return nil, err
		}
	}
	k, err := s.keeper.Unwrap(ctx, wrapped)
	if err != nil {
		// A rotation cut short: the copy for the new master key opens.
		next, ok, nerr := control.Setting(ctx, realmKeyNext)
		if nerr != nil || !ok {
			return nil, fmt.Errorf("unwrap operator realm key: %w", err)
		}
		if k, err = s.keeper.Unwrap(ctx, next); err != nil {
			return nil, fmt.Errorf("unwrap operator realm key: %w", err)
		}
	}
	s.realmKey = k
	return k, nil
}

// totpAAD binds a sealed TOTP secret to its operator row.
func totpAAD(id int64) []byte { return fmt.Appendf(nil, "strongroom operator totp %d", id) }

// randomToken returns n random bytes, URL-safe base64 encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is how session and CLI tokens are stored: 256 random bits,
// so a plain SHA-256 is enough to make a stolen database useless.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func errSessionEnded() error {
	return strongroom.Errorf(strongroom.EUNAUTHORIZED, "Your operator session has ended. Please sign in again.")
}

// errSignIn is the one answer to every failed sign-in: an unknown name, a
// wrong password or code, a locked or disabled operator look the same.
func errSignIn() error {
	return strongroom.Errorf(strongroom.EUNAUTHORIZED, "The operator name, password or code is not right, or the account is locked or disabled.")
}

func errThrottled() error {
	return strongroom.Errorf(strongroom.ETOOMANY, "Too many failed sign-ins from your network address. Wait a few minutes and try again.")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// realmKeyNext holds the realm key wrapped by a master key being rotated
// to, between PrepareRotation and FinishRotation.
const realmKeyNext = "operators_realm_key_next"

// PrepareRotation wraps the realm key with the master key to and keeps
// that copy beside the current one, so that whichever master key the
// installation ends up with after a rotation (even one cut short) opens
// it. Call it before the tenants' keys are rewrapped, and FinishRotation
// after.
func (s *Service) PrepareRotation(ctx context.Context, to keys.Keeper) error {
	k, err := s.key(ctx)
	if err != nil {
		return err
	}
	w, err := to.Wrap(ctx, k)
	if err != nil {
		return fmt.Errorf("wrap operator realm key: %w", err)
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE name = ?`, realmKeyNext); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)`, realmKeyNext, w)
		return err
	})
}

// FinishRotation makes the copy PrepareRotation made the realm key's.
func (s *Service) FinishRotation(ctx context.Context) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE settings SET value = (SELECT value FROM settings WHERE name = ?) WHERE name = ? AND EXISTS (SELECT 1 FROM settings WHERE name = ?)`,
			realmKeyNext, realmKeySetting, realmKeyNext); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE name = ?`, realmKeyNext)
		return err
	})
}
