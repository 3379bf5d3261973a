package tenancy_test

import (
	"context"
	"testing"
	"time"

	"strongroom"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// At most MaxOpen tenant databases are open: opening another closes the
// least recently used idle one, and when all are in use the answer is
// "unavailable, try again" (never a third database over the limit).
func TestRegistryMaxOpen(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		for _, slug := range []string{"one", "two", "three"} {
			if _, err := f.svc.Create(ctx, slug, slug); err != nil {
				t.Fatal(err)
			}
		}
		reg := tenancy.NewRegistry(e, f.control, f.keeper, discard, time.Hour, t.TempDir())
		reg.MaxOpen = 2
		defer reg.Close()
		get := func(slug string) (*tenancy.Handle, func()) {
			t.Helper()
			h, release, err := reg.Get(ctx, slug)
			if err != nil {
				t.Fatalf("get %s: %v", slug, err)
			}
			return h, release
		}
		one, release := get("one")
		release()
		_, release = get("two")
		release()
		_, releaseThree := get("three")
		if n := reg.Open(); n != 2 {
			t.Fatalf("%d tenant databases open, limit 2", n)
		}
		// "one" was the least recently used: its database closes.
		for deadline := time.Now().Add(10 * time.Second); one.DB.Ping(ctx) == nil; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the least recently used tenant is still open")
			}
		}
		_, releaseTwo := get("two")
		if _, _, err := reg.Get(ctx, "one"); strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE {
			t.Fatalf("a third tenant while two are in use: %v, want unavailable", err)
		}
		if n := reg.Open(); n != 2 {
			t.Fatalf("%d tenant databases open, limit 2", n)
		}
		releaseThree()
		_, release = get("one")
		release()
		releaseTwo()
		if n := reg.Open(); n != 2 {
			t.Fatalf("%d tenant databases open, limit 2", n)
		}
	})
}
