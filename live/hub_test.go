package live

import (
	"context"
	"fmt"
	"html/template"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"strongroom"
)

// TestFanOut: one Publish reaches every subscriber of the topic, each with
// the fragment rendered for it, and nobody else.
func TestFanOut(t *testing.T) {
	f := newFixture(t, Config{})
	const n = 60
	viewers := make([]*viewer, n)
	for i := range viewers {
		p := fmt.Sprintf("u%d", i)
		f.grant(p, 1, 2)
		viewers[i] = f.connect(fmt.Sprintf("acme:session:%s:s%d:fp", p, i))
		topic := "tenant/acme/dashboard/1"
		if i%3 == 0 {
			topic = "tenant/acme/dashboard/2" // not on the published topic
		}
		if got := viewers[i].subscribe(topic); got != "subscribed" {
			t.Fatalf("viewer %d: %s", i, got)
		}
	}
	sent := f.hub.Publish(context.Background(), "tenant/acme/dashboard/1",
		Update{Target: "panel-1", Render: whoRender("42")})
	if want := n - n/3; sent != want {
		t.Errorf("Publish queued %d updates, want %d", sent, want)
	}
	// Those on dashboard 2 then get this one, and nothing before it.
	f.hub.Publish(context.Background(), "tenant/acme/dashboard/2", Update{Target: "panel-2", Render: whoRender("7")})
	for i, v := range viewers {
		m := v.mustNext()
		wantTopic, wantHTML := "tenant/acme/dashboard/1", fmt.Sprintf("<p>for u%d in acme: 42</p>", i)
		if i%3 == 0 {
			wantTopic, wantHTML = "tenant/acme/dashboard/2", fmt.Sprintf("<p>for u%d in acme: 7</p>", i)
		}
		if m.Topic != wantTopic || m.HTML != wantHTML {
			t.Errorf("viewer %d got %+v, want %s %q", i, m, wantTopic, wantHTML)
		}
	}
}

// TestSharedRenders: with a Key, one render serves every subscriber with
// the same access fingerprint — and only them, never across tenants.
func TestSharedRenders(t *testing.T) {
	f := newFixture(t, Config{})
	type seat struct{ tenant, fp string }
	seats := []seat{{"acme", "a"}, {"acme", "a"}, {"acme", "b"}, {"acme", "a"}, {"acme", "c"}, {"globex", "a"}, {"acme", "b"}}
	viewers := make([]*viewer, len(seats))
	for i, s := range seats {
		p := fmt.Sprintf("u%d", i)
		viewers[i] = f.connect(fmt.Sprintf("%s:session:%s:s%d:%s", s.tenant, p, i, s.fp))
		viewers[i].subscribe("shared/status")
	}
	var renders atomic.Int64
	u := Update{Target: "t",
		Key: func(sub Subscriber) string { return sub.Access.(testAccess).Fingerprint },
		Render: func(_ context.Context, sub Subscriber) (template.HTML, error) {
			renders.Add(1)
			return template.HTML("<b>" + sub.Tenant + "/" + sub.Access.(testAccess).Fingerprint + "</b>"), nil
		}}
	// A topic open to several tenants: globex's "a" is not acme's "a".
	f.hub.Publish(context.Background(), "shared/status", u)
	if got := renders.Load(); got != 4 { // acme a, b, c; globex a
		t.Errorf("%d renders, want 4", got)
	}
	for i, v := range viewers {
		if m := v.mustNext(); m.HTML != "<b>"+seats[i].tenant+"/"+seats[i].fp+"</b>" {
			t.Errorf("viewer %d (%v) got %q", i, seats[i], m.HTML)
		}
	}
}

// TestAuthorizeCached: Publish asks a subscriber's Authorize at most once
// per AuthTTL, however many updates go out.
func TestAuthorizeCached(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	f := newFixture(t, Config{Now: clock.Now, Tick: make(chan time.Time)})
	f.grant("u1", 1)
	v := f.connect("acme:session:u1:s1:fp")
	v.subscribe("tenant/acme/dashboard/1")
	f.authCalls.Store(0)
	for range 5 {
		f.hub.Publish(context.Background(), "tenant/acme/dashboard/1", Update{Target: "t", Render: whoRender("x")})
		v.mustNext()
	}
	if got := f.authCalls.Load(); got != 0 {
		t.Errorf("%d Authorize calls within the TTL of the handshake's check, want 0", got)
	}
	clock.Advance(DefaultAuthTTL)
	f.deny("s1", strongroom.Errorf(strongroom.EUNAUTHORIZED, "Signed out."))
	f.hub.Publish(context.Background(), "tenant/acme/dashboard/1", Update{Target: "t", Render: whoRender("secret")})
	if got := f.authCalls.Load(); got != 1 {
		t.Errorf("%d Authorize calls past the TTL, want 1", got)
	}
	if code := v.closedWith(); code != CodeAccessEnded {
		t.Errorf("closed with %d, want %d", code, CodeAccessEnded)
	}
}

// TestCloseWhere closes the sockets the predicate names and no others.
func TestCloseWhere(t *testing.T) {
	f := newFixture(t, Config{})
	f.grant("u1", 1)
	f.grant("k1", 1)
	s1 := f.connect("acme:session:u1:s1:fp")
	s2 := f.connect("acme:session:u1:s2:fp")
	k1 := f.connect("acme:kiosk:k1:k1:fp")
	other := f.connect("globex:kiosk:k1:k1:fp") // the same ids in another tenant
	f.grant("k1", 1)
	for _, v := range []*viewer{s1, s2, k1} {
		v.subscribe("tenant/acme/dashboard/1")
	}
	other.subscribe("tenant/globex/dashboard/1")

	// A sign-out of session s1, then a revoked kiosk link k1 of acme.
	if n := f.hub.CloseWhere(func(s Subscriber) bool { return s.Kind == KindSession && s.Credential == "s1" }, "signed out"); n != 1 {
		t.Errorf("CloseWhere closed %d sockets for session s1, want 1", n)
	}
	if n := f.hub.CloseWhere(func(s Subscriber) bool {
		return s.Tenant == "acme" && s.Kind == KindKiosk && s.Credential == "k1"
	}, "link revoked"); n != 1 {
		t.Errorf("CloseWhere closed %d sockets for kiosk k1, want 1", n)
	}
	for name, v := range map[string]*viewer{"s1": s1, "k1": k1} {
		if code := v.closedWith(); code != CodeAccessEnded {
			t.Errorf("%s closed with %d, want %d", name, code, CodeAccessEnded)
		}
	}
	f.hub.Publish(context.Background(), "tenant/acme/dashboard/1", Update{Target: "t", Render: whoRender("after")})
	f.hub.Publish(context.Background(), "tenant/globex/dashboard/1", Update{Target: "t", Render: whoRender("after")})
	for name, v := range map[string]*viewer{"s2": s2, "globex k1": other} {
		if m := v.mustNext(); !strings.Contains(m.HTML, "after") {
			t.Errorf("%s got %+v", name, m)
		}
	}
}

// TestSweepClosesLostAccess: a change nobody signalled — a session ended
// behind the hub's back, a dashboard taken away — closes the socket at
// the next sweep; a database that does not answer closes nothing but
// withholds updates.
func TestSweepClosesLostAccess(t *testing.T) {
	tick := make(chan time.Time)
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	f := newFixture(t, Config{Now: clock.Now, Tick: tick})
	f.grant("u1", 1)
	f.grant("u2", 1)
	f.grant("u3", 1)
	ended := f.connect("acme:session:u1:s1:fp")
	moved := f.connect("acme:session:u2:s2:fp")
	kept := f.connect("acme:session:u3:s3:fp")
	for _, v := range []*viewer{ended, moved, kept} {
		v.subscribe("tenant/acme/dashboard/1")
	}

	f.deny("s1", strongroom.Errorf(strongroom.EUNAUTHORIZED, "Session ended."))
	f.grant("u2") // removed from the group that sees dashboard 1
	f.deny("s3", strongroom.Errorf(strongroom.EUNAVAILABLE, "Database down."))
	tick <- clock.Now()
	for name, v := range map[string]*viewer{"ended session": ended, "lost dashboard": moved} {
		if code := v.closedWith(); code != CodeAccessEnded {
			t.Errorf("%s: closed with %d, want %d", name, code, CodeAccessEnded)
		}
	}

	// The fault withholds an update from kept, past the TTL...
	clock.Advance(DefaultAuthTTL)
	f.hub.Publish(context.Background(), "tenant/acme/dashboard/1", Update{Target: "t", Render: whoRender("withheld")})
	// ...but its socket stays, and the next update arrives once the
	// database answers again.
	f.deny("s3", nil)
	f.hub.Publish(context.Background(), "tenant/acme/dashboard/1", Update{Target: "t", Render: whoRender("back")})
	if m := kept.mustNext(); !strings.Contains(m.HTML, "back") {
		t.Errorf("kept got %q, want the update after the fault", m.HTML)
	}
}

// TestSlowConsumerDropped: a client that stops reading fills its queue and
// is dropped with a policy-violation close; the others receive every
// update, and Publish never waits.
func TestSlowConsumerDropped(t *testing.T) {
	// Writes never time out here: the slow viewer can only go because its
	// queue filled.
	f := newFixture(t, Config{Queue: 4, WriteTimeout: time.Hour})
	for _, p := range []string{"slow", "f1", "f2", "f3"} {
		f.grant(p, 1)
	}
	slow := f.connect("acme:session:slow:s0:fp")
	slow.subscribe("tenant/acme/dashboard/1") // and never reads again
	var fast []*viewer
	for i := 1; i <= 3; i++ {
		v := f.connect(fmt.Sprintf("acme:session:f%d:s%d:fp", i, i))
		v.subscribe("tenant/acme/dashboard/1")
		fast = append(fast, v)
	}

	big := strings.Repeat("x", 256<<10) // fills the socket's buffers in a few updates
	render := func(_ context.Context, _ Subscriber) (template.HTML, error) { return template.HTML(big), nil }
	// Each fast viewer reads every update and says so; the next update
	// goes out once they all have the last, so only the slow one falls
	// behind.
	acks := make(chan int, len(fast))
	var failed sync.Once
	var wg sync.WaitGroup
	for i, v := range fast {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := v.next()
				if err != nil {
					t.Errorf("fast viewer %d: %v", i, err)
					failed.Do(func() { close(acks) })
					return
				}
				acks <- i
				if m.Target == "last" {
					return
				}
			}
		}()
	}
	// A Publish that waited on the slow viewer would never return: the
	// watchdog fails the test rather than let it hang.
	published := make(chan int)
	go func() {
		n := 0
		for ; f.hub.Count() == 4 && n < 2000; n++ {
			if sent := f.hub.Publish(context.Background(), "tenant/acme/dashboard/1", Update{Target: "t", Render: render}); sent < 3 {
				t.Errorf("update %d queued for %d viewers", n, sent)
			}
			for range fast {
				<-acks
			}
		}
		f.hub.Publish(context.Background(), "tenant/acme/dashboard/1", Update{Target: "last", Render: whoRender("")})
		published <- n
	}()
	var n int
	select {
	case n = <-published:
	case <-time.After(2 * time.Minute):
		t.Fatal("Publish waited on the slow viewer")
	}
	wg.Wait()
	t.Logf("slow viewer dropped after %d updates", n)
	// Once it reads again it gets what its socket held, then the close.
	if code := slow.closedWith(); code != CodeTooSlow {
		t.Errorf("slow viewer closed with %d, want %d", code, CodeTooSlow)
	}
	if f.hub.Count() != 3 {
		t.Fatalf("after %d updates %d sockets open, want the slow one dropped", n, f.hub.Count())
	}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
