package identity

import (
	"context"
	"fmt"
	"slices"

	"strongroom"
	"strongroom/audit"
	"strongroom/store"
	"strongroom/tenancy"
)

// Provisioning: an identity provider's client (package scim) creates,
// changes and deactivates accounts on the tenant's behalf. Its calls run
// in a transaction of the caller's, so that the provider's own records of
// a user commit with the account and its audit events, and they are
// audited as done by the client (audit.ActorSCIM), not by a user.
//
// An account made this way has no password anyone knows: it signs in by
// single sign-on, or by a password only once an administrator resets one.

// Provisioned is what a provider sets on an account.
type Provisioned struct {
	Username    string
	DisplayName string
	Email       string
	Active      bool
}

func (in *Provisioned) validate() error {
	u := UserInput{Username: in.Username, DisplayName: in.DisplayName, Email: in.Email}
	return u.validate()
}

// NoPasswordHash returns a password hash of 256 random bits that are
// thrown away at once: stored for an account made by a provider, it never
// verifies, and a sign-in against it costs what any other does, so the
// answer and its timing do not tell such an account from another. Call it
// before the transaction: hashing takes a while.
func (svc *Service) NoPasswordHash(ctx context.Context) (string, error) {
	return svc.hasher.Hash(ctx, randomToken(32))
}

// ProvisionUser makes an account in tx, with hash (NoPasswordHash) as its
// password hash, active or disabled as in says. A taken user name is an
// ECONFLICT naming "username".
func (svc *Service) ProvisionUser(ctx context.Context, tx *store.Tx, h *tenancy.Handle, actor audit.Actor, ip string, in Provisioned, hash string) (int64, error) {
	if err := in.validate(); err != nil {
		return 0, err
	}
	id, err := insertUser(ctx, tx, h, UserInput{Username: in.Username, DisplayName: in.DisplayName, Email: in.Email}, hash, svc.Now())
	if err != nil {
		return 0, err
	}
	status := statusOf(in.Active)
	// No password was set by anyone, so there is none to change first.
	if _, err := tx.ExecContext(ctx, `UPDATE users SET password_temporary = 0, status = ? WHERE id = ?`, status, id); err != nil {
		return 0, fmt.Errorf("provision user %d: %w", id, err)
	}
	err = record(ctx, tx, h, actor, ip, event{action: "user.create", objectType: "user", objectID: id,
		subject: userSubject(id), changes: []audit.Change{
			{Field: "username", After: in.Username, Personal: true},
			{Field: "display_name", After: in.DisplayName, Personal: true},
			{Field: "email", After: in.Email, Personal: true},
			{Field: "status", After: status},
		}})
	return id, err
}

func statusOf(active bool) string {
	if active {
		return "active"
	}
	return "disabled"
}

// LoadUserTx reads one account in tx, with its role and class ids.
func LoadUserTx(ctx context.Context, tx *store.Tx, h *tenancy.Handle, id int64) (*User, error) {
	return loadUser(ctx, h, tx, id)
}

// UpdateProvisionedUser sets an account's name, display name, e-mail and
// status in tx. Deactivating it ends its sessions at once; a change that
// would leave the tenant without an active administrator is refused.
func (svc *Service) UpdateProvisionedUser(ctx context.Context, tx *store.Tx, h *tenancy.Handle, actor audit.Actor, ip string, id int64, in Provisioned) error {
	if err := in.validate(); err != nil {
		return err
	}
	before, err := loadUser(ctx, h, tx, id)
	if err != nil {
		return err
	}
	if before.Erased {
		return strongroom.Errorf(strongroom.ECONFLICT, "This user's personal data has been erased; the account cannot be changed.")
	}
	key := UsernameKey(in.Username)
	if exists(ctx, tx, `SELECT COUNT(*) FROM users WHERE username_key = ? AND id <> ?`, key, id) {
		return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "username", Message: "That user name is taken."}
	}
	changes := diffUser(before, UserInput{Username: in.Username, DisplayName: in.DisplayName, Email: in.Email,
		Restricted: before.Restricted, RoleIDs: before.RoleIDs, ClassIDs: before.ClassIDs})
	status := statusOf(in.Active)
	if len(changes) == 0 && status == before.Status {
		return nil
	}
	now := store.FormatTime(svc.Now())
	if _, err := tx.ExecContext(ctx, `UPDATE users SET username = ?, username_key = ?, status = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
		in.Username, key, status, now, id); err != nil {
		return fmt.Errorf("update user %d: %w", id, err)
	}
	if len(changes) > 0 {
		if err := sealUser(ctx, tx, h, id, in.DisplayName, in.Email); err != nil {
			return err
		}
		if err := record(ctx, tx, h, actor, ip, event{action: "user.update", objectType: "user", objectID: id,
			subject: userSubject(id), changes: changes}); err != nil {
			return err
		}
	}
	if status == before.Status {
		return nil
	}
	action := "user.enable"
	if status == "disabled" {
		action = "user.disable"
		if err := endSessions(ctx, tx, id); err != nil {
			return err
		}
		if err := ensureAdministrator(ctx, tx); err != nil {
			return err
		}
	}
	return record(ctx, tx, h, actor, ip, event{action: action, objectType: "user", objectID: id,
		changes: []audit.Change{{Field: "status", Before: before.Status, After: status}}})
}

// SetProvisionedRoles gives the account the roles add and takes away the
// roles remove, in tx, audited as one user.update of its roles. Unknown
// role ids in add are refused; one already held or not held is left.
func (svc *Service) SetProvisionedRoles(ctx context.Context, tx *store.Tx, h *tenancy.Handle, actor audit.Actor, ip string, userID int64, add, remove []int64) error {
	before, err := ids(ctx, tx, `SELECT role_id FROM user_roles WHERE user_id = ? ORDER BY role_id`, userID)
	if err != nil {
		return err
	}
	for _, r := range dedupe(remove) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = ? AND role_id = ?`, userID, r); err != nil {
			return err
		}
	}
	for _, r := range dedupe(add) {
		if !exists(ctx, tx, `SELECT COUNT(*) FROM roles WHERE id = ?`, r) {
			return strongroom.FieldError("roles", "There is no role %d.", r)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, userID, r); err != nil {
			return err
		}
	}
	after, err := ids(ctx, tx, `SELECT role_id FROM user_roles WHERE user_id = ? ORDER BY role_id`, userID)
	if err != nil {
		return err
	}
	if slices.Equal(before, after) {
		return nil
	}
	if err := ensureAdministrator(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET version = version + 1, updated_at = ? WHERE id = ?`, store.FormatTime(svc.Now()), userID); err != nil {
		return err
	}
	return record(ctx, tx, h, actor, ip, event{action: "user.update", objectType: "user", objectID: userID,
		changes: []audit.Change{{Field: "roles", Before: nonNil(before), After: nonNil(after)}}})
}

func nonNil(v []int64) []int64 {
	if v == nil {
		return []int64{}
	}
	return v
}

// ProvisioningUsers returns every account of the tenant, by id, for the
// provisioning client, which lists and filters them itself (their names
// are sealed, so a query cannot compare them).
func ProvisioningUsers(ctx context.Context, h *tenancy.Handle) ([]*User, error) {
	return scanUsers(ctx, h, h.DB, `SELECT `+userColumns+` FROM `+userFrom+` ORDER BY users.id`)
}
