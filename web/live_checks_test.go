package web

import (
	"errors"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/live"
)

// The readings of live sockets' credentials stand for liveCheckTTL, for
// the same cookie from the same address only, and a tenant's are
// forgotten at once when something of it changes.
func TestLiveChecks(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	c := newLiveChecks(func() time.Time { return now })
	sub := live.Subscriber{Tenant: "acme", Kind: live.KindSession}
	a := &liveAccess{token: "cookie-one", ip: "192.0.2.1"}
	key := credKey(sub, a)
	c.putCred("acme", key, credReading{principal: &identity.Principal{SessionID: "s1"}})

	if r, ok := c.cred(key); !ok || r.principal.SessionID != "s1" {
		t.Fatalf("a fresh reading: %+v %v", r, ok)
	}
	for name, other := range map[string]string{
		"another cookie":       credKey(sub, &liveAccess{token: "cookie-two", ip: "192.0.2.1"}),
		"another address":      credKey(sub, &liveAccess{token: "cookie-one", ip: "192.0.2.2"}),
		"another tenant":       credKey(live.Subscriber{Tenant: "other", Kind: live.KindSession}, a),
		"a kiosk of the token": credKey(live.Subscriber{Tenant: "acme", Kind: live.KindKiosk}, a),
	} {
		if _, ok := c.cred(other); ok {
			t.Errorf("%s shares the reading", name)
		}
	}
	if key == "" || strings.Contains(key, a.token) {
		t.Errorf("the key holds the cookie: %q", key)
	}

	now = now.Add(liveCheckTTL)
	if _, ok := c.cred(key); ok {
		t.Error("a reading outlived its TTL")
	}

	refused := strongroom.Errorf(strongroom.EUNAUTHORIZED, "Sign in again.")
	c.putCred("acme", key, credReading{err: refused})
	c.putTopic("acme", topicKey(key, 7), errors.New("not yours"))
	c.putCred("other", "k2", credReading{})
	c.forget("acme")
	if _, ok := c.cred(key); ok {
		t.Error("forget left the tenant's credential reading")
	}
	if _, ok := c.topic(topicKey(key, 7)); ok {
		t.Error("forget left the tenant's topic reading")
	}
	if _, ok := c.cred("k2"); !ok {
		t.Error("forget dropped another tenant's reading")
	}

	// Expired readings do not pile up.
	for i := range 100 {
		c.putTopic("acme", topicKey(key, int64(i)), nil)
	}
	now = now.Add(liveCheckTTL)
	c.putCred("acme", key, credReading{})
	if n := len(c.topics) + len(c.creds); n != 1 {
		t.Errorf("%d readings kept after they expired, want 1", n)
	}
}
