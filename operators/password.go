package operators

import (
	"context"
	"crypto/rand"
	"strings"

	"strongroom"
	"strongroom/identity/password"
	"strongroom/store"
)

// ChangePassword sets a signed-in operator's password to one of their own
// choosing, after checking their current one. It is how an operator
// replaces the password their account was made with (which its maker
// knows), and how they change it later. Every other console session and
// CLI token of the operator ends; keepSession, the session the change is
// made in, stays. A wrong current password counts as a failed sign-in
// (lockout and throttling as for sign-in).
func (s *Service) ChangePassword(ctx context.Context, op *Operator, current, next, keepSession, ip string) error {
	if op == nil {
		return errSessionEnded()
	}
	c, err := load(ctx, s.db, "id", op.ID)
	if err != nil {
		return err
	}
	if c == nil || c.disabled {
		return errSessionEnded()
	}
	key := "ip|" + ip
	if !s.Throttle.Take(key) {
		return errThrottled()
	}
	if reason := s.refusal(c, true); reason != "" {
		return s.fail(ctx, c, c.Name, reason, ip)
	}
	ok, _, err := s.hasher.Verify(ctx, current, c.hash)
	if err != nil {
		s.Throttle.Return(key)
		return err
	}
	if !ok {
		if err := s.fail(ctx, c, c.Name, "wrong_current_password", ip); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
			return err
		}
		return strongroom.FieldError("current_password", "That is not your current password.")
	}
	s.Throttle.Return(key)
	if current == next {
		return strongroom.FieldError("new_password", "Choose a password other than the one you have now.")
	}
	if err := password.Check(next, c.Name, true, c.DisplayName, "strongroom", "operator"); err != nil {
		return &strongroom.Error{Code: strongroom.EINVALID, Field: "new_password", Message: strongroom.ErrorMessage(err)}
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE operators SET password_hash = ?, must_change_password = 0, failed_logins = 0, locked_until = '' WHERE id = ?`,
			hash, c.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM operator_sessions WHERE operator_id = ? AND id_hash <> ?`, c.ID, hashSecret(keepSession)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM operator_tokens WHERE operator_id = ?`, c.ID); err != nil {
			return err
		}
		details := map[string]string{}
		if c.MustChangePassword {
			details["first"] = "true" // the password the account was made with, replaced
		}
		return s.record(ctx, tx, Event{Operator: c.Name, Action: "operator.password_changed", Object: c.Name, SourceIP: ip, Details: details})
	})
}

// OneTimePassword makes a new operator's first password: 24 letters and
// digits in groups of four (about 118 bits), easy to read out and type.
// The console and the command line show it once; the operator replaces it
// at their first console sign-in.
func OneTimePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 24)
	rand.Read(b)
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}
