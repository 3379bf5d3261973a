package live

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"strongroom"
)

// Limits on what a client may send. A client only ever subscribes and
// unsubscribes, so its messages are small and few.
const (
	DefaultMaxMessage = 512 // bytes
	DefaultMaxTopics  = 32
	DefaultRate       = 5  // messages a second, sustained
	DefaultBurst      = 40 // messages at once, as a page subscribes its panels
	maxTopicLen       = 200
)

// HandlerOptions configure the WebSocket endpoint.
type HandlerOptions struct {
	// Origins are the exact origins ("https://strongroom.example") a
	// page may connect from. Empty: only https:// plus the request's own
	// Host. A handshake without an Origin is refused: every browser sends
	// one, so a request without it is no page of ours.
	Origins []string
	// Authenticate names the subscriber from the request's session or
	// kiosk cookie. Its error refuses the handshake; a fault (EUNAVAILABLE)
	// answers 503.
	Authenticate func(r *http.Request) (Subscriber, error)
	// AllowTopic says whether sub may follow topic. Any error refuses the
	// subscription with the same answer, whether the topic is unknown,
	// forbidden or could not be checked. It is asked again by every sweep.
	AllowTopic func(ctx context.Context, sub Subscriber, topic string) error

	MaxMessage int64   // the largest message a client may send (DefaultMaxMessage)
	MaxTopics  int     // topics one socket may follow (DefaultMaxTopics)
	Rate       float64 // client messages a second (DefaultRate)
	Burst      int     // client messages at once (DefaultBurst)
}

// Handler returns the WebSocket endpoint's handler.
func (h *Hub) Handler(opts HandlerOptions) http.Handler {
	if opts.Authenticate == nil || opts.AllowTopic == nil {
		panic("live: HandlerOptions needs Authenticate and AllowTopic")
	}
	if opts.MaxMessage <= 0 {
		opts.MaxMessage = DefaultMaxMessage
	}
	if opts.MaxTopics <= 0 {
		opts.MaxTopics = DefaultMaxTopics
	}
	if opts.Rate <= 0 {
		opts.Rate = DefaultRate
	}
	if opts.Burst <= 0 {
		opts.Burst = DefaultBurst
	}
	return &endpoint{hub: h, opts: opts}
}

type endpoint struct {
	hub  *Hub
	opts HandlerOptions
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
		return
	}
	if !e.sameOrigin(r) {
		http.Error(w, "Cross-origin request refused.", http.StatusForbidden)
		return
	}
	sub, err := e.opts.Authenticate(r)
	if err == nil && sub.Authorize == nil {
		e.hub.log.Error("live: Authenticate returned a subscriber without Authorize")
		err = strongroom.Errorf(strongroom.EINTERNAL, "no Authorize")
	}
	if err != nil {
		refuseAuth(w, err)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // the origin was checked above, exactly
		// No compression: it costs memory per socket, and compressing a
		// fragment beside anything an attacker can choose is how CRIME
		// and BREACH read secrets.
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return // Accept has answered
	}
	ws.SetReadLimit(e.opts.MaxMessage)
	c := newClient(e.hub, sub, ws, e.opts.AllowTopic)
	e.hub.wg.Add(2) // the writer's goroutine and this one, the reader
	if !e.hub.add(c) {
		e.hub.wg.Add(-2)
		_ = ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	go c.writeLoop()
	e.readLoop(c)
}

// sameOrigin checks the Origin header exactly against the server's own
// origins: a page elsewhere must not ride the user's cookies into a
// socket (cross-site WebSocket hijacking).
func (e *endpoint) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	if len(e.opts.Origins) == 0 {
		return strings.EqualFold(origin, "https://"+r.Host)
	}
	for _, o := range e.opts.Origins {
		if strings.EqualFold(origin, o) {
			return true
		}
	}
	return false
}

func refuseAuth(w http.ResponseWriter, err error) {
	if fault(err) {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "Service unavailable; try again shortly.", http.StatusServiceUnavailable)
		return
	}
	http.Error(w, "Sign in again.", http.StatusUnauthorized)
}

// request is the only thing a client may say: one topic to follow or to
// leave.
type request struct {
	Subscribe   *string `json:"subscribe"`
	Unsubscribe *string `json:"unsubscribe"`
}

// readLoop reads the client's requests until the socket closes. Anything
// but a well-formed request within the limits closes the socket.
func (e *endpoint) readLoop(c *client) {
	defer e.hub.wg.Done()
	bucket := newBucket(e.opts.Rate, e.opts.Burst, e.hub.cfg.Now())
	for {
		typ, data, err := c.ws.Read(c.ctx)
		if err != nil {
			c.close(websocket.StatusNormalClosure, "")
			return
		}
		if typ != websocket.MessageText || !bucket.take(e.hub.cfg.Now()) {
			c.close(CodeBadClient, "too many or malformed messages")
			return
		}
		req, ok := parseRequest(data)
		if !ok {
			c.close(CodeBadClient, "malformed message")
			return
		}
		if req.Unsubscribe != nil {
			e.hub.unsubscribe(c, *req.Unsubscribe)
			continue
		}
		e.subscribe(c, *req.Subscribe)
	}
}

// parseRequest accepts exactly one of subscribe and unsubscribe, a topic
// of printable ASCII within maxTopicLen, and no other field.
func parseRequest(data []byte) (request, bool) {
	var req request
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		return req, false
	}
	if (req.Subscribe == nil) == (req.Unsubscribe == nil) {
		return req, false
	}
	topic := req.Subscribe
	if topic == nil {
		topic = req.Unsubscribe
	}
	return req, validTopic(*topic)
}

func validTopic(t string) bool {
	if t == "" || len(t) > maxTopicLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] > '~' {
			return false
		}
	}
	return true
}

// subscribe adds topic to c's if AllowTopic agrees, and answers either way
// with a status: "subscribed", or "refused" whatever the reason, so that a
// refusal never tells an unknown topic from a forbidden one.
func (e *endpoint) subscribe(c *client, topic string) {
	status := "refused"
	if len(e.hub.topicsOf(c)) < e.opts.MaxTopics {
		ctx, cancel := context.WithTimeout(c.ctx, authTimeout)
		err := e.opts.AllowTopic(ctx, c.sub, topic)
		cancel()
		if err == nil {
			e.hub.subscribe(c, topic)
			status = "subscribed"
		} else if fault(err) {
			e.hub.log.LogAttrs(c.ctx, slog.LevelWarn, "live: topic check failed",
				slog.String("tenant", c.sub.Tenant), slog.Any("error", err))
		}
	}
	msg, _ := json.Marshal(message{Topic: topic, Status: status})
	c.enqueue(msg)
}

// bucket is a token bucket: rate tokens a second, at most burst held.
type bucket struct {
	rate, tokens, burst float64
	last                time.Time
}

func newBucket(rate float64, burst int, now time.Time) *bucket {
	return &bucket{rate: rate, tokens: float64(burst), burst: float64(burst), last: now}
}

func (b *bucket) take(now time.Time) bool {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
