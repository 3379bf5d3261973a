package scim

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/erasure/personal"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// User is an account as the provider sees it.
type User struct {
	ID          int64
	UserName    string
	DisplayName string
	GivenName   string
	FamilyName  string
	Email       string
	ExternalID  string
	Active      bool
	Created     time.Time
	Modified    time.Time
	Version     int
	// Groups are the provider's groups the user belongs to.
	Groups []GroupRef
}

// GroupRef names a group a user belongs to.
type GroupRef struct {
	ID          int64
	DisplayName string
}

// userAttrs are the attributes a user filter may name.
func userAttrs(u *User) Attrs {
	return func(path string) ([]string, bool, bool) {
		if u == nil {
			u = &User{}
		}
		switch path {
		case "id":
			return []string{strconv.FormatInt(u.ID, 10)}, true, true
		case "username":
			return []string{u.UserName}, false, true
		case "displayname":
			return []string{u.DisplayName}, false, true
		case "externalid":
			return []string{u.ExternalID}, true, true
		case "emails", "emails.value":
			return []string{u.Email}, false, true
		case "name.givenname":
			return []string{u.GivenName}, false, true
		case "name.familyname":
			return []string{u.FamilyName}, false, true
		case "active":
			return []string{strconv.FormatBool(u.Active)}, false, true
		}
		return nil, false, false
	}
}

// scimRow is what scim_users holds of a user.
type scimRow struct {
	externalID             string
	given, family          string
	updated, deprovisioned string
}

// readRows reads scim_users for every user (or one, id > 0).
func readRows(ctx context.Context, h *tenancy.Handle, q querier, id int64) (map[int64]scimRow, error) {
	query := `SELECT su.user_id, su.sealed, sk.sealed_key, su.updated_at, su.deprovisioned_at FROM scim_users su
		LEFT JOIN audit_subject_keys sk ON sk.subject_id = 'user:' || CAST(su.user_id AS TEXT)`
	var args []any
	if id > 0 {
		query += ` WHERE su.user_id = ?`
		args = append(args, id)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read SCIM users: %w", err)
	}
	defer rows.Close()
	out := map[int64]scimRow{}
	for rows.Next() {
		var uid int64
		var r scimRow
		var sealed, key []byte
		if err := rows.Scan(&uid, &sealed, &key, &r.updated, &r.deprovisioned); err != nil {
			return nil, err
		}
		if sealed != nil {
			f, _, err := personal.Open(h, personal.User(uid), "scim_users", key, sealed, scimFields...)
			if err != nil {
				return nil, err
			}
			r.given, r.family, r.externalID = f["given_name"], f["family_name"], f["external_id"]
		}
		out[uid] = r
	}
	return out, rows.Err()
}

// scimFields are the personal fields of scim_users, sealed together.
var scimFields = []string{"given_name", "family_name", "external_id"}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*store.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *store.Row
}

func fromIdentity(iu *identity.User, r scimRow) *User {
	u := &User{ID: iu.ID, UserName: iu.Username, DisplayName: iu.DisplayName, Email: iu.Email, Active: iu.Status == "active",
		Created: iu.CreatedAt, Modified: iu.CreatedAt, Version: iu.Version,
		ExternalID: r.externalID, GivenName: r.given, FamilyName: r.family}
	if t, err := store.ParseTime(r.updated); err == nil && r.updated != "" {
		u.Modified = t
	}
	return u
}

// users returns every user the provider sees: all accounts but those it
// deleted.
func (s *Service) users(ctx context.Context, h *tenancy.Handle) ([]*User, error) {
	ius, err := identity.ProvisioningUsers(ctx, h)
	if err != nil {
		return nil, err
	}
	rows, err := readRows(ctx, h, h.DB, 0)
	if err != nil {
		return nil, err
	}
	out := make([]*User, 0, len(ius))
	for _, iu := range ius {
		r := rows[iu.ID]
		if r.deprovisioned != "" {
			continue
		}
		out = append(out, fromIdentity(iu, r))
	}
	return out, nil
}

// UserByExternalID finds the active user the provider provisioned with
// this externalId (compared case-exactly, as RFC 7643 has it), for single
// sign-on to link an identity of the same directory to: false when there
// is none, or more than one (then an administrator links it).
func (s *Service) UserByExternalID(ctx context.Context, h *tenancy.Handle, externalID string) (int64, bool, error) {
	if externalID == "" {
		return 0, false, nil
	}
	all, err := s.users(ctx, h)
	if err != nil {
		return 0, false, err
	}
	var found int64
	for _, u := range all {
		if u.ExternalID == externalID && u.Active {
			if found != 0 {
				return 0, false, nil
			}
			found = u.ID
		}
	}
	return found, found != 0, nil
}

// loadUser reads one user the provider sees, in q.
func (s *Service) loadUser(ctx context.Context, h *tenancy.Handle, tx *store.Tx, id int64) (*User, error) {
	iu, err := identity.LoadUserTx(ctx, tx, h, id)
	if err != nil {
		return nil, err
	}
	rows, err := readRows(ctx, h, tx, id)
	if err != nil {
		return nil, err
	}
	r := rows[id]
	if r.deprovisioned != "" {
		return nil, errNotFound("user")
	}
	return fromIdentity(iu, r), nil
}

// ParseID reads a resource id from a URL; anything else is not found.
func ParseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		return 0, errNotFound("resource")
	}
	return id, nil
}

// GetUser returns one user, with the provider's groups they belong to.
func (s *Service) GetUser(ctx context.Context, h *tenancy.Handle, c *Client, id int64) (*User, error) {
	var u *User
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		u, err = s.loadUser(ctx, h, tx, id)
		if err != nil {
			return err
		}
		u.Groups, err = userGroups(ctx, tx, id)
		return err
	})
	return u, err
}

// List is one page of a listing.
type List[T any] struct {
	Total     int
	StartIdx  int
	Resources []T
}

// Page reads startIndex and count as RFC 7644 §3.4.2.4 has them: a
// startIndex below 1 is 1, a count below 0 is 0, above MaxCount MaxCount.
func Page(startIndex, count string) (start, n int, err error) {
	start, n = 1, DefaultCount
	if startIndex != "" {
		if start, err = strconv.Atoi(startIndex); err != nil {
			return 0, 0, errValue("startIndex", "startIndex must be a whole number.")
		}
		start = max(start, 1)
	}
	if count != "" {
		if n, err = strconv.Atoi(count); err != nil {
			return 0, 0, errValue("count", "count must be a whole number.")
		}
		n = min(max(n, 0), MaxCount)
	}
	return start, n, nil
}

func page[T any](all []T, start, n int) List[T] {
	l := List[T]{Total: len(all), StartIdx: start, Resources: []T{}}
	if start-1 < len(all) {
		l.Resources = all[start-1 : min(len(all), start-1+n)]
	}
	return l
}

// ListUsers returns the users that pass filter, a page of them.
func (s *Service) ListUsers(ctx context.Context, h *tenancy.Handle, c *Client, filter string, start, n int) (*List[*User], error) {
	var f Filter
	if filter != "" {
		var err error
		if f, err = ParseFilter(filter, userAttrs(nil)); err != nil {
			return nil, err
		}
	}
	all, err := s.users(ctx, h)
	if err != nil {
		return nil, err
	}
	var hits []*User
	for _, u := range all {
		if Matches(f, userAttrs(u)) {
			hits = append(hits, u)
		}
	}
	l := page(hits, start, n)
	return &l, nil
}

// CreateUser makes the account a POST /Users describes. A user name the
// provider deleted before brings that account back, updated; one another
// account holds is a uniqueness conflict.
func (s *Service) CreateUser(ctx context.Context, h *tenancy.Handle, c *Client, body []byte) (*User, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	u := &User{Active: true}
	if err := setUser(u, obj); err != nil {
		return nil, err
	}
	if err := u.check(); err != nil {
		return nil, err
	}
	hash, err := s.Identity.NoPasswordHash(ctx)
	if err != nil {
		return nil, err
	}
	var id int64
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		var gone int64
		err := tx.QueryRowContext(ctx, `SELECT u.id FROM users u JOIN scim_users su ON su.user_id = u.id
			WHERE u.username_key = ? AND su.deprovisioned_at <> ''`, identity.UsernameKey(u.UserName)).Scan(&gone)
		switch {
		case err == nil:
			id = gone
			if _, err := tx.ExecContext(ctx, `UPDATE scim_users SET deprovisioned_at = '' WHERE user_id = ?`, id); err != nil {
				return err
			}
			before, err := s.loadUser(ctx, h, tx, id)
			if err != nil {
				return err
			}
			return s.write(ctx, h, tx, c, before, u)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		id, err = s.Identity.ProvisionUser(ctx, tx, h, c.actor(), c.IP, u.provisioned(), hash)
		if err != nil {
			return attrError(err)
		}
		return s.writeRow(ctx, h, tx, c, id, nil, u)
	})
	if err != nil {
		return nil, err
	}
	return s.GetUser(ctx, h, c, id)
}

// ReplaceUser sets a user to what a PUT describes: attributes it leaves
// out are cleared (active, left out, stays as it is).
func (s *Service) ReplaceUser(ctx context.Context, h *tenancy.Handle, c *Client, id int64, body []byte) (*User, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		before, err := s.loadUser(ctx, h, tx, id)
		if err != nil {
			return err
		}
		u := &User{ID: id, Active: before.Active}
		if err := setUser(u, obj); err != nil {
			return err
		}
		if err := u.check(); err != nil {
			return err
		}
		return s.write(ctx, h, tx, c, before, u)
	})
	if err != nil {
		return nil, err
	}
	return s.GetUser(ctx, h, c, id)
}

// PatchUser applies a PATCH's operations, all or none.
func (s *Service) PatchUser(ctx context.Context, h *tenancy.Handle, c *Client, id int64, body []byte) (*User, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return nil, err
	}
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		before, err := s.loadUser(ctx, h, tx, id)
		if err != nil {
			return err
		}
		u := *before
		for _, op := range ops {
			if err := patchUser(&u, op); err != nil {
				return err
			}
		}
		if err := u.check(); err != nil {
			return err
		}
		return s.write(ctx, h, tx, c, before, &u)
	})
	if err != nil {
		return nil, err
	}
	return s.GetUser(ctx, h, c, id)
}

// DeleteUser deactivates the account (its sessions end at once) and hides
// it from the provider; the account and its history stay.
func (s *Service) DeleteUser(ctx context.Context, h *tenancy.Handle, c *Client, id int64) error {
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		before, err := s.loadUser(ctx, h, tx, id)
		if err != nil {
			return err
		}
		after := *before
		after.Active = false
		if err := s.write(ctx, h, tx, c, before, &after); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE scim_users SET deprovisioned_at = ? WHERE user_id = ?`, store.FormatTime(s.Now()), id); err != nil {
			return err
		}
		groups, err := userGroups(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if err := s.setMember(ctx, h, tx, c.actor(), c.IP, g.ID, id, false); err != nil {
				return err
			}
		}
		_, err = h.Audit.Append(ctx, tx, audit.Event{Actor: c.actor(), SourceIP: c.IP, Action: "scim.user_delete",
			ObjectType: "user", ObjectID: strconv.FormatInt(id, 10)})
		return err
	})
	if err == nil {
		s.publishMembers(h, 0, id)
	}
	return err
}

// check fills what the account needs from what was sent: a display name
// from the name parts or, failing them, the user name.
func (u *User) check() error {
	if u.UserName == "" {
		return errValue("userName", "userName is required.")
	}
	if u.DisplayName == "" {
		u.DisplayName = joinName(u.GivenName, u.FamilyName)
	}
	if u.DisplayName == "" {
		u.DisplayName = u.UserName
	}
	return nil
}

func joinName(given, family string) string {
	switch {
	case given == "":
		return family
	case family == "":
		return given
	}
	return given + " " + family
}

func (u *User) provisioned() identity.Provisioned {
	return identity.Provisioned{Username: u.UserName, DisplayName: u.DisplayName, Email: u.Email, Active: u.Active}
}

// attrError names an identity field by its SCIM attribute.
func attrError(err error) error {
	var e *strongroom.Error
	if !errors.As(err, &e) || e.Field == "" {
		return err
	}
	names := map[string]string{"username": "userName", "display_name": "displayName", "email": "emails"}
	name, ok := names[e.Field]
	if !ok {
		return err
	}
	typ := "invalidValue"
	if e.Code == strongroom.ECONFLICT {
		typ = "uniqueness"
	}
	return &Error{Type: typ, Err: &strongroom.Error{Code: e.Code, Field: name, Message: name + ": " + e.Message}}
}

// write saves after over before, in tx.
func (s *Service) write(ctx context.Context, h *tenancy.Handle, tx *store.Tx, c *Client, before, after *User) error {
	if err := s.Identity.UpdateProvisionedUser(ctx, tx, h, c.actor(), c.IP, before.ID, after.provisioned()); err != nil {
		if strongroom.ErrorCode(err) == strongroom.ECONFLICT && strongroom.ErrorField(err) == "" {
			return &Error{Type: "mutability", Err: &strongroom.Error{Code: strongroom.ECONFLICT, Message: strongroom.ErrorMessage(err)}}
		}
		return attrError(err)
	}
	return s.writeRow(ctx, h, tx, c, before.ID, before, after)
}

// writeRow keeps the provider's own attributes of a user, auditing a
// change of them.
func (s *Service) writeRow(ctx context.Context, h *tenancy.Handle, tx *store.Tx, c *Client, id int64, before, after *User) error {
	if before == nil {
		before = &User{}
	}
	var changes []audit.Change
	add := func(field, b, a string) {
		if b != a {
			changes = append(changes, audit.Change{Field: field, Before: b, After: a, Personal: true})
		}
	}
	add("external_id", before.ExternalID, after.ExternalID)
	add("given_name", before.GivenName, after.GivenName)
	add("family_name", before.FamilyName, after.FamilyName)
	var sealed []byte
	if after.GivenName != "" || after.FamilyName != "" || after.ExternalID != "" {
		var err error
		sealed, err = personal.Seal(ctx, tx, h, personal.User(id), "scim_users",
			map[string]string{"given_name": after.GivenName, "family_name": after.FamilyName, "external_id": after.ExternalID})
		if err != nil {
			return err
		}
	}
	now := store.FormatTime(s.Now())
	if _, err := tx.ExecContext(ctx, `INSERT INTO scim_users (user_id, sealed, created_at, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
		id, sealed, now, now); err != nil {
		return fmt.Errorf("write SCIM user %d: %w", id, err)
	}
	if len(changes) == 0 {
		return nil
	}
	_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: c.actor(), SourceIP: c.IP, Action: "scim.user_update",
		ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), Changes: changes, SubjectID: personal.User(id)})
	return err
}
