package identity_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/identity/totp"
)

func TestLockout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		settings, _ := f.svc.Settings(ctx, f.h, f.admin)
		settings.LockoutThreshold = 3
		if err := f.svc.UpdateSettings(ctx, f.h, f.admin, settings); err != nil {
			t.Fatal(err)
		}
		_, pw := f.newUser("clerk", identity.UserInput{RoleIDs: []int64{f.role("Staff")}})

		wrong := func() error {
			_, err := f.svc.Login(ctx, f.h, "clerk", "not the password at all", "198.51.100.7", "test")
			return err
		}
		for i := 1; i < 3; i++ {
			if err := wrong(); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		// Below the threshold the right password still works and resets the count.
		f.signIn("clerk", pw)
		for i := 1; i <= 3; i++ {
			wrong()
		}
		u := f.user("clerk")
		if !u.Locked() || u.FailedLogins != 3 {
			t.Fatalf("after exactly 3 failures: locked=%v failed=%d", u.Locked(), u.FailedLogins)
		}
		// Locked: the right password gets exactly the wrong password's answer.
		_, errRight := f.svc.Login(ctx, f.h, "clerk", pw, "198.51.100.7", "test")
		errWrong := wrong()
		_, errUnknown := f.svc.Login(ctx, f.h, "nobody-here", pw, "198.51.100.7", "test")
		for _, err := range []error{errRight, errWrong, errUnknown} {
			if err == nil || err.Error() != errWrong.Error() {
				t.Fatalf("locked/wrong/unknown answers differ: %v | %v | %v", errRight, errWrong, errUnknown)
			}
		}
		fails, err := f.svc.LoginFailures(ctx, f.h, f.admin, u.ID)
		if err != nil || len(fails) < 5 || fails[0].SourceIP != "198.51.100.7" {
			t.Fatalf("failures seen by the administrator: %v %v", fails, err)
		}
		if err := f.svc.Unlock(ctx, f.h, f.admin, u.ID); err != nil {
			t.Fatal(err)
		}
		f.signIn("clerk", pw)
	})
}

func TestAutoUnlock(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		s, _ := f.svc.Settings(ctx, f.h, f.admin)
		s.LockoutThreshold, s.AutoUnlockAfter = 1, 15*time.Minute
		if err := f.svc.UpdateSettings(ctx, f.h, f.admin, s); err != nil {
			t.Fatal(err)
		}
		_, pw := f.newUser("clerk", identity.UserInput{RoleIDs: []int64{f.role("Staff")}})
		f.svc.Login(ctx, f.h, "clerk", "wrong wrong wrong wrong", "192.0.2.9", "test")
		if _, err := f.svc.Login(ctx, f.h, "clerk", pw, "192.0.2.9", "test"); err == nil {
			t.Fatal("locked account signed in")
		}
		f.clock.Add(16 * time.Minute)
		f.signIn("clerk", pw)
	})
}

// One address cannot try many user names quickly: the throttle refuses it
// before any account is touched.
func TestThrottlePerAddress(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.throttle.Burst = 3
		f.throttle.Refill = time.Minute
		for i := 0; i < 3; i++ {
			f.svc.Login(ctx, f.h, fmt.Sprintf("victim-%d", i), "guess guess guess guess", "203.0.113.5", "test")
		}
		_, err := f.svc.Login(ctx, f.h, "admin", f.adminPW, "203.0.113.5", "test")
		if strongroom.ErrorCode(err) != strongroom.ETOOMANY {
			t.Fatalf("fourth attempt from one address: %v", err)
		}
		if _, err := f.svc.Login(ctx, f.h, "admin", f.adminPW, "203.0.113.6", "test"); err != nil {
			t.Fatalf("another address is throttled too: %v", err)
		}
		f.clock.Add(2 * time.Minute)
		if _, err := f.svc.Login(ctx, f.h, "admin", f.adminPW, "203.0.113.5", "test"); err != nil {
			t.Fatalf("after refill: %v", err)
		}
		if u := f.user("admin"); u.Locked() {
			t.Fatal("throttled attempts locked the administrator")
		}
	})
}

func TestTemporaryPasswordAndChange(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		u, temp, err := f.svc.CreateUser(ctx, f.h, f.admin, identity.UserInput{Username: "Ana", DisplayName: "Ana", RoleIDs: []int64{f.role("Staff")}})
		if err != nil {
			t.Fatal(err)
		}
		p := f.signIn("ana", temp)
		if !p.Restricted() {
			t.Fatal("a temporary password does not restrict the session")
		}
		res, _ := f.svc.Login(ctx, f.h, "ANA", temp, "192.0.2.1", "test")
		other := res.Token

		for _, tc := range []struct{ current, next, field string }{
			{"wrong", "a very long new passphrase indeed", "current_password"},
			{temp, "short", "new_password"},
			{temp, "ana is my name and this is long", "new_password"},
			{temp, strings.Repeat("x", 257), "new_password"},
			{temp, temp, "new_password"},
		} {
			if _, err := f.svc.ChangePassword(ctx, f.h, p, tc.current, tc.next, "test"); strongroom.ErrorField(err) != tc.field {
				t.Errorf("change %q→%q: got %v, want a %s error", tc.current, tc.next, err, tc.field)
			}
		}
		token, err := f.svc.ChangePassword(ctx, f.h, p, temp, "a very long new passphrase indeed", "test")
		if err != nil {
			t.Fatal(err)
		}
		if np := f.session(token); np.Restricted() {
			t.Fatal("still restricted after the change")
		}
		// Every other session ended with the change.
		if _, err := f.svc.Authenticate(ctx, f.h, other, "192.0.2.1"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
			t.Fatalf("another session survived the password change: %v", err)
		}
		// An administrator's reset makes it temporary again and ends sessions.
		if _, err := f.svc.ResetPassword(ctx, f.h, f.admin, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, f.h, token, "192.0.2.1"); err == nil {
			t.Fatal("a session survived a password reset")
		}
	})
}

func TestSessions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		_, pw := f.newUser("clerk", identity.UserInput{RoleIDs: []int64{f.role("Staff")}})
		r1, _ := f.svc.Login(ctx, f.h, "clerk", pw, "192.0.2.1", "test")
		r2, _ := f.svc.Login(ctx, f.h, "clerk", pw, "192.0.2.1", "test")
		if r1.Token == r2.Token || len(r1.Token) < 43 {
			t.Fatal("sign-ins do not get fresh 256-bit session ids")
		}
		// Session fixation: a made-up id is not a session.
		if _, err := f.svc.Authenticate(ctx, f.h, "attacker-chosen-id", "192.0.2.1"); err == nil {
			t.Fatal("an unknown session id was accepted")
		}

		s, _ := f.svc.Settings(ctx, f.h, f.admin)
		// Idle timeout: 30 minutes unused ends the session; use keeps it alive.
		f.clock.Add(29 * time.Minute)
		f.session(r1.Token)
		f.clock.Add(29 * time.Minute)
		f.session(r1.Token)
		f.clock.Add(s.IdleTimeout + time.Second)
		if _, err := f.svc.Authenticate(ctx, f.h, r1.Token, "192.0.2.1"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
			t.Fatalf("idle session still valid: %v", err)
		}

		// A live page's re-checks are no use: they see the session while
		// it holds and do not keep it alive.
		rl, _ := f.svc.Login(ctx, f.h, "clerk", pw, "192.0.2.1", "test")
		for range 3 {
			f.clock.Add(s.IdleTimeout / 3)
			if _, err := f.svc.Recheck(ctx, f.h, rl.Token, "192.0.2.1"); err != nil {
				t.Fatalf("recheck within the idle timeout: %v", err)
			}
		}
		f.clock.Add(time.Second)
		if _, err := f.svc.Recheck(ctx, f.h, rl.Token, "192.0.2.1"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
			t.Fatalf("re-checks kept an unused session alive: %v", err)
		}

		// Absolute timeout: even a busy session ends after 12 hours.
		r3, _ := f.svc.Login(ctx, f.h, "clerk", pw, "192.0.2.1", "test")
		for elapsed := time.Duration(0); elapsed < s.AbsoluteTimeout-20*time.Minute; elapsed += 20 * time.Minute {
			f.clock.Add(20 * time.Minute)
			f.session(r3.Token)
		}
		f.clock.Add(21 * time.Minute)
		if _, err := f.svc.Authenticate(ctx, f.h, r3.Token, "192.0.2.1"); err == nil {
			t.Fatal("session outlived the absolute timeout")
		}

		// A user ends their own session; not someone else's.
		r4, _ := f.svc.Login(ctx, f.h, "clerk", pw, "192.0.2.1", "test")
		p := f.session(r4.Token)
		ss, err := f.svc.ListSessions(ctx, f.h, p, p.User.ID)
		if err != nil || len(ss) == 0 {
			t.Fatalf("sessions: %v %v", ss, err)
		}
		if _, err := f.svc.ListSessions(ctx, f.h, p, f.admin.User.ID); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("listing another's sessions: %v", err)
		}
		if err := f.svc.EndSession(ctx, f.h, p, f.admin.SessionID); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Fatalf("ending another's session: %v", err)
		}
		// An administrator ends anyone's.
		if err := f.svc.EndSession(ctx, f.h, f.admin, p.SessionID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, f.h, r4.Token, "192.0.2.1"); err == nil {
			t.Fatal("an ended session still works")
		}
	})
}

func TestTwoFactor(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		p, pw := f.newUser("clerk", identity.UserInput{RoleIDs: []int64{f.role("Staff")}})
		e, err := f.svc.BeginTOTP(ctx, f.h, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.ConfirmTOTP(ctx, f.h, p, "000000", "test"); strongroom.ErrorField(err) != "code" {
			t.Fatalf("wrong enrolment code: %v", err)
		}
		code, _ := totp.CodeAt(e.Secret, f.clock.Now())
		recovery, _, err := f.svc.ConfirmTOTP(ctx, f.h, p, code, "test")
		if err != nil || len(recovery) != 10 {
			t.Fatalf("confirm: %d codes, %v", len(recovery), err)
		}
		// The secret is stored sealed, never in the clear.
		var stored []byte
		f.h.DB.QueryRowContext(ctx, `SELECT totp_secret FROM users WHERE id = ?`, p.User.ID).Scan(&stored)
		if strings.Contains(string(stored), e.Secret) {
			t.Fatal("TOTP secret stored in the clear")
		}

		res, err := f.svc.Login(ctx, f.h, "clerk", pw, "192.0.2.1", "test")
		if err != nil || !res.SecondFactor || res.Device != "" {
			t.Fatalf("password step (no device cookie until the second factor): %+v %v", res, err)
		}
		if _, err := f.svc.Authenticate(ctx, f.h, res.Token, "192.0.2.1"); err == nil {
			t.Fatal("a half-signed-in session is usable")
		}
		// The code used at enrolment is refused: a code counts once.
		if _, err := f.svc.SecondFactor(ctx, f.h, res.Token, code, "192.0.2.1", "test", ""); err == nil {
			t.Fatal("the enrolment code was accepted again")
		}
		f.clock.Add(30 * time.Second)
		next, _ := totp.CodeAt(e.Secret, f.clock.Now())
		done, err := f.svc.SecondFactor(ctx, f.h, res.Token, next, "192.0.2.1", "test", "")
		if err != nil {
			t.Fatal(err)
		}
		full := done.Token
		if done.Device == "" {
			t.Fatal("a full sign-in with a second factor gave no device cookie")
		}
		if full == res.Token {
			t.Fatal("the session id did not change after the second factor")
		}
		f.session(full)
		// Replay of the same code in another sign-in is refused.
		res2, _ := f.svc.Login(ctx, f.h, "clerk", pw, "192.0.2.1", "test")
		if _, err := f.svc.SecondFactor(ctx, f.h, res2.Token, next, "192.0.2.1", "test", ""); err == nil {
			t.Fatal("a TOTP code was accepted twice")
		}
		// A recovery code works once.
		if _, err := f.svc.SecondFactor(ctx, f.h, res2.Token, strings.ToUpper(recovery[0]), "192.0.2.1", "test", ""); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		res3, _ := f.svc.Login(ctx, f.h, "clerk", pw, "192.0.2.1", "test")
		if _, err := f.svc.SecondFactor(ctx, f.h, res3.Token, recovery[0], "192.0.2.1", "test", ""); err == nil {
			t.Fatal("a recovery code was accepted twice")
		}
	})
}

func TestTwoFactorRequired(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		s, _ := f.svc.Settings(ctx, f.h, f.admin)
		s.MFA = identity.MFAEveryone
		if err := f.svc.UpdateSettings(ctx, f.h, f.admin, s); err != nil {
			t.Fatal(err)
		}
		p := f.signIn("admin", f.adminPW)
		if !p.MustEnrolTOTP || !p.Restricted() {
			t.Fatal("policy requires two-factor but the session is not restricted to enrolment")
		}
	})
}

func TestAPITokens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		p, _ := f.newUser("clerk", identity.UserInput{RoleIDs: []int64{f.role("Read-only")}})
		tk, secret, err := f.svc.CreateToken(ctx, f.h, p, "reporting script", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		f.h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?`, secret).Scan(&n)
		if n != 0 {
			t.Fatal("token stored in the clear")
		}
		tp, err := f.svc.AuthenticateToken(ctx, f.h, secret, "192.0.2.1")
		if err != nil || tp.User.ID != p.User.ID || tp.TokenID != tk.ID {
			t.Fatalf("token auth: %v", err)
		}
		// Exactly the user's permissions: a read-only user's token cannot administer.
		if _, _, err := f.svc.CreateUser(ctx, f.h, tp, identity.UserInput{Username: "x1", DisplayName: "X"}); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("token created a user: %v", err)
		}
		for _, bad := range []string{"", "srt_", secret + "x", "Bearer " + secret, strings.Repeat("a", 500)} {
			if _, err := f.svc.AuthenticateToken(ctx, f.h, bad, "192.0.2.1"); err == nil {
				t.Fatalf("forged token %q accepted", bad)
			}
		}
		if err := f.svc.RevokeToken(ctx, f.h, p, tk.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AuthenticateToken(ctx, f.h, secret, "192.0.2.1"); err == nil {
			t.Fatal("revoked token accepted")
		}
		_, secret2, _ := f.svc.CreateToken(ctx, f.h, p, "short", time.Hour)
		f.clock.Add(time.Hour + time.Second)
		if _, err := f.svc.AuthenticateToken(ctx, f.h, secret2, "192.0.2.1"); err == nil {
			t.Fatal("expired token accepted")
		}
	})
}

// TestChangePasswordRefusesGuessable checks that the first-sign-in change
// and a later change both refuse passwords made of the user's or the
// tenant's names, naming the field and the reason, and change nothing.
func TestChangePasswordRefusesGuessable(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		_, temp, err := f.svc.CreateUser(ctx, f.h, f.admin, identity.UserInput{Username: "ana", DisplayName: "Ana Sokolova", RoleIDs: []int64{f.role("Staff")}})
		if err != nil {
			t.Fatal(err)
		}
		refuse := func(p *identity.Principal, current string) {
			t.Helper()
			for _, next := range []string{"firmllp123456789", "Firm LLP 123456789", "sokolovasokolova1"} {
				_, err := f.svc.ChangePassword(ctx, f.h, p, current, next, "test")
				if strongroom.ErrorField(err) != "new_password" || !strings.Contains(strongroom.ErrorMessage(err), "This password is easy to guess: ") {
					t.Errorf("change to %q: got %v, want a new_password refusal as easy to guess", next, err)
				}
			}
		}
		first := f.signIn("ana", temp)
		refuse(first, temp)
		if f.signIn("ana", temp); !f.user("ana").PasswordTemporary {
			t.Fatal("a refused change replaced the temporary password")
		}
		token, err := f.svc.ChangePassword(ctx, f.h, first, temp, "amber tundra kettle mosaic river", "test")
		if err != nil {
			t.Fatal(err)
		}
		refuse(f.session(token), "amber tundra kettle mosaic river")
		f.signIn("ana", "amber tundra kettle mosaic river")
	})
}
