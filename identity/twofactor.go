package identity

import (
	"context"

	"strongroom"
	"strongroom/identity/totp"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/tenancy"
)

// BeginTOTP starts two-factor enrolment for the caller: a new secret,
// sealed with the tenant key, waiting for a first code to confirm it.
func (svc *Service) BeginTOTP(ctx context.Context, h *tenancy.Handle, p *Principal) (*totp.Enrolment, error) {
	if p.TokenID != 0 {
		return nil, strongroom.Errorf(strongroom.EFORBIDDEN, "Two-factor set-up needs a signed-in session.")
	}
	if p.User.TOTPEnabled {
		return nil, strongroom.Errorf(strongroom.ECONFLICT, "Two-factor sign-in is already set up for your account.")
	}
	e, err := totp.Enrol(totpIssuer(h), p.User.Username)
	if err != nil {
		return nil, err
	}
	sealed, err := keys.Seal(h.DataKey(), []byte(e.Secret), totpAAD(h, p.User.ID))
	if err != nil {
		return nil, err
	}
	if _, err := h.DB.ExecContext(ctx, `UPDATE users SET totp_secret = ?, totp_last_step = 0 WHERE id = ? AND totp_enabled = 0`,
		sealed, p.User.ID); err != nil {
		return nil, err
	}
	return e, nil
}

// totpIssuer is the name an authenticator app shows for the account.
func totpIssuer(h *tenancy.Handle) string { return h.Tenant.DisplayName + " · Strongroom" }

// PendingTOTP returns the caller's enrolment begun by BeginTOTP and not
// yet confirmed: the same secret and QR code, opened from the sealed copy
// in the database (it never travels through the browser's form), for
// showing again after a wrong first code.
func (svc *Service) PendingTOTP(ctx context.Context, h *tenancy.Handle, p *Principal) (*totp.Enrolment, error) {
	if p.TokenID != 0 {
		return nil, strongroom.Errorf(strongroom.EFORBIDDEN, "Two-factor set-up needs a signed-in session.")
	}
	c, err := loadCredentials(ctx, h.DB, "id", p.User.ID)
	if err != nil {
		return nil, err
	} else if c == nil {
		return nil, errSessionEnded()
	}
	if c.totpEnabled == 1 {
		return nil, strongroom.Errorf(strongroom.ECONFLICT, "Two-factor sign-in is already set up for your account.")
	}
	if len(c.totpSecret) == 0 {
		return nil, strongroom.Errorf(strongroom.ECONFLICT, "Start two-factor set-up first.")
	}
	secret, err := keys.OpenSealed(h.DataKey(), c.totpSecret, totpAAD(h, p.User.ID))
	if err != nil {
		return nil, err
	}
	return totp.Pending(totpIssuer(h), p.User.Username, string(secret))
}

// ConfirmTOTP turns two-factor on once the caller proves, with a code, that
// their app holds the secret. It returns ten recovery codes, shown once,
// and a new session token: the session's privileges changed.
func (svc *Service) ConfirmTOTP(ctx context.Context, h *tenancy.Handle, p *Principal, code, userAgent string) (recovery []string, token string, err error) {
	c, err := loadCredentials(ctx, h.DB, "id", p.User.ID)
	if err != nil {
		return nil, "", err // a fault, not the end of the session
	} else if c == nil {
		return nil, "", errSessionEnded()
	}
	if c.totpEnabled == 1 {
		return nil, "", strongroom.Errorf(strongroom.ECONFLICT, "Two-factor sign-in is already set up for your account.")
	}
	if len(c.totpSecret) == 0 {
		return nil, "", strongroom.Errorf(strongroom.ECONFLICT, "Start two-factor set-up first.")
	}
	secret, err := keys.OpenSealed(h.DataKey(), c.totpSecret, totpAAD(h, p.User.ID))
	if err != nil {
		return nil, "", err
	}
	step, ok := totp.Validate(string(secret), code, svc.Now(), 0)
	if !ok {
		return nil, "", strongroom.FieldError("code", "That code is not right. Enter the six digits your authenticator app shows now.")
	}
	codes, hashes, err := totp.NewRecoveryCodes()
	if err != nil {
		return nil, "", err
	}
	settings, err := loadSettings(ctx, h.DB)
	if err != nil {
		return nil, "", err
	}
	err = inTx(ctx, h, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_enabled = 1, totp_last_step = ?, version = version + 1 WHERE id = ?`, step, p.User.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, p.User.ID); err != nil {
			return err
		}
		for _, hash := range hashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`, p.User.ID, hash); err != nil {
				return err
			}
		}
		if err := endSessions(ctx, tx, p.User.ID); err != nil {
			return err
		}
		if token, err = newSession(ctx, tx, p.User.ID, stageFull, p.IP, userAgent, svc.Now(), settings.AbsoluteTimeout); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "auth.totp_enrol", objectType: "user", objectID: p.User.ID})
	})
	if err != nil {
		return nil, "", err
	}
	return codes, token, nil
}

// ResetTOTP turns a user's two-factor off (an administrator helping a user
// who lost their phone); they enrol again at the next sign-in if required.
func (svc *Service) ResetTOTP(ctx context.Context, h *tenancy.Handle, p *Principal, userID int64) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	return inTx(ctx, h, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET totp_enabled = 0, totp_secret = ?, totp_last_step = 0, version = version + 1 WHERE id = ?`,
			[]byte{}, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return notFound("user")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return err
		}
		if err := endSessions(ctx, tx, userID); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "auth.totp_reset", objectType: "user", objectID: userID})
	})
}
