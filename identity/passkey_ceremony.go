package identity

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"strongroom"
	"strongroom/audit"
	"strongroom/store"
	"strongroom/tenancy"
)

// The three ceremonies: adding a passkey (bound to the signed-in session),
// the second factor (bound to the session waiting for it) and signing in
// with a passkey alone (bound to a cookie the begin step hands out). Each
// begin stores its challenge (storeChallenge); each finish takes it once
// (takeChallenge), so a replayed or foreign answer finds none. What the
// library says about a refused answer is logged, never shown.

// Options are what a begin step hands to the browser's WebAuthn call
// ({"publicKey": …}), as JSON.
type Options any

// Purposes of a stored challenge.
const (
	purposeRegister     = "register"
	purposeSecondFactor = "second_factor"
	purposeSignIn       = "sign_in"
)

func errUnreadable() error {
	return strongroom.FieldError("passkey", "The answer from your passkey could not be read. Try again.")
}

func errPasskeyRefused() error {
	return strongroom.FieldError("passkey", "Your passkey did not confirm this. Try again, or use another way to sign in.")
}

func errCounterRegression() error {
	return strongroom.FieldError("passkey", "This passkey's use counter went backwards, which a copied passkey would do. It was refused; ask your administrator.")
}

// BeginPasskeySecondFactor starts the second factor of a session waiting
// for one (token is its secret) with one of the user's passkeys.
func (svc *Service) BeginPasskeySecondFactor(ctx context.Context, h *tenancy.Handle, rp RelyingParty, token string) (Options, error) {
	c, _, err := svc.halfSignedIn(ctx, h, token)
	if err != nil {
		return nil, err
	}
	w, err := webAuthn(h, rp)
	if err != nil {
		return nil, err
	}
	pu, err := loadPasskeyUser(ctx, h, h.DB, c.id)
	if err != nil {
		return nil, err
	}
	if len(pu.creds) == 0 {
		return nil, strongroom.Errorf(strongroom.ECONFLICT, "You have no passkey; enter a code instead.")
	}
	assertion, sd, err := w.BeginLogin(pu, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, fmt.Errorf("begin passkey second factor: %w", err)
	}
	if err := svc.storeChallenge(ctx, h, token, purposeSecondFactor, c.id, "", sd); err != nil {
		return nil, err
	}
	return assertion, nil
}

// FinishPasskeySecondFactor finishes a sign-in with the passkey's answer.
// Like a code, the answer takes a throttle token before it is checked, a
// refused one counts as a failed sign-in, and success replaces the
// half-way session by a full one with a new id.
func (svc *Service) FinishPasskeySecondFactor(ctx context.Context, h *tenancy.Handle, rp RelyingParty, token string, body []byte, ip, userAgent, device string) (*LoginResult, error) {
	c, settings, err := svc.halfSignedIn(ctx, h, token)
	if err != nil {
		return nil, err
	}
	t, ok := svc.takeForCode(h, c.usernameKey, ip, device)
	if !ok {
		return nil, errThrottled()
	}
	full, out, err := svc.checkPasskeyFactor(ctx, h, rp, token, body, ip, userAgent, c, settings)
	if out != rejected {
		t.bucket.Return(t.key)
	}
	if err != nil {
		return nil, err
	}
	res := &LoginResult{Token: full}
	res.Device, res.DeviceExpires = issueDevice(deviceKey(h), h.Tenant.Slug, c.usernameKey, svc.Now())
	return res, nil
}

func (svc *Service) checkPasskeyFactor(ctx context.Context, h *tenancy.Handle, rp RelyingParty, token string, body []byte, ip, userAgent string, c *credentials, settings Settings) (string, outcome, error) {
	ch, err := svc.takeChallenge(ctx, h, token, purposeSecondFactor)
	if err != nil {
		return "", unchecked, err
	}
	if ch.userID != c.id {
		return "", unchecked, errNoChallenge()
	}
	w, err := webAuthn(h, rp)
	if err != nil {
		return "", unchecked, err
	}
	pu, err := loadPasskeyUser(ctx, h, h.DB, c.id)
	if err != nil {
		return "", unchecked, err
	}
	var cred *webauthn.Credential
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err == nil {
		cred, err = w.ValidateLogin(pu, ch.data, parsed)
	}
	if err != nil || c.lockedAt != "" || c.status != "active" {
		if err != nil {
			svc.log.Info("passkey second factor refused", "tenant", h.Tenant.Slug, "user", c.id, "err", err)
		}
		if ferr := svc.recordFailure(ctx, h, c, "passkey_refused", ip, settings, c.lockedAt == ""); ferr != nil {
			return "", rejected, ferr
		}
		return "", rejected, errPasskeyRefused()
	}
	var full string
	err = inTx(ctx, h, func(tx *store.Tx) error {
		id, err := svc.usePasskey(ctx, tx, pu, cred)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0 WHERE id = ?`, c.id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, hashSecret(token)); err != nil {
			return err
		}
		if full, err = newSession(ctx, tx, c.id, stageFull, ip, userAgent, svc.Now(), settings.AbsoluteTimeout); err != nil {
			return err
		}
		return record(ctx, tx, h, userActor(c.id), ip, event{action: "auth.login", objectType: "user", objectID: c.id,
			details: map[string]string{"second_factor": "passkey", "passkey": strconv.FormatInt(id, 10)}})
	})
	if errors.Is(err, errCounter) {
		return "", rejected, svc.counterRegressed(ctx, h, c, pu, cred, ip, settings)
	}
	return full, accepted, err
}

// errCounter is usePasskey's refusal of a signature counter that did not grow.
var errCounter = errors.New("passkey signature counter did not grow")

// usePasskey records a checked use of a passkey: its new signature counter
// and the time. A counter that did not grow means the passkey may have been
// copied: the use is refused (errCounter). The update names the counter it
// read, so two answers checked at once cannot both count.
func (svc *Service) usePasskey(ctx context.Context, tx *store.Tx, pu *passkeyUser, cred *webauthn.Credential) (int64, error) {
	id, prev, ok := pu.row(cred.ID)
	if !ok {
		return 0, fmt.Errorf("passkey: checked credential not among the user's")
	}
	if cred.Authenticator.CloneWarning {
		return id, errCounter
	}
	raw, err := storedCredential(cred)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE passkeys SET sign_count = ?, credential = ?, last_used_at = ? WHERE id = ? AND sign_count = ?`,
		int64(cred.Authenticator.SignCount), raw, store.FormatTime(svc.Now()), id, prev)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return id, errCounter
	}
	return id, nil
}

// counterRegressed records a refused use of a passkey whose counter went
// backwards: a failed sign-in, and an event of its own for the
// administrators to follow up.
func (svc *Service) counterRegressed(ctx context.Context, h *tenancy.Handle, c *credentials, pu *passkeyUser, cred *webauthn.Credential, ip string, settings Settings) error {
	id, _, _ := pu.row(cred.ID)
	if err := svc.recordFailure(ctx, h, c, "passkey_counter", ip, settings, c.lockedAt == ""); err != nil {
		return err
	}
	if err := inTx(ctx, h, func(tx *store.Tx) error {
		return record(ctx, tx, h, audit.Actor{Kind: audit.ActorSystem}, ip, event{action: "auth.passkey_counter_regression", objectType: "user",
			objectID: c.id, details: map[string]string{"passkey": strconv.FormatInt(id, 10)}})
	}); err != nil {
		return err
	}
	return errCounterRegression()
}

// BeginPasskeySignIn starts a sign-in with a passkey alone, where the
// tenant allows it. The returned binding is a new secret for the browser's
// cookie: only the browser holding it can finish this sign-in.
func (svc *Service) BeginPasskeySignIn(ctx context.Context, h *tenancy.Handle, rp RelyingParty) (opts Options, binding string, err error) {
	if err := svc.requirePasskeySignIn(ctx, h); err != nil {
		return nil, "", err
	}
	w, err := webAuthn(h, rp)
	if err != nil {
		return nil, "", err
	}
	assertion, sd, err := w.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, "", fmt.Errorf("begin passkey sign-in: %w", err)
	}
	// Anyone may begin one: their number is bounded, so a flood cannot
	// fill the table (each is dropped after five minutes).
	var pending int
	if err := h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM passkey_challenges WHERE purpose = ? AND expires_at >= ?`,
		purposeSignIn, store.FormatTime(svc.Now())).Scan(&pending); err != nil {
		return nil, "", err
	}
	if pending >= maxPendingSignIns {
		return nil, "", strongroom.Errorf(strongroom.ETOOMANY, "Too many passkey sign-ins at once. Wait a few minutes and try again.")
	}
	binding = randomToken(32)
	if err := svc.storeChallenge(ctx, h, binding, purposeSignIn, 0, "", sd); err != nil {
		return nil, "", err
	}
	return assertion, binding, nil
}

// maxPendingSignIns bounds the passkey sign-ins begun and not finished.
const maxPendingSignIns = 10000

func (svc *Service) requirePasskeySignIn(ctx context.Context, h *tenancy.Handle) error {
	ok, err := passkeySignInAllowed(ctx, h.DB)
	if err != nil {
		return err
	}
	if !ok {
		return strongroom.Errorf(strongroom.EFORBIDDEN, "This workspace does not allow signing in with a passkey alone; sign in with your password.")
	}
	return nil
}

// FinishPasskeySignIn signs in with a passkey's answer to the challenge
// bound to binding. It is a sign-in like the password's: the attempt takes
// its throttle tokens first, a locked or disabled account is refused and a
// refused answer counts as a failed sign-in of the user it names.
func (svc *Service) FinishPasskeySignIn(ctx context.Context, h *tenancy.Handle, rp RelyingParty, binding string, body []byte, a Attempt) (*LoginResult, error) {
	if err := svc.requirePasskeySignIn(ctx, h); err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		svc.log.Info("passkey sign-in unreadable", "tenant", h.Tenant.Slug, "err", err)
		return nil, errUnreadable()
	}
	c, err := svc.credentialsOfHandle(ctx, h, parsed.Response.UserHandle)
	if err != nil {
		return nil, err
	}
	userKey := ""
	if c != nil {
		userKey = c.usernameKey
	}
	adm, err := svc.admit(ctx, h, a, userKey)
	if err != nil {
		return nil, err
	}
	res, out, err := svc.checkPasskeySignIn(ctx, h, rp, binding, parsed, a, c)
	adm.finish(out)
	if err != nil {
		return nil, err
	}
	res.Device, res.DeviceExpires = issueDevice(deviceKey(h), h.Tenant.Slug, c.usernameKey, svc.Now())
	return res, nil
}

// credentialsOfHandle finds the user a passkey's user handle names; nil
// when it names none of the tenant's users.
func (svc *Service) credentialsOfHandle(ctx context.Context, h *tenancy.Handle, handle []byte) (*credentials, error) {
	if len(handle) == 0 {
		return nil, nil
	}
	var userID int64
	err := h.DB.QueryRowContext(ctx, `SELECT user_id FROM passkey_users WHERE handle = ?`, base64.RawURLEncoding.EncodeToString(handle)).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return loadCredentials(ctx, h.DB, "id", userID)
}

func (svc *Service) checkPasskeySignIn(ctx context.Context, h *tenancy.Handle, rp RelyingParty, binding string, parsed *protocol.ParsedCredentialAssertionData, a Attempt, c *credentials) (*LoginResult, outcome, error) {
	ch, err := svc.takeChallenge(ctx, h, binding, purposeSignIn)
	if err != nil {
		return nil, unchecked, err
	}
	settings, err := loadSettings(ctx, h.DB)
	if err != nil {
		return nil, unchecked, err
	}
	w, err := webAuthn(h, rp)
	if err != nil {
		return nil, unchecked, err
	}
	if c == nil {
		err := inTx(ctx, h, func(tx *store.Tx) error {
			return record(ctx, tx, h, audit.Actor{Kind: audit.ActorAnonymous}, a.IP, event{action: "auth.login_failed",
				details: map[string]string{"reason": "unknown_passkey"}})
		})
		if err != nil {
			return nil, rejected, err
		}
		return nil, rejected, errPasskeyRefused()
	}
	pu, err := loadPasskeyUser(ctx, h, h.DB, c.id)
	if err != nil {
		return nil, unchecked, err
	}
	_, cred, verr := w.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return pu, nil }, ch.data, parsed)
	if verr != nil {
		svc.log.Info("passkey sign-in refused", "tenant", h.Tenant.Slug, "user", c.id, "err", verr)
	}
	locked := c.lockedAt != ""
	if at, err := store.ParseTime(c.lockedAt); locked && settings.AutoUnlockAfter > 0 && err == nil && svc.Now().Sub(at) >= settings.AutoUnlockAfter {
		locked, c.failed = false, 0
	}
	if verr != nil || locked || c.status != "active" {
		reason := "passkey_refused"
		switch {
		case locked:
			reason = "locked"
		case c.status != "active":
			reason = "disabled"
		}
		if err := svc.recordFailure(ctx, h, c, reason, a.IP, settings, !locked && verr != nil); err != nil {
			return nil, rejected, err
		}
		return nil, rejected, errPasskeyRefused()
	}
	var res LoginResult
	err = inTx(ctx, h, func(tx *store.Tx) error {
		id, err := svc.usePasskey(ctx, tx, pu, cred)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_at = '' WHERE id = ?`, c.id); err != nil {
			return err
		}
		if res.Token, err = newSession(ctx, tx, c.id, stageFull, a.IP, a.UserAgent, svc.Now(), settings.AbsoluteTimeout); err != nil {
			return err
		}
		return record(ctx, tx, h, userActor(c.id), a.IP, event{action: "auth.login", objectType: "user", objectID: c.id,
			details: map[string]string{"method": "passkey", "passkey": strconv.FormatInt(id, 10)}})
	})
	if errors.Is(err, errCounter) {
		return nil, rejected, svc.counterRegressed(ctx, h, c, pu, cred, a.IP, settings)
	}
	if err != nil {
		return nil, unchecked, err
	}
	return &res, accepted, nil
}
