package identity_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
)

func problemFields(err error) string {
	var out []string
	for _, p := range strongroom.ErrorProblems(err) {
		out = append(out, p.Field)
	}
	return strings.Join(out, " ")
}

// TestEveryProblemAtOnce: the identity forms are told every problem of
// their input in one answer, and a wrong first two-factor code leaves the
// pending secret as it was.
func TestEveryProblemAtOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		_, _, err := f.svc.CreateUser(ctx, f.h, f.admin, identity.UserInput{Username: "a b", DisplayName: "", Email: "nobody"})
		if got := problemFields(err); got != "username display_name email" {
			t.Errorf("user: %q (%v)", got, err)
		}
		_, err = f.svc.SaveRole(ctx, f.h, f.admin, access.Role{Name: "", Description: strings.Repeat("x", 501),
			Grants: map[access.Area]access.Grant{"cases": "everything"}})
		if got := problemFields(err); got != "name description grant" {
			t.Errorf("role: %q (%v)", got, err)
		}
		_, err = f.svc.CreateClass(ctx, f.h, f.admin, identity.Class{Name: " x", Description: strings.Repeat("x", 501)})
		if got := problemFields(err); got != "name description" {
			t.Errorf("class: %q (%v)", got, err)
		}
		err = f.svc.UpdateSettings(ctx, f.h, f.admin, identity.Settings{LockoutThreshold: 0, MFA: "sometimes",
			IdleTimeout: time.Second, AbsoluteTimeout: 31 * 24 * time.Hour})
		if got := problemFields(err); got != "lockout_threshold mfa idle_timeout absolute_timeout" {
			t.Errorf("settings: %q (%v)", got, err)
		}
		p, pw := f.newUser("clerk", identity.UserInput{RoleIDs: []int64{f.role("Staff")}})
		_, err = f.svc.ChangePassword(ctx, f.h, p, "not the password", "short", "test")
		if got := problemFields(err); got != "current_password new_password" {
			t.Errorf("password: %q (%v)", got, err)
		}
		_, _, err = f.svc.CreateToken(ctx, f.h, p, "", 0)
		if got := problemFields(err); got != "name expires_in" {
			t.Errorf("token: %q (%v)", got, err)
		}
		// Nothing changed: the old password still signs in.
		if res, err := f.svc.Login(ctx, f.h, "clerk", pw, "192.0.2.1", "test"); err != nil || res.Token == "" {
			t.Fatalf("sign-in with the unchanged password: %v", err)
		}

		e, err := f.svc.BeginTOTP(ctx, f.h, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.ConfirmTOTP(ctx, f.h, p, "000000", "test"); strongroom.ErrorField(err) != "code" {
			t.Fatalf("wrong code: %v", err)
		}
		again, err := f.svc.PendingTOTP(ctx, f.h, p)
		if err != nil || again.Secret != e.Secret || again.URL != e.URL || len(again.QRPNG) == 0 {
			t.Fatalf("pending enrolment after a wrong code: %+v, %v", again, err)
		}
	})
}
