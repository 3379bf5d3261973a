package operators

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"strongroom"
	"strongroom/store"
)

// cliSource is the source address the event log gives the command line.
const cliSource = "cli"

// VerifyCode identifies an operator on the command line by the current
// code of their authenticator app, under the same lockout as the console:
// a wrong code counts as a failed sign-in, and a code is accepted once.
func (s *Service) VerifyCode(ctx context.Context, name, code string) (*Operator, error) {
	name = strings.TrimSpace(name)
	key := "cli|" + name
	if !s.Throttle.Take(key) {
		return nil, errThrottled()
	}
	c, err := load(ctx, s.db, "name", name)
	if err != nil {
		s.Throttle.Return(key)
		return nil, err
	}
	if c == nil {
		return nil, s.fail(ctx, nil, name, "unknown_operator", cliSource)
	}
	step, err := s.checkCode(ctx, c, code, cliSource, false)
	if err != nil {
		if strongroom.ErrorCode(err) == strongroom.EINVALID {
			return nil, errSignIn()
		}
		return nil, err
	}
	s.Throttle.Return(key)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := s.useStep(ctx, tx, c.ID, step, false); err != nil {
			return err
		}
		return s.record(ctx, tx, Event{Operator: c.Name, Action: "operator.sign_in", SourceIP: cliSource, Details: map[string]string{"via": "code"}})
	})
	if err != nil {
		return nil, err
	}
	return &c.Operator, nil
}

// IssueToken makes a command-line token for op, valid for TokenLifetime;
// only its hash is stored, so it is shown once.
func (s *Service) IssueToken(ctx context.Context, op *Operator) (token string, expires time.Time, err error) {
	if op == nil {
		return "", time.Time{}, errSessionEnded()
	}
	token = "sro_" + randomToken(32)
	now := s.Now()
	expires = now.Add(TokenLifetime)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO operator_tokens (id_hash, operator_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			hashSecret(token), op.ID, store.FormatTime(now), store.FormatTime(expires)); err != nil {
			return err
		}
		return s.record(ctx, tx, Event{Operator: op.Name, Action: "operator.token_issued", SourceIP: cliSource,
			Details: map[string]string{"expires": store.FormatTime(expires)}})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return token, expires, nil
}

// AuthenticateToken returns the operator of a live command-line token.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*Operator, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, errTokenEnded()
	}
	var id int64
	var expires string
	err := s.db.QueryRowContext(ctx, `SELECT operator_id, expires_at FROM operator_tokens WHERE id_hash = ?`, hashSecret(token)).Scan(&id, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errTokenEnded()
	} else if err != nil {
		return nil, err
	}
	t, err := store.ParseTime(expires)
	if err != nil {
		return nil, err
	}
	if !s.Now().Before(t) {
		s.db.ExecContext(ctx, `DELETE FROM operator_tokens WHERE id_hash = ?`, hashSecret(token))
		return nil, errTokenEnded()
	}
	c, err := load(ctx, s.db, "id", id)
	if err != nil {
		return nil, err
	}
	if c == nil || c.disabled || s.locked(c) {
		return nil, errTokenEnded()
	}
	return &c.Operator, nil
}

func errTokenEnded() error {
	return strongroom.Errorf(strongroom.EUNAUTHORIZED, "That operator token is not valid or has expired. Get a new one with `strongroom operator token`.")
}
