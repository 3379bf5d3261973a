package identity_test

import (
	"context"
	"testing"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/tenancy"
)

// TestSignInExternal opens sessions for users an identity provider signed
// in: a full one recorded as such, none for a locked, disabled or unknown
// user (each audited), and a password refused by the gate only once it
// was right.
func TestSignInExternal(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		p, pw := f.newUser("ann", identity.UserInput{RoleIDs: []int64{f.role(access.StaffRole)}})
		id := p.User.ID
		in := identity.External{UserID: id, Method: identity.MethodSSO, IP: "198.51.100.9", UserAgent: "test", Details: map[string]string{"provider": "3"}}

		res, err := f.svc.SignInExternal(ctx, f.h, in)
		if err != nil || res.SecondFactor {
			t.Fatalf("%+v %v", res, err)
		}
		if got := f.session(res.Token); got.User.ID != id {
			t.Fatalf("session of %d", got.User.ID)
		}
		var n int
		if err := f.h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE user_id = ? AND method = 'sso'`, id).Scan(&n); err != nil || n != 1 {
			t.Fatalf("sessions opened by single sign-on: %d %v", n, err)
		}

		refused := func(what string) {
			t.Helper()
			if _, err := f.svc.SignInExternal(ctx, f.h, in); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
				t.Fatalf("%s user signed in: %v", what, err)
			}
		}
		for i := 0; i < 5; i++ { // the default threshold locks the account
			f.svc.Login(ctx, f.h, "ann", "wrong", "192.0.2.1", "test")
		}
		refused("a locked")
		if err := f.svc.Unlock(ctx, f.h, f.admin, id); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetUserStatus(ctx, f.h, f.admin, id, true); err != nil {
			t.Fatal(err)
		}
		refused("a disabled")
		in.UserID = 9999
		refused("an unknown")
		if err := f.svc.SetUserStatus(ctx, f.h, f.admin, id, false); err != nil {
			t.Fatal(err)
		}

		f.svc.PasswordGate = func(context.Context, *tenancy.Handle, int64) (bool, error) { return false, nil }
		defer func() { f.svc.PasswordGate = nil }()
		if _, err := f.svc.Login(ctx, f.h, "ann", "wrong", "192.0.2.1", "test"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
			t.Fatalf("wrong password under the gate: %v", err)
		}
		if _, err := f.svc.Login(ctx, f.h, "ann", pw, "192.0.2.1", "test"); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("right password under the gate: %v", err)
		}
	})
}

// TestSignInExternalAsksForPasskey: a user whose second factor is a
// passkey is asked for it after single sign-on unless the provider's own
// second factor counts, as a user of an authenticator app is.
func TestSignInExternalAsksForPasskey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		p, _ := f.newUser("bea", identity.UserInput{RoleIDs: []int64{f.role(access.StaffRole)}})
		id := p.User.ID
		if _, err := f.h.DB.ExecContext(ctx, `INSERT INTO passkey_users (user_id, handle) VALUES (?, 'h-bea')`, id); err != nil {
			t.Fatal(err)
		}
		if _, err := f.h.DB.ExecContext(ctx, `INSERT INTO passkeys (user_id, credential_id, name, credential, sign_count, created_at)
			VALUES (?, 'c-bea', 'Laptop', '{}', 0, '2026-01-01T00:00:00Z')`, id); err != nil {
			t.Fatal(err)
		}
		in := identity.External{UserID: id, Method: identity.MethodSSO, IP: "198.51.100.9", UserAgent: "test"}
		if res, err := f.svc.SignInExternal(ctx, f.h, in); err != nil || !res.SecondFactor {
			t.Fatalf("passkey user signed in by the provider alone: %+v %v", res, err)
		}
		in.MFASatisfied = true
		if res, err := f.svc.SignInExternal(ctx, f.h, in); err != nil || res.SecondFactor {
			t.Fatalf("the provider's second factor did not count: %+v %v", res, err)
		}
	})
}
