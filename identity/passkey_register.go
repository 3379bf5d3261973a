package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"strongroom"
	"strongroom/store"
	"strongroom/tenancy"
)

// Adding a passkey: a ceremony bound to the signed-in session.

// PasskeyEnrolment is what adding a passkey asks besides the ceremony.
type PasskeyEnrolment struct {
	Name string
	// CurrentPassword re-confirms who is at the keyboard; it may be empty
	// within a few minutes of signing in.
	CurrentPassword string
}

// BeginPasskeyRegistration starts adding a passkey to the caller's account.
// It needs a signed-in browser session (token is its secret), a valid
// name, and the current password unless the session began minutes ago.
func (svc *Service) BeginPasskeyRegistration(ctx context.Context, h *tenancy.Handle, p *Principal, rp RelyingParty, token string, in PasskeyEnrolment) (Options, error) {
	if p.TokenID != 0 || token == "" {
		return nil, strongroom.Errorf(strongroom.EFORBIDDEN, "Passkeys are added from a signed-in session.")
	}
	if p.User.PasswordTemporary {
		return nil, strongroom.Errorf(strongroom.EFORBIDDEN, "Choose your own password first.")
	}
	var ps strongroom.Problems
	ps.Add(checkPasskeyName(in.Name))
	if err := svc.reconfirm(ctx, h, p, token, in.CurrentPassword); err != nil {
		ps.Add(err)
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	w, err := webAuthn(h, rp)
	if err != nil {
		return nil, err
	}
	if err := inTx(ctx, h, func(tx *store.Tx) error {
		_, err := userHandle(ctx, tx, p.User.ID, true)
		return err
	}); err != nil {
		return nil, err
	}
	pu, err := loadPasskeyUser(ctx, h, h.DB, p.User.ID)
	if err != nil {
		return nil, err
	}
	passwordless, err := passkeySignInAllowed(ctx, h.DB)
	if err != nil {
		return nil, err
	}
	// A passkey that may sign in alone must be found by the authenticator
	// itself (a resident key) and must check who holds it.
	sel := protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationPreferred}
	if passwordless {
		sel = protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationRequired}
	}
	var exclude []protocol.CredentialDescriptor
	for i := range pu.creds {
		exclude = append(exclude, pu.creds[i].Descriptor())
	}
	creation, sd, err := w.BeginRegistration(pu, webauthn.WithAuthenticatorSelection(sel), webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, fmt.Errorf("begin passkey registration: %w", err)
	}
	if err := svc.storeChallenge(ctx, h, token, purposeRegister, p.User.ID, in.Name, sd); err != nil {
		return nil, err
	}
	return creation, nil
}

// reconfirm checks that the caller is who signed in: the current password,
// or a sign-in of the last few minutes when none is given.
func (svc *Service) reconfirm(ctx context.Context, h *tenancy.Handle, p *Principal, token, pw string) error {
	if pw == "" {
		var created string
		err := h.DB.QueryRowContext(ctx, `SELECT created_at FROM sessions WHERE id_hash = ? AND stage = ?`, hashSecret(token), stageFull).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			return errSessionEnded()
		} else if err != nil {
			return err
		}
		if at, err := store.ParseTime(created); err == nil && svc.Now().Sub(at) < recentSignIn {
			return nil
		}
		return strongroom.FieldError("current_password", "Enter your current password to add a passkey.")
	}
	c, err := loadCredentials(ctx, h.DB, "id", p.User.ID)
	if err != nil {
		return err
	} else if c == nil {
		return errSessionEnded()
	}
	ok, _, err := svc.hasher.Verify(ctx, pw, c.hash)
	if err != nil {
		return err
	}
	if !ok {
		return strongroom.FieldError("current_password", "Your current password is not right.")
	}
	return nil
}

// FinishPasskeyRegistration checks the authenticator's answer to the
// session's registration challenge and stores the new passkey.
func (svc *Service) FinishPasskeyRegistration(ctx context.Context, h *tenancy.Handle, p *Principal, rp RelyingParty, token string, body []byte) (*Passkey, error) {
	if p.TokenID != 0 || token == "" {
		return nil, strongroom.Errorf(strongroom.EFORBIDDEN, "Passkeys are added from a signed-in session.")
	}
	ch, err := svc.takeChallenge(ctx, h, token, purposeRegister)
	if err != nil {
		return nil, err
	}
	if ch.userID != p.User.ID {
		return nil, errNoChallenge()
	}
	w, err := webAuthn(h, rp)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		svc.log.Info("passkey registration unreadable", "tenant", h.Tenant.Slug, "user", p.User.ID, "err", err)
		return nil, errUnreadable()
	}
	pu, err := loadPasskeyUser(ctx, h, h.DB, p.User.ID)
	if err != nil {
		return nil, err
	}
	cred, err := w.CreateCredential(pu, ch.data, parsed)
	if err != nil {
		svc.log.Info("passkey registration refused", "tenant", h.Tenant.Slug, "user", p.User.ID, "err", err)
		return nil, errPasskeyRefused()
	}
	raw, err := storedCredential(cred)
	if err != nil {
		return nil, err
	}
	now := svc.Now()
	k := &Passkey{UserID: p.User.ID, Name: ch.name, CreatedAt: now}
	err = inTx(ctx, h, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM passkeys WHERE credential_id = ?`, credentialKey(cred.ID)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return strongroom.Errorf(strongroom.ECONFLICT, "This passkey is registered already.")
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO passkeys (user_id, credential_id, name, credential, sign_count, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, p.User.ID, credentialKey(cred.ID), ch.name, raw, int64(cred.Authenticator.SignCount),
			store.FormatTime(now)).Scan(&k.ID); err != nil {
			return fmt.Errorf("store passkey: %w", err)
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "auth.passkey_register", objectType: "user", objectID: p.User.ID,
			details: map[string]string{"passkey": strconv.FormatInt(k.ID, 10)}})
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}
