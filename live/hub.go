package live

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"strongroom"
)

// Defaults for Config's zero fields.
const (
	DefaultAuthTTL       = 3 * time.Second
	DefaultSweepInterval = 5 * time.Second
	DefaultQueue         = 16
	DefaultPingInterval  = 30 * time.Second
	DefaultWriteTimeout  = 10 * time.Second
	authTimeout          = 5 * time.Second
	sweepWorkers         = 8
)

// Config tunes a Hub. The zero value is the production setting.
type Config struct {
	// AuthTTL is how long a successful Authorize is believed by Publish,
	// so that fan-out to 10,000 viewers does not re-check 10,000
	// credentials per update.
	AuthTTL time.Duration
	// SweepInterval is how often every subscriber's Authorize and topics
	// are checked again, so that a change nobody signalled still closes
	// its sockets within seconds.
	SweepInterval time.Duration
	// Queue is how many messages may wait for one client before it is
	// dropped as too slow.
	Queue int
	// PingInterval is how often an idle socket is pinged; a client that
	// does not answer within WriteTimeout is closed.
	PingInterval time.Duration
	// WriteTimeout bounds one message's write, a ping's answer and a close
	// frame's (DefaultWriteTimeout).
	WriteTimeout time.Duration

	// Now and Tick replace the clock and the sweep's ticker in tests.
	Now  func() time.Time
	Tick <-chan time.Time

	Logger *slog.Logger
}

// Hub holds the open sockets of one server and fans updates out to them.
type Hub struct {
	cfg Config
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.RWMutex
	clients map[*client]struct{}
	topics  map[string]map[*client]struct{}
}

// NewHub starts a hub and its re-authorization sweep. Close stops both.
func NewHub(cfg Config) *Hub {
	if cfg.AuthTTL <= 0 {
		cfg.AuthTTL = DefaultAuthTTL
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = DefaultSweepInterval
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = DefaultPingInterval
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Hub{cfg: cfg, log: cfg.Logger,
		clients: map[*client]struct{}{}, topics: map[string]map[*client]struct{}{}}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.wg.Add(1)
	go h.sweepLoop()
	return h
}

// Close closes every socket (going away: the browsers reconnect to
// another node or to this one restarted) and waits for their goroutines
// and the sweep to end.
func (h *Hub) Close() {
	for _, c := range h.all() {
		c.close(websocket.StatusGoingAway, "server shutting down")
	}
	h.cancel()
	h.wg.Wait()
}

// Count returns how many sockets are open.
func (h *Hub) Count() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.clients)
}

// CloseWhere closes, with CodeAccessEnded, every socket whose subscriber
// matches pred: the sockets of a signed-out or ended session, a revoked
// or expired kiosk link, a user removed from a group. It returns how many
// it closed. reason is sent to the browser: keep it short and free of
// anything secret.
func (h *Hub) CloseWhere(pred func(Subscriber) bool, reason string) int {
	n := 0
	for _, c := range h.all() {
		if pred(c.sub) {
			c.close(CodeAccessEnded, reason)
			n++
		}
	}
	return n
}

func (h *Hub) all() []*client {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		out = append(out, c)
	}
	return out
}

func (h *Hub) subscribers(topic string) []*client {
	h.mu.RLock()
	defer h.mu.RUnlock()
	set := h.topics[topic]
	out := make([]*client, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	return out
}

// add registers c; it fails once the hub is closing, so that no socket
// opens past Close.
func (h *Hub) add(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ctx.Err() != nil {
		return false
	}
	h.clients[c] = struct{}{}
	return true
}

func (h *Hub) remove(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
	for t := range c.topics {
		h.unsubscribeLocked(c, t)
	}
}

func (h *Hub) subscribe(c *client, topic string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, open := h.clients[c]; !open {
		return
	}
	set := h.topics[topic]
	if set == nil {
		set = map[*client]struct{}{}
		h.topics[topic] = set
	}
	set[c] = struct{}{}
	c.topics[topic] = struct{}{}
}

func (h *Hub) unsubscribe(c *client, topic string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unsubscribeLocked(c, topic)
}

func (h *Hub) unsubscribeLocked(c *client, topic string) {
	delete(c.topics, topic)
	if set := h.topics[topic]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.topics, topic)
		}
	}
}

// topicsOf returns c's topics; c.topics is guarded by h.mu.
func (h *Hub) topicsOf(c *client) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]string, 0, len(c.topics))
	for t := range c.topics {
		out = append(out, t)
	}
	return out
}

// fault tells a failing dependency from a verdict: a database that did
// not answer says nothing about the credential, so it withholds updates
// but closes nothing (10,000 wall screens reloading onto a sick database
// would not help it).
func fault(err error) bool {
	return strongroom.ErrorCode(err) == strongroom.EUNAVAILABLE ||
		errors.Is(err, context.DeadlineExceeded)
}

// Topics returns the topics that have subscribers now and start with
// prefix, so that a caller renders updates only for topics someone
// follows.
func (h *Hub) Topics(prefix string) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []string
	for t := range h.topics {
		if strings.HasPrefix(t, prefix) {
			out = append(out, t)
		}
	}
	return out
}
