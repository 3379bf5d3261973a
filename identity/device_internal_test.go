package identity

import (
	"testing"
	"time"
)

var testDeviceKey = []byte("0123456789abcdef0123456789abcdef")

// A device cookie is valid only for its user name, in its tenant, under
// its tenant's key, until it expires.
func TestDeviceCookieBinding(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	v, exp := issueDevice(testDeviceKey, "alpha-law", "ana", now)
	if _, ok := checkDevice(testDeviceKey, "alpha-law", "ana", v, now.Add(DeviceLifetime-time.Second)); !ok {
		t.Fatal("a fresh cookie is not valid")
	}
	otherKey := []byte("fedcba9876543210fedcba9876543210")
	for _, tc := range []struct {
		name          string
		key           []byte
		slug, user, v string
		at            time.Time
	}{
		{"another user", testDeviceKey, "alpha-law", "bob", v, now},
		{"another tenant", testDeviceKey, "beta-law", "ana", v, now},
		{"another tenant's key", otherKey, "alpha-law", "ana", v, now},
		{"expired", testDeviceKey, "alpha-law", "ana", v, exp},
		{"longer expiry", testDeviceKey, "alpha-law", "ana", v[:len("d1.")+22+1] + "9" + v[len("d1.")+22+1:], now},
		{"empty", testDeviceKey, "alpha-law", "ana", "", now},
	} {
		if _, ok := checkDevice(tc.key, tc.slug, tc.user, tc.v, tc.at); ok {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// No value that was not issued is a valid cookie, and none makes the check
// fail other than by saying no.
func FuzzCheckDevice(f *testing.F) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	v := formatDevice(testDeviceKey, "alpha-law", "ana", "Jq-73agIiQHk1r0dt35uaA", now.Add(time.Hour))
	f.Add(v, "ana")
	f.Add("d1...", "")
	f.Add("d1.AAAA.99999999999999999999.AAAA", "ana")
	f.Fuzz(func(t *testing.T, value, user string) {
		if _, ok := checkDevice(testDeviceKey, "alpha-law", user, value, now); ok && value != v {
			t.Fatalf("forged cookie %q accepted for %q", value, user)
		}
	})
}
