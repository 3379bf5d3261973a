package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// TestHandshakeRefused: a page on another origin, a client without an
// Origin, and a socket without credentials are all refused before any
// WebSocket exists — the cross-origin ones before Authenticate reads a
// cookie.
func TestHandshakeRefused(t *testing.T) {
	f := newFixture(t, Config{})
	host := strings.TrimPrefix(f.srv.URL, "https://")
	for _, tt := range []struct {
		name, who, origin string
		status            int
	}{
		{"CrossOrigin", "acme:session:u1:s1:fp", "https://evil.example", http.StatusForbidden},
		{"LookAlikeOrigin", "acme:session:u1:s1:fp", "https://" + host + ".evil.example", http.StatusForbidden},
		{"PlainHTTPOrigin", "acme:session:u1:s1:fp", "http://" + host, http.StatusForbidden},
		{"NullOrigin", "acme:session:u1:s1:fp", "null", http.StatusForbidden},
		{"NoOrigin", "acme:session:u1:s1:fp", "", http.StatusForbidden},
		{"Unauthenticated", "", f.origin(), http.StatusUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := f.authnCalls.Load()
			ws, resp, err := f.dial(tt.who, tt.origin)
			if err == nil {
				ws.CloseNow()
				t.Fatal("handshake accepted")
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("refused with %v (%v), want status %d", resp, err, tt.status)
			}
			if tt.status == http.StatusForbidden && f.authnCalls.Load() != before {
				t.Error("a cross-origin handshake reached Authenticate")
			}
		})
	}
	if n := f.hub.Count(); n != 0 {
		t.Errorf("%d sockets open after refusals", n)
	}
	// And the same credentials from the right origin are let in.
	f.connect("acme:session:u1:s1:fp")
}

// TestRefusalSameForUnknownAndForbidden: a topic that does not exist and
// one the subscriber may not see get the same answer, and neither gets
// updates.
func TestRefusalSameForUnknownAndForbidden(t *testing.T) {
	f := newFixture(t, Config{})
	f.grant("u1", 1)
	v := f.connect("acme:session:u1:s1:fp")
	answers := map[string]string{}
	for _, topic := range []string{
		"tenant/acme/dashboard/2",   // exists, not granted
		"tenant/globex/dashboard/1", // another tenant's
		"tenant/acme/dashboard/999", // does not exist
		"no/such/thing",
	} {
		v.send(`{"subscribe":"` + topic + `"}`)
		_, data, err := v.ws.Read(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", topic, err)
		}
		answers[topic] = strings.Replace(string(data), topic, "TOPIC", 1)
	}
	want := `{"topic":"TOPIC","status":"refused"}`
	for topic, got := range answers {
		if got != want {
			t.Errorf("%s: answer %s, want %s", topic, got, want)
		}
	}
	for topic := range answers {
		f.hub.Publish(context.Background(), topic, Update{Target: "t", Render: whoRender("leak")})
	}
	if got := v.subscribe("tenant/acme/dashboard/1"); got != "subscribed" {
		t.Fatalf("granted topic: %s", got)
	}
	f.hub.Publish(context.Background(), "tenant/acme/dashboard/1", Update{Target: "t", Render: whoRender("ok")})
	if m := v.mustNext(); m.Topic != "tenant/acme/dashboard/1" {
		t.Errorf("first update after refusals is for %s", m.Topic)
	}
}

// TestClientCanOnlySubscribe: anything but a well-formed subscribe or
// unsubscribe, within the size and rate limits, closes the socket.
func TestClientCanOnlySubscribe(t *testing.T) {
	f := newFixture(t, Config{})
	f.grant("u1", 1)
	bad := []struct{ name, msg string }{
		{"UnknownField", `{"subscribe":"tenant/acme/dashboard/1","publish":"x"}`},
		{"Both", `{"subscribe":"tenant/acme/dashboard/1","unsubscribe":"tenant/acme/dashboard/1"}`},
		{"Neither", `{}`},
		{"NotJSON", `subscribe tenant/acme/dashboard/1`},
		{"TwoValues", `{"subscribe":"a"}{"subscribe":"b"}`},
		{"TopicNotString", `{"subscribe":1}`},
		{"ControlCharacter", `{"subscribe":"tenant/acme\u0000"}`},
		{"Oversized", `{"subscribe":"` + strings.Repeat("a", DefaultMaxMessage) + `"}`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			v := f.connect("acme:session:u1:s1:fp")
			v.send(tt.msg)
			if code := v.closedWith(); code != CodeBadClient && code != websocket.StatusMessageTooBig {
				t.Errorf("closed with %d, want %d", code, CodeBadClient)
			}
		})
	}
	t.Run("Binary", func(t *testing.T) {
		v := f.connect("acme:session:u1:s1:fp")
		if err := v.ws.Write(context.Background(), websocket.MessageBinary, []byte(`{"subscribe":"x"}`)); err != nil {
			t.Fatal(err)
		}
		if code := v.closedWith(); code != CodeBadClient {
			t.Errorf("closed with %d, want %d", code, CodeBadClient)
		}
	})
	t.Run("Flood", func(t *testing.T) {
		v := f.connect("acme:session:u1:s1:fp")
		for i := range DefaultBurst + 1 {
			msg, _ := json.Marshal(map[string]string{"unsubscribe": fmt.Sprintf("t/%d", i)})
			if err := v.ws.Write(context.Background(), websocket.MessageText, msg); err != nil {
				break // closed already
			}
		}
		if code := v.closedWith(); code != CodeBadClient {
			t.Errorf("closed with %d, want %d", code, CodeBadClient)
		}
	})
	t.Run("Unsubscribe", func(t *testing.T) {
		v := f.connect("acme:session:u1:s1:fp")
		v.subscribe("tenant/acme/dashboard/1")
		v.send(`{"unsubscribe":"tenant/acme/dashboard/1"}`)
		v.subscribe("tenant/acme/dashboard/7") // refused; its answer orders the unsubscribe before the publish
		if n := f.hub.Publish(context.Background(), "tenant/acme/dashboard/1", Update{Target: "t", Render: whoRender("")}); n != 0 {
			t.Errorf("update queued for %d after unsubscribe", n)
		}
	})
}
