package live

import (
	"context"
	"encoding/json"
	"html/template"
	"log/slog"
	"sync"
)

// Update is one change to a topic's pages.
type Update struct {
	// Target is the id of the element whose content the fragment
	// replaces; the page marks it data-live-target.
	Target string
	// Render renders the fragment for one subscriber, through the same
	// access checks as the page it updates. Its template.HTML must come
	// from html/template, which escaped it.
	Render func(ctx context.Context, sub Subscriber) (template.HTML, error)
	// Key, if set, says that Render's result depends only on Key(sub),
	// an access fingerprint (say, the hash of the viewer's groups and
	// classes): subscribers with equal keys then share one render. Left
	// nil, every subscriber gets a render of its own. Keys never group
	// across tenants.
	Key func(sub Subscriber) string
}

// message is what the browser receives.
type message struct {
	Topic  string `json:"topic"`
	Target string `json:"target,omitempty"`
	HTML   string `json:"html,omitempty"`
	Status string `json:"status,omitempty"` // "subscribed" or "refused"
}

// Publish renders u for every subscriber of topic whose access still holds
// and queues it for them. It waits on no client; it returns how many
// clients it queued the update for.
func (h *Hub) Publish(ctx context.Context, topic string, u Update) int {
	shared := map[string][]byte{} // rendered message by tenant and key; nil: the render failed
	sent := 0
	for _, c := range h.authorized(ctx, h.subscribers(topic)) {
		var msg []byte
		if u.Key == nil {
			msg = h.render(ctx, c.sub, topic, u)
		} else {
			k := c.sub.Tenant + "\x00" + u.Key(c.sub)
			var done bool
			if msg, done = shared[k]; !done {
				msg = h.render(ctx, c.sub, topic, u)
				shared[k] = msg
			}
		}
		if msg != nil && c.enqueue(msg) {
			sent++
		}
	}
	return sent
}

// render returns the message u makes for sub, or nil when the render
// failed: that subscriber then gets nothing rather than an error page in
// the middle of theirs.
func (h *Hub) render(ctx context.Context, sub Subscriber, topic string, u Update) []byte {
	html, err := u.Render(ctx, sub)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "live: render failed",
			slog.String("tenant", sub.Tenant), slog.String("topic", topic), slog.Any("error", err))
		return nil
	}
	msg, err := json.Marshal(message{Topic: topic, Target: u.Target, HTML: string(html)})
	if err != nil {
		return nil
	}
	return msg
}

// authorized returns the clients whose access holds. Those not checked
// within AuthTTL have their Authorize asked a few at a time, so that a
// publish that finds many of them stale does not check them one by one.
func (h *Hub) authorized(ctx context.Context, clients []*client) []*client {
	now := h.cfg.Now()
	var out, stale []*client
	for _, c := range clients {
		if c.fresh(now, h.cfg.AuthTTL) {
			out = append(out, c)
		} else {
			stale = append(stale, c)
		}
	}
	ok := make([]bool, len(stale))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(sweepWorkers, len(stale)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				ok[i] = stale[i].authorize(ctx, now, h.cfg.AuthTTL)
			}
		}()
	}
	for i := range stale {
		work <- i
	}
	close(work)
	wg.Wait()
	for i, c := range stale {
		if ok[i] {
			out = append(out, c)
		}
	}
	return out
}
