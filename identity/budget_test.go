package identity_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/identity/totp"
)

// floodAddress is the n-th address of a flood: each attempt comes from an
// address of its own, as through a proxy that many clients share.
func floodAddress(n int) string { return fmt.Sprintf("198.18.%d.%d", n/250, n%250+1) }

// flood sends n failed sign-ins at once, each from an address of its own,
// and returns how many were refused for too many failures.
func (f *fixture) flood(n int) (refused int) {
	f.t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, err := f.svc.Login(context.Background(), f.h, fmt.Sprintf("guess-%d", i), "not anybody's password", floodAddress(i), "flood")
			switch strongroom.ErrorCode(err) {
			case strongroom.ETOOMANY:
				mu.Lock()
				refused++
				mu.Unlock()
			case strongroom.EUNAUTHORIZED:
			default:
				f.t.Errorf("flood attempt %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return refused
}

// events returns the tenant's audit events with the action.
func (f *fixture) events(action string) []map[string]string {
	f.t.Helper()
	evs, err := f.h.Audit.Events(context.Background(), 0, 1_000_000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []map[string]string
	for _, e := range evs {
		if e.Action == action {
			out = append(out, e.Details)
		}
	}
	return out
}

// A flood of failed sign-ins from many addresses spends the tenant's
// budget; then every attempt from a browser the tenant does not know is
// refused before any hash is computed, whoever it names, until the budget
// has refilled.
func TestTenantBudgetRefusesBeforeHashing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.svc.Budget.Burst, f.svc.Budget.Refill = 5, time.Minute
		before := f.hasher.Computed()
		if refused := f.flood(40); refused != 35 || f.hasher.Computed()-before != 5 {
			t.Fatalf("40 failures from 40 addresses with a budget of 5: %d refused, %d hashed", refused, f.hasher.Computed()-before)
		}
		before = f.hasher.Computed()
		_, err := f.svc.Login(ctx, f.h, "admin", f.adminPW, "192.0.2.44", "test")
		if strongroom.ErrorCode(err) != strongroom.ETOOMANY || !strings.Contains(strongroom.ErrorMessage(err), "Too many sign-ins are failing at the moment") {
			t.Fatalf("a right password from an unknown browser while the budget is spent: %v", err)
		}
		if n := f.hasher.Computed() - before; n != 0 {
			t.Fatalf("a refused attempt computed %d hashes", n)
		}
		// Once a token is back, one attempt is checked; a right password
		// does not spend it.
		f.clock.Add(time.Minute)
		for range 3 {
			if _, err := f.svc.Login(ctx, f.h, "admin", f.adminPW, "192.0.2.44", "test"); err != nil {
				t.Fatalf("after the budget refilled: %v", err)
			}
		}
		if u := f.user("admin"); u.Locked() || u.FailedLogins != 0 {
			t.Fatal("refused attempts touched the account")
		}
	})
}

// Refusals are in the audit trail, but as one event a minute with their
// count, not one per refusal.
func TestTenantBudgetRefusalsAudited(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		f.svc.Budget.Burst, f.svc.Budget.Refill = 1, time.Hour
		f.flood(1)
		for i := range 10 {
			f.svc.Login(context.Background(), f.h, "guess", "not anybody's password", floodAddress(100+i), "flood")
		}
		evs := f.events("auth.login_refused")
		if len(evs) != 1 || evs[0]["refused"] != "1" || evs[0]["reason"] != "tenant_budget" {
			t.Fatalf("after 10 refusals within a minute: %v", evs)
		}
		f.clock.Add(time.Minute)
		f.svc.Login(context.Background(), f.h, "guess", "not anybody's password", floodAddress(200), "flood")
		if evs := f.events("auth.login_refused"); len(evs) != 2 || evs[1]["refused"] != "10" {
			t.Fatalf("a minute later: %v", evs)
		}
	})
}

// signInDevice signs in with a password and a device cookie.
func (f *fixture) signInDevice(user, pw, device, ip string) (*identity.LoginResult, error) {
	return f.svc.SignIn(context.Background(), f.h, identity.Attempt{Username: user, Password: pw, IP: ip, UserAgent: "test", Device: device})
}

// A browser that has signed in before keeps getting in while the budget
// is spent and while its address is throttled; a cookie for another
// user, tampered with, or expired, counts for nothing.
func TestDeviceCookieKeepsKnownBrowserIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		res, err := f.signInDevice("admin", f.adminPW, "", "192.0.2.50")
		if err != nil || res.Device == "" || !res.DeviceExpires.Equal(f.clock.Now().Add(identity.DeviceLifetime).Truncate(time.Second)) {
			t.Fatalf("a full sign-in gave no device cookie: %+v %v", res, err)
		}
		device := res.Device
		if strings.Contains(device, "admin") {
			t.Fatal("the device cookie names its user")
		}
		f.newUser("clerk", identity.UserInput{RoleIDs: []int64{f.role("Staff")}})
		// Failures from the admin's own address spend both its throttle
		// and the tenant's budget; the flood finds nothing left.
		f.svc.Budget.Burst, f.svc.Budget.Refill = 3, time.Hour
		f.throttle.Burst, f.throttle.Refill = 3, time.Hour
		for range 3 {
			f.svc.Login(ctx, f.h, "admin", "wrong wrong wrong wrong", "192.0.2.50", "test")
		}
		if refused := f.flood(10); refused != 10 {
			t.Fatalf("the flood found %d tokens", 10-refused)
		}
		if _, err := f.svc.Login(ctx, f.h, "admin", f.adminPW, "192.0.2.50", "test"); !strings.Contains(strongroom.ErrorMessage(err), "network address") {
			t.Fatalf("the address is not throttled: %v", err)
		}

		before := f.hasher.Computed()
		for i := range 3 {
			res, err := f.signInDevice("ADMIN", f.adminPW, device, "192.0.2.50")
			if err != nil {
				t.Fatalf("known browser, sign-in %d during the flood: %v", i, err)
			}
			device = res.Device // each sign-in gives a new cookie; the old one stays valid
		}
		if n := f.hasher.Computed() - before; n != 3 {
			t.Fatalf("3 sign-ins computed %d hashes", n)
		}
		tampered := device[:len(device)-2] + "AA"
		if device[len(device)-2:] == "AA" {
			tampered = device[:len(device)-2] + "BB"
		}
		expired := res.Device
		for _, tc := range []struct{ name, user, device string }{
			{"another user's cookie", "clerk", device},
			{"tampered", "admin", tampered},
			{"no cookie", "admin", ""},
			{"garbage", "admin", "d1.x.y.z"},
		} {
			if _, err := f.signInDevice(tc.user, f.adminPW, tc.device, "192.0.2.51"); strongroom.ErrorCode(err) != strongroom.ETOOMANY {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		f.clock.Add(identity.DeviceLifetime)
		f.svc.Budget.Refill = 100 * identity.DeviceLifetime // still spent
		if _, err := f.signInDevice("admin", f.adminPW, expired, "192.0.2.52"); strongroom.ErrorCode(err) != strongroom.ETOOMANY {
			t.Errorf("expired cookie: %v", err)
		}
	})
}

// A known browser's failures count toward the account's lockout, and
// against the cookie itself: after DeviceFailures of them it is treated
// as no cookie.
func TestDeviceCookieFailuresCount(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		s, _ := f.svc.Settings(ctx, f.h, f.admin)
		s.LockoutThreshold = identity.DeviceFailures + 1
		if err := f.svc.UpdateSettings(ctx, f.h, f.admin, s); err != nil {
			t.Fatal(err)
		}
		res, err := f.signInDevice("admin", f.adminPW, "", "192.0.2.60")
		if err != nil {
			t.Fatal(err)
		}
		f.svc.Budget.Burst, f.svc.Budget.Refill = 1, time.Hour
		f.flood(5)
		for i := range identity.DeviceFailures {
			if _, err := f.signInDevice("admin", "wrong wrong wrong wrong", res.Device, "192.0.2.60"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
				t.Fatalf("failure %d with the cookie: %v", i, err)
			}
		}
		if u := f.user("admin"); u.FailedLogins != identity.DeviceFailures {
			t.Fatalf("failures with a device cookie counted toward the lockout: %d", u.FailedLogins)
		}
		if _, err := f.signInDevice("admin", f.adminPW, res.Device, "192.0.2.60"); strongroom.ErrorCode(err) != strongroom.ETOOMANY {
			t.Fatalf("a cookie past its failures still passes the spent budget: %v", err)
		}
		// It regains a failure in time, and the account's lockout still applies.
		f.clock.Add(identity.DeviceWindow / identity.DeviceFailures)
		f.signInDevice("admin", "wrong wrong wrong wrong", res.Device, "192.0.2.60")
		if !f.user("admin").Locked() {
			t.Fatal("the account did not lock at its threshold")
		}
		f.clock.Add(identity.DeviceWindow)
		if _, err := f.signInDevice("admin", f.adminPW, res.Device, "192.0.2.60"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
			t.Fatalf("a known browser got into a locked account: %v", err)
		}
	})
}

// Strangers are checked one at a time per tenant, and a known browser
// does not wait for them. A stranger that gives up waiting is not charged.
func TestKnownBrowserDoesNotQueueBehindStrangers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		res, err := f.signInDevice("admin", f.adminPW, "", "192.0.2.70")
		if err != nil {
			t.Fatal(err)
		}
		f.svc.Budget.Burst, f.svc.Budget.Refill = 1, time.Hour
		release := f.svc.HoldStrangerLane(f.h.Tenant.Slug)
		gone, cancel := context.WithCancel(context.Background())
		cancel()
		_, err = f.svc.SignIn(gone, f.h, identity.Attempt{Username: "guess", Password: "not anybody's password", IP: floodAddress(1)})
		if strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE {
			t.Fatalf("a stranger while the lane is taken: %v", err)
		}
		if _, err := f.signInDevice("admin", f.adminPW, res.Device, "192.0.2.70"); err != nil {
			t.Fatalf("a known browser while a stranger is being checked: %v", err)
		}
		release()
		if _, err := f.svc.Login(context.Background(), f.h, "guess", "not anybody's password", floodAddress(1), "test"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
			t.Fatalf("the stranger who gave up was charged: %v", err)
		}
	})
}

// A known browser finishes a two-factor sign-in from an address that the
// throttle refuses: the code, like the password, is charged to the
// device cookie.
func TestDeviceCookieSecondFactorFromThrottledAddress(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		p, pw := f.newUser("clerk", identity.UserInput{RoleIDs: []int64{f.role("Staff")}})
		e, err := f.svc.BeginTOTP(ctx, f.h, p)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.CodeAt(e.Secret, f.clock.Now())
		if _, _, err := f.svc.ConfirmTOTP(ctx, f.h, p, code, "test"); err != nil {
			t.Fatal(err)
		}
		const office = "192.0.2.80"
		signIn := func(device string) *identity.LoginResult {
			t.Helper()
			f.clock.Add(30 * time.Second)
			half, err := f.signInDevice("clerk", pw, device, office)
			if err != nil || !half.SecondFactor {
				t.Fatalf("password step: %+v %v", half, err)
			}
			code, _ := totp.CodeAt(e.Secret, f.clock.Now())
			full, err := f.svc.SecondFactor(ctx, f.h, half.Token, code, office, "test", device)
			if err != nil || full.Device == "" {
				t.Fatalf("second factor: %+v %v", full, err)
			}
			return full
		}
		device := signIn("").Device
		f.throttle.Burst, f.throttle.Refill = 2, time.Hour
		for range 2 {
			f.svc.Login(ctx, f.h, "someone", "wrong wrong wrong wrong", office, "test")
		}
		if _, err := f.svc.Login(ctx, f.h, "clerk", pw, office, "test"); strongroom.ErrorCode(err) != strongroom.ETOOMANY {
			t.Fatalf("the office address is not throttled: %v", err)
		}
		signIn(device)
	})
}
