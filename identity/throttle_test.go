package identity_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"strongroom"
	"strongroom/identity/password"
	"strongroom/store"
	"strongroom/store/storetest"
)

// Failed sign-ins sent from one address all at once are held to the
// throttle's burst: the token is taken before the password is checked, so
// no more than burst passwords (or dummy hashes) are ever computed. The
// real hash parameters make each check take long enough for every attempt
// to arrive while the first ones are still being checked.
func TestThrottleHoldsConcurrentFailures(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e, password.DefaultParams)
		ctx := context.Background()
		const burst, sent = 5, 40
		f.throttle.Burst = burst
		f.throttle.Refill = time.Hour
		before := f.hasher.Computed()
		var wg sync.WaitGroup
		var mu sync.Mutex
		refused := 0
		start := make(chan struct{})
		for i := range sent {
			wg.Go(func() {
				<-start
				name := "admin"
				if i%2 == 1 {
					name = fmt.Sprintf("nobody-%d", i)
				}
				_, err := f.svc.Login(ctx, f.h, name, "a guess that is not right", "203.0.113.77", "test")
				switch strongroom.ErrorCode(err) {
				case strongroom.ETOOMANY:
					mu.Lock()
					refused++
					mu.Unlock()
				case strongroom.EUNAUTHORIZED:
				default:
					t.Errorf("sign-in %d: %v", i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if hashed := f.hasher.Computed() - before; hashed > burst || refused != sent-int(hashed) {
			t.Fatalf("%d concurrent failures from one address with burst %d: %d hashed, %d refused", sent, burst, hashed, refused)
		}
	})
}

// A right password does not use up the address's allowance: only failures
// are charged, even though the token is taken before the check.
func TestThrottleChargesOnlyFailures(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.throttle.Burst = 2
		f.throttle.Refill = time.Hour
		for i := range 5 {
			if _, err := f.svc.Login(ctx, f.h, "admin", f.adminPW, "203.0.113.78", "test"); err != nil {
				t.Fatalf("right password %d: %v", i, err)
			}
		}
		for i := range 2 {
			if _, err := f.svc.Login(ctx, f.h, "admin", "wrong wrong wrong wrong", "203.0.113.78", "test"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
				t.Fatalf("failure %d within the burst: %v", i, err)
			}
		}
		if _, err := f.svc.Login(ctx, f.h, "admin", f.adminPW, "203.0.113.78", "test"); strongroom.ErrorCode(err) != strongroom.ETOOMANY {
			t.Fatalf("after the burst of failures: %v", err)
		}
	})
}
