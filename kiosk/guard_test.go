package kiosk_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"strongroom"
	"strongroom/kiosk"
	"strongroom/store"
	"strongroom/store/storetest"
)

// Thousands of guesses from many addresses: guessing stops, as counted by
// the guesses actually tested against the table (one kiosk.guess_failed
// each), while a screen's address, which never failed, resolves every
// time; and an address that is blocked cannot test a real token either.
func TestGuessingStops(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		const addrBurst, tenantBurst, attackers, rounds = 5, 20, 50, 60
		f.svc.Guard = kiosk.NewGuard(kiosk.GuardConfig{AddressBurst: addrBurst, AddressRefill: time.Hour,
			TenantBurst: tenantBurst, TenantRefill: time.Hour, Memory: time.Hour}, f.clock.Now)
		_, token := f.create(f.input())
		ctx := context.Background()
		guess := func(i int) string { return fmt.Sprintf("srk_%043d", i) }

		var wg sync.WaitGroup
		sent := 0
		for round := range rounds {
			for a := range attackers {
				wg.Add(1)
				go func(n int) {
					defer wg.Done()
					_, err := f.svc.Resolve(ctx, f.h, guess(n), fmt.Sprintf("198.18.%d.%d", n%attackers/250, n%attackers%250+1))
					if strongroom.ErrorCode(err) != strongroom.ENOTFOUND || strongroom.ErrorMessage(err) != "Page not found." {
						t.Errorf("guess: %v", err)
					}
				}(round*attackers + a)
				sent++
			}
			wg.Wait()
			// The screen reloads between the rounds of the flood.
			f.mustView(t, token, "192.0.2.200")
		}
		tested := len(f.events("kiosk.guess_failed"))
		// Each tested failure spent the tenant's budget or was the first
		// failure of an address that had none: never more than the two.
		if tested > tenantBurst+attackers || tested == 0 {
			t.Fatalf("%d of %d guesses were tested, want at most %d", tested, sent, tenantBurst+attackers)
		}
		t.Logf("%d of %d guesses tested", tested, sent)
		// A blocked address cannot test even the real token.
		f.mustNotFound(t, token, "198.18.0.1")
		if n := len(f.events("kiosk.guess_failed")); n != tested {
			t.Fatalf("a blocked address was looked up: %d tested", n)
		}
		// The refusals are counted, not written one by one.
		if refused := f.events("kiosk.guess_refused"); len(refused) != 1 || refused[0].Details["refused"] != "1" {
			t.Fatalf("refusal events %+v", refused)
		}
		// A new screen at an address that never failed still resolves,
		// and a new address guessing gets one test, then none.
		f.mustView(t, token, "192.0.2.201")
		for range 10 {
			f.mustNotFound(t, guess(-1), "192.0.2.202")
		}
		if n := len(f.events("kiosk.guess_failed")); n != tested+1 {
			t.Fatalf("a fresh address tested %d guesses while the budget is spent, want 1", n-tested)
		}
		// Time heals: an hour on, the addresses may try again.
		f.clock.Add(2 * time.Hour)
		f.mustNotFound(t, guess(-2), "198.18.0.1")
		if n := len(f.events("kiosk.guess_failed")); n != tested+2 {
			t.Fatalf("after the refill: %d tested", n-tested)
		}
	})
}

// An address's own failures block it before the tenant's budget matters.
func TestAddressBlocked(t *testing.T) {
	f := newFixture(t, storetest.NewSQLite(t))
	f.svc.Guard = kiosk.NewGuard(kiosk.GuardConfig{AddressBurst: 3, AddressRefill: time.Minute, TenantBurst: 1000, TenantRefill: time.Second, Memory: time.Hour}, f.clock.Now)
	_, token := f.create(f.input())
	for range 3 {
		f.mustNotFound(t, "srk_wrong", "203.0.113.9")
	}
	f.mustNotFound(t, token, "203.0.113.9")
	// IPv6 addresses count by their /64.
	for i := range 3 {
		f.mustNotFound(t, "srk_wrong", fmt.Sprintf("2001:db8:5:5::%d", i+1))
	}
	f.mustNotFound(t, token, "2001:db8:5:5::99")
	f.mustView(t, token, "2001:db8:5:6::1")
	f.clock.Add(time.Minute)
	f.mustView(t, token, "203.0.113.9") // one token back: enough for a real one
	if n := len(f.events("kiosk.guess_failed")); n != 6 {
		t.Fatalf("%d lookups failed, want 6", n)
	}
}
