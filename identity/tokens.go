package identity

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"strongroom"
	"strongroom/store"
	"strongroom/tenancy"
)

// tokenPrefix marks Strongroom API tokens, so that secret scanners and
// people can recognise a leaked one.
const tokenPrefix = "srt_"

// maxTokenLifetime bounds how long an API token may live.
const maxTokenLifetime = 366 * 24 * time.Hour

// APIToken is a personal API token as listed: never its secret.
type APIToken struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
	Revoked    bool
	Scope      TokenScope
}

// TokenScope is what an API token may do. A full token acts with exactly
// its user's permissions on every API route; a metrics:write token may only
// push metric points (an integration or a script that feeds dashboards
// holds it, so a leak of it reads nothing). Which routes a scope reaches is
// decided in one place, web's authentication.
type TokenScope string

const (
	ScopeFull         TokenScope = "full"
	ScopeMetricsWrite TokenScope = "metrics:write"
)

// TokenScopes lists the scopes a token may be given, the default first.
func TokenScopes() []TokenScope { return []TokenScope{ScopeFull, ScopeMetricsWrite} }

// ParseTokenScope reads a scope as the API and forms spell it; "" is
// ScopeFull. Anything else is an EINVALID error naming field "scope".
func ParseTokenScope(s string) (TokenScope, error) {
	switch TokenScope(s) {
	case "", ScopeFull:
		return ScopeFull, nil
	case ScopeMetricsWrite:
		return ScopeMetricsWrite, nil
	}
	return "", strongroom.FieldError("scope", "Unknown token scope; use full or metrics:write.")
}

// Allows reports whether a request authenticated as p may use a route that
// needs scope need: a session and a full token reach every route, any
// other token only routes of its own scope.
func (p *Principal) Allows(need TokenScope) bool {
	if p.TokenID == 0 || p.TokenScope == ScopeFull {
		return true
	}
	return p.TokenScope == need
}

// CheckTokenName checks the name of a new API token.
func CheckTokenName(name string) error { return checkText("name", name, 1, 100) }

// CreateToken makes a personal API token for the caller, acting with
// exactly their permissions. The secret is returned once and stored hashed.
func (svc *Service) CreateToken(ctx context.Context, h *tenancy.Handle, p *Principal, name string, lifetime time.Duration) (*APIToken, string, error) {
	return svc.CreateScopedToken(ctx, h, p, name, lifetime, ScopeFull)
}

// CreateScopedToken is CreateToken for a token of the given scope.
func (svc *Service) CreateScopedToken(ctx context.Context, h *tenancy.Handle, p *Principal, name string, lifetime time.Duration, scope TokenScope) (*APIToken, string, error) {
	if p.TokenID != 0 {
		return nil, "", strongroom.Errorf(strongroom.EFORBIDDEN, "API tokens cannot make other API tokens; sign in to make one.")
	}
	var ps strongroom.Problems
	ps.Add(CheckTokenName(name))
	if lifetime < time.Hour || lifetime > maxTokenLifetime {
		ps.Addf("expires_in", "A token must expire between one hour and 366 days from now.")
	}
	if _, err := ParseTokenScope(string(scope)); err != nil || scope == "" {
		ps.Addf("scope", "Unknown token scope; use full or metrics:write.")
	}
	if err := ps.Err(); err != nil {
		return nil, "", err
	}
	secret := tokenPrefix + randomToken(32)
	now := svc.Now()
	t := &APIToken{Name: name, CreatedAt: now, ExpiresAt: now.Add(lifetime), Scope: scope}
	err := inTx(ctx, h, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at, scope) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			p.User.ID, name, hashSecret(secret), store.FormatTime(now), store.FormatTime(t.ExpiresAt), string(scope)).Scan(&t.ID); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "token.create", objectType: "api_token", objectID: t.ID,
			details: map[string]string{"expires_at": store.FormatTime(t.ExpiresAt), "scope": string(scope)}})
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// ListTokens returns the caller's tokens.
func (svc *Service) ListTokens(ctx context.Context, h *tenancy.Handle, p *Principal) ([]APIToken, error) {
	rows, err := h.DB.QueryContext(ctx, `SELECT id, name, created_at, expires_at, last_used_at, revoked_at, scope FROM api_tokens
		WHERE user_id = ? ORDER BY id DESC`, p.User.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		var t APIToken
		var c, e, l, r, scope string
		if err := rows.Scan(&t.ID, &t.Name, &c, &e, &l, &r, &scope); err != nil {
			return nil, err
		}
		t.CreatedAt, _ = store.ParseTime(c)
		t.ExpiresAt, _ = store.ParseTime(e)
		if l != "" {
			t.LastUsedAt, _ = store.ParseTime(l)
		}
		t.Revoked = r != ""
		t.Scope = TokenScope(scope)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of the caller's tokens (an administrator may
// revoke anyone's). A token the caller may not touch is reported as absent.
func (svc *Service) RevokeToken(ctx context.Context, h *tenancy.Handle, p *Principal, id int64) error {
	return inTx(ctx, h, func(tx *store.Tx) error {
		var owner int64
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM api_tokens WHERE id = ? AND revoked_at = ''`, id).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != p.User.ID && p.RequireAdmin() != nil) {
			return notFound("API token")
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, store.FormatTime(svc.Now()), id); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "token.revoke", objectType: "api_token", objectID: id})
	})
}

// AuthenticateToken returns the principal of an API token. Tokens of users
// who must still change a temporary password or enrol two-factor, and of
// locked or disabled users, do not work.
func (svc *Service) AuthenticateToken(ctx context.Context, h *tenancy.Handle, secret, ip string) (*Principal, error) {
	invalid := strongroom.Errorf(strongroom.EUNAUTHORIZED, "The API token is not valid: it may have expired or been revoked.")
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 100 {
		return nil, invalid
	}
	var id, userID int64
	var expires, revoked, lastUsed, scope string
	err := h.DB.QueryRowContext(ctx, `SELECT id, user_id, expires_at, revoked_at, last_used_at, scope FROM api_tokens WHERE token_hash = ?`,
		hashSecret(secret)).Scan(&id, &userID, &expires, &revoked, &lastUsed, &scope)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, invalid
	} else if err != nil {
		return nil, err
	}
	now := svc.Now()
	if exp, _ := store.ParseTime(expires); revoked != "" || !now.Before(exp) {
		return nil, invalid
	}
	settings, err := loadSettings(ctx, h.DB)
	if err != nil {
		return nil, err
	}
	p, err := svc.principal(ctx, h, userID, ip, settings)
	if strongroom.ErrorCode(err) == strongroom.EUNAUTHORIZED {
		return nil, invalid
	} else if err != nil {
		return nil, err
	}
	if p.Restricted() {
		return nil, strongroom.Errorf(strongroom.EPASSWORD, "Sign in to the web interface first: your account needs a new password or two-factor set-up.")
	}
	p.TokenID = id
	// An unknown scope (a damaged row) is no scope at all: it reaches no
	// route, rather than falling back to full.
	p.TokenScope = TokenScope(scope)
	if _, err := ParseTokenScope(scope); err != nil || scope == "" {
		p.TokenScope = "invalid"
	}
	if last, _ := store.ParseTime(lastUsed); lastUsed == "" || now.Sub(last) >= time.Minute {
		if _, err := h.DB.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, store.FormatTime(now), id); err != nil {
			return nil, err
		}
	}
	return p, nil
}
