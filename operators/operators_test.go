package operators_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"strongroom"
	"strongroom/identity/password"
	"strongroom/identity/totp"
	"strongroom/keys"
	"strongroom/operators"
	"strongroom/store"
	"strongroom/store/storetest"
)

var discard = slog.New(slog.DiscardHandler)

// testParams make hashing cheap; the rules under test do not depend on cost.
var testParams = password.Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	svc   *operators.Service
	clock *clock
}

const pw = "correct horse battery staple"

func newFixture(t *testing.T, e store.Engine) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := e.OpenControl(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	k, err := keys.Open(ctx, filepath.Join(t.TempDir(), "master.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, db: db, clock: &clock{now: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}}
	f.svc = operators.New(db, k, password.NewHasher(testParams, 0), discard)
	f.svc.Now = f.clock.Now
	f.svc.Throttle.Now = f.clock.Now
	f.svc.Throttle.Burst = 1000
	return f
}

// enrolled signs op in for the first time and sets up TOTP; it returns the
// full session's token and the TOTP secret.
func (f *fixture) enrolled(name string) (token, secret string) {
	f.t.Helper()
	res, err := f.svc.SignIn(f.ctx, name, pw, "192.0.2.1")
	if err != nil {
		f.t.Fatal(err)
	}
	if !res.Enrol {
		f.t.Fatal("first sign-in does not ask for enrolment")
	}
	e, err := f.svc.BeginTOTP(f.ctx, res.Token)
	if err != nil {
		f.t.Fatal(err)
	}
	code, _ := totp.CodeAt(e.Secret, f.clock.Now())
	full, err := f.svc.ConfirmTOTP(f.ctx, res.Token, code, "192.0.2.1")
	if err != nil {
		f.t.Fatal(err)
	}
	f.clock.Add(30 * time.Second) // the next code is a new one
	return full, e.Secret
}

func (f *fixture) code(secret string) string {
	c, err := totp.CodeAt(secret, f.clock.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) owner() (*operators.Operator, string) {
	f.t.Helper()
	op, err := f.svc.CreateFirst(f.ctx, operators.NewOperator{Name: "jane.doe", DisplayName: "Jane Doe", Password: pw})
	if err != nil {
		f.t.Fatal(err)
	}
	_, secret := f.enrolled("jane.doe")
	return op, secret
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if strongroom.ErrorCode(err) != code {
		t.Fatalf("got %v (%s), want %s", err, strongroom.ErrorCode(err), code)
	}
}

// Each test has a control plane of its own: the first operator is the
// first of that installation.
func TestOperators(t *testing.T) {
	for name, fn := range map[string]func(*testing.T, *fixture){
		"FirstAndOwnerOnly": testFirstAndOwnerOnly, "SignIn": testSignIn, "Lockout": testLockout,
		"Throttle": testThrottle, "Expiry": testExpiry, "CLI": testCLI, "Disabled": testDisabled,
		"EventsAppendOnly": testEventsAppendOnly, "KeyRotation": testKeyRotation, "ChangePassword": testChangePassword,
	} {
		t.Run(name, func(t *testing.T) {
			storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) { fn(t, newFixture(t, e)) })
		})
	}
}

func testFirstAndOwnerOnly(t *testing.T, f *fixture) {
	for _, name := range []string{"admin", "root", "support", "operator", "shared", "admin2", "Jane", "x"} {
		_, err := f.svc.CreateFirst(f.ctx, operators.NewOperator{Name: name, Password: pw})
		if strongroom.ErrorField(err) != "name" {
			t.Errorf("name %q: got %v, want a name error", name, err)
		}
	}
	if _, err := f.svc.CreateFirst(f.ctx, operators.NewOperator{Name: "jane.doe", Password: "password1"}); strongroom.ErrorField(err) != "password" {
		t.Fatalf("weak password: %v", err)
	}
	owner, _ := f.owner()
	if owner.Role != operators.RoleOwner {
		t.Fatalf("first operator is %s", owner.Role)
	}
	_, err := f.svc.CreateFirst(f.ctx, operators.NewOperator{Name: "eve.intruder", Password: pw})
	wantCode(t, err, strongroom.EFORBIDDEN)
	staff, err := f.svc.Create(f.ctx, owner, operators.NewOperator{Name: "sam.staff", Role: operators.RoleStaff, Password: pw}, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Create(f.ctx, staff, operators.NewOperator{Name: "sam.friend", Role: operators.RoleOwner, Password: pw}, "192.0.2.1")
	wantCode(t, err, strongroom.EFORBIDDEN)
	wantCode(t, f.svc.SetDisabled(f.ctx, staff, "jane.doe", true, ""), strongroom.EFORBIDDEN)
	_, err = f.svc.Create(f.ctx, owner, operators.NewOperator{Name: "sam.staff", Role: operators.RoleStaff, Password: pw}, "")
	wantCode(t, err, strongroom.ECONFLICT)
	if n, _ := f.svc.Count(f.ctx); n != 2 {
		t.Fatalf("count = %d", n)
	}
}

func testSignIn(t *testing.T, f *fixture) {
	f.owner()
	_, err := f.svc.SignIn(f.ctx, "jane.doe", "wrong horse battery staple", "192.0.2.1")
	wantCode(t, err, strongroom.EUNAUTHORIZED)
	_, err = f.svc.SignIn(f.ctx, "nobody.here", pw, "192.0.2.1")
	wantCode(t, err, strongroom.EUNAUTHORIZED)
	res, err := f.svc.SignIn(f.ctx, "jane.doe", pw, "192.0.2.1")
	if err != nil || res.Enrol {
		t.Fatalf("sign-in: %+v %v", res, err)
	}
	// Half signed in is not signed in.
	_, err = f.svc.Authenticate(f.ctx, res.Token, "192.0.2.1")
	wantCode(t, err, strongroom.EUNAUTHORIZED)
}

func testLockout(t *testing.T, f *fixture) {
	_, secret := f.owner()
	full, _ := f.svc.SignIn(f.ctx, "jane.doe", pw, "192.0.2.1")
	for i := 0; i < operators.LockoutThreshold; i++ {
		f.svc.SignIn(f.ctx, "jane.doe", "wrong horse battery staple", "192.0.2.1")
	}
	// Locked: the right password and code are refused too.
	_, err := f.svc.SignIn(f.ctx, "jane.doe", pw, "192.0.2.1")
	wantCode(t, err, strongroom.EUNAUTHORIZED)
	_, err = f.svc.VerifyCode(f.ctx, "jane.doe", f.code(secret))
	wantCode(t, err, strongroom.EUNAUTHORIZED)
	// The lockout ended the half-signed-in session.
	_, err = f.svc.SecondFactor(f.ctx, full.Token, f.code(secret), "192.0.2.1")
	wantCode(t, err, strongroom.EUNAUTHORIZED)
	f.clock.Add(operators.LockoutPeriod)
	if _, err := f.svc.SignIn(f.ctx, "jane.doe", pw, "192.0.2.1"); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	// Wrong codes count too.
	for i := 0; i < operators.LockoutThreshold; i++ {
		f.svc.VerifyCode(f.ctx, "jane.doe", "000000")
	}
	f.clock.Add(30 * time.Second)
	_, err = f.svc.VerifyCode(f.ctx, "jane.doe", f.code(secret))
	wantCode(t, err, strongroom.EUNAUTHORIZED)
	evs, _ := f.svc.Events(f.ctx, 100)
	locks := 0
	for _, ev := range evs {
		if ev.Action == "operator.locked" {
			locks++
		}
	}
	if locks != 2 {
		t.Fatalf("%d lockout events, want 2", locks)
	}
}

func testThrottle(t *testing.T, f *fixture) {
	f.owner()
	f.svc.Throttle.Burst = 3
	for i := 0; i < 3; i++ {
		f.svc.SignIn(f.ctx, "someone.else", pw, "198.51.100.9")
	}
	_, err := f.svc.SignIn(f.ctx, "jane.doe", pw, "198.51.100.9")
	wantCode(t, err, strongroom.ETOOMANY)
	// Another address is not held back.
	if _, err := f.svc.SignIn(f.ctx, "jane.doe", pw, "198.51.100.10"); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(30 * time.Second)
	if _, err := f.svc.SignIn(f.ctx, "jane.doe", pw, "198.51.100.9"); err != nil {
		t.Fatalf("after a refill: %v", err)
	}
}

func testExpiry(t *testing.T, f *fixture) {
	_, secret := f.owner()
	signIn := func() string {
		res, err := f.svc.SignIn(f.ctx, "jane.doe", pw, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		full, err := f.svc.SecondFactor(f.ctx, res.Token, f.code(secret), "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(30 * time.Second)
		return full
	}
	// Idle: a second short of 15 minutes is alive (and refreshed), 15 minutes is not.
	tok := signIn()
	f.clock.Add(operators.IdleTimeout - 30*time.Second - time.Second)
	if _, err := f.svc.Authenticate(f.ctx, tok, ""); err != nil {
		t.Fatalf("idle a second short: %v", err)
	}
	f.clock.Add(operators.IdleTimeout - time.Second)
	if _, err := f.svc.Authenticate(f.ctx, tok, ""); err != nil {
		t.Fatalf("refreshed: %v", err)
	}
	f.clock.Add(operators.IdleTimeout)
	_, err := f.svc.Authenticate(f.ctx, tok, "")
	wantCode(t, err, strongroom.EUNAUTHORIZED)

	// Absolute: kept busy, the session still ends 8 hours after sign-in.
	start := f.clock.Now()
	tok = signIn()
	for f.clock.Now().Before(start.Add(operators.AbsoluteTimeout - 10*time.Minute)) {
		f.clock.Add(10 * time.Minute)
		if _, err := f.svc.Authenticate(f.ctx, tok, ""); err != nil {
			t.Fatalf("busy at %v: %v", f.clock.Now().Sub(start), err)
		}
	}
	f.clock.now = start.Add(operators.AbsoluteTimeout - time.Second)
	if _, err := f.svc.Authenticate(f.ctx, tok, ""); err != nil {
		t.Fatalf("a second before the end: %v", err)
	}
	f.clock.Add(time.Second)
	_, err = f.svc.Authenticate(f.ctx, tok, "")
	wantCode(t, err, strongroom.EUNAUTHORIZED)
}

func testCLI(t *testing.T, f *fixture) {
	_, secret := f.owner()
	code := f.code(secret)
	op, err := f.svc.VerifyCode(f.ctx, "jane.doe", code)
	if err != nil {
		t.Fatal(err)
	}
	// The same code again is refused: a code is used once.
	_, err = f.svc.VerifyCode(f.ctx, "jane.doe", code)
	wantCode(t, err, strongroom.EUNAUTHORIZED)
	tok, expires, err := f.svc.IssueToken(f.ctx, op)
	if err != nil {
		t.Fatal(err)
	}
	if expires.Sub(f.clock.Now()) != operators.TokenLifetime {
		t.Fatalf("token lives %v", expires.Sub(f.clock.Now()))
	}
	if got, err := f.svc.AuthenticateToken(f.ctx, tok); err != nil || got.Name != "jane.doe" {
		t.Fatalf("token: %v %v", got, err)
	}
	_, err = f.svc.AuthenticateToken(f.ctx, tok+"x")
	wantCode(t, err, strongroom.EUNAUTHORIZED)
	f.clock.Add(operators.TokenLifetime - time.Second)
	if _, err := f.svc.AuthenticateToken(f.ctx, tok); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	f.clock.Add(time.Second)
	_, err = f.svc.AuthenticateToken(f.ctx, tok)
	wantCode(t, err, strongroom.EUNAUTHORIZED)
	var stored int
	f.db.QueryRowContext(f.ctx, `SELECT COUNT(*) FROM operator_tokens WHERE id_hash = ?`, tok).Scan(&stored)
	if stored != 0 {
		t.Fatal("token stored in the clear")
	}
}

func testDisabled(t *testing.T, f *fixture) {
	owner, _ := f.owner()
	if _, err := f.svc.Create(f.ctx, owner, operators.NewOperator{Name: "sam.staff", Role: operators.RoleStaff, Password: pw}, ""); err != nil {
		t.Fatal(err)
	}
	tok, secret := f.enrolled("sam.staff")
	op, err := f.svc.VerifyCode(f.ctx, "sam.staff", f.code(secret))
	if err != nil {
		t.Fatal(err)
	}
	cli, _, _ := f.svc.IssueToken(f.ctx, op)
	if _, err := f.svc.Authenticate(f.ctx, tok, ""); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.SetDisabled(f.ctx, owner, "jane.doe", true, ""), strongroom.EFORBIDDEN) // not oneself
	if err := f.svc.SetDisabled(f.ctx, owner, "sam.staff", true, ""); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Authenticate(f.ctx, tok, "")
	wantCode(t, err, strongroom.EUNAUTHORIZED)
	_, err = f.svc.AuthenticateToken(f.ctx, cli)
	wantCode(t, err, strongroom.EUNAUTHORIZED)
	_, err = f.svc.SignIn(f.ctx, "sam.staff", pw, "192.0.2.1")
	wantCode(t, err, strongroom.EUNAUTHORIZED)
	f.clock.Add(30 * time.Second)
	_, err = f.svc.VerifyCode(f.ctx, "sam.staff", f.code(secret))
	wantCode(t, err, strongroom.EUNAUTHORIZED)
}

func testEventsAppendOnly(t *testing.T, f *fixture) {
	f.owner()
	if err := f.svc.Record(f.ctx, nil, "tenant.created", "acme-law", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ExecContext(f.ctx, `UPDATE operator_events SET operator = 'someone'`); err == nil {
		t.Fatal("operator events can be changed")
	}
	if _, err := f.db.ExecContext(f.ctx, `DELETE FROM operator_events`); err == nil {
		t.Fatal("operator events can be deleted")
	}
}

// After a master-key rotation, cut short or not, the new master key opens
// the operators' TOTP secrets.
func testKeyRotation(t *testing.T, f *fixture) {
	_, secret := f.owner()
	next, err := keys.Open(f.ctx, filepath.Join(t.TempDir(), "next.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.PrepareRotation(f.ctx, next); err != nil {
		t.Fatal(err)
	}
	fresh := func() *operators.Service {
		s := operators.New(f.db, next, password.NewHasher(testParams, 0), discard)
		s.Now = f.clock.Now
		return s
	}
	// Cut short: the tenants' keys are rewrapped, the realm key's main copy not.
	if _, err := fresh().VerifyCode(f.ctx, "jane.doe", f.code(secret)); err != nil {
		t.Fatalf("after a rotation cut short: %v", err)
	}
	if err := f.svc.FinishRotation(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(30 * time.Second)
	if _, err := fresh().VerifyCode(f.ctx, "jane.doe", f.code(secret)); err != nil {
		t.Fatalf("after the rotation: %v", err)
	}
}

// A new account must choose its own password; the change checks the
// current one (a wrong one counts toward the lockout), refuses the same or
// a weak password, and ends every other session and CLI token.
func testChangePassword(t *testing.T, f *fixture) {
	f.svc.CreateFirst(f.ctx, operators.NewOperator{Name: "jane.doe", DisplayName: "Jane Doe", Password: pw})
	full, secret := f.enrolled("jane.doe")
	op, err := f.svc.Authenticate(f.ctx, full, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if !op.MustChangePassword {
		t.Fatal("a new operator is not asked to choose their own password")
	}
	other, _ := f.svc.SignIn(f.ctx, "jane.doe", pw, "192.0.2.9")
	otherFull, err := f.svc.SecondFactor(f.ctx, other.Token, f.code(secret), "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(30 * time.Second)
	tok, _, err := f.svc.IssueToken(f.ctx, op)
	if err != nil {
		t.Fatal(err)
	}
	const mine = "lantern cobalt meadow frigate 4417"
	if err := f.svc.ChangePassword(f.ctx, op, "not the password at all", mine, full, "192.0.2.1"); strongroom.ErrorField(err) != "current_password" {
		t.Fatalf("wrong current password: %v", err)
	}
	if err := f.svc.ChangePassword(f.ctx, op, pw, pw, full, "192.0.2.1"); strongroom.ErrorField(err) != "new_password" {
		t.Fatalf("the same password: %v", err)
	}
	if err := f.svc.ChangePassword(f.ctx, op, pw, "jane.doe operator", full, "192.0.2.1"); strongroom.ErrorField(err) != "new_password" {
		t.Fatalf("a weak password: %v", err)
	}
	if err := f.svc.ChangePassword(f.ctx, op, pw, mine, full, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if op, err := f.svc.Authenticate(f.ctx, full, "192.0.2.1"); err != nil || op.MustChangePassword {
		t.Fatalf("the session it was changed in: %+v %v", op, err)
	}
	if _, err := f.svc.Authenticate(f.ctx, otherFull, "192.0.2.9"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
		t.Fatalf("another session after the change: %v", err)
	}
	if _, err := f.svc.AuthenticateToken(f.ctx, tok); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
		t.Fatalf("a CLI token after the change: %v", err)
	}
	if _, err := f.svc.SignIn(f.ctx, "jane.doe", pw, "192.0.2.1"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
		t.Fatalf("the old password still signs in: %v", err)
	}
	if _, err := f.svc.SignIn(f.ctx, "jane.doe", mine, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	evs, _ := f.svc.Events(f.ctx, 100)
	var changed, wrong bool
	for _, e := range evs {
		changed = changed || (e.Action == "operator.password_changed" && e.Details["first"] == "true")
		wrong = wrong || (e.Action == "operator.sign_in_failed" && e.Details["reason"] == "wrong_current_password")
	}
	if !changed || !wrong {
		t.Fatalf("events: changed %v, wrong current %v", changed, wrong)
	}

	// Wrong current passwords lock the account like wrong sign-ins.
	op.MustChangePassword = false
	for i := 0; i < operators.LockoutThreshold; i++ {
		f.svc.ChangePassword(f.ctx, op, "still not the password", "another fine passphrase 9921", full, "192.0.2.1")
	}
	if _, err := f.svc.Authenticate(f.ctx, full, "192.0.2.1"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
		t.Fatalf("the session after %d wrong current passwords: %v", operators.LockoutThreshold, err)
	}
}

// A one-time password is random, readable and passes the password rules.
func TestOneTimePassword(t *testing.T) {
	a, b := operators.OneTimePassword(), operators.OneTimePassword()
	if a == b || len(a) != 29 {
		t.Fatalf("one-time passwords %q and %q", a, b)
	}
	if err := password.Check(a, "jane.doe", true, "Jane Doe"); err != nil {
		t.Fatalf("%q fails the password rules: %v", a, err)
	}
}
