package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/erasure/personal"
	"strongroom/store"
	"strongroom/tenancy"
)

// Session stages: after a right password a user with two-factor holds a
// second-factor session that can do nothing but finish signing in.
const (
	stageSecondFactor = "second_factor"
	stageFull         = "full"
)

// secondFactorWindow is how long a user has to enter a code.
const secondFactorWindow = 5 * time.Minute

// touchEvery limits how often a session's last-seen time is written.
const touchEvery = 15 * time.Second

// Session is a sign-in, as shown to its user and administrators.
type Session struct {
	ID         string // public id: not the secret cookie value
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	SourceIP   string
	UserAgent  string
	Current    bool
}

// newSession stores a session and returns its secret token.
func newSession(ctx context.Context, tx *store.Tx, userID int64, stage, ip, ua string, now time.Time, lifetime time.Duration) (token string, err error) {
	token = randomToken(32) // 256 bits
	t := store.FormatTime(now)
	if len(ua) > 300 {
		ua = strings.ToValidUTF8(ua[:300], "") // never half a character: PostgreSQL refuses it
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, public_id, user_id, stage, created_at, last_seen_at, expires_at, source_ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		hashSecret(token), randomToken(12), userID, stage, t, t, store.FormatTime(now.Add(lifetime)), ip, ua)
	if err != nil {
		return "", fmt.Errorf("store session: %w", err)
	}
	return token, nil
}

// endSessions ends every session of a user.
func endSessions(ctx context.Context, tx *store.Tx, userID int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return err
}

func errSessionEnded() error {
	return strongroom.Errorf(strongroom.EUNAUTHORIZED, "Your session has ended. Please sign in again.")
}

type sessionRow struct {
	userID         int64
	publicID       string
	stage          string
	lastSeen, ends time.Time
	// method is how the session was opened (MethodPassword, MethodSSO);
	// providerMFA: the identity provider's second factor stood for ours.
	method      string
	providerMFA bool
}

func findSession(ctx context.Context, q rowsQuerier, token string) (*sessionRow, error) {
	var s sessionRow
	var last, ends string
	var mfa int
	err := q.QueryRowContext(ctx, `SELECT user_id, public_id, stage, last_seen_at, expires_at, method, provider_mfa FROM sessions WHERE id_hash = ?`,
		hashSecret(token)).Scan(&s.userID, &s.publicID, &s.stage, &last, &ends, &s.method, &mfa)
	s.providerMFA = mfa == 1
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errSessionEnded()
	} else if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	s.lastSeen, _ = store.ParseTime(last)
	s.ends, _ = store.ParseTime(ends)
	return &s, nil
}

// Authenticate returns the principal of a session token, enforcing the idle
// and absolute timeouts and the account's state. The session counts as
// used: its idle timeout starts again.
func (svc *Service) Authenticate(ctx context.Context, h *tenancy.Handle, token, ip string) (*Principal, error) {
	return svc.authenticate(ctx, h, token, ip, true)
}

// Recheck is Authenticate for a check that is no use of the session (a
// live page's socket asking every few seconds whether its session still
// holds): it leaves the idle timeout running, so a page left open on a
// desk does not keep its session alive.
func (svc *Service) Recheck(ctx context.Context, h *tenancy.Handle, token, ip string) (*Principal, error) {
	return svc.authenticate(ctx, h, token, ip, false)
}

func (svc *Service) authenticate(ctx context.Context, h *tenancy.Handle, token, ip string, touch bool) (*Principal, error) {
	if token == "" {
		return nil, errSessionEnded()
	}
	s, err := findSession(ctx, h.DB, token)
	if err != nil {
		return nil, err
	}
	settings, err := loadSettings(ctx, h.DB)
	if err != nil {
		return nil, err
	}
	now := svc.Now()
	if s.stage != stageFull || now.After(s.ends) || now.Sub(s.lastSeen) > settings.IdleTimeout {
		if s.stage == stageFull {
			_, _ = h.DB.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, hashSecret(token))
		}
		return nil, errSessionEnded()
	}
	p, err := svc.principal(ctx, h, s.userID, ip, settings)
	if err != nil {
		return nil, err
	}
	p.SessionID = s.publicID
	if s.providerMFA {
		p.MustEnrolTOTP = false // the provider's second factor counts (external.go)
	}
	if s.method == MethodSSO {
		// Signed in without the password: a temporary one need not be
		// changed before anything else.
		p.User.PasswordTemporary = false
	}
	if touch && now.Sub(s.lastSeen) >= touchEvery {
		if _, err := h.DB.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`, store.FormatTime(now), hashSecret(token)); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// principal loads an active, unlocked user with their current access.
func (svc *Service) principal(ctx context.Context, h *tenancy.Handle, userID int64, ip string, settings Settings) (*Principal, error) {
	personal.EnsureSealed(ctx, h) // rows written in clear: sealed in the background
	u, err := loadUser(ctx, h, h.DB, userID)
	switch {
	case strongroom.ErrorCode(err) == strongroom.ENOTFOUND:
		return nil, errSessionEnded() // the user was deleted
	case err != nil:
		// The database failing says nothing about the credential: the
		// caller hears the fault (EUNAVAILABLE), not "sign in again".
		return nil, err
	case u.Status != "active" || u.Locked():
		return nil, errSessionEnded()
	}
	sub, err := subjectOf(ctx, h.DB, u)
	if err != nil {
		return nil, err
	}
	p := &Principal{User: u, Subject: sub, IP: ip}
	if p.MustEnrolTOTP = !u.TOTPEnabled && mfaRequired(settings, p); p.MustEnrolTOTP {
		// A passkey satisfies the policy as well as an authenticator app.
		passkey, err := hasPasskey(ctx, h.DB, u.ID)
		if err != nil {
			return nil, err
		}
		p.MustEnrolTOTP = !passkey
	}
	return p, nil
}

// mfaRequired says whether the tenant's policy requires a second factor of p.
func mfaRequired(s Settings, p *Principal) bool {
	switch s.MFA {
	case MFAEveryone:
		return true
	case MFAAdmins:
		return p.RequireAdmin() == nil
	}
	return false
}

// Logout ends the session of token.
func (svc *Service) Logout(ctx context.Context, h *tenancy.Handle, p *Principal, token string) error {
	return inTx(ctx, h, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, hashSecret(token)); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "auth.logout", objectType: "user", objectID: p.User.ID})
	})
}

// ListSessions returns a user's sessions: the caller's own, or anyone's
// for an administrator.
func (svc *Service) ListSessions(ctx context.Context, h *tenancy.Handle, p *Principal, userID int64) ([]Session, error) {
	if userID != p.User.ID {
		if err := p.Subject.Require(access.Administration, access.Read); err != nil {
			return nil, err
		}
	}
	rows, err := h.DB.QueryContext(ctx, `SELECT public_id, user_id, created_at, last_seen_at, expires_at, source_ip, user_agent
		FROM sessions WHERE user_id = ? AND stage = 'full' ORDER BY created_at DESC`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var s Session
		var c, l, e string
		if err := rows.Scan(&s.ID, &s.UserID, &c, &l, &e, &s.SourceIP, &s.UserAgent); err != nil {
			return nil, err
		}
		s.CreatedAt, _ = store.ParseTime(c)
		s.LastSeenAt, _ = store.ParseTime(l)
		s.ExpiresAt, _ = store.ParseTime(e)
		s.Current = s.ID == p.SessionID
		out = append(out, s)
	}
	return out, rows.Err()
}

// EndSession ends one session by its public id: the caller's own, or
// anyone's for an administrator. Someone else's session that the caller may
// not end is reported as absent.
func (svc *Service) EndSession(ctx context.Context, h *tenancy.Handle, p *Principal, publicID string) error {
	return inTx(ctx, h, func(tx *store.Tx) error {
		var owner int64
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM sessions WHERE public_id = ?`, publicID).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != p.User.ID && p.RequireAdmin() != nil) {
			return notFound("session")
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE public_id = ?`, publicID); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "auth.session_end", objectType: "user", objectID: owner,
			details: map[string]string{"session": publicID}})
	})
}
