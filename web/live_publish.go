package web

import (
	"context"
	"html/template"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"strongroom"
	"strongroom/charts"
	"strongroom/dashboards"
	"strongroom/identity"
	"strongroom/live"
	"strongroom/metrics"
	"strongroom/tenancy"
	"strongroom/widgets"
)

// liveWatcher redraws one tenant's followed dashboards: when a metric
// they draw is pushed, when dashboards.Changes says a dashboard, its
// shares or a group changed, and at its widgets' refresh interval (case
// data changes without a signal). It runs while the tenant has
// subscribers.
type liveWatcher struct {
	slug string
	kick chan struct{} // a push has marked dashboards dirty

	mu      sync.Mutex
	dirty   map[int64]bool
	touched bool // a subscriber came since the last tick
}

// watch makes sure tenant slug has a watcher.
func (w *liveWire) watch(slug string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if wt := w.watchers[slug]; wt != nil {
		wt.mu.Lock()
		wt.touched = true
		wt.mu.Unlock()
		return
	}
	if w.ctx.Err() != nil {
		return
	}
	wt := &liveWatcher{slug: slug, kick: make(chan struct{}, 1), dirty: map[int64]bool{}, touched: true}
	w.watchers[slug] = wt
	w.wg.Add(1)
	go w.run(wt)
}

// MetricsChanged redraws, for their subscribers, the dashboards of tenant
// t that draw one of metrics: points were pushed or recorded. It returns
// at once; the drawing happens on the tenant's watcher.
func (h *Handler) MetricsChanged(ctx context.Context, t *tenancy.Handle, names []string) {
	w := h.live
	prefix := "tenant/" + t.Tenant.Slug + "/dashboard/"
	if len(w.hub.Topics(prefix)) == 0 {
		return // nobody follows a dashboard of this tenant
	}
	w.mu.Lock()
	wt := w.watchers[t.Tenant.Slug]
	w.mu.Unlock()
	if wt == nil {
		return
	}
	ids, err := h.svc.Dashboards.DashboardsUsing(ctx, t, names)
	if err != nil {
		h.log.Warn("live: find the dashboards of pushed metrics", "tenant", t.Tenant.Slug, "err", err)
		return
	}
	if len(ids) == 0 {
		return
	}
	wt.mu.Lock()
	for _, id := range ids {
		wt.dirty[id] = true
	}
	wt.mu.Unlock()
	select {
	case wt.kick <- struct{}{}:
	default:
	}
}

// run is a tenant's watcher.
func (w *liveWire) run(wt *liveWatcher) {
	defer w.wg.Done()
	changes, stop := w.h.svc.Dashboards.Changes.Subscribe(wt.slug)
	defer stop()
	ticker := time.NewTicker(w.tick)
	defer ticker.Stop()
	due := map[int64]time.Time{} // when each followed dashboard is next redrawn
	idle := 0
	for {
		select {
		case <-w.ctx.Done():
			return
		case ch, ok := <-changes:
			if !ok {
				return
			}
			w.changed(wt, ch)
		case <-wt.kick:
			wt.mu.Lock()
			dirty := wt.dirty
			wt.dirty = map[int64]bool{}
			wt.mu.Unlock()
			for id := range dirty {
				if w.followed(wt.slug, id) {
					w.publishDashboard(wt.slug, id)
				}
			}
		case now := <-ticker.C:
			if w.tickOnce(wt, due, now, &idle) {
				return
			}
		}
	}
}

// tickOnce redraws the followed dashboards whose interval has passed; it
// reports whether the watcher should end, having had no subscriber for
// liveIdleTicks ticks.
func (w *liveWire) tickOnce(wt *liveWatcher, due map[int64]time.Time, now time.Time, idle *int) bool {
	followed := map[int64]bool{}
	for _, topic := range w.hub.Topics("tenant/" + wt.slug + "/dashboard/") {
		if _, id, ok := parseLiveTopic(topic); ok {
			followed[id] = true
		}
	}
	for id := range due {
		if !followed[id] {
			delete(due, id)
		}
	}
	for id := range followed {
		at, ok := due[id]
		if !ok {
			due[id] = now.Add(w.interval(wt.slug, id))
			continue
		}
		if !now.Before(at) {
			w.publishDashboard(wt.slug, id)
			due[id] = now.Add(w.interval(wt.slug, id))
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	wt.mu.Lock()
	touched := wt.touched
	wt.touched = false
	wt.mu.Unlock()
	if len(followed) > 0 || touched {
		*idle = 0
		return false
	}
	if *idle++; *idle < liveIdleTicks {
		return false
	}
	delete(w.watchers, wt.slug)
	return true
}

// changed answers a change of the tenant's dashboards: access is checked
// again at once for its subscribers (a share or a membership ended, a
// dashboard deleted: their sockets close), then a changed dashboard is
// redrawn.
func (w *liveWire) changed(wt *liveWatcher, ch dashboards.Change) {
	ctx, cancel := context.WithTimeout(w.ctx, time.Minute)
	defer cancel()
	w.checks.forget(wt.slug)
	w.hub.SweepWhere(ctx, func(s live.Subscriber) bool { return s.Tenant == wt.slug })
	switch ch.Kind {
	case dashboards.ChangeDashboard:
		if w.followed(wt.slug, ch.DashboardID) {
			w.publishDashboard(wt.slug, ch.DashboardID)
		}
	case dashboards.ChangeResync:
		for _, topic := range w.hub.Topics("tenant/" + wt.slug + "/dashboard/") {
			if _, id, ok := parseLiveTopic(topic); ok {
				w.publishDashboard(wt.slug, id)
			}
		}
	}
}

func (w *liveWire) followed(slug string, id int64) bool {
	return len(w.hub.Topics(liveTopic(slug, id))) > 0
}

// interval is how often dashboard id is redrawn: its fastest widget's
// refresh.
func (w *liveWire) interval(slug string, id int64) time.Duration {
	every := 5 * time.Minute
	_ = w.withTenant(w.ctx, slug, func(t *tenancy.Handle) error {
		ws, err := w.h.svc.Dashboards.LiveWidgets(w.ctx, t, id)
		for _, lw := range ws {
			if lw.Refresh > 0 && lw.Refresh < every {
				every = lw.Refresh
			}
		}
		return err
	})
	return every
}

// publishDashboard sends each of dashboard id's widgets to the followers
// of its topic, drawn for each of them (viewers of equal access share one
// drawing).
func (w *liveWire) publishDashboard(slug string, id int64) {
	ctx, cancel := context.WithTimeout(w.ctx, time.Minute)
	defer cancel()
	err := w.withTenant(ctx, slug, func(t *tenancy.Handle) error {
		w.h.formats.load(ctx, w.h, t)
		ws, err := w.h.svc.Dashboards.LiveWidgets(ctx, t, id)
		if err != nil {
			return err
		}
		topic := liveTopic(slug, id)
		drawn := &panelMemo{byKey: map[string]*memoEntry{}}
		for _, lw := range ws {
			wid := lw.ID
			w.hub.Publish(ctx, topic, live.Update{
				Target: "panel-" + strconv.FormatInt(wid, 10),
				Key:    liveKey,
				Render: func(ctx context.Context, sub live.Subscriber) (template.HTML, error) {
					return w.renderPanel(ctx, t, sub, id, wid, drawn)
				},
			})
		}
		return nil
	})
	if err != nil {
		w.h.log.LogAttrs(ctx, slog.LevelWarn, "live: redraw a dashboard", slog.String("tenant", slug), slog.Any("error", err))
	}
}

// liveKey is the access fingerprint renders are shared by: viewers of one
// tenant and kind with the same areas, classes and restriction see the
// same figures.
func liveKey(sub live.Subscriber) string {
	a := sub.Access.(*liveAccess)
	s := a.subject()
	if s == nil {
		return sub.Tenant + "\x00" + string(sub.Kind) + "\x00" + sub.Credential
	}
	return sub.Tenant + "\x00" + string(sub.Kind) + "\x00" + metrics.Fingerprint(s)
}

// panelMemo keeps one publish's panels by access key, so that the
// widgets of one dashboard are drawn once per kind of viewer, not once
// per widget.
type panelMemo struct {
	mu    sync.Mutex
	byKey map[string]*memoEntry
}

type memoEntry struct {
	once   sync.Once
	panels []widgets.Panel
	err    error
}

func (m *panelMemo) get(key string, draw func() ([]widgets.Panel, error)) ([]widgets.Panel, error) {
	m.mu.Lock()
	e := m.byKey[key]
	if e == nil {
		e = &memoEntry{}
		m.byKey[key] = e
	}
	m.mu.Unlock()
	e.once.Do(func() { e.panels, e.err = draw() })
	return e.panels, e.err
}

// renderPanel draws widget wid of dashboard id for sub, as its page draws
// it: a session's at normal size through GetDashboard (which checks the
// user may see it), a kiosk's at kiosk size for the link's identity only,
// for a dashboard of the link.
func (w *liveWire) renderPanel(ctx context.Context, t *tenancy.Handle, sub live.Subscriber, id, wid int64, m *panelMemo) (template.HTML, error) {
	a := sub.Access.(*liveAccess)
	kioskView := sub.Kind == live.KindKiosk
	panels, err := m.get(liveKey(sub), func() ([]widgets.Panel, error) {
		var p *identity.Principal
		var ws []dashboards.Widget
		o := charts.Options{Format: w.h.formatter(t)}
		if kioskView {
			res := a.kiosk()
			if res == nil || !containsID(res.Link.Dashboards, id) {
				return nil, errTopicRefused()
			}
			var err error
			if ws, err = w.h.svc.Dashboards.KioskWidgets(ctx, t, res.Subject, id); err != nil {
				return nil, err
			}
			p, o.Size = &identity.Principal{Subject: res.Subject}, charts.Kiosk
		} else {
			p = a.session()
			if p == nil {
				return nil, errTopicRefused()
			}
			d, err := w.h.svc.Dashboards.GetDashboard(ctx, t, p, id)
			if err != nil {
				return nil, err
			}
			ws = d.Widgets
		}
		return w.h.svc.Widgets.Panels(ctx, t, p, ws, o)
	})
	if err != nil {
		return "", err
	}
	for _, pn := range panels {
		if pn.ID == wid {
			return w.h.renderPanelBody(t, pn, kioskView)
		}
	}
	return "", strongroom.Errorf(strongroom.ENOTFOUND, "The widget is gone.")
}

// metricNames lists the names of a push's per-metric counts.
func metricNames(counts map[string]int) []string {
	out := make([]string, 0, len(counts))
	for name := range counts {
		out = append(out, name)
	}
	return out
}
