package operators

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/identity/totp"
	"strongroom/keys"
	"strongroom/store"
)

// Session stages: after the password a session can only finish signing in
// (the code, or the enrolment of an authenticator app).
const (
	stagePassword = "password"
	stageFull     = "full"
)

// totpIssuer is the name an authenticator app shows for the account.
const totpIssuer = "Strongroom operators"

// SignInResult is a right password: a half-signed-in session.
type SignInResult struct {
	Token string // the session's secret, for the cookie
	// Enrol is set when the operator has no authenticator app yet and
	// must set one up before anything else.
	Enrol bool
}

// SignIn checks an operator's password. Every failure gives the same
// answer and costs one password hash; an address past its throttle is
// refused before any hash. A right password opens a session that waits
// for the second factor.
func (s *Service) SignIn(ctx context.Context, name, pw, ip string) (*SignInResult, error) {
	key := "ip|" + ip
	if !s.Throttle.Take(key) {
		return nil, errThrottled()
	}
	c, err := load(ctx, s.db, "name", strings.TrimSpace(name))
	if err != nil {
		s.Throttle.Return(key)
		return nil, err
	}
	if c == nil {
		s.hasher.DummyVerify(ctx, pw)
		return nil, s.fail(ctx, nil, name, "unknown_operator", ip)
	}
	ok, _, err := s.hasher.Verify(ctx, pw, c.hash)
	if err != nil {
		s.Throttle.Return(key)
		return nil, err
	}
	if reason := s.refusal(c, ok); reason != "" {
		return nil, s.fail(ctx, c, name, reason, ip)
	}
	s.Throttle.Return(key)
	var res SignInResult
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := s.cleared(ctx, tx, c.ID); err != nil {
			return err
		}
		res.Token, err = s.newSession(ctx, tx, c.ID, stagePassword, ip, SecondFactorWindow)
		if err != nil {
			return err
		}
		res.Enrol = !c.totpEnabled
		return s.record(ctx, tx, Event{Operator: c.Name, Action: "operator.password_ok", SourceIP: ip})
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// refusal is why a checked attempt fails (” when it passes).
func (s *Service) refusal(c *credentials, ok bool) string {
	switch {
	case c.disabled:
		return "disabled"
	case s.locked(c):
		return "locked"
	case !ok:
		return "wrong_password"
	}
	return ""
}

func (s *Service) locked(c *credentials) bool {
	t, err := store.ParseTime(c.lockedUntil)
	return err == nil && s.Now().Before(t)
}

// fail records a failed sign-in and returns its one answer. A wrong
// password or code of a usable operator counts toward the lockout; at
// LockoutThreshold in a row the operator is locked for LockoutPeriod and
// every session and token of theirs ends.
func (s *Service) fail(ctx context.Context, c *credentials, name, reason, ip string) error {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		object := ""
		if c != nil {
			object = c.Name
		}
		if err := s.record(ctx, tx, Event{Action: "operator.sign_in_failed", Object: object, SourceIP: ip,
			Details: map[string]string{"reason": reason}}); err != nil {
			return err
		}
		if c == nil || (reason != "wrong_password" && reason != "wrong_code" && reason != "wrong_current_password") {
			return nil
		}
		failed := c.failed + 1
		if s.lockedBefore(c) {
			failed = 1 // a lock that ran out starts the count again
		}
		until := ""
		if failed >= LockoutThreshold {
			until = store.FormatTime(s.Now().Add(LockoutPeriod))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE operators SET failed_logins = ?, locked_until = ? WHERE id = ?`, failed, until, c.ID); err != nil {
			return err
		}
		if until == "" {
			return nil
		}
		if err := endAll(ctx, tx, c.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, Event{Action: "operator.locked", Object: c.Name, SourceIP: ip,
			Details: map[string]string{"failed_logins": strconv.Itoa(failed), "until": until}})
	})
	if err != nil {
		return err
	}
	return errSignIn()
}

// lockedBefore reports a lock that has run out.
func (s *Service) lockedBefore(c *credentials) bool {
	t, err := store.ParseTime(c.lockedUntil)
	return err == nil && !s.Now().Before(t)
}

// cleared resets the failure count after a right password or code.
func (s *Service) cleared(ctx context.Context, tx *store.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE operators SET failed_logins = 0, locked_until = '' WHERE id = ?`, id)
	return err
}

func (s *Service) newSession(ctx context.Context, tx *store.Tx, id int64, stage, ip string, lifetime time.Duration) (string, error) {
	token := randomToken(32)
	now := s.Now()
	_, err := tx.ExecContext(ctx, `INSERT INTO operator_sessions (id_hash, operator_id, stage, created_at, last_seen_at, expires_at, source_ip) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		hashSecret(token), id, stage, store.FormatTime(now), store.FormatTime(now), store.FormatTime(now.Add(lifetime)), ip)
	return token, err
}

type sessionRow struct {
	op             *Operator
	c              *credentials
	stage          string
	lastSeen, ends time.Time
}

// session finds a live session: not past its absolute end, not idle for
// IdleTimeout, of an operator not disabled.
func (s *Service) session(ctx context.Context, token string) (*sessionRow, error) {
	if token == "" {
		return nil, errSessionEnded()
	}
	var id int64
	var stage, last, ends string
	err := s.db.QueryRowContext(ctx, `SELECT operator_id, stage, last_seen_at, expires_at FROM operator_sessions WHERE id_hash = ?`,
		hashSecret(token)).Scan(&id, &stage, &last, &ends)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errSessionEnded()
	} else if err != nil {
		return nil, err
	}
	r := &sessionRow{stage: stage}
	if r.lastSeen, err = store.ParseTime(last); err != nil {
		return nil, err
	}
	if r.ends, err = store.ParseTime(ends); err != nil {
		return nil, err
	}
	now := s.Now()
	if !now.Before(r.ends) || (stage == stageFull && !now.Before(r.lastSeen.Add(IdleTimeout))) {
		s.db.ExecContext(ctx, `DELETE FROM operator_sessions WHERE id_hash = ?`, hashSecret(token))
		return nil, errSessionEnded()
	}
	c, err := load(ctx, s.db, "id", id)
	if err != nil {
		return nil, err
	}
	if c == nil || c.disabled {
		return nil, errSessionEnded()
	}
	r.c, r.op = c, &c.Operator
	return r, nil
}

// touch moves a session's idle clock on.
func (s *Service) touch(ctx context.Context, token string, r *sessionRow) error {
	_, err := s.db.ExecContext(ctx, `UPDATE operator_sessions SET last_seen_at = ? WHERE id_hash = ?`, store.FormatTime(s.Now()), hashSecret(token))
	return err
}

// Pending returns the operator of a half-signed-in session and whether
// they have an authenticator app (else they must enrol one).
func (s *Service) Pending(ctx context.Context, token string) (op *Operator, enrolled bool, err error) {
	r, err := s.session(ctx, token)
	if err != nil {
		return nil, false, err
	}
	if r.stage != stagePassword {
		return nil, false, errSessionEnded()
	}
	return r.op, r.c.totpEnabled, nil
}

// BeginTOTP returns the enrolment of the half-signed-in operator who has no
// authenticator app yet: a new secret sealed in the database, or the one
// begun already (shown again after a wrong first code).
func (s *Service) BeginTOTP(ctx context.Context, token string) (*totp.Enrolment, error) {
	r, err := s.session(ctx, token)
	if err != nil {
		return nil, err
	}
	if r.stage != stagePassword {
		return nil, errSessionEnded()
	}
	if r.c.totpEnabled {
		return nil, strongroom.Errorf(strongroom.ECONFLICT, "Your authenticator app is set up already; enter its code.")
	}
	key, err := s.key(ctx)
	if err != nil {
		return nil, err
	}
	if len(r.c.totpSecret) > 0 {
		secret, err := keys.OpenSealed(key, r.c.totpSecret, totpAAD(r.c.ID))
		if err != nil {
			return nil, err
		}
		return totp.Pending(totpIssuer, r.c.Name, string(secret))
	}
	e, err := totp.Enrol(totpIssuer, r.c.Name)
	if err != nil {
		return nil, err
	}
	sealed, err := keys.Seal(key, []byte(e.Secret), totpAAD(r.c.ID))
	if err != nil {
		return nil, err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE operators SET totp_secret = ?, totp_last_step = 0 WHERE id = ? AND totp_enabled = 0`, sealed, r.c.ID); err != nil {
		return nil, err
	}
	return e, nil
}

// ConfirmTOTP finishes the enrolment begun by BeginTOTP with a first code
// and signs the operator in fully; the half-way session is replaced.
func (s *Service) ConfirmTOTP(ctx context.Context, token, code, ip string) (string, error) {
	return s.finish(ctx, token, code, ip, true)
}

// SecondFactor finishes a sign-in with the current code of the operator's
// authenticator app; the half-way session is replaced by a full one. A
// wrong code counts as a failed sign-in; a code is accepted once.
func (s *Service) SecondFactor(ctx context.Context, token, code, ip string) (string, error) {
	return s.finish(ctx, token, code, ip, false)
}

func (s *Service) finish(ctx context.Context, token, code, ip string, enrol bool) (string, error) {
	r, err := s.session(ctx, token)
	if err != nil {
		return "", err
	}
	if r.stage != stagePassword || r.c.totpEnabled == enrol {
		return "", errSessionEnded()
	}
	key := "ip|" + ip
	if !s.Throttle.Take(key) {
		return "", errThrottled()
	}
	step, err := s.checkCode(ctx, r.c, code, ip, enrol)
	if err != nil {
		if strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED && strongroom.ErrorCode(err) != strongroom.EINVALID {
			s.Throttle.Return(key)
		}
		return "", err
	}
	s.Throttle.Return(key)
	var full string
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := s.useStep(ctx, tx, r.c.ID, step, enrol); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM operator_sessions WHERE id_hash = ?`, hashSecret(token)); err != nil {
			return err
		}
		if full, err = s.newSession(ctx, tx, r.c.ID, stageFull, ip, AbsoluteTimeout); err != nil {
			return err
		}
		if enrol {
			if err := s.record(ctx, tx, Event{Operator: r.c.Name, Action: "operator.totp_enrolled", Object: r.c.Name, SourceIP: ip}); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, Event{Operator: r.c.Name, Action: "operator.sign_in", SourceIP: ip, Details: map[string]string{"via": "console"}})
	})
	return full, err
}

// checkCode checks a TOTP code of c with the lockout rules and returns
// its time step. enrol: c's pending secret, which is not yet enabled.
func (s *Service) checkCode(ctx context.Context, c *credentials, code, ip string, enrol bool) (int64, error) {
	if reason := s.refusal(c, true); reason != "" {
		return 0, s.fail(ctx, c, c.Name, reason, ip)
	}
	if len(c.totpSecret) == 0 || (!enrol && !c.totpEnabled) {
		return 0, s.fail(ctx, c, c.Name, "no_second_factor", ip)
	}
	key, err := s.key(ctx)
	if err != nil {
		return 0, err
	}
	secret, err := keys.OpenSealed(key, c.totpSecret, totpAAD(c.ID))
	if err != nil {
		return 0, err
	}
	step, ok := totp.Validate(string(secret), strings.TrimSpace(code), s.Now(), c.totpLastStep)
	if !ok {
		if err := s.fail(ctx, c, c.Name, "wrong_code", ip); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
			return 0, err
		}
		return 0, strongroom.FieldError("code", "That code is not right, or it has been used already. Enter the code your authenticator app shows now.")
	}
	return step, nil
}

// useStep records a code's step as used, so that it is not accepted again,
// and clears the failure count. Two uses racing: one wins.
func (s *Service) useStep(ctx context.Context, tx *store.Tx, id, step int64, enrol bool) error {
	res, err := tx.ExecContext(ctx, `UPDATE operators SET totp_last_step = ?, totp_enabled = 1, failed_logins = 0, locked_until = '' WHERE id = ? AND totp_last_step < ? AND totp_enabled = ?`,
		step, id, step, boolInt(!enrol))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return strongroom.FieldError("code", "That code has been used already. Wait for the next one.")
	}
	return nil
}

// SignOut ends a console session (of either stage).
func (s *Service) SignOut(ctx context.Context, token, ip string) error {
	r, err := s.session(ctx, token)
	if err != nil {
		return nil // ended already
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM operator_sessions WHERE id_hash = ?`, hashSecret(token)); err != nil {
			return err
		}
		return s.record(ctx, tx, Event{Operator: r.c.Name, Action: "operator.sign_out", SourceIP: ip})
	})
}
