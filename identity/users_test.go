package identity_test

import (
	"context"
	"strings"
	"testing"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
)

// user finds a user by name through the administrator.
func (f *fixture) user(name string) *identity.User {
	f.t.Helper()
	us, err := f.svc.ListUsers(context.Background(), f.h, f.admin)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, u := range us {
		if identity.UsernameKey(u.Username) == identity.UsernameKey(name) {
			return u
		}
	}
	f.t.Fatalf("no user %q", name)
	return nil
}

func TestUserNames(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		if _, _, err := f.svc.CreateUser(ctx, f.h, f.admin, identity.UserInput{Username: "Åsa", DisplayName: "Åsa"}); err != nil {
			t.Fatal(err)
		}
		// Same name after NFKC and case folding: "Å" as A + combining ring, upper case.
		for _, dup := range []string{"åsa", "ÅSA", "A\u030asa"} {
			_, _, err := f.svc.CreateUser(ctx, f.h, f.admin, identity.UserInput{Username: dup, DisplayName: "Dup"})
			if strongroom.ErrorCode(err) != strongroom.ECONFLICT || strongroom.ErrorField(err) != "username" {
				t.Errorf("duplicate %q: %v", dup, err)
			}
		}
		if _, _, err := f.svc.CreateUser(ctx, f.h, f.admin, identity.UserInput{Username: "ｂｏｂ", DisplayName: "Bob"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.CreateUser(ctx, f.h, f.admin, identity.UserInput{Username: "BOB", DisplayName: "Bob"}); strongroom.ErrorCode(err) != strongroom.ECONFLICT {
			t.Fatalf("full-width and ASCII names were distinct: %v", err)
		}
		before := len(f.mustUsers())
		for _, tc := range []struct {
			in    identity.UserInput
			field string
		}{
			{identity.UserInput{Username: "", DisplayName: "X"}, "username"},
			{identity.UserInput{Username: "a", DisplayName: "X"}, "username"},
			{identity.UserInput{Username: strings.Repeat("u", 65), DisplayName: "X"}, "username"},
			{identity.UserInput{Username: "has space", DisplayName: "X"}, "username"},
			{identity.UserInput{Username: "ctl\x01", DisplayName: "X"}, "username"},
			{identity.UserInput{Username: "okname", DisplayName: ""}, "display_name"},
			{identity.UserInput{Username: "okname", DisplayName: strings.Repeat("d", 201)}, "display_name"},
			{identity.UserInput{Username: "okname", DisplayName: "X", Email: "not-an-address"}, "email"},
			{identity.UserInput{Username: "okname", DisplayName: "X", RoleIDs: []int64{99999}}, "roles"},
			{identity.UserInput{Username: "okname", DisplayName: "X", ClassIDs: []int64{99999}}, "classes"},
		} {
			_, _, err := f.svc.CreateUser(ctx, f.h, f.admin, tc.in)
			if strongroom.ErrorField(err) != tc.field {
				t.Errorf("%+v: got %v, want a %s error", tc.in, err, tc.field)
			}
		}
		if after := len(f.mustUsers()); after != before {
			t.Fatalf("bad input wrote users: %d → %d", before, after)
		}
	})
}

func (f *fixture) mustUsers() []*identity.User {
	us, err := f.svc.ListUsers(context.Background(), f.h, f.admin)
	if err != nil {
		f.t.Fatal(err)
	}
	return us
}

func TestLastAdministrator(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		adminRole := f.role("Administrator")
		me := f.admin.User
		steps := map[string]func() error{
			"disable":   func() error { return f.svc.SetUserStatus(ctx, f.h, f.admin, me.ID, true) },
			"delete":    func() error { return f.svc.DeleteUser(ctx, f.h, f.admin, me.ID) },
			"drop role": func() error { return f.svc.DeleteRole(ctx, f.h, f.admin, adminRole) },
			"demote": func() error {
				_, err := f.svc.UpdateUser(ctx, f.h, f.admin, me.ID, identity.UserInput{Username: me.Username,
					DisplayName: me.DisplayName, RoleIDs: []int64{f.role("Staff")}, Version: f.user("admin").Version})
				return err
			},
			"weaken role": func() error {
				r, _ := f.svc.GetRole(ctx, f.h, f.admin, adminRole)
				r.Grants[access.Administration] = access.ReadGrant
				_, err := f.svc.SaveRole(ctx, f.h, f.admin, *r)
				return err
			},
		}
		for name, step := range steps {
			if err := step(); strongroom.ErrorCode(err) != strongroom.ECONFLICT {
				t.Errorf("%s the last administrator: %v", name, err)
			}
		}
		if u := f.user("admin"); u.Status != "active" || len(u.RoleIDs) != 1 {
			t.Fatalf("a refused change was partly made: %+v", u)
		}
		// With a second administrator the first may go.
		f.newUser("second", identity.UserInput{RoleIDs: []int64{adminRole}})
		if err := f.svc.SetUserStatus(ctx, f.h, f.admin, me.ID, true); err != nil {
			t.Fatalf("disable with another administrator: %v", err)
		}
	})
}

func TestStaleEdit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.newUser("clerk", identity.UserInput{RoleIDs: []int64{f.role("Staff")}})
		u := f.user("clerk")
		in := identity.UserInput{Username: "clerk", DisplayName: "First edit", RoleIDs: u.RoleIDs, Version: u.Version}
		if _, err := f.svc.UpdateUser(ctx, f.h, f.admin, u.ID, in); err != nil {
			t.Fatal(err)
		}
		in.DisplayName = "Second, stale edit"
		if _, err := f.svc.UpdateUser(ctx, f.h, f.admin, u.ID, in); strongroom.ErrorCode(err) != strongroom.ECONFLICT {
			t.Fatalf("stale edit: %v", err)
		}
		if got := f.user("clerk").DisplayName; got != "First edit" {
			t.Fatalf("stale edit overwrote: %q", got)
		}
	})
}

// Disabling and deleting users end their sessions at once; a permission
// change applies to the next request.
func TestUserLifecycle(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		_, pw := f.newUser("clerk", identity.UserInput{RoleIDs: []int64{f.role("Staff")}})
		res, _ := f.svc.Login(ctx, f.h, "clerk", pw, "192.0.2.1", "test")
		p := f.session(res.Token)
		if p.Subject.Allowed(access.Administration, access.Read) {
			t.Fatal("staff can read administration")
		}
		u := f.user("clerk")
		_, err := f.svc.UpdateUser(ctx, f.h, f.admin, u.ID, identity.UserInput{Username: "clerk", DisplayName: u.DisplayName,
			RoleIDs: []int64{f.role("Read-only")}, Version: u.Version})
		if err != nil {
			t.Fatal(err)
		}
		if p := f.session(res.Token); p.Subject.Allowed(access.Cases, access.Edit) {
			t.Fatal("a role change did not apply to the next request")
		}
		if err := f.svc.SetUserStatus(ctx, f.h, f.admin, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, f.h, res.Token, "192.0.2.1"); err == nil {
			t.Fatal("a disabled user's session still works")
		}
		if _, err := f.svc.Login(ctx, f.h, "clerk", pw, "192.0.2.1", "test"); err == nil {
			t.Fatal("a disabled user signed in")
		}
		if err := f.svc.SetUserStatus(ctx, f.h, f.admin, u.ID, false); err != nil {
			t.Fatal(err)
		}
		res, err = f.svc.Login(ctx, f.h, "clerk", pw, "192.0.2.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteUser(ctx, f.h, f.admin, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, f.h, res.Token, "192.0.2.1"); err == nil {
			t.Fatal("a deleted user's session still works")
		}
		if _, err := f.svc.GetUser(ctx, f.h, f.admin, u.ID); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Fatalf("deleted user: %v", err)
		}
	})
}
