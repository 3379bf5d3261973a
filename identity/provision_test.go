package identity_test

import (
	"context"
	"testing"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/store/storetest"
)

// TestProvision: an account a provider makes has no password anyone
// knows (no sign-in by password, the same refusal as a wrong one, and
// nothing to change first), is audited as the provider's client, and the
// provider cannot leave the tenant without an administrator.
func TestProvision(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e, fastParams)
		ctx := context.Background()
		client := audit.Actor{Kind: audit.ActorSCIM, ID: "3"}
		hash, err := f.svc.NoPasswordHash(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		err = f.h.DB.InTx(ctx, func(tx *store.Tx) error {
			id, err = f.svc.ProvisionUser(ctx, tx, f.h, client, "192.0.2.9",
				identity.Provisioned{Username: "dana@firm.example", DisplayName: "Dana", Active: true}, hash)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		u, err := f.svc.GetUser(ctx, f.h, f.admin, id)
		if err != nil || u.PasswordTemporary || u.Status != "active" {
			t.Fatalf("provisioned: %+v %v", u, err)
		}
		for _, pw := range []string{"", "dana@firm.example", hash} {
			if _, err := f.svc.Login(ctx, f.h, "dana@firm.example", pw, "192.0.2.80", "test"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
				t.Fatalf("sign-in with %q: %v", pw, err)
			}
		}
		err = f.h.DB.InTx(ctx, func(tx *store.Tx) error {
			_, err := f.svc.ProvisionUser(ctx, tx, f.h, client, "", identity.Provisioned{Username: "DANA@firm.example", DisplayName: "D", Active: true}, hash)
			return err
		})
		if strongroom.ErrorCode(err) != strongroom.ECONFLICT || strongroom.ErrorField(err) != "username" {
			t.Fatalf("taken name: %v", err)
		}
		err = f.h.DB.InTx(ctx, func(tx *store.Tx) error {
			return f.svc.SetProvisionedRoles(ctx, tx, f.h, client, "", id, []int64{999}, nil)
		})
		if strongroom.ErrorField(err) != "roles" {
			t.Fatalf("unknown role: %v", err)
		}
		admin, _ := f.svc.GetUser(ctx, f.h, f.admin, f.admin.User.ID)
		err = f.h.DB.InTx(ctx, func(tx *store.Tx) error {
			return f.svc.SetProvisionedRoles(ctx, tx, f.h, client, "", admin.ID, nil, admin.RoleIDs)
		})
		if strongroom.ErrorCode(err) != strongroom.ECONFLICT {
			t.Fatalf("taking the last administrator's role: %v", err)
		}
		err = f.h.DB.InTx(ctx, func(tx *store.Tx) error {
			return f.svc.UpdateProvisionedUser(ctx, tx, f.h, client, "", admin.ID,
				identity.Provisioned{Username: admin.Username, DisplayName: admin.DisplayName, Active: false})
		})
		if strongroom.ErrorCode(err) != strongroom.ECONFLICT {
			t.Fatalf("deactivating the last administrator: %v", err)
		}
		evs, err := f.h.Audit.Events(ctx, 0, 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		var created bool
		for _, ev := range evs {
			if ev.Action == "user.create" && ev.Actor == client && ev.SourceIP == "192.0.2.9" {
				created = true
			}
		}
		if !created {
			t.Fatal("no user.create by the SCIM client")
		}
	})
}
