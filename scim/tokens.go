package scim

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// tokenPrefix marks Strongroom SCIM tokens, so that secret scanners and
// people can tell one from a user's API token (srt_).
const tokenPrefix = "srs_"

// Guessing bounds: an address may present GuessBurst wrong tokens at once
// and one more every GuessRefill; a wrong token is audited at most once
// per address and FailureEvery.
const (
	GuessBurst   = 10
	GuessRefill  = 30 * time.Second
	FailureEvery = time.Minute
)

// Token is a SCIM token as listed: never its secret.
type Token struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	CreatedBy  int64
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: live
}

// Revoked reports whether the token no longer works.
func (t *Token) Revoked() bool { return !t.RevokedAt.IsZero() }

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func checkName(name string) error {
	n := len([]rune(name))
	switch {
	case strings.TrimSpace(name) == "":
		return strongroom.FieldError("name", "Name the token, for example after the identity provider that will hold it.")
	case n > 100:
		return strongroom.FieldError("name", "Must be at most 100 characters long.")
	case strings.TrimSpace(name) != name:
		return strongroom.FieldError("name", "May not start or end with spaces.")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return strongroom.FieldError("name", "May not hold control characters.")
		}
	}
	return nil
}

// CreateToken makes a SCIM token for the tenant. The secret is returned
// once and stored hashed.
func (s *Service) CreateToken(ctx context.Context, h *tenancy.Handle, p *identity.Principal, name string) (*Token, string, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, "", err
	}
	if p.TokenID != 0 {
		return nil, "", strongroom.Errorf(strongroom.EFORBIDDEN, "API tokens cannot make SCIM tokens; sign in to make one.")
	}
	if err := checkName(name); err != nil {
		return nil, "", err
	}
	b := make([]byte, 32)
	rand.Read(b) // crypto/rand.Read never fails on supported platforms
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	t := &Token{Name: name, CreatedAt: s.Now(), CreatedBy: p.User.ID}
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO scim_tokens (name, token_hash, created_at, created_by) VALUES (?, ?, ?, ?) RETURNING id`,
			name, hashSecret(secret), store.FormatTime(t.CreatedAt), t.CreatedBy).Scan(&t.ID); err != nil {
			return fmt.Errorf("insert SCIM token: %w", err)
		}
		_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: "scim.token_create",
			ObjectType: "scim_token", ObjectID: strconv.FormatInt(t.ID, 10)})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// ListTokens returns the tenant's SCIM tokens, newest first.
func (s *Service) ListTokens(ctx context.Context, h *tenancy.Handle, p *identity.Principal) ([]Token, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	rows, err := h.DB.QueryContext(ctx, `SELECT id, name, created_at, created_by, last_used_at, revoked_at FROM scim_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list SCIM tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var t Token
		var c, l, r string
		if err := rows.Scan(&t.ID, &t.Name, &c, &t.CreatedBy, &l, &r); err != nil {
			return nil, err
		}
		t.CreatedAt, _ = store.ParseTime(c)
		if l != "" {
			t.LastUsedAt, _ = store.ParseTime(l)
		}
		if r != "" {
			t.RevokedAt, _ = store.ParseTime(r)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken ends a token: the next request that presents it is refused.
func (s *Service) RevokeToken(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE scim_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = ''`, store.FormatTime(s.Now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errNotFound("SCIM token")
		}
		_, err = h.Audit.Append(ctx, tx, audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: "scim.token_revoke",
			ObjectType: "scim_token", ObjectID: strconv.FormatInt(id, 10)})
		return err
	})
}

func errBadToken() error {
	return strongroom.Errorf(strongroom.EUNAUTHORIZED, "The SCIM token is not valid: it may have been revoked.")
}

// Authenticate returns the client of a bearer token of the tenant. A
// missing, unknown or revoked token is refused (EUNAUTHORIZED, audited as
// scim.auth_failed at most once per address a minute) and counts against
// the address; an address out of guesses is refused (ETOOMANY) before the
// token is looked at.
func (s *Service) Authenticate(ctx context.Context, h *tenancy.Handle, secret, ip string) (*Client, error) {
	key := h.Tenant.Slug + "|" + ip
	if !s.guard.throttle.Take(key) {
		return nil, strongroom.Errorf(strongroom.ETOOMANY, "Too many requests with a wrong SCIM token from your network address. Wait a few minutes and try again.")
	}
	id, err := s.lookup(ctx, h, secret)
	if err != nil {
		if strongroom.ErrorCode(err) == strongroom.EUNAUTHORIZED {
			s.guard.recordFailure(ctx, h, ip)
		} else {
			s.guard.throttle.Return(key) // a fault is no guess
		}
		return nil, err
	}
	s.guard.throttle.Return(key)
	return &Client{TokenID: id, IP: ip}, nil
}

func (s *Service) lookup(ctx context.Context, h *tenancy.Handle, secret string) (int64, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 100 {
		return 0, errBadToken()
	}
	var id int64
	var revoked, last string
	err := h.DB.QueryRowContext(ctx, `SELECT id, revoked_at, last_used_at FROM scim_tokens WHERE token_hash = ?`, hashSecret(secret)).Scan(&id, &revoked, &last)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && revoked != "") {
		return 0, errBadToken()
	} else if err != nil {
		return 0, err
	}
	now := s.Now()
	if t, _ := store.ParseTime(last); last == "" || now.Sub(t) >= time.Minute {
		if _, err := h.DB.ExecContext(ctx, `UPDATE scim_tokens SET last_used_at = ? WHERE id = ?`, store.FormatTime(now), id); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// guard throttles wrong tokens per address and rate-limits their audit.
type guard struct {
	s        *Service
	throttle *identity.Throttle
	mu       sync.Mutex
	failed   map[string]time.Time
}

func newGuard(s *Service) *guard {
	return &guard{s: s, throttle: identity.NewThrottle(GuessBurst, GuessRefill), failed: map[string]time.Time{}}
}

// SetClock makes the guard's throttle read now (tests).
func (s *Service) SetClock(now func() time.Time) {
	s.Now = now
	s.guard.throttle.Now = now
}

func (g *guard) recordFailure(ctx context.Context, h *tenancy.Handle, ip string) {
	addr := ""
	if a, err := netip.ParseAddr(ip); err == nil {
		addr = a.String()
	}
	key := h.Tenant.Slug + "|" + addr
	now := g.s.Now()
	g.mu.Lock()
	last, seen := g.failed[key]
	due := !seen || now.Sub(last) >= FailureEvery || now.Before(last)
	if due {
		if len(g.failed) >= 10000 {
			for k, at := range g.failed {
				if now.Sub(at) >= FailureEvery {
					delete(g.failed, k)
				}
			}
		}
		if len(g.failed) < 10000 {
			g.failed[key] = now
		} else {
			due = false
		}
	}
	g.mu.Unlock()
	if !due {
		return
	}
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: audit.Actor{Kind: audit.ActorAnonymous}, SourceIP: addr,
			Action: "scim.auth_failed", ObjectType: "scim_token"})
		return err
	})
	if err != nil {
		g.s.log.Error("audit a refused SCIM token", "tenant", h.Tenant.Slug, "err", err)
	}
}
