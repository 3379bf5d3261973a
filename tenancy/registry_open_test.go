package tenancy_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// stallingEngine is a fault injector: opening the tenant database named
// stall waits until release is closed, as a database server that stopped
// answering would make it.
type stallingEngine struct {
	store.Engine
	stall   string
	release chan struct{}
	opens   atomic.Int32
}

func (e *stallingEngine) OpenTenantDB(ctx context.Context, slug, placement string) (*store.DB, error) {
	if slug == e.stall {
		e.opens.Add(1)
		<-e.release
	}
	return e.Engine.OpenTenantDB(ctx, slug, placement)
}

// A tenant whose database is slow to open holds up only its own requests:
// another tenant, open or not yet, is served meanwhile, and the slow one is
// opened once however many requests wait for it.
func TestRegistryOpensOutsideItsLock(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		for _, slug := range []string{"slow", "open", "later"} {
			if _, err := f.svc.Create(ctx, slug, slug); err != nil {
				t.Fatal(err)
			}
		}
		stalling := &stallingEngine{Engine: e, stall: "slow", release: make(chan struct{})}
		reg := tenancy.NewRegistry(stalling, f.control, f.keeper, discard, time.Hour, t.TempDir())
		defer reg.Close()
		var unstall sync.Once
		// Deferred after Close, so it runs first: a failing test must not
		// leave the open stalled and Close waiting for it.
		defer unstall.Do(func() { close(stalling.release) })
		_, release, err := reg.Get(ctx, "open")
		if err != nil {
			t.Fatal(err)
		}
		release()

		var waiting sync.WaitGroup
		errs := make(chan error, 3)
		for range 3 {
			waiting.Add(1)
			go func() {
				defer waiting.Done()
				_, release, err := reg.Get(ctx, "slow")
				if err == nil {
					release()
				}
				errs <- err
			}()
		}
		for stalling.opens.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		for _, slug := range []string{"open", "later"} {
			served := make(chan error, 1)
			go func() {
				_, release, err := reg.Get(ctx, slug)
				if err == nil {
					release()
				}
				served <- err
			}()
			select {
			case err := <-served:
				if err != nil {
					t.Fatalf("%s: %v", slug, err)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("tenant %s waited for another tenant's database to open", slug)
			}
		}
		unstall.Do(func() { close(stalling.release) })
		waiting.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("slow tenant: %v", err)
			}
		}
		if n := stalling.opens.Load(); n != 1 {
			t.Fatalf("the slow tenant was opened %d times, want once", n)
		}
	})
}
