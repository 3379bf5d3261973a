package identity

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/store"
	"strongroom/tenancy"
)

// temporaryAlphabet leaves out characters that are easy to misread.
const temporaryAlphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// TemporaryPassword returns a random 20-character password (about 115
// bits) for an administrator to hand over; it must be changed at first use.
func TemporaryPassword() string {
	var b strings.Builder
	max := big.NewInt(int64(len(temporaryAlphabet)))
	for i := 0; i < 20; i++ {
		n, _ := rand.Int(rand.Reader, max)
		b.WriteByte(temporaryAlphabet[n.Int64()])
		if i == 4 || i == 9 || i == 14 {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// FirstAdminName is the user name of the administrator a new tenant gets.
const FirstAdminName = "admin"

// Bootstrap sets up a new tenant's identity: the built-in roles and its
// first administrator, whose password is temporary. With adminPassword
// empty a random one is made; it is returned either way. It runs inside
// tenant creation, so a failure here leaves no tenant.
func (svc *Service) Bootstrap(ctx context.Context, h *tenancy.Handle, adminPassword string) (string, error) {
	if adminPassword == "" {
		adminPassword = TemporaryPassword()
	} else if err := checkText("admin-password", adminPassword, 15, 256); err != nil {
		return "", err
	}
	hash, err := svc.hasher.Hash(ctx, adminPassword)
	if err != nil {
		return "", err
	}
	system := audit.Actor{Kind: audit.ActorSystem}
	err = inTx(ctx, h, func(tx *store.Tx) error {
		var adminRole int64
		for _, r := range access.BuiltinRoles() {
			id, err := writeRole(ctx, tx, r)
			if err != nil {
				return err
			}
			if r.Grants[access.Administration] == access.EditGrant && adminRole == 0 {
				adminRole = id
			}
			if err := record(ctx, tx, h, system, "", event{action: "role.create", objectType: "role", objectID: id,
				changes: []audit.Change{{Field: "name", After: r.Name}, {Field: "grants", After: grantStrings(r.Grants)}}}); err != nil {
				return err
			}
		}
		if adminRole == 0 {
			return strongroom.Errorf(strongroom.EINTERNAL, "no built-in role administers the tenant")
		}
		in := UserInput{Username: FirstAdminName, DisplayName: "Administrator", RoleIDs: []int64{adminRole}}
		id, err := insertUser(ctx, tx, h, in, hash, svc.Now())
		if err != nil {
			return err
		}
		if err := setMemberships(ctx, tx, id, in.RoleIDs, nil); err != nil {
			return err
		}
		return record(ctx, tx, h, system, "", event{action: "user.create", objectType: "user", objectID: id, subject: userSubject(id),
			changes: []audit.Change{{Field: "username", After: in.Username, Personal: true}, {Field: "roles", After: in.RoleIDs}}})
	})
	if err != nil {
		return "", err
	}
	return adminPassword, nil
}
