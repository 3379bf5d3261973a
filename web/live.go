package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/kiosk"
	"strongroom/live"
	"strongroom/tenancy"
)

// Live updates (package live) on the server's own TLS port:
// GET /t/SLUG/live for signed-in pages (the session cookie) and
// GET /t/SLUG/k/live for kiosk screens (the kiosk cookie, which is sent
// under the kiosk path only); with --tenant-host-suffix, /live and /k/live
// on SLUG.SUFFIX. A socket may follow the topics
// "tenant/SLUG/dashboard/ID" of its own tenant's dashboards that its
// viewer may see; every check reads the database again (live_access.go),
// and updates are drawn for each viewer (live_publish.go).

// liveTopic is the topic of dashboard id's panels.
func liveTopic(slug string, id int64) string {
	return "tenant/" + slug + "/dashboard/" + strconv.FormatInt(id, 10)
}

// parseLiveTopic returns the tenant and dashboard of a topic, strictly:
// one form, a positive id without leading zeros.
func parseLiveTopic(topic string) (string, int64, bool) {
	parts := strings.Split(topic, "/")
	if len(parts) != 4 || parts[0] != "tenant" || parts[2] != "dashboard" {
		return "", 0, false
	}
	id, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != parts[3] {
		return "", 0, false
	}
	return parts[1], id, true
}

// liveTick is how often a tenant's watcher looks for dashboards whose
// refresh interval has passed, when Config.LiveTick is zero.
const liveTick = time.Second

// liveIdleTicks is how many ticks without any subscriber a tenant's
// watcher waits before it ends.
const liveIdleTicks = 60

// liveWire connects the hub to Strongroom: who may connect and follow
// what, and when to draw updates.
type liveWire struct {
	h    *Handler
	hub  *live.Hub
	tick time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	checks *liveChecks
	reads  atomic.Int64 // credentials read from a database

	mu       sync.Mutex
	watchers map[string]*liveWatcher // by tenant slug, while it has subscribers
}

func newLiveWire(h *Handler) *liveWire {
	w := &liveWire{h: h, hub: live.NewHub(h.cfg.Live), tick: h.cfg.LiveTick, watchers: map[string]*liveWatcher{}, checks: newLiveChecks(h.cfg.Live.Now)}
	if w.tick <= 0 {
		w.tick = liveTick
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	return w
}

// Close closes every socket and stops the watchers.
func (w *liveWire) Close() {
	w.hub.Close()
	w.cancel()
	w.wg.Wait()
}

// Close stops the live updates: every socket is closed (going away) and
// the watchers end. Call it after the server has stopped serving.
func (h *Handler) Close() { h.live.Close() }

// Hub returns the live-update hub (for tests and status figures).
func (h *Handler) Hub() *live.Hub { return h.live.hub }

// LiveCredentialReads is how many times live sockets' sessions and kiosk
// links have been read from a database.
func (h *Handler) LiveCredentialReads() int64 { return h.live.reads.Load() }

func (h *Handler) liveRoutes() {
	opts := live.HandlerOptions{Origins: h.cfg.LiveOrigins, Authenticate: h.live.authenticate, AllowTopic: h.live.allowTopic}
	ws := h.live.hub.Handler(opts)
	h.mux.Handle("GET /t/{slug}/live", ws)
	h.mux.Handle("GET /t/{slug}/k/live", ws)
}

// withTenant runs fn with tenant slug's database.
func (w *liveWire) withTenant(ctx context.Context, slug string, fn func(t *tenancy.Handle) error) error {
	if strongroom.ValidateSlug(slug) != nil {
		return errLiveRefused()
	}
	t, release, err := w.h.tenants.Get(ctx, slug)
	if err != nil {
		return err
	}
	defer release()
	return fn(t)
}

func errLiveRefused() error {
	return strongroom.Errorf(strongroom.EUNAUTHORIZED, "Sign in again.")
}

// liveAccess is what the server holds in memory of one socket's viewer:
// the cookie's token (never in a Subscriber field, a log or a message),
// and the principal or kiosk link as the last check found it.
type liveAccess struct {
	token, ip string

	mu        sync.Mutex
	principal *identity.Principal // a session's
	link      *kiosk.Resolved     // a kiosk's
}

func (a *liveAccess) session() *identity.Principal {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.principal
}

func (a *liveAccess) kiosk() *kiosk.Resolved {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.link
}

// subject is the viewer's access as last checked.
func (a *liveAccess) subject() *access.Subject {
	if p := a.session(); p != nil {
		return p.Subject
	}
	if r := a.kiosk(); r != nil {
		return r.Subject
	}
	return nil
}

// authenticate names the subscriber of a handshake: the kiosk cookie on
// the kiosk path, else the session cookie. A session that must first
// change its password or enrol two-factor may not follow anything.
func (w *liveWire) authenticate(r *http.Request) (live.Subscriber, error) {
	slug := r.PathValue("slug")
	kioskPath := strings.HasSuffix(r.URL.Path, "/k/live")
	name := sessionCookie(slug)
	if kioskPath {
		name = kioskCookie(slug)
	}
	c, err := r.Cookie(name)
	if err != nil || c.Value == "" {
		return live.Subscriber{}, errLiveRefused()
	}
	a := &liveAccess{token: c.Value, ip: clientIP(r)}
	sub := live.Subscriber{Tenant: slug, Access: a}
	if kioskPath {
		sub.Kind = live.KindKiosk
	} else {
		sub.Kind = live.KindSession
	}
	// A handshake always reads the database: a cookie signed out a moment
	// ago must not open a socket on another socket's reading.
	err = w.withTenant(r.Context(), slug, func(t *tenancy.Handle) error { return w.check(r.Context(), t, &sub, false) })
	if err != nil {
		if strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE {
			err = errLiveRefused()
		}
		return live.Subscriber{}, err
	}
	if p := a.session(); p != nil {
		sub.Principal, sub.Credential = strconv.FormatInt(p.User.ID, 10), p.SessionID
	} else {
		l := a.kiosk().Link
		sub.Principal, sub.Credential = strconv.FormatInt(l.ID, 10), strconv.FormatInt(l.ID, 10)
	}
	sub.Authorize = func(ctx context.Context) error {
		return w.withTenant(ctx, sub.Tenant, func(t *tenancy.Handle) error { return w.recheck(ctx, t, &sub) })
	}
	w.watch(slug)
	return sub, nil
}

// recheck reads the subscriber's credential again: the session still
// open and its user still active (identity.Recheck, which leaves the idle
// timeout running), or the kiosk link still live for this address
// (quietly: no view counted, nothing audited). It keeps what it found for
// the next render. A reading less than liveCheckTTL old of the same
// cookie from the same address stands in for the database's.
func (w *liveWire) recheck(ctx context.Context, t *tenancy.Handle, sub *live.Subscriber) error {
	return w.check(ctx, t, sub, true)
}

// check is recheck, with or without the readings of other sockets.
func (w *liveWire) check(ctx context.Context, t *tenancy.Handle, sub *live.Subscriber, cached bool) error {
	a := sub.Access.(*liveAccess)
	if err := w.h.netAllowedIP(ctx, t, a.ip); err != nil { // the tenant's IP allowlist, at each check
		return err
	}
	key := credKey(*sub, a)
	r, ok := w.checks.cred(key)
	if !cached || !ok {
		r = w.readCred(ctx, t, sub, a)
		if strongroom.ErrorCode(r.err) == strongroom.EUNAVAILABLE {
			return r.err // a fault: asked again next time
		}
		w.checks.putCred(sub.Tenant, key, r)
	}
	if r.err != nil {
		return r.err
	}
	if sub.Kind == live.KindKiosk {
		if sub.Credential != "" && strconv.FormatInt(r.link.Link.ID, 10) != sub.Credential {
			return kiosk.ErrNotFound()
		}
		a.mu.Lock()
		a.link = r.link
		a.mu.Unlock()
		return nil
	}
	if r.principal.Restricted() || (sub.Credential != "" && r.principal.SessionID != sub.Credential) {
		return errLiveRefused()
	}
	a.mu.Lock()
	a.principal = r.principal
	a.mu.Unlock()
	return nil
}

// readCred reads a socket's credential from the tenant's database.
func (w *liveWire) readCred(ctx context.Context, t *tenancy.Handle, sub *live.Subscriber, a *liveAccess) credReading {
	w.reads.Add(1)
	if sub.Kind == live.KindKiosk {
		if w.h.svc.Kiosk == nil {
			return credReading{err: kiosk.ErrNotFound()}
		}
		res, err := w.h.svc.Kiosk.StillLive(ctx, t, a.token, a.ip)
		return credReading{link: res, err: err}
	}
	p, err := w.h.identity.Recheck(ctx, t, a.token, a.ip)
	return credReading{principal: p, err: err}
}

// allowTopic lets sub follow a dashboard of its own tenant that it may
// see now: for a session, one visible to the user as the database has it
// now (groups, shares, areas read again); for a kiosk, one its link
// shows, whose identity reads dashboards. Every refusal is the same
// error, whatever the reason.
func (w *liveWire) allowTopic(ctx context.Context, sub live.Subscriber, topic string) error {
	slug, id, ok := parseLiveTopic(topic)
	if !ok || slug != sub.Tenant {
		return errTopicRefused()
	}
	err := w.withTenant(ctx, slug, func(t *tenancy.Handle) error {
		if err := w.recheck(ctx, t, &sub); err != nil {
			return err
		}
		key := topicKey(credKey(sub, sub.Access.(*liveAccess)), id)
		if r, ok := w.checks.topic(key); ok {
			return r.err
		}
		err := w.mayFollow(ctx, t, sub, id)
		if strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE {
			w.checks.putTopic(slug, key, err)
		}
		return err
	})
	switch {
	case err == nil:
		w.watch(slug)
		return nil
	case strongroom.ErrorCode(err) == strongroom.EUNAVAILABLE:
		return err // a fault: the sweep keeps the socket and asks again
	}
	return errTopicRefused()
}

func errTopicRefused() error {
	return strongroom.Errorf(strongroom.EFORBIDDEN, "Not available.")
}

// mayFollow is allowTopic's decision once the credential has been read
// again.
func (w *liveWire) mayFollow(ctx context.Context, t *tenancy.Handle, sub live.Subscriber, id int64) error {
	a := sub.Access.(*liveAccess)
	if sub.Kind == live.KindKiosk {
		res := a.kiosk()
		if !containsID(res.Link.Dashboards, id) {
			return errTopicRefused()
		}
		_, err := w.h.svc.Dashboards.KioskTitle(ctx, t, res.Subject, id)
		return err
	}
	ok, err := w.h.svc.Dashboards.Visible(ctx, t, a.session(), id)
	if err != nil {
		return err
	}
	if !ok {
		return errTopicRefused()
	}
	return nil
}

func containsID(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// liveSessionEnded closes at once the live sockets of a session that was
// signed out or ended (public id).
func (h *Handler) liveSessionEnded(t *tenancy.Handle, sessionID string) {
	if sessionID == "" {
		return
	}
	h.live.checks.forget(t.Tenant.Slug)
	h.live.hub.CloseWhere(func(s live.Subscriber) bool {
		return s.Tenant == t.Tenant.Slug && s.Kind == live.KindSession && s.Credential == sessionID
	}, "signed out")
}

// liveKioskChanged answers an administrator's change of kiosk link id:
// "resume" changes nothing, "update" has its screens' access checked
// again (a dashboard, area or address taken away ends theirs), and
// anything else (pause, revoke, regenerate, delete) closes them at once.
func (h *Handler) liveKioskChanged(t *tenancy.Handle, id int64, action string) {
	slug, cred := t.Tenant.Slug, strconv.FormatInt(id, 10)
	match := func(s live.Subscriber) bool {
		return s.Tenant == slug && s.Kind == live.KindKiosk && s.Credential == cred
	}
	h.live.checks.forget(slug)
	switch action {
	case "resume":
	case "update":
		w := h.live
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			ctx, cancel := context.WithTimeout(w.ctx, time.Minute)
			defer cancel()
			w.hub.SweepWhere(ctx, match)
		}()
	default:
		h.live.hub.CloseWhere(match, "kiosk link changed")
	}
}
