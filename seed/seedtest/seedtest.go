// Package seedtest gives tests a real tenant to put generated data in: a
// tenant made as `strongroom tenant create` makes one (built-in roles and
// its first administrator), on a real engine.
package seedtest

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"strongroom/identity"
	"strongroom/identity/password"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/tenancy"
)

// fastParams keep password hashing quick in tests.
var fastParams = password.Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Tenant creates the tenant "firm" on engine e and returns its handle and
// an identity service. Everything is closed when the test ends.
func Tenant(t testing.TB, e store.Engine) (*tenancy.Handle, *identity.Service) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	db, err := e.OpenControl(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	k, err := keys.Open(ctx, filepath.Join(t.TempDir(), "master.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	ids := identity.New(password.NewHasher(fastParams, 0), identity.NewThrottle(1000, time.Second), log)
	control := store.NewControl(db)
	tenants := tenancy.NewService(e, control, k, log)
	tenants.Checkpoints = t.TempDir()
	tenants.Initialize = func(ctx context.Context, h *tenancy.Handle) error {
		_, err := ids.Bootstrap(ctx, h, "")
		return err
	}
	if _, err := tenants.Create(ctx, "firm", "Firm LLP"); err != nil {
		t.Fatal(err)
	}
	reg := tenancy.NewRegistry(e, control, k, log, time.Minute, tenants.Checkpoints)
	t.Cleanup(reg.Close)
	h, release, err := reg.Get(ctx, "firm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return h, ids
}
