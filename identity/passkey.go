package identity

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/store"
	"strongroom/tenancy"
)

// Passkeys are WebAuthn credentials: public keys whose private halves stay
// in the user's authenticator (a phone, a laptop's secure chip, a security
// key), scoped by the browser to the host they were made on, so a look-alike
// site cannot use them. A passkey is a second factor after the password, and
// signs in alone where the tenant allows it (passkey_ceremony.go).

// RelyingParty is the site a passkey belongs to: the host the tenant is
// served on, as the browser reached it.
type RelyingParty struct {
	ID     string // the host name, without a port
	Origin string // the exact origin the browser must report: https://host[:port]
}

// Passkey is one of a user's passkeys, as listed to them and administrators.
type Passkey struct {
	ID         int64
	UserID     int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until first used
}

// challengeWindow is how long a begun ceremony may be finished.
const challengeWindow = 5 * time.Minute

// recentSignIn is how long after signing in a user may add a passkey
// without typing their password again.
const recentSignIn = 5 * time.Minute

// passkeySignInSetting is the security_settings row that lets the tenant's
// users sign in with a passkey alone.
const passkeySignInSetting = "passkey_sign_in"

// checkPasskeyName validates a passkey's name (field name).
func checkPasskeyName(name string) error {
	return checkText("name", name, 1, 100)
}

// webAuthn is the WebAuthn relying party of a tenant reached at rp.
func webAuthn(h *tenancy.Handle, rp RelyingParty) (*webauthn.WebAuthn, error) {
	w, err := webauthn.New(&webauthn.Config{
		RPID:                  rp.ID,
		RPDisplayName:         h.Tenant.DisplayName + " · Strongroom",
		RPOrigins:             []string{rp.Origin},
		AttestationPreference: protocol.PreferNoAttestation,
	})
	if err != nil {
		return nil, strongroom.Errorf(strongroom.EINVALID, "Passkeys cannot be used at this address; use the workspace's own https address.")
	}
	return w, nil
}

// passkeyUser is a user as the WebAuthn library sees them.
type passkeyUser struct {
	id      int64
	handle  []byte
	name    string
	display string
	creds   []webauthn.Credential
	rows    []int64 // the passkeys row of each credential
	counts  []int64 // the stored signature counter of each
}

func (u *passkeyUser) WebAuthnID() []byte                         { return u.handle }
func (u *passkeyUser) WebAuthnName() string                       { return u.name }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.display }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// row returns the passkeys row and stored counter of a credential id.
func (u *passkeyUser) row(credID []byte) (int64, int64, bool) {
	for i, c := range u.creds {
		if string(c.ID) == string(credID) {
			return u.rows[i], u.counts[i], true
		}
	}
	return 0, 0, false
}

// userHandle returns the user's WebAuthn handle, making one at the first
// passkey: 32 random bytes, so that two tenants served on one host never
// give an authenticator the same handle.
func userHandle(ctx context.Context, q rowsQuerier, userID int64, create bool) ([]byte, error) {
	var handle string
	err := q.QueryRowContext(ctx, `SELECT handle FROM passkey_users WHERE user_id = ?`, userID).Scan(&handle)
	if errors.Is(err, sql.ErrNoRows) {
		if !create {
			return nil, nil
		}
		handle = randomToken(32)
		tx, ok := q.(*store.Tx)
		if !ok {
			return nil, fmt.Errorf("passkey user handle: not in a transaction")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO passkey_users (user_id, handle) VALUES (?, ?)`, userID, handle); err != nil {
			return nil, fmt.Errorf("store passkey user handle: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("read passkey user handle: %w", err)
	}
	return base64.RawURLEncoding.DecodeString(handle)
}

// loadPasskeyUser reads a user's handle and credentials.
func loadPasskeyUser(ctx context.Context, h *tenancy.Handle, q rowsQuerier, userID int64) (*passkeyUser, error) {
	u, err := loadUser(ctx, h, q, userID)
	if err != nil {
		return nil, err
	}
	handle, err := userHandle(ctx, q, userID, false)
	if err != nil {
		return nil, err
	}
	pu := &passkeyUser{id: userID, handle: handle, name: u.Username, display: u.DisplayName}
	rows, err := q.QueryContext(ctx, `SELECT id, credential, sign_count FROM passkeys WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("read passkeys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, count int64
		var raw string
		if err := rows.Scan(&id, &raw, &count); err != nil {
			return nil, err
		}
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return nil, fmt.Errorf("read passkey %d: %w", id, err)
		}
		c.Authenticator.SignCount = uint32(count)
		pu.creds, pu.rows, pu.counts = append(pu.creds, c), append(pu.rows, id), append(pu.counts, count)
	}
	return pu, rows.Err()
}

// hasPasskey says whether a user has a passkey: it counts as a second
// factor for the tenant's policy and at sign-in.
func hasPasskey(ctx context.Context, q rowsQuerier, userID int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM passkeys WHERE user_id = ?`, userID).Scan(&n)
	return n > 0, err
}

// ListPasskeys returns a user's passkeys: the caller's own, or anyone's for
// an administrator.
func (svc *Service) ListPasskeys(ctx context.Context, h *tenancy.Handle, p *Principal, userID int64) ([]Passkey, error) {
	if userID != p.User.ID {
		if err := p.Subject.Require(access.Administration, access.Read); err != nil {
			return nil, err
		}
	}
	rows, err := h.DB.QueryContext(ctx, `SELECT id, user_id, name, created_at, last_used_at FROM passkeys WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		var k Passkey
		var created, used string
		if err := rows.Scan(&k.ID, &k.UserID, &k.Name, &created, &used); err != nil {
			return nil, err
		}
		k.CreatedAt, _ = store.ParseTime(created)
		if used != "" {
			k.LastUsedAt, _ = store.ParseTime(used)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Passkey returns one passkey of a user, as ListPasskeys allows.
func (svc *Service) Passkey(ctx context.Context, h *tenancy.Handle, p *Principal, userID, id int64) (*Passkey, error) {
	ks, err := svc.ListPasskeys(ctx, h, p, userID)
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		if k.ID == id {
			return &k, nil
		}
	}
	return nil, notFound("passkey")
}

// RenamePasskey renames one of the caller's own passkeys.
func (svc *Service) RenamePasskey(ctx context.Context, h *tenancy.Handle, p *Principal, id int64, name string) error {
	if p.TokenID != 0 {
		return strongroom.Errorf(strongroom.EFORBIDDEN, "Passkeys are managed from a signed-in session.")
	}
	if err := checkPasskeyName(name); err != nil {
		return err
	}
	return inTx(ctx, h, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?`, name, id, p.User.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return notFound("passkey")
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "auth.passkey_rename", objectType: "user", objectID: p.User.ID,
			details: map[string]string{"passkey": fmt.Sprint(id)}})
	})
}

// RemovePasskey removes a passkey of userID: the caller's own, or, for an
// administrator, any user's (a lost device). Another user's passkey that
// the caller may not remove is reported as absent.
func (svc *Service) RemovePasskey(ctx context.Context, h *tenancy.Handle, p *Principal, userID, id int64) error {
	if p.TokenID != 0 {
		return strongroom.Errorf(strongroom.EFORBIDDEN, "Passkeys are managed from a signed-in session.")
	}
	if userID != p.User.ID && p.RequireAdmin() != nil {
		return notFound("passkey")
	}
	return inTx(ctx, h, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM passkeys WHERE id = ? AND user_id = ?`, id, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return notFound("passkey")
		}
		action := "auth.passkey_remove"
		if userID != p.User.ID {
			action = "auth.passkey_admin_remove"
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: action, objectType: "user", objectID: userID,
			details: map[string]string{"passkey": fmt.Sprint(id)}})
	})
}

// PasskeySignIn says whether the tenant lets its users sign in with a
// passkey alone, without their password.
func (svc *Service) PasskeySignIn(ctx context.Context, h *tenancy.Handle) (bool, error) {
	return passkeySignInAllowed(ctx, h.DB)
}

func passkeySignInAllowed(ctx context.Context, q rowsQuerier) (bool, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM security_settings WHERE name = ?`, passkeySignInSetting).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("read passkey setting: %w", err)
	}
	return v == "on", nil
}

// SetPasskeySignIn lets the tenant's users sign in with a passkey alone,
// or stops it (an administrator's choice, audited).
func (svc *Service) SetPasskeySignIn(ctx context.Context, h *tenancy.Handle, p *Principal, allowed bool) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	return inTx(ctx, h, func(tx *store.Tx) error {
		prev, err := passkeySignInAllowed(ctx, tx)
		if err != nil || prev == allowed {
			return err
		}
		before, after := onOff(prev), onOff(allowed)
		if _, err := tx.ExecContext(ctx, `INSERT INTO security_settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, passkeySignInSetting, after); err != nil {
			return fmt.Errorf("store passkey setting: %w", err)
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "settings.update", objectType: "settings",
			changes: []audit.Change{{Field: passkeySignInSetting, Before: before, After: after}}})
	})
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// SecondFactorMethods says which second factors the user of a session
// waiting for one has: an authenticator app's codes, passkeys, or both.
func (svc *Service) SecondFactorMethods(ctx context.Context, h *tenancy.Handle, token string) (code, passkey bool, err error) {
	c, _, err := svc.halfSignedIn(ctx, h, token)
	if err != nil {
		return false, false, err
	}
	passkey, err = hasPasskey(ctx, h.DB, c.id)
	return c.totpEnabled == 1, passkey, err
}

// storeChallenge keeps a begun ceremony's session data, replacing any
// earlier one of the same binding, and drops expired ones.
func (svc *Service) storeChallenge(ctx context.Context, h *tenancy.Handle, binding, purpose string, userID int64, name string, sd *webauthn.SessionData) error {
	sd.Expires = time.Time{} // the expiry is ours, on the service's clock
	raw, err := json.Marshal(sd)
	if err != nil {
		return err
	}
	now := svc.Now()
	return inTx(ctx, h, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM passkey_challenges WHERE binding_hash = ? OR expires_at < ?`,
			hashSecret(binding), store.FormatTime(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO passkey_challenges (binding_hash, purpose, user_id, name, session_data, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, hashSecret(binding), purpose, userID, name, string(raw), store.FormatTime(now.Add(challengeWindow)))
		return err
	})
}

// challenge is a ceremony's stored half.
type challenge struct {
	userID int64
	name   string
	data   webauthn.SessionData
}

func errNoChallenge() error {
	return strongroom.Errorf(strongroom.ECONFLICT, "That passkey request has expired or was already used. Try again.")
}

// takeChallenge removes and returns the ceremony bound to binding: used
// once, whatever the outcome, and only within its window and for its purpose.
func (svc *Service) takeChallenge(ctx context.Context, h *tenancy.Handle, binding, purpose string) (*challenge, error) {
	var c challenge
	var p, raw, expires string
	err := inTx(ctx, h, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT purpose, user_id, name, session_data, expires_at FROM passkey_challenges WHERE binding_hash = ?`,
			hashSecret(binding)).Scan(&p, &c.userID, &c.name, &raw, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoChallenge()
		} else if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM passkey_challenges WHERE binding_hash = ?`, hashSecret(binding))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errNoChallenge() // taken at the same moment by another request
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if at, perr := store.ParseTime(expires); p != purpose || perr != nil || !svc.Now().Before(at) {
		return nil, errNoChallenge()
	}
	if err := json.Unmarshal([]byte(raw), &c.data); err != nil {
		return nil, fmt.Errorf("read passkey challenge: %w", err)
	}
	return &c, nil
}

// credentialKey is how a credential id is stored and looked up.
func credentialKey(id []byte) string { return base64.RawURLEncoding.EncodeToString(id) }

// storedCredential is the credential as kept: no attestation, which is
// not asked for and not needed to check a signature.
func storedCredential(c *webauthn.Credential) (string, error) {
	k := *c
	k.Attestation = webauthn.CredentialAttestation{}
	raw, err := json.Marshal(k)
	return string(raw), err
}
