package live

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

func (h *Hub) sweepLoop() {
	defer h.wg.Done()
	tick := h.cfg.Tick
	if tick == nil {
		t := time.NewTicker(h.cfg.SweepInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-tick:
			h.Sweep(h.ctx)
		}
	}
}

// Sweep asks every subscriber's Authorize again, and AllowTopic for each
// of its topics, and closes with CodeAccessEnded the sockets whose access
// is gone. The hub runs it every SweepInterval; callers may run it at
// once after a change whose sockets they cannot name.
func (h *Hub) Sweep(ctx context.Context) {
	clients := h.all()
	work := make(chan *client)
	var wg sync.WaitGroup
	for range min(sweepWorkers, len(clients)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				h.recheck(ctx, c)
			}
		}()
	}
	for _, c := range clients {
		work <- c
	}
	close(work)
	wg.Wait()
}

// recheck is one subscriber's sweep: its credential, then its topics.
func (h *Hub) recheck(ctx context.Context, c *client) {
	if !c.authorize(ctx, h.cfg.Now(), 0) {
		return
	}
	for _, topic := range h.topicsOf(c) {
		actx, cancel := context.WithTimeout(ctx, authTimeout)
		err := c.allow(actx, c.sub, topic)
		cancel()
		switch {
		case err == nil:
		case fault(err):
			h.log.LogAttrs(ctx, slog.LevelWarn, "live: topic check failed",
				slog.String("tenant", c.sub.Tenant), slog.Any("error", err))
		default:
			c.close(CodeAccessEnded, "access ended")
			return
		}
	}
}

// SweepWhere is Sweep for the subscribers matching pred only (say, one
// tenant's, after a change of its groups or shares).
func (h *Hub) SweepWhere(ctx context.Context, pred func(Subscriber) bool) {
	for _, c := range h.all() {
		if pred(c.sub) {
			h.recheck(ctx, c)
		}
	}
}
