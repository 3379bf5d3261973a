package live

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// client is one open socket.
type client struct {
	hub   *Hub
	sub   Subscriber
	ws    *websocket.Conn
	allow func(ctx context.Context, sub Subscriber, topic string) error

	send   chan []byte
	ctx    context.Context // cancelled when the socket is torn down
	cancel context.CancelFunc

	topics map[string]struct{} // guarded by hub.mu

	authMu sync.Mutex // one Authorize at a time per client
	authAt time.Time  // the last Authorize that succeeded

	closeOnce sync.Once
	done      chan struct{} // closed by close; the writer then says goodbye
	code      websocket.StatusCode
	reason    string
}

func newClient(h *Hub, sub Subscriber, ws *websocket.Conn,
	allow func(context.Context, Subscriber, string) error) *client {
	c := &client{hub: h, sub: sub, ws: ws, allow: allow,
		send: make(chan []byte, h.cfg.Queue), topics: map[string]struct{}{},
		done: make(chan struct{}), authAt: h.cfg.Now()}
	c.ctx, c.cancel = context.WithCancel(h.ctx)
	return c
}

// close ends the socket with code: the client leaves every topic at once,
// so no update reaches it after this call, and the writer sends the close
// frame. Later calls change nothing.
func (c *client) close(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		if len(reason) > 120 { // a close frame's reason must fit 123 bytes
			reason = reason[:120]
		}
		c.code, c.reason = code, reason
		c.hub.remove(c)
		close(c.done)
	})
}

func (c *client) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// enqueue queues msg without waiting: a client whose queue is full is
// dropped rather than allowed to hold up everyone else.
func (c *client) enqueue(msg []byte) bool {
	if c.closed() {
		return false
	}
	select {
	case c.send <- msg:
		return true
	default:
		// Out of every topic at once; the writer sends the close frame
		// once its current write is through, or gives up on the client
		// after WriteTimeout.
		c.close(CodeTooSlow, "too slow")
		return false
	}
}

// fresh reports whether c is open and its last Authorize succeeded within
// ttl.
func (c *client) fresh(now time.Time, ttl time.Duration) bool {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	return !c.closed() && now.Sub(c.authAt) < ttl
}

// authorize reports whether c may receive an update now, asking its
// Authorize unless one succeeded within ttl. A verdict against it closes
// the socket; a fault withholds this update only.
func (c *client) authorize(ctx context.Context, now time.Time, ttl time.Duration) bool {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	if c.closed() {
		return false
	}
	if ttl > 0 && now.Sub(c.authAt) < ttl {
		return true
	}
	actx, cancel := context.WithTimeout(ctx, authTimeout)
	err := c.sub.Authorize(actx)
	cancel()
	switch {
	case err == nil:
		c.authAt = now
		return true
	case fault(err):
		c.hub.log.LogAttrs(ctx, slog.LevelWarn, "live: authorization check failed",
			slog.String("tenant", c.sub.Tenant), slog.Any("error", err))
		return false
	default:
		c.close(CodeAccessEnded, "access ended")
		return false
	}
}

// writeLoop is the only writer to the socket: queued messages, pings, and
// at the end the close frame.
func (c *client) writeLoop() {
	defer c.hub.wg.Done()
	defer c.cancel()
	ping := time.NewTicker(c.hub.cfg.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-c.done:
			_ = c.ws.Close(c.code, c.reason)
			return
		case <-c.ctx.Done():
			c.close(websocket.StatusGoingAway, "")
			_ = c.ws.CloseNow()
			return
		case msg := <-c.send:
			if c.closed() { // queued before the close: not sent after it
				continue
			}
			if err := c.write(msg); err != nil {
				c.close(websocket.StatusGoingAway, "")
				_ = c.ws.CloseNow()
				return
			}
		case <-ping.C:
			ctx, cancel := context.WithTimeout(c.ctx, c.hub.cfg.WriteTimeout)
			err := c.ws.Ping(ctx)
			cancel()
			if err != nil {
				c.close(websocket.StatusGoingAway, "")
				_ = c.ws.CloseNow()
				return
			}
		}
	}
}

func (c *client) write(msg []byte) error {
	ctx, cancel := context.WithTimeout(c.ctx, c.hub.cfg.WriteTimeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, msg)
}
