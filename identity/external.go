package identity

import (
	"context"
	"strconv"

	"strongroom"
	"strongroom/audit"
	"strongroom/store"
	"strongroom/tenancy"
)

// Sign-in methods a session records.
const (
	MethodPassword = "password"
	MethodSSO      = "sso"
)

// PasswordGate decides whether a user may sign in with a password at all
// (single sign-on's "SSO only" policy); nil lets everyone. It is asked
// only once the password proved right, so its answer tells an attacker
// nothing about an account.
type PasswordGate func(ctx context.Context, h *tenancy.Handle, userID int64) (bool, error)

// External is a sign-in vouched for by an identity provider: the user it
// is linked to, and whether the provider's second factor stands for the
// tenant's. Details go into the audit event (ids only).
type External struct {
	UserID        int64
	Method        string
	MFASatisfied  bool
	IP, UserAgent string
	Details       map[string]string
}

// SignInExternal opens a session for a user an identity provider signed
// in. A disabled or locked user is refused (audited). A user with a second
// factor of their own gets a session waiting for it, unless the provider's
// counts; otherwise the session is full.
func (svc *Service) SignInExternal(ctx context.Context, h *tenancy.Handle, in External) (*LoginResult, error) {
	settings, err := loadSettings(ctx, h.DB)
	if err != nil {
		return nil, err
	}
	c, err := loadCredentials(ctx, h.DB, "id", in.UserID)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errExternalRefused()
	}
	now := svc.Now()
	locked := c.lockedAt != ""
	if locked && settings.AutoUnlockAfter > 0 {
		if at, err := store.ParseTime(c.lockedAt); err == nil && now.Sub(at) >= settings.AutoUnlockAfter {
			locked = false
		}
	}
	if locked || c.status != "active" {
		reason := "disabled"
		if locked {
			reason = "locked"
		}
		details := map[string]string{"reason": reason, "method": in.Method}
		for k, v := range in.Details {
			details[k] = v
		}
		err := inTx(ctx, h, func(tx *store.Tx) error {
			return record(ctx, tx, h, audit.Actor{Kind: audit.ActorAnonymous}, in.IP, event{action: "auth.login_failed",
				objectType: "user", objectID: c.id, details: details})
		})
		if err != nil {
			return nil, err
		}
		return nil, errExternalRefused()
	}
	var res LoginResult
	err = inTx(ctx, h, func(tx *store.Tx) error {
		stage, lifetime, action := stageFull, settings.AbsoluteTimeout, "auth.login"
		passkey, err := hasPasskey(ctx, tx, c.id) // Strongroom's own second factors: an app or a passkey
		if err != nil {
			return err
		}
		if (c.totpEnabled == 1 || passkey) && !in.MFASatisfied {
			stage, lifetime, action = stageSecondFactor, secondFactorWindow, "auth.sso_ok"
			res.SecondFactor = true
		}
		res.Token, err = newSession(ctx, tx, c.id, stage, in.IP, in.UserAgent, now, lifetime)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET method = ?, provider_mfa = ? WHERE id_hash = ?`,
			in.Method, boolInt(in.MFASatisfied), hashSecret(res.Token)); err != nil {
			return err
		}
		details := map[string]string{"method": in.Method, "provider_mfa": strconv.FormatBool(in.MFASatisfied)}
		for k, v := range in.Details {
			details[k] = v
		}
		return record(ctx, tx, h, userActor(c.id), in.IP, event{action: action, objectType: "user", objectID: c.id, details: details})
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

func errExternalRefused() error {
	return strongroom.Errorf(strongroom.EUNAUTHORIZED, "Your account is disabled or locked. Ask your administrator if you cannot sign in.")
}

// CreateExternal creates a user signed up just in time by an identity
// provider, for the tenant's verified domain: no usable password (a random
// one, never told), the roles and classes the tenant chose. link runs in
// the same transaction, so the user exists only with its identity; the
// creation is audited by the system actor with the details given.
func (svc *Service) CreateExternal(ctx context.Context, h *tenancy.Handle, in UserInput, ip string, details map[string]string,
	link func(tx *store.Tx, userID int64) error) (int64, error) {
	if err := in.validate(); err != nil {
		return 0, err
	}
	hash, err := svc.hasher.Hash(ctx, TemporaryPassword()+randomToken(16))
	if err != nil {
		return 0, err
	}
	var id int64
	err = inTx(ctx, h, func(tx *store.Tx) error {
		var err error
		if id, err = insertUser(ctx, tx, h, in, hash, svc.Now()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_temporary = 0 WHERE id = ?`, id); err != nil {
			return err
		}
		if err := setMemberships(ctx, tx, id, in.RoleIDs, in.ClassIDs); err != nil {
			return err
		}
		if err := link(tx, id); err != nil {
			return err
		}
		return record(ctx, tx, h, audit.Actor{Kind: audit.ActorSystem}, ip, event{action: "user.create", objectType: "user", objectID: id,
			subject: userSubject(id), details: details, changes: []audit.Change{
				{Field: "username", After: in.Username, Personal: true},
				{Field: "display_name", After: in.DisplayName, Personal: true},
				{Field: "email", After: in.Email, Personal: true},
				{Field: "restricted", After: in.Restricted}, {Field: "roles", After: sortedIDs(in.RoleIDs)},
				{Field: "classes", After: sortedIDs(in.ClassIDs)},
			}})
	})
	return id, err
}

// passwordRefused asks the gate whether the user of a right password may
// use it; a refusal is audited and answered with a pointer to single
// sign-on.
func (svc *Service) passwordRefused(ctx context.Context, h *tenancy.Handle, c *credentials, ip string) error {
	if svc.PasswordGate == nil {
		return nil
	}
	ok, err := svc.PasswordGate(ctx, h, c.id)
	if err != nil || ok {
		return err
	}
	err = inTx(ctx, h, func(tx *store.Tx) error {
		return record(ctx, tx, h, audit.Actor{Kind: audit.ActorAnonymous}, ip, event{action: "auth.login_failed",
			objectType: "user", objectID: c.id, details: map[string]string{"reason": "sso_only"}})
	})
	if err != nil {
		return err
	}
	return strongroom.Errorf(strongroom.EFORBIDDEN, "This firm signs in through single sign-on only. Use the sign-in button of your firm's identity provider.")
}

// IsActiveAdmin reports whether a user is active, unlocked and an
// administrator: one who could sign in with their password when single
// sign-on fails.
func (svc *Service) IsActiveAdmin(ctx context.Context, h *tenancy.Handle, userID int64) (bool, error) {
	u, err := loadUser(ctx, h, h.DB, userID)
	if strongroom.ErrorCode(err) == strongroom.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if u.Status != "active" || u.Locked() {
		return false, nil
	}
	sub, err := subjectOf(ctx, h.DB, u)
	if err != nil {
		return false, err
	}
	p := &Principal{User: u, Subject: sub}
	return p.RequireAdmin() == nil, nil
}
