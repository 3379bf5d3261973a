package metrics_test

import (
	"context"
	"testing"
	"time"

	"strongroom/access"
	"strongroom/metrics"
	"strongroom/store"
	"strongroom/store/storetest"
)

func TestFingerprint(t *testing.T) {
	staff := access.BuiltinRoles()[1]
	readOnly := access.BuiltinRoles()[2]
	fp := func(id int64, restricted bool, classes []int64, roles ...access.Role) string {
		return metrics.Fingerprint(access.NewSubject(id, restricted, classes, roles))
	}
	base := fp(1, false, []int64{3, 5}, staff)
	if fp(2, false, []int64{5, 3, 3}, staff) != base {
		t.Error("two users with the same access have different fingerprints")
	}
	// The same effective levels through different roles are the same access.
	if fp(3, false, []int64{3, 5}, staff, staff) != base {
		t.Error("a role held twice changed the fingerprint")
	}
	for name, other := range map[string]string{
		"restricted":    fp(1, true, []int64{3, 5}, staff),
		"fewer classes": fp(1, false, []int64{3}, staff),
		"other class":   fp(1, false, []int64{3, 6}, staff),
		"other levels":  fp(1, false, []int64{3, 5}, readOnly),
		"no roles":      fp(1, false, []int64{3, 5}),
		"nil":           metrics.Fingerprint(nil),
	} {
		if other == base {
			t.Errorf("%s: same fingerprint as different access", name)
		}
	}
}

func TestCacheSharing(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f, admin := newCaseFixture(t, e)
		s := service()
		staff := access.BuiltinRoles()[1]
		q := metrics.Query{Metric: string(metrics.OpenCases), From: now.AddDate(0, 0, -7), To: now}
		value := func(id int64, restricted bool, classes ...int64) float64 {
			t.Helper()
			ser, err := s.Series(ctx, f.h, principal(id, restricted, classes, staff), q)
			if err != nil {
				t.Fatal(err)
			}
			return ser.Groups[0].Buckets[0].Value
		}
		// Unrestricted with class A sees cases 0, 1, 3 and 5; restricted
		// with class A only 1 and 5. Asked in turn, with the same query, the
		// cache must not hand one the other's figure.
		if v := value(1, false, f.A); v != 4 {
			t.Fatalf("unrestricted: %v, want 4", v)
		}
		if v := value(2, true, f.A); v != 2 {
			t.Fatalf("restricted after unrestricted: %v, want 2 (a cached figure crossed access)", v)
		}
		n := s.Cache().Len()
		if v := value(3, true, f.A); v != 2 || s.Cache().Len() != n {
			t.Errorf("a second user with the same access: %v, %d entries (was %d); want a shared entry", v, s.Cache().Len(), n)
		}

		// A write to a stored metric clears the tenant's entries: the next
		// read sees the point at once.
		if _, err := s.Define(ctx, f.h, admin, metrics.Metric{Name: "sales.won"}); err != nil {
			t.Fatal(err)
		}
		reader := principal(4, false, nil, staff)
		sq := metrics.Query{Metric: "sales.won", From: now.AddDate(0, 0, -7), To: now.Add(time.Hour)}
		read := func() float64 {
			ser, err := s.Series(ctx, f.h, reader, sq)
			if err != nil {
				t.Fatal(err)
			}
			return ser.Groups[0].Buckets[0].Value
		}
		if v := read(); v != 0 {
			t.Fatalf("empty metric: %v", v)
		}
		if _, err := s.Push(ctx, f.h, admin, []metrics.Point{{Metric: "sales.won", At: now, Value: 5}}); err != nil {
			t.Fatal(err)
		}
		if v := read(); v != 5 {
			t.Errorf("after a push: %v, want 5 (the cache was not cleared)", v)
		}
	})
}

func TestCacheExpiry(t *testing.T) {
	clock := time.Unix(1000, 0)
	c := metrics.NewCache(time.Minute, func() time.Time { return clock })
	calls := 0
	get := func(k metrics.CacheKey) {
		c.Get(k, func() (any, error) { calls++; return calls, nil })
	}
	k := metrics.CacheKey{Tenant: "firm", Query: "q", Access: "a"}
	get(k)
	get(k)
	if calls != 1 {
		t.Fatalf("%d computations, want 1", calls)
	}
	get(metrics.CacheKey{Tenant: "other", Query: "q", Access: "a"})
	get(metrics.CacheKey{Tenant: "firm", Query: "q", Access: "b"})
	if calls != 3 {
		t.Fatalf("%d computations, want 3: tenants and access never share", calls)
	}
	clock = clock.Add(time.Minute)
	get(k)
	if calls != 4 {
		t.Errorf("an expired entry was served")
	}
	c.Invalidate("firm")
	get(k)
	if calls != 5 {
		t.Errorf("an invalidated entry was served")
	}
}
