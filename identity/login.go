package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity/password"
	"strongroom/identity/totp"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/tenancy"
)

// LoginResult is a successful first step of signing in.
type LoginResult struct {
	Token string // the new session's secret, for the cookie
	// SecondFactor is set when the user must still enter a code; the
	// session can do nothing else until then.
	SecondFactor bool
	// Device is a new device cookie for the browser, valid until
	// DeviceExpires. It is given at a full sign-in: after the password, or
	// after the second factor for a user who has one.
	Device        string
	DeviceExpires time.Time
}

type credentials struct {
	id           int64
	usernameKey  string
	hash         string
	status       string
	failed       int
	lockedAt     string
	totpEnabled  int
	totpSecret   []byte
	totpLastStep int64
}

func loadCredentials(ctx context.Context, q rowsQuerier, where string, arg any) (*credentials, error) {
	var c credentials
	err := q.QueryRowContext(ctx, `SELECT id, username_key, password_hash, status, failed_logins, locked_at, totp_enabled, totp_secret, totp_last_step
		FROM users WHERE `+where+` = ?`, arg).Scan(&c.id, &c.usernameKey, &c.hash, &c.status, &c.failed, &c.lockedAt, &c.totpEnabled, &c.totpSecret, &c.totpLastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &c, err
}

// Attempt is one sign-in with a user name and password, as it arrived.
type Attempt struct {
	Username, Password string
	IP, UserAgent      string
	// Device is the device cookie the browser sent, if any.
	Device string
}

// outcome is what checking an attempt found; it decides whether the tokens
// the attempt took stay spent.
type outcome int

const (
	unchecked outcome = iota // a fault came before any hash was computed
	rejected                 // a failed sign-in: it stays charged
	accepted                 // the password was right: nothing is charged
)

// Login checks a user name and password. Every failure gives the same
// error, whether the name is unknown, the password wrong, or the account
// locked or disabled, and every path spends one password hash, so neither
// the answer nor its timing tells whether a user exists. An attempt refused
// by the address's throttle or the tenant's budget spends none.
func (svc *Service) Login(ctx context.Context, h *tenancy.Handle, username, pw, ip, userAgent string) (*LoginResult, error) {
	return svc.SignIn(ctx, h, Attempt{Username: username, Password: pw, IP: ip, UserAgent: userAgent})
}

// SignIn is Login for an Attempt. Before the password is checked the
// attempt takes its tokens (admit: the device cookie's, or the address's
// and the tenant's); they are given back unless the attempt failed. A full
// sign-in comes with a new device cookie.
func (svc *Service) SignIn(ctx context.Context, h *tenancy.Handle, a Attempt) (*LoginResult, error) {
	userKey := UsernameKey(a.Username)
	adm, err := svc.admit(ctx, h, a, userKey)
	if err != nil {
		return nil, err
	}
	res, out, err := svc.checkPassword(ctx, h, a, userKey)
	adm.finish(out)
	if err != nil {
		return nil, err
	}
	if !res.SecondFactor {
		res.Device, res.DeviceExpires = issueDevice(deviceKey(h), h.Tenant.Slug, userKey, svc.Now())
	}
	return res, nil
}

// addressKey is the throttle's key for a source address of a tenant.
func addressKey(h *tenancy.Handle, ip string) string { return h.Tenant.Slug + "|" + ip }

func errThrottled() error {
	return strongroom.Errorf(strongroom.ETOOMANY, "Too many failed sign-ins from your network address. Wait a few minutes and try again.")
}

// checkPassword checks an attempt once it has been let through.
func (svc *Service) checkPassword(ctx context.Context, h *tenancy.Handle, a Attempt, userKey string) (*LoginResult, outcome, error) {
	settings, err := loadSettings(ctx, h.DB)
	if err != nil {
		return nil, unchecked, err
	}
	c, err := loadCredentials(ctx, h.DB, "username_key", userKey)
	if err != nil {
		return nil, unchecked, err
	}
	if c == nil {
		svc.hasher.DummyVerify(ctx, a.Password)
		err := inTx(ctx, h, func(tx *store.Tx) error {
			_, err := h.Audit.Append(ctx, tx, h.Audit.FailedLoginUnknownUser(a.IP, userKey))
			return err
		})
		if err != nil {
			return nil, rejected, err
		}
		return nil, rejected, errSignIn()
	}
	ok, rehash, err := svc.hasher.Verify(ctx, a.Password, c.hash)
	if err != nil {
		return nil, unchecked, err
	}
	now := svc.Now()
	locked := c.lockedAt != ""
	if locked && settings.AutoUnlockAfter > 0 {
		if at, err := store.ParseTime(c.lockedAt); err == nil && now.Sub(at) >= settings.AutoUnlockAfter {
			locked = false
			c.failed = 0
		}
	}
	if !ok || locked || c.status != "active" {
		reason := "wrong_password"
		switch {
		case locked:
			reason = "locked"
		case c.status != "active":
			reason = "disabled"
		}
		if err := svc.recordFailure(ctx, h, c, reason, a.IP, settings, !locked && !ok); err != nil {
			return nil, rejected, err
		}
		return nil, rejected, errSignIn()
	}
	if err := svc.passwordRefused(ctx, h, c, a.IP); err != nil { // single sign-on only (external.go)
		return nil, accepted, err
	}
	res, err := svc.startSession(ctx, h, c, a, settings, rehash)
	return res, accepted, err
}

// startSession opens the session of a right password: a full one, or one
// that waits for the second factor.
func (svc *Service) startSession(ctx context.Context, h *tenancy.Handle, c *credentials, a Attempt, settings Settings, rehash bool) (*LoginResult, error) {
	now := svc.Now()
	var res LoginResult
	err := inTx(ctx, h, func(tx *store.Tx) error {
		if rehash {
			if hash, err := svc.hasher.Hash(ctx, a.Password); err == nil {
				if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, c.id); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_at = '' WHERE id = ?`, c.id); err != nil {
			return err
		}
		stage, lifetime, action := stageFull, settings.AbsoluteTimeout, "auth.login"
		passkey, err := hasPasskey(ctx, tx, c.id) // a passkey is a second factor too (passkey.go)
		if err != nil {
			return err
		}
		if c.totpEnabled == 1 || passkey {
			stage, lifetime, action = stageSecondFactor, secondFactorWindow, "auth.password_ok"
			res.SecondFactor = true
		}
		res.Token, err = newSession(ctx, tx, c.id, stage, a.IP, a.UserAgent, now, lifetime)
		if err != nil {
			return err
		}
		return record(ctx, tx, h, userActor(c.id), a.IP, event{action: action, objectType: "user", objectID: c.id})
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

func userActor(id int64) audit.Actor {
	return audit.Actor{Kind: audit.ActorUser, ID: strconv.FormatInt(id, 10)}
}

// recordFailure counts a failed sign-in of a known user, locks the account
// at the tenant's threshold, and writes both to the audit log. count is
// false for attempts on an account already locked or disabled.
func (svc *Service) recordFailure(ctx context.Context, h *tenancy.Handle, c *credentials, reason, ip string, s Settings, count bool) error {
	now := store.FormatTime(svc.Now())
	return inTx(ctx, h, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (user_id, at, source_ip) VALUES (?, ?, ?)`, c.id, now, ip); err != nil {
			return err
		}
		if err := record(ctx, tx, h, audit.Actor{Kind: audit.ActorAnonymous}, ip, event{action: "auth.login_failed",
			objectType: "user", objectID: c.id, details: map[string]string{"reason": reason}}); err != nil {
			return err
		}
		if !count {
			return nil
		}
		failed := c.failed + 1
		lockedAt := ""
		if failed >= s.LockoutThreshold {
			lockedAt = now
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = ?, locked_at = ? WHERE id = ?`, failed, lockedAt, c.id); err != nil {
			return err
		}
		if lockedAt == "" {
			return nil
		}
		if err := endSessions(ctx, tx, c.id); err != nil {
			return err
		}
		return record(ctx, tx, h, audit.Actor{Kind: audit.ActorSystem}, ip, event{action: "auth.lockout", objectType: "user", objectID: c.id,
			details: map[string]string{"failed_logins": strconv.Itoa(failed)}})
	})
}

// SecondFactor finishes a sign-in with a TOTP code or a recovery code. A
// wrong code counts as a failed sign-in. On success the half-way session is
// replaced by a full one with a new id, and the browser gets a new device
// cookie. Like the password, a code takes a token before it is checked:
// the device cookie's when the browser has a valid one for the user, else
// the address's.
func (svc *Service) SecondFactor(ctx context.Context, h *tenancy.Handle, token, code, ip, userAgent, device string) (*LoginResult, error) {
	c, settings, err := svc.halfSignedIn(ctx, h, token)
	if err != nil {
		return nil, err
	}
	t, ok := svc.takeForCode(h, c.usernameKey, ip, device)
	if !ok {
		return nil, errThrottled()
	}
	full, out, err := svc.checkSecondFactor(ctx, h, token, code, ip, userAgent, c, settings)
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

// halfSignedIn returns the user of a session waiting for its second factor.
func (svc *Service) halfSignedIn(ctx context.Context, h *tenancy.Handle, token string) (*credentials, Settings, error) {
	s, err := findSession(ctx, h.DB, token)
	if err != nil {
		return nil, Settings{}, err // ended, or a fault: answered as what it is
	}
	if s.stage != stageSecondFactor || svc.Now().After(s.ends) {
		return nil, Settings{}, errSessionEnded()
	}
	settings, err := loadSettings(ctx, h.DB)
	if err != nil {
		return nil, Settings{}, err
	}
	c, err := loadCredentials(ctx, h.DB, "id", s.userID)
	if err != nil {
		return nil, Settings{}, err
	}
	if c == nil {
		return nil, Settings{}, errSessionEnded()
	}
	return c, settings, nil
}

// takeForCode takes the token a second-factor code is checked with.
func (svc *Service) takeForCode(h *tenancy.Handle, userKey, ip, device string) (taken, bool) {
	if device != "" {
		if nonce, ok := checkDevice(deviceKey(h), h.Tenant.Slug, userKey, device, svc.Now()); ok {
			t := taken{svc.Devices, h.Tenant.Slug + "|" + nonce}
			if t.bucket.Take(t.key) {
				return t, true
			}
		}
	}
	t := taken{svc.throttle, addressKey(h, ip)}
	return t, t.bucket.Take(t.key)
}

// checkSecondFactor checks the code once the attempt has been let through.
func (svc *Service) checkSecondFactor(ctx context.Context, h *tenancy.Handle, token, code, ip, userAgent string, c *credentials, settings Settings) (string, outcome, error) {
	now := svc.Now()
	step, method, ok := svc.checkCode(ctx, h, c, code)
	if !ok || c.lockedAt != "" || c.status != "active" {
		if err := svc.recordFailure(ctx, h, c, "wrong_code", ip, settings, c.lockedAt == ""); err != nil {
			return "", rejected, err
		}
		return "", rejected, strongroom.FieldError("code", "That code is not right. Enter the current code from your authenticator app, or a recovery code.")
	}
	var full string
	err := inTx(ctx, h, func(tx *store.Tx) error {
		if method == "totp" {
			// Only a later step may be used next: a code is accepted once.
			res, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = ?, failed_logins = 0 WHERE id = ? AND totp_last_step < ?`, step, c.id, step)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return strongroom.FieldError("code", "That code has been used already. Wait for the next one.")
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at = ''`,
				store.FormatTime(now), c.id, totp.HashRecoveryCode(code))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return strongroom.FieldError("code", "That recovery code has been used already.")
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, hashSecret(token)); err != nil {
			return err
		}
		var err error
		full, err = newSession(ctx, tx, c.id, stageFull, ip, userAgent, now, settings.AbsoluteTimeout)
		if err != nil {
			return err
		}
		return record(ctx, tx, h, userActor(c.id), ip, event{action: "auth.login", objectType: "user", objectID: c.id,
			details: map[string]string{"second_factor": method}})
	})
	return full, accepted, err
}

// checkCode tries code as a TOTP code, then as a recovery code.
func (svc *Service) checkCode(ctx context.Context, h *tenancy.Handle, c *credentials, code string) (step int64, method string, ok bool) {
	if c.totpEnabled != 1 {
		return 0, "", false
	}
	secret, err := keys.OpenSealed(h.DataKey(), c.totpSecret, totpAAD(h, c.id))
	if err != nil {
		svc.log.Error("open TOTP secret", "tenant", h.Tenant.Slug, "user", c.id, "err", err)
		return 0, "", false
	}
	if step, ok := totp.Validate(string(secret), code, svc.Now(), c.totpLastStep); ok {
		return step, "totp", true
	}
	var n int
	err = h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND code_hash = ? AND used_at = ''`,
		c.id, totp.HashRecoveryCode(code)).Scan(&n)
	return 0, "recovery", err == nil && n == 1
}

// totpAAD binds a sealed TOTP secret to its tenant and user, so a sealed
// value copied to another row does not open.
func totpAAD(h *tenancy.Handle, userID int64) []byte {
	return fmt.Appendf(nil, "strongroom totp %s %d", h.SealedAs(), userID)
}

// CheckNewPassword checks a password the caller would choose against the
// tenant's rules (field new_password), changing nothing.
func (svc *Service) CheckNewPassword(ctx context.Context, h *tenancy.Handle, p *Principal, next string) error {
	settings, err := loadSettings(ctx, h.DB)
	if err != nil {
		return err
	}
	// The names an attacker who knows the account tries first.
	related := []string{p.User.DisplayName, h.Tenant.Slug, h.Tenant.DisplayName}
	if err := password.Check(next, p.User.Username, mfaRequired(settings, p) || p.User.TOTPEnabled, related...); err != nil {
		return &strongroom.Error{Code: strongroom.EINVALID, Field: "new_password", Message: strongroom.ErrorMessage(err)}
	}
	return nil
}

// ChangePassword sets the caller's own new password after checking the
// current one. Every session of the user ends; a new one is returned.
func (svc *Service) ChangePassword(ctx context.Context, h *tenancy.Handle, p *Principal, current, next, userAgent string) (string, error) {
	c, err := loadCredentials(ctx, h.DB, "id", p.User.ID)
	if err != nil {
		return "", err
	}
	if c == nil {
		return "", errSessionEnded()
	}
	ok, _, err := svc.hasher.Verify(ctx, current, c.hash)
	if err != nil {
		return "", err
	}
	// Both passwords' problems are told at once; which rules the new one
	// breaks says nothing about the current one.
	var ps strongroom.Problems
	if !ok {
		ps.Addf("current_password", "Your current password is not right.")
	}
	ps.Add(svc.CheckNewPassword(ctx, h, p, next))
	if ok && ps.OK() && next == current {
		ps.Addf("new_password", "Choose a password different from the current one.")
	}
	if err := ps.Err(); err != nil {
		return "", err
	}
	settings, err := loadSettings(ctx, h.DB)
	if err != nil {
		return "", err
	}
	hash, err := svc.hasher.Hash(ctx, next)
	if err != nil {
		return "", err
	}
	var token string
	err = inTx(ctx, h, func(tx *store.Tx) error {
		now := svc.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, password_temporary = 0, password_changed_at = ?,
			version = version + 1 WHERE id = ?`, hash, store.FormatTime(now), p.User.ID); err != nil {
			return err
		}
		if err := endSessions(ctx, tx, p.User.ID); err != nil {
			return err
		}
		if token, err = newSession(ctx, tx, p.User.ID, stageFull, p.IP, userAgent, now, settings.AbsoluteTimeout); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "auth.password_change", objectType: "user", objectID: p.User.ID})
	})
	return token, err
}
