package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/erasure/personal"
	"strongroom/store"
	"strongroom/tenancy"
)

// User is an account of a tenant. Secrets (the password hash, the TOTP
// secret) stay in the database and are never loaded into this struct.
type User struct {
	ID                int64
	Username          string
	DisplayName       string
	Email             string
	Status            string // "active" or "disabled"
	Restricted        bool
	PasswordTemporary bool
	FailedLogins      int
	LockedAt          time.Time // zero when not locked
	TOTPEnabled       bool
	CreatedAt         time.Time
	Version           int
	RoleIDs           []int64
	ClassIDs          []int64
	// Erased is set when the user's key is gone: DisplayName and Email
	// read personal.Erased.
	Erased bool

	sealed, sealedKey []byte // as read, until opened
}

// open replaces the sealed fields as read by their values. A row written
// before fields were sealed (sealed NULL) keeps its plaintext columns.
func (u *User) open(h *tenancy.Handle) error {
	if u.sealed == nil {
		return nil
	}
	f, erased, err := personal.Open(h, personal.User(u.ID), "users", u.sealedKey, u.sealed, personal.UserFields...)
	if err != nil {
		return err
	}
	u.DisplayName, u.Email, u.Erased = f["display_name"], f["email"], erased
	u.sealed, u.sealedKey = nil, nil
	return nil
}

// sealUser writes a user's personal fields sealed under their key and
// empties the plaintext columns.
func sealUser(ctx context.Context, tx *store.Tx, h *tenancy.Handle, id int64, displayName, email string) error {
	sealed, err := personal.Seal(ctx, tx, h, personal.User(id), "users",
		map[string]string{"display_name": displayName, "email": email})
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET sealed = ?, display_name = '', email = '' WHERE id = ?`, sealed, id); err != nil {
		return fmt.Errorf("seal user %d: %w", id, err)
	}
	return nil
}

// DisplayNames maps user ids to display names (personal.Erased for an
// erased user), for pages and lists that name users; ids nil means every
// user. Unknown ids are left out.
func DisplayNames(ctx context.Context, h *tenancy.Handle, ids []int64) (map[int64]string, error) {
	query := `SELECT ` + userColumns + ` FROM ` + userFrom
	var args []any
	if ids != nil {
		if len(ids) == 0 {
			return map[int64]string{}, nil
		}
		in, list := store.IDList(ids)
		query += ` WHERE users.id IN (` + in + `)`
		args = list
	}
	users, err := scanUsers(ctx, h, h.DB, query, args...)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(users))
	for _, u := range users {
		out[u.ID] = u.DisplayName
	}
	return out, nil
}

// scanUsers runs a query over userColumns and opens every user read.
func scanUsers(ctx context.Context, h *tenancy.Handle, q rowsQuerier, query string, args ...any) ([]*User, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	var users []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		users = append(users, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, u := range users {
		if err := u.open(h); err != nil {
			return nil, err
		}
	}
	return users, nil
}

// Locked reports whether the account is locked.
func (u *User) Locked() bool { return !u.LockedAt.IsZero() }

// UsernameKey is how user names are compared: NFKC, then case folded. "ÅSA",
// "åsa" and the full-width "ａｓａ" style variants all name one user.
func UsernameKey(name string) string {
	return cases.Fold().String(norm.NFKC.String(name))
}

// ValidateUsername checks a user name.
func ValidateUsername(name string) error {
	if err := checkText("username", name, 2, 64); err != nil {
		return err
	}
	if strings.ContainsAny(name, " \t") {
		return strongroom.FieldError("username", "A user name may not hold spaces.")
	}
	return nil
}

// UserInput is what an administrator sets on a user.
type UserInput struct {
	Username    string
	DisplayName string
	Email       string
	Restricted  bool
	RoleIDs     []int64
	ClassIDs    []int64
	Version     int // for updates: the version the edit is based on
}

// validate checks the input, reporting every problem at once.
func (in *UserInput) validate() error {
	var ps strongroom.Problems
	ps.Add(ValidateUsername(in.Username))
	ps.Add(checkText("display_name", in.DisplayName, 1, 200))
	ps.Add(checkEmail(in.Email))
	return ps.Err()
}

// checkEmail checks an optional e-mail address.
func checkEmail(email string) error {
	if email == "" {
		return nil
	}
	if err := checkText("email", email, 3, 254); err != nil {
		return err
	}
	if at := strings.LastIndexByte(email, '@'); at < 1 || at == len(email)-1 || strings.ContainsAny(email, " <>") {
		return strongroom.FieldError("email", "This is not an e-mail address.")
	}
	return nil
}

const userColumns = `users.id, users.username, users.display_name, users.email, users.status, users.restricted,
	users.password_temporary, users.failed_logins, users.locked_at, users.totp_enabled, users.created_at, users.version,
	users.sealed, sk.sealed_key`

// userFrom joins a user to their key, which may be gone.
const userFrom = `users LEFT JOIN audit_subject_keys sk ON sk.subject_id = 'user:' || CAST(users.id AS TEXT)`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var restricted, temporary, totp int
	var locked, created string
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Email, &u.Status, &restricted, &temporary,
		&u.FailedLogins, &locked, &totp, &created, &u.Version, &u.sealed, &u.sealedKey)
	if err != nil {
		return nil, err
	}
	u.Restricted, u.PasswordTemporary, u.TOTPEnabled = restricted == 1, temporary == 1, totp == 1
	if locked != "" {
		u.LockedAt, _ = store.ParseTime(locked)
	}
	u.CreatedAt, _ = store.ParseTime(created)
	return &u, nil
}

// loadUser reads a user with their role and class ids.
func loadUser(ctx context.Context, h *tenancy.Handle, q rowsQuerier, id int64) (*User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM `+userFrom+` WHERE users.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user")
	} else if err != nil {
		return nil, fmt.Errorf("load user %d: %w", id, err)
	}
	if err := u.open(h); err != nil {
		return nil, err
	}
	if u.RoleIDs, err = ids(ctx, q, `SELECT role_id FROM user_roles WHERE user_id = ? ORDER BY role_id`, id); err != nil {
		return nil, err
	}
	if u.ClassIDs, err = ids(ctx, q, `SELECT class_id FROM user_classes WHERE user_id = ? ORDER BY class_id`, id); err != nil {
		return nil, err
	}
	return u, nil
}

func ids(ctx context.Context, q rowsQuerier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// subjectOf builds what package access decides with: the user's roles and
// classes as they are now, so a permission change applies to the next request.
func subjectOf(ctx context.Context, q rowsQuerier, u *User) (*access.Subject, error) {
	roles, err := loadRoles(ctx, q, u.RoleIDs)
	if err != nil {
		return nil, err
	}
	return access.NewSubject(u.ID, u.Restricted, u.ClassIDs, roles), nil
}

// ListUsers returns every user of the tenant, for administrators.
func (svc *Service) ListUsers(ctx context.Context, h *tenancy.Handle, p *Principal) ([]*User, error) {
	if err := p.Subject.Require(access.Administration, access.Read); err != nil {
		return nil, err
	}
	personal.EnsureSealed(ctx, h) // rows written in clear: sealed in the background
	users, err := scanUsers(ctx, h, h.DB, `SELECT `+userColumns+` FROM `+userFrom+` ORDER BY users.username_key`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	for _, u := range users {
		if u.RoleIDs, err = ids(ctx, h.DB, `SELECT role_id FROM user_roles WHERE user_id = ? ORDER BY role_id`, u.ID); err != nil {
			return nil, err
		}
		if u.ClassIDs, err = ids(ctx, h.DB, `SELECT class_id FROM user_classes WHERE user_id = ? ORDER BY class_id`, u.ID); err != nil {
			return nil, err
		}
	}
	return users, nil
}

// GetUser returns one user, for administrators or the user themself.
func (svc *Service) GetUser(ctx context.Context, h *tenancy.Handle, p *Principal, id int64) (*User, error) {
	if p.User.ID != id {
		if err := p.Subject.Require(access.Administration, access.Read); err != nil {
			return nil, err
		}
	}
	return loadUser(ctx, h, h.DB, id)
}

// CreateUser makes an account with a temporary password, returned once:
// the user must change it at the first sign-in.
func (svc *Service) CreateUser(ctx context.Context, h *tenancy.Handle, p *Principal, in UserInput) (*User, string, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, "", err
	}
	if err := in.validate(); err != nil {
		return nil, "", err
	}
	temp := TemporaryPassword()
	hash, err := svc.hasher.Hash(ctx, temp)
	if err != nil {
		return nil, "", err
	}
	var id int64
	err = inTx(ctx, h, func(tx *store.Tx) error {
		var err error
		id, err = insertUser(ctx, tx, h, in, hash, svc.Now())
		if err != nil {
			return err
		}
		if err := setMemberships(ctx, tx, id, in.RoleIDs, in.ClassIDs); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "user.create", objectType: "user", objectID: id,
			subject: userSubject(id), changes: []audit.Change{
				{Field: "username", After: in.Username, Personal: true},
				{Field: "display_name", After: in.DisplayName, Personal: true},
				{Field: "email", After: in.Email, Personal: true},
				{Field: "restricted", After: in.Restricted}, {Field: "roles", After: sortedIDs(in.RoleIDs)},
				{Field: "classes", After: sortedIDs(in.ClassIDs)},
			}})
	})
	if err != nil {
		return nil, "", err
	}
	u, err := loadUser(ctx, h, h.DB, id)
	return u, temp, err
}

func insertUser(ctx context.Context, tx *store.Tx, h *tenancy.Handle, in UserInput, hash string, now time.Time) (int64, error) {
	key := UsernameKey(in.Username)
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE username_key = ?`, key).Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, &strongroom.Error{Code: strongroom.ECONFLICT, Field: "username", Message: "That user name is taken."}
	}
	t := store.FormatTime(now)
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO users (username, username_key, display_name, email, status, restricted,
		password_hash, password_temporary, password_changed_at, created_at, updated_at)
		VALUES (?, ?, '', '', 'active', ?, ?, 1, ?, ?, ?) RETURNING id`,
		in.Username, key, boolInt(in.Restricted), hash, t, t, t).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert user: %w", err)
	}
	return id, sealUser(ctx, tx, h, id, in.DisplayName, in.Email)
}

// setMemberships replaces a user's roles and classes, refusing unknown ids.
func setMemberships(ctx context.Context, tx *store.Tx, userID int64, roleIDs, classIDs []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, r := range dedupe(roleIDs) {
		if !exists(ctx, tx, `SELECT COUNT(*) FROM roles WHERE id = ?`, r) {
			return strongroom.FieldError("roles", "There is no role %d.", r)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)`, userID, r); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_classes WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, c := range dedupe(classIDs) {
		if !exists(ctx, tx, `SELECT COUNT(*) FROM security_classes WHERE id = ?`, c) {
			return strongroom.FieldError("classes", "There is no security class %d.", c)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_classes (user_id, class_id) VALUES (?, ?)`, userID, c); err != nil {
			return err
		}
	}
	return nil
}

func exists(ctx context.Context, tx *store.Tx, query string, args ...any) bool {
	var n int
	return tx.QueryRowContext(ctx, query, args...).Scan(&n) == nil && n > 0
}

// userSubject names a user as the subject of personal values in the log.
func userSubject(id int64) string { return fmt.Sprintf("user:%d", id) }

func sortedIDs(in []int64) []int64 {
	out := dedupe(in)
	slices.Sort(out)
	return out
}

func dedupe(in []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// UpdateUser changes a user's names, restriction, roles and classes. The
// edit must be based on the current version; a stale one is a conflict.
func (svc *Service) UpdateUser(ctx context.Context, h *tenancy.Handle, p *Principal, id int64, in UserInput) (*User, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	err := inTx(ctx, h, func(tx *store.Tx) error {
		before, err := loadUser(ctx, h, tx, id)
		if err != nil {
			return err
		}
		if in.Version != before.Version {
			return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "version",
				Message: "Someone else changed this user since you opened it. Reload and make your change again."}
		}
		key := UsernameKey(in.Username)
		if exists(ctx, tx, `SELECT COUNT(*) FROM users WHERE username_key = ? AND id <> ?`, key, id) {
			return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "username", Message: "That user name is taken."}
		}
		if before.Erased {
			return strongroom.Errorf(strongroom.ECONFLICT, "This user's personal data has been erased; the account cannot be changed.")
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET username = ?, username_key = ?, restricted = ?,
			updated_at = ?, version = version + 1 WHERE id = ?`,
			in.Username, key, boolInt(in.Restricted), store.FormatTime(svc.Now()), id)
		if err != nil {
			return fmt.Errorf("update user %d: %w", id, err)
		}
		if err := sealUser(ctx, tx, h, id, in.DisplayName, in.Email); err != nil {
			return err
		}
		if err := setMemberships(ctx, tx, id, in.RoleIDs, in.ClassIDs); err != nil {
			return err
		}
		if err := ensureAdministrator(ctx, tx); err != nil {
			return err
		}
		changes := diffUser(before, in)
		if len(changes) == 0 {
			return nil
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "user.update", objectType: "user", objectID: id,
			subject: userSubject(id), changes: changes})
	})
	if err != nil {
		return nil, err
	}
	return loadUser(ctx, h, h.DB, id)
}

func diffUser(u *User, in UserInput) []audit.Change {
	var cs []audit.Change
	add := func(field string, before, after any) {
		if fmt.Sprint(before) != fmt.Sprint(after) {
			cs = append(cs, audit.Change{Field: field, Before: before, After: after})
		}
	}
	personal := func(field, before, after string) {
		if before != after {
			cs = append(cs, audit.Change{Field: field, Before: before, After: after, Personal: true})
		}
	}
	personal("username", u.Username, in.Username)
	personal("display_name", u.DisplayName, in.DisplayName)
	personal("email", u.Email, in.Email)
	add("restricted", u.Restricted, in.Restricted)
	add("roles", u.RoleIDs, sortedIDs(in.RoleIDs))
	add("classes", u.ClassIDs, sortedIDs(in.ClassIDs))
	return cs
}

// SetUserStatus disables or re-enables an account. Disabling ends the
// user's sessions at once.
func (svc *Service) SetUserStatus(ctx context.Context, h *tenancy.Handle, p *Principal, id int64, disabled bool) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	status, action := "active", "user.enable"
	if disabled {
		status, action = "disabled", "user.disable"
	}
	return inTx(ctx, h, func(tx *store.Tx) error {
		u, err := loadUser(ctx, h, tx, id)
		if err != nil {
			return err
		}
		if u.Status == status {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET status = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
			status, store.FormatTime(svc.Now()), id); err != nil {
			return err
		}
		if disabled {
			if err := endSessions(ctx, tx, id); err != nil {
				return err
			}
		}
		if err := ensureAdministrator(ctx, tx); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: action, objectType: "user", objectID: id,
			changes: []audit.Change{{Field: "status", Before: u.Status, After: status}}})
	})
}

// DeleteUser removes an account, its sessions, tokens and memberships.
// Audit events keep naming the user by id.
func (svc *Service) DeleteUser(ctx context.Context, h *tenancy.Handle, p *Principal, id int64) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	return inTx(ctx, h, func(tx *store.Tx) error {
		u, err := loadUser(ctx, h, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete user %d: %w", id, err)
		}
		if err := ensureAdministrator(ctx, tx); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "user.delete", objectType: "user", objectID: id,
			subject: userSubject(id), changes: []audit.Change{{Field: "username", Before: u.Username, Personal: true}}})
	})
}

// ResetPassword gives a user a new temporary password, returned once, and
// ends their sessions. The administrator never learns the permanent one.
func (svc *Service) ResetPassword(ctx context.Context, h *tenancy.Handle, p *Principal, id int64) (string, error) {
	if err := p.RequireAdmin(); err != nil {
		return "", err
	}
	temp := TemporaryPassword()
	hash, err := svc.hasher.Hash(ctx, temp)
	if err != nil {
		return "", err
	}
	err = inTx(ctx, h, func(tx *store.Tx) error {
		if _, err := loadUser(ctx, h, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, password_temporary = 1, password_changed_at = ?,
			updated_at = ?, version = version + 1 WHERE id = ?`, hash, store.FormatTime(svc.Now()), store.FormatTime(svc.Now()), id); err != nil {
			return err
		}
		if err := endSessions(ctx, tx, id); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "auth.password_reset", objectType: "user", objectID: id})
	})
	return temp, err
}

// Unlock clears a user's lockout and failure count.
func (svc *Service) Unlock(ctx context.Context, h *tenancy.Handle, p *Principal, id int64) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	return inTx(ctx, h, func(tx *store.Tx) error {
		u, err := loadUser(ctx, h, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_at = '', version = version + 1 WHERE id = ?`, id); err != nil {
			return err
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "auth.unlock", objectType: "user", objectID: id,
			changes: []audit.Change{{Field: "failed_logins", Before: u.FailedLogins, After: 0}}})
	})
}

// LoginFailure is one failed sign-in of a known user.
type LoginFailure struct {
	At       time.Time
	SourceIP string
}

// LoginFailures returns a user's recent failed sign-ins, newest first.
func (svc *Service) LoginFailures(ctx context.Context, h *tenancy.Handle, p *Principal, id int64) ([]LoginFailure, error) {
	if err := p.Subject.Require(access.Administration, access.Read); err != nil {
		return nil, err
	}
	rows, err := h.DB.QueryContext(ctx, `SELECT at, source_ip FROM login_failures WHERE user_id = ? ORDER BY id DESC LIMIT 100`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LoginFailure
	for rows.Next() {
		var at string
		var f LoginFailure
		if err := rows.Scan(&at, &f.SourceIP); err != nil {
			return nil, err
		}
		f.At, _ = store.ParseTime(at)
		out = append(out, f)
	}
	return out, rows.Err()
}
