package identity_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/identity/passkeytest"
)

var rp = identity.RelyingParty{ID: "firm.example", Origin: "https://firm.example"}

// passkeyUser is a user with their full session's token and a software
// authenticator at the tenant's origin.
type passkeyUser struct {
	f     *fixture
	name  string
	pw    string
	p     *identity.Principal
	token string
	auth  *passkeytest.Authenticator
}

func (f *fixture) passkeyUser(name string) *passkeyUser {
	f.t.Helper()
	_, pw := f.newUser(name, identity.UserInput{RoleIDs: []int64{f.role("Staff")}})
	u := &passkeyUser{f: f, name: name, pw: pw, auth: &passkeytest.Authenticator{Origin: rp.Origin}}
	u.signIn()
	return u
}

// signIn signs in with the password only (the user has no second factor).
func (u *passkeyUser) signIn() {
	u.f.t.Helper()
	res, err := u.f.svc.Login(context.Background(), u.f.h, u.name, u.pw, "192.0.2.1", "test")
	if err != nil || res.SecondFactor {
		u.f.t.Fatalf("sign in %s: %v %+v", u.name, err, res)
	}
	u.token, u.p = res.Token, u.f.session(res.Token)
}

// register adds a passkey named name and returns it.
func (u *passkeyUser) register(name string) (*identity.Passkey, *passkeytest.Credential) {
	u.f.t.Helper()
	ctx := context.Background()
	opts, err := u.f.svc.BeginPasskeyRegistration(ctx, u.f.h, u.p, rp, u.token, identity.PasskeyEnrolment{Name: name, CurrentPassword: u.pw})
	if err != nil {
		u.f.t.Fatalf("begin registration: %v", err)
	}
	body, cred, err := u.auth.Register(opts)
	if err != nil {
		u.f.t.Fatal(err)
	}
	k, err := u.f.svc.FinishPasskeyRegistration(ctx, u.f.h, u.p, rp, u.token, body)
	if err != nil {
		u.f.t.Fatalf("finish registration: %v", err)
	}
	return k, cred
}

// halfSignIn signs in with the password and returns the session waiting
// for its second factor.
func (u *passkeyUser) halfSignIn() string {
	u.f.t.Helper()
	res, err := u.f.svc.Login(context.Background(), u.f.h, u.name, u.pw, "192.0.2.1", "test")
	if err != nil || !res.SecondFactor {
		u.f.t.Fatalf("sign in %s: want a second factor, got %v %+v", u.name, err, res)
	}
	return res.Token
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != field {
		t.Fatalf("want an invalid %s, got %v (field %q)", field, err, strongroom.ErrorField(err))
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if strongroom.ErrorCode(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func TestPasskeyRegistration(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		u := f.passkeyUser("clerk")
		begin := func(name, pw string) error {
			_, err := f.svc.BeginPasskeyRegistration(ctx, f.h, u.p, rp, u.token, identity.PasskeyEnrolment{Name: name, CurrentPassword: pw})
			return err
		}
		wantField(t, begin("", u.pw), "name")
		wantField(t, begin(strings.Repeat("n", 101), u.pw), "name")
		wantField(t, begin(" Laptop", u.pw), "name")
		wantField(t, begin("Laptop", "not my password"), "current_password")
		// Within minutes of signing in no password is asked; later it is.
		if err := begin("Laptop", ""); err != nil {
			t.Fatalf("a fresh sign-in: %v", err)
		}
		f.clock.Add(6 * time.Minute)
		u.p = f.session(u.token)
		wantField(t, begin("Laptop", ""), "current_password")
		if ks, _ := f.svc.ListPasskeys(ctx, f.h, u.p, u.p.User.ID); len(ks) != 0 {
			t.Fatalf("refused registrations stored passkeys: %+v", ks)
		}

		k1, _ := u.register(strings.Repeat("n", 100))
		f.clock.Add(time.Minute)
		k2, _ := u.register("Phone")
		ks, err := f.svc.ListPasskeys(ctx, f.h, u.p, u.p.User.ID)
		if err != nil || len(ks) != 2 || ks[0].ID != k1.ID || ks[1].Name != "Phone" || ks[1].CreatedAt.IsZero() || !ks[1].LastUsedAt.IsZero() {
			t.Fatalf("list: %+v %v", ks, err)
		}
		if evs := f.events("auth.passkey_register"); len(evs) != 2 || evs[1]["passkey"] == "" {
			t.Fatalf("registration events: %v", evs)
		}

		// Renaming checks the name and touches only one's own passkeys.
		wantField(t, f.svc.RenamePasskey(ctx, f.h, u.p, k2.ID, ""), "name")
		if err := f.svc.RenamePasskey(ctx, f.h, u.p, k2.ID, "Work phone"); err != nil {
			t.Fatal(err)
		}
		other := f.passkeyUser("paralegal")
		wantCode(t, f.svc.RenamePasskey(ctx, f.h, other.p, k2.ID, "Mine now"), strongroom.ENOTFOUND)
		wantCode(t, f.svc.RemovePasskey(ctx, f.h, other.p, u.p.User.ID, k2.ID), strongroom.ENOTFOUND)
		wantCode(t, f.svc.RemovePasskey(ctx, f.h, other.p, other.p.User.ID, k2.ID), strongroom.ENOTFOUND)
		if _, err := f.svc.ListPasskeys(ctx, f.h, other.p, u.p.User.ID); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("another user's list: %v", err)
		}
		if k, err := f.svc.Passkey(ctx, f.h, u.p, u.p.User.ID, k2.ID); err != nil || k.Name != "Work phone" {
			t.Fatalf("after rename: %+v %v", k, err)
		}

		// Removal, by the user and by an administrator (a lost device).
		if err := f.svc.RemovePasskey(ctx, f.h, u.p, u.p.User.ID, k1.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RemovePasskey(ctx, f.h, f.admin, u.p.User.ID, k2.ID); err != nil {
			t.Fatal(err)
		}
		if ks, _ := f.svc.ListPasskeys(ctx, f.h, f.admin, u.p.User.ID); len(ks) != 0 {
			t.Fatalf("after removal: %+v", ks)
		}
		if len(f.events("auth.passkey_remove")) != 1 || len(f.events("auth.passkey_admin_remove")) != 1 {
			t.Fatal("removals not audited")
		}
	})
}

// A registration challenge is used once, for five minutes, by the session
// that began it; an answer for another origin or relying party is refused.
func TestPasskeyRegistrationChallenge(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		u := f.passkeyUser("clerk")
		begin := func() any {
			opts, err := f.svc.BeginPasskeyRegistration(ctx, f.h, u.p, rp, u.token, identity.PasskeyEnrolment{Name: "Laptop", CurrentPassword: u.pw})
			if err != nil {
				t.Fatal(err)
			}
			return opts
		}
		finish := func(token string, body []byte) error {
			_, err := f.svc.FinishPasskeyRegistration(ctx, f.h, u.p, rp, token, body)
			return err
		}
		body, _, _ := u.auth.Register(begin())
		if err := finish(u.token, body); err != nil {
			t.Fatal(err)
		}
		wantCode(t, finish(u.token, body), strongroom.ECONFLICT) // replayed

		// Another session, of the same user or another, cannot finish it;
		// the session that began it still can.
		opts := begin()
		res, _ := f.svc.Login(ctx, f.h, "clerk", u.pw, "192.0.2.9", "test")
		if !res.SecondFactor {
			t.Fatal("a user with a passkey signed in with the password alone")
		}
		body, _, _ = u.auth.Register(opts)
		wantCode(t, finish(res.Token, body), strongroom.ECONFLICT)
		other := f.passkeyUser("paralegal")
		if _, err := f.svc.FinishPasskeyRegistration(ctx, f.h, other.p, rp, other.token, body); strongroom.ErrorCode(err) != strongroom.ECONFLICT {
			t.Fatalf("another user's session: %v", err)
		}
		if err := finish(u.token, body); err != nil {
			t.Fatalf("the session that began it: %v", err)
		}

		// Expired after five minutes.
		body, _, _ = u.auth.Register(begin())
		f.clock.Add(5*time.Minute + time.Second)
		wantCode(t, finish(u.token, body), strongroom.ECONFLICT)

		for name, a := range map[string]*passkeytest.Authenticator{
			"wrong origin": {Origin: "https://firm.example.evil"},
			"wrong rp":     {Origin: rp.Origin, RPID: "evil.example"},
		} {
			u.p = f.session(u.token)
			opts, err := f.svc.BeginPasskeyRegistration(ctx, f.h, u.p, rp, u.token, identity.PasskeyEnrolment{Name: "Laptop", CurrentPassword: u.pw})
			if err != nil {
				t.Fatal(err)
			}
			body, _, _ := a.Register(opts)
			if err := finish(u.token, body); strongroom.ErrorField(err) != "passkey" {
				t.Fatalf("%s: %v", name, err)
			}
		}
		wantField(t, func() error {
			f.svc.BeginPasskeyRegistration(ctx, f.h, u.p, rp, u.token, identity.PasskeyEnrolment{Name: "Laptop", CurrentPassword: u.pw})
			return finish(u.token, []byte(`{"id": 7}`))
		}(), "passkey")
		if ks, _ := f.svc.ListPasskeys(ctx, f.h, u.p, u.p.User.ID); len(ks) != 2 {
			t.Fatalf("refused registrations stored passkeys: %d", len(ks))
		}
	})
}

// secondFactor runs the passkey second factor of a half-way session with
// the authenticator a, answering with credential c (nil: what a picks).
func (u *passkeyUser) secondFactor(token string, a *passkeytest.Authenticator, c *passkeytest.Credential) (*identity.LoginResult, error) {
	u.f.t.Helper()
	ctx := context.Background()
	opts, err := u.f.svc.BeginPasskeySecondFactor(ctx, u.f.h, rp, token)
	if err != nil {
		return nil, err
	}
	body, err := a.Assert(opts, c)
	if err != nil {
		u.f.t.Fatal(err)
	}
	return u.f.svc.FinishPasskeySecondFactor(ctx, u.f.h, rp, token, body, "192.0.2.1", "test", "")
}

func TestPasskeySecondFactor(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		settings, _ := f.svc.Settings(ctx, f.h, f.admin)
		settings.MFA = identity.MFAEveryone
		if err := f.svc.UpdateSettings(ctx, f.h, f.admin, settings); err != nil {
			t.Fatal(err)
		}
		u := f.passkeyUser("clerk")
		if !u.p.MustEnrolTOTP {
			t.Fatal("the policy asks for no second factor of a user without one")
		}
		u.register("Laptop")
		if f.session(u.token).MustEnrolTOTP {
			t.Fatal("a user with a passkey is still asked to set up an authenticator app")
		}

		// The password alone is half a sign-in now; a code cannot finish it.
		token := u.halfSignIn()
		if code, passkey, err := f.svc.SecondFactorMethods(ctx, f.h, token); err != nil || code || !passkey {
			t.Fatalf("methods: code %v passkey %v %v", code, passkey, err)
		}
		if _, err := f.svc.Authenticate(ctx, f.h, token, "192.0.2.1"); err == nil {
			t.Fatal("a half-way session is signed in")
		}
		if _, err := f.svc.SecondFactor(ctx, f.h, token, "123456", "192.0.2.1", "test", ""); err == nil {
			t.Fatal("a code finished the sign-in of a user without an authenticator app")
		}
		res, err := u.secondFactor(token, u.auth, nil)
		if err != nil {
			t.Fatal(err)
		}
		p := f.session(res.Token)
		if p.User.ID != u.p.User.ID || p.MustEnrolTOTP || res.Device == "" {
			t.Fatalf("signed in: %+v", p)
		}
		if evs := f.events("auth.login"); evs[len(evs)-1]["second_factor"] != "passkey" {
			t.Fatalf("login event: %v", evs[len(evs)-1])
		}
		if ks, _ := f.svc.ListPasskeys(ctx, f.h, p, p.User.ID); ks[0].LastUsedAt.IsZero() {
			t.Fatal("last use not recorded")
		}

		// The challenge is used once: a replayed answer finds none.
		token = u.halfSignIn()
		opts, err := f.svc.BeginPasskeySecondFactor(ctx, f.h, rp, token)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := u.auth.Assert(opts, nil)
		if _, err := f.svc.FinishPasskeySecondFactor(ctx, f.h, rp, token, body, "192.0.2.1", "test", ""); err != nil {
			t.Fatal(err)
		}
		token = u.halfSignIn()
		if _, err := f.svc.FinishPasskeySecondFactor(ctx, f.h, rp, token, body, "192.0.2.1", "test", ""); strongroom.ErrorCode(err) != strongroom.ECONFLICT {
			t.Fatalf("replayed answer: %v", err)
		}
		// … and for five minutes only.
		opts, _ = f.svc.BeginPasskeySecondFactor(ctx, f.h, rp, token)
		body, _ = u.auth.Assert(opts, nil)
		f.clock.Add(5*time.Minute + time.Second)
		if _, err := f.svc.FinishPasskeySecondFactor(ctx, f.h, rp, token, body, "192.0.2.1", "test", ""); err == nil {
			t.Fatal("an expired challenge was accepted")
		}
		// A challenge begun by another browser's half-way session.
		mine, theirs := u.halfSignIn(), u.halfSignIn()
		opts, _ = f.svc.BeginPasskeySecondFactor(ctx, f.h, rp, theirs)
		body, _ = u.auth.Assert(opts, nil)
		if _, err := f.svc.FinishPasskeySecondFactor(ctx, f.h, rp, mine, body, "192.0.2.1", "test", ""); strongroom.ErrorCode(err) != strongroom.ECONFLICT {
			t.Fatalf("another session's challenge: %v", err)
		}

		// A wrong origin or relying party, another user's passkey, a
		// counter gone backwards: refused, and counted as failed sign-ins.
		other := f.passkeyUser("paralegal")
		_, otherCred := other.register("Theirs")
		failedBefore := len(f.events("auth.login_failed"))
		for name, try := range map[string]func(token string) (*identity.LoginResult, error){
			"wrong origin": func(token string) (*identity.LoginResult, error) {
				return u.secondFactor(token, &passkeytest.Authenticator{Origin: "https://evil.example", Creds: u.auth.Creds}, nil)
			},
			"wrong rp": func(token string) (*identity.LoginResult, error) {
				return u.secondFactor(token, &passkeytest.Authenticator{Origin: rp.Origin, RPID: "evil.example", Creds: u.auth.Creds}, nil)
			},
			"another user's passkey": func(token string) (*identity.LoginResult, error) {
				return u.secondFactor(token, other.auth, otherCred)
			},
		} {
			token := u.halfSignIn()
			if _, err := try(token); strongroom.ErrorField(err) != "passkey" {
				t.Fatalf("%s: %v", name, err)
			}
			if _, err := f.svc.Authenticate(ctx, f.h, token, "192.0.2.1"); err == nil {
				t.Fatalf("%s: signed in", name)
			}
		}
		if n := len(f.events("auth.login_failed")) - failedBefore; n != 3 {
			t.Fatalf("%d failed sign-ins recorded, want 3", n)
		}

		token = u.halfSignIn()
		opts, _ = f.svc.BeginPasskeySecondFactor(ctx, f.h, rp, token)
		cred := u.auth.Creds[0]
		body, _ = u.auth.AssertWithCount(opts, cred, 1) // it has been used several times
		if _, err := f.svc.FinishPasskeySecondFactor(ctx, f.h, rp, token, body, "192.0.2.1", "test", ""); strongroom.ErrorField(err) != "passkey" {
			t.Fatalf("counter gone backwards: %v", err)
		}
		if evs := f.events("auth.passkey_counter_regression"); len(evs) != 1 || evs[0]["passkey"] == "" {
			t.Fatalf("counter regression events: %v", evs)
		}

		// With the passkey removed the password alone signs in again.
		ks, _ := f.svc.ListPasskeys(ctx, f.h, f.admin, u.p.User.ID)
		if err := f.svc.RemovePasskey(ctx, f.h, f.admin, u.p.User.ID, ks[0].ID); err != nil {
			t.Fatal(err)
		}
		res, err = f.svc.Login(ctx, f.h, "clerk", u.pw, "192.0.2.1", "test")
		if err != nil || res.SecondFactor {
			t.Fatalf("after removal: %+v %v", res, err)
		}
		if !f.session(res.Token).MustEnrolTOTP {
			t.Fatal("without a passkey the policy's second factor is not asked for")
		}
	})
}

// signInWith runs a passkey sign-in with the authenticator a.
func (f *fixture) signInWith(a *passkeytest.Authenticator) (*identity.LoginResult, error) {
	f.t.Helper()
	ctx := context.Background()
	opts, binding, err := f.svc.BeginPasskeySignIn(ctx, f.h, rp)
	if err != nil {
		return nil, err
	}
	body, err := a.Assert(opts, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.svc.FinishPasskeySignIn(ctx, f.h, rp, binding, body, identity.Attempt{IP: "192.0.2.1", UserAgent: "test"})
}

func TestPasskeySignIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		u := f.passkeyUser("clerk")
		u.register("Laptop")

		// Not allowed until an administrator says so.
		if _, err := f.signInWith(u.auth); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("passkey sign-in while the tenant disallows it: %v", err)
		}
		if err := f.svc.SetPasskeySignIn(ctx, f.h, u.p, true); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("a user changed the setting: %v", err)
		}
		if err := f.svc.SetPasskeySignIn(ctx, f.h, f.admin, true); err != nil {
			t.Fatal(err)
		}
		if evs := f.events("settings.update"); len(evs) == 0 {
			t.Fatal("the setting's change is not audited")
		}
		res, err := f.signInWith(u.auth)
		if err != nil {
			t.Fatal(err)
		}
		if p := f.session(res.Token); p.User.ID != u.p.User.ID || res.Device == "" {
			t.Fatalf("signed in as %d", p.User.ID)
		}

		// One time, one browser: a replay, or an answer to a challenge
		// bound to another browser's cookie, is refused.
		opts, binding, err := f.svc.BeginPasskeySignIn(ctx, f.h, rp)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := u.auth.Assert(opts, nil)
		_, theirs, _ := f.svc.BeginPasskeySignIn(ctx, f.h, rp)
		a := identity.Attempt{IP: "192.0.2.1", UserAgent: "test"}
		if _, err := f.svc.FinishPasskeySignIn(ctx, f.h, rp, theirs, body, a); strongroom.ErrorField(err) != "passkey" {
			t.Fatalf("another browser's challenge: %v", err)
		}
		if _, err := f.svc.FinishPasskeySignIn(ctx, f.h, rp, binding, body, a); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.FinishPasskeySignIn(ctx, f.h, rp, binding, body, a); strongroom.ErrorCode(err) != strongroom.ECONFLICT {
			t.Fatalf("replay: %v", err)
		}

		// A wrong origin is refused and counts as a failed sign-in.
		if _, err := f.signInWith(&passkeytest.Authenticator{Origin: "https://evil.example", Creds: u.auth.Creds}); strongroom.ErrorField(err) != "passkey" {
			t.Fatalf("wrong origin: %v", err)
		}
		if f.user("clerk").FailedLogins != 1 { // since the last sign-in
			t.Fatal("the refused passkey did not count")
		}

		// Another user's passkey presented under this user's handle.
		other := f.passkeyUser("paralegal")
		_, theirCred := other.register("Theirs")
		forged := *theirCred
		forged.UserHandle = u.auth.Creds[0].UserHandle
		if _, err := f.signInWith(&passkeytest.Authenticator{Origin: rp.Origin, Creds: []*passkeytest.Credential{&forged}}); strongroom.ErrorField(err) != "passkey" {
			t.Fatalf("another user's passkey: %v", err)
		}

		// A disabled user's passkey signs nothing in, nor a locked one's.
		if err := f.svc.SetUserStatus(ctx, f.h, f.admin, u.p.User.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.signInWith(u.auth); strongroom.ErrorField(err) != "passkey" {
			t.Fatalf("disabled user: %v", err)
		}
		if err := f.svc.SetUserStatus(ctx, f.h, f.admin, u.p.User.ID, false); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			f.svc.Login(ctx, f.h, "clerk", "not the password", "198.51.100.3", "test")
		}
		if !f.user("clerk").Locked() {
			t.Fatal("not locked")
		}
		if _, err := f.signInWith(u.auth); strongroom.ErrorField(err) != "passkey" {
			t.Fatalf("locked user: %v", err)
		}
		if err := f.svc.Unlock(ctx, f.h, f.admin, u.p.User.ID); err != nil {
			t.Fatal(err)
		}

		// A removed passkey signs nothing in.
		u.signInAgain()
		ks, _ := f.svc.ListPasskeys(ctx, f.h, u.p, u.p.User.ID)
		if err := f.svc.RemovePasskey(ctx, f.h, u.p, u.p.User.ID, ks[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.signInWith(u.auth); strongroom.ErrorField(err) != "passkey" {
			t.Fatalf("removed passkey: %v", err)
		}

		// Disallowed again: refused, even with a fresh passkey, and a
		// sign-in begun while it was allowed cannot finish.
		u.register("Phone")
		opts, binding, err = f.svc.BeginPasskeySignIn(ctx, f.h, rp)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = u.auth.Assert(opts, nil)
		if err := f.svc.SetPasskeySignIn(ctx, f.h, f.admin, false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.BeginPasskeySignIn(ctx, f.h, rp); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("begin while disallowed: %v", err)
		}
		if _, err := f.svc.FinishPasskeySignIn(ctx, f.h, rp, binding, body, a); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("finish while disallowed: %v", err)
		}
	})
}

// signInAgain signs in with password and passkey, for a fresh session.
func (u *passkeyUser) signInAgain() {
	u.f.t.Helper()
	res, err := u.secondFactor(u.halfSignIn(), u.auth, nil)
	if err != nil {
		u.f.t.Fatal(err)
	}
	u.token, u.p = res.Token, u.f.session(res.Token)
}
