package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/charts"
	"strongroom/identity"
	"strongroom/kiosk"
	"strongroom/tenancy"
)

// Kiosk links on the public side: GET /t/SLUG/k/TOKEN moves the token into
// a cookie and sends the screen on to /t/SLUG/k/, which shows it. The slug
// is in the URL because every route of a tenant is, and the guard throttles
// per tenant; it is no secret, the token's 256 bits are. With
// --tenant-host-suffix the screen's address is https://SLUG.SUFFIX/k/TOKEN.
//
// The cookie's value is the token itself: a screen keeps working as long as
// its link does, and stops when the link is revoked or given a new token,
// since each view looks the token up again. It is HttpOnly, Secure,
// SameSite=Strict and sent only under the kiosk path; the token leaves the
// address bar and the history with the 303. Should the cookie be lost, the
// link works again.

// kioskCookie names the kiosk cookie of a tenant (__Secure-: browsers
// refuse it unless it is Secure).
func kioskCookie(slug string) string { return "__Secure-srk-" + slug }

// kioskCookieAge is how long a screen's cookie lives when its link does
// not expire (the longest browsers keep a cookie).
const kioskCookieAge = 400 * 24 * time.Hour

func (h *Handler) kioskRoutes() {
	h.mux.Handle("GET /t/{slug}/k/{token}", h.kioskPublic(h.kioskEnter))
	h.mux.Handle("GET /t/{slug}/k/{$}", h.kioskPublic(h.kioskShow))
	h.kioskAPIRoutes()
	h.kioskPageRoutes()
}

// kioskPublic serves a public kiosk route: no session, no caching, no
// referrer, and errors rendered from a request whose path no longer holds
// the token (the error log writes the path).
func (h *Handler) kioskPublic(fn tenantFunc) http.Handler {
	inner := h.withTenant(func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
		if h.svc.Kiosk == nil {
			return kiosk.ErrNotFound()
		}
		return fn(w, r, t)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		err := inner(w, r)
		if err == nil {
			return
		}
		if code := strongroom.ErrorCode(err); code == strongroom.EUNAVAILABLE {
			// A screen on the wall has nobody to press reload.
			w.Header().Set("Refresh", "30")
		}
		rr := r.Clone(r.Context())
		rr.URL.Path = "/t/" + r.PathValue("slug") + "/k/"
		rr.URL.RawPath = ""
		h.renderError(w, rr, err)
	})
}

// kioskBase is the kiosk path as the screen's browser sees it.
func (h *Handler) kioskBase(r *http.Request, t *tenancy.Handle) string {
	if slug, ok := h.hostTenant(r.Host); ok && slug == t.Tenant.Slug {
		return "/k/"
	}
	return tenantPath(t, "k/")
}

// kioskEnter checks the token of a link's URL, sets it as the cookie and
// redirects to the kiosk path without it. It counts no view: the page it
// leads to does.
func (h *Handler) kioskEnter(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	res, err := h.svc.Kiosk.Resolve(r.Context(), t, r.PathValue("token"), clientIP(r))
	if err != nil {
		return err
	}
	age := kioskCookieAge
	if l := res.Link; !l.ExpiresAt.IsZero() {
		age = min(age, time.Until(l.ExpiresAt)+time.Minute)
	}
	base := h.kioskBase(r, t)
	http.SetCookie(w, &http.Cookie{Name: kioskCookie(t.Tenant.Slug), Value: r.PathValue("token"), Path: base,
		MaxAge: int(age / time.Second), Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return redirect(w, r, base)
}

// kioskView is what the kiosk page shows: computed values only, never a
// query, a metric's definition or a credential.
type kioskView struct {
	Label      string
	PublicID   string
	Paused     bool
	Dashboards []kioskDashboard
	Current    kioskDashboard
	Position   int // 1-based, of len(Dashboards)
	Rotation   int
	// Grid is the current dashboard's panels, drawn for the link's
	// kiosk identity at kiosk size; LiveEndpoint is where its screen
	// follows their updates, and Refresh how often a screen without
	// JavaScript reloads instead.
	Grid         panelGrid
	LiveEndpoint string
	Refresh      int
}

type kioskDashboard struct {
	ID    int64
	Title string
}

// kioskShow shows the screen of the link whose token is in the cookie:
// one dashboard at a time, the next after the link's rotation.
func (h *Handler) kioskShow(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	c, err := r.Cookie(kioskCookie(t.Tenant.Slug))
	if err != nil || c.Value == "" {
		return kiosk.ErrNotFound()
	}
	res, err := h.svc.Kiosk.View(r.Context(), t, c.Value, clientIP(r))
	if err != nil {
		return err
	}
	l := res.Link
	kv := kioskView{Label: l.Label, PublicID: l.PublicID, Paused: res.Paused, Rotation: int(l.Rotation / time.Second)}
	base := h.kioskBase(r, t)
	if res.Paused {
		// Only the holder of the token learns that it is paused; the
		// screen looks again every minute, to resume by itself.
		w.Header().Set("Refresh", "60; url="+base)
		return h.render(w, http.StatusOK, "kiosk", view{Tenant: t.Tenant, Page: kv})
	}
	if kv.Dashboards, err = h.kioskDashboards(r.Context(), t, res); err != nil {
		return err
	}
	at := 0
	if n, err := strconv.Atoi(r.URL.Query().Get("at")); err == nil && n >= 0 && len(kv.Dashboards) > 0 {
		at = n % len(kv.Dashboards)
	}
	next := base
	if len(kv.Dashboards) > 0 {
		kv.Current, kv.Position = kv.Dashboards[at], at+1
		next += "?at=" + strconv.Itoa((at+1)%len(kv.Dashboards))
	}
	if len(kv.Dashboards) > 0 {
		if err := h.kioskPanels(r.Context(), t, res, &kv); err != nil {
			return err
		}
		kv.LiveEndpoint = base + "live"
	}
	w.Header().Set("Refresh", strconv.Itoa(kv.Rotation)+"; url="+next)
	return h.render(w, http.StatusOK, "kiosk", view{Tenant: t.Tenant, Page: kv})
}

// kioskDashboards names the link's dashboards as its kiosk identity reads
// them; one it may not read (or that is gone) is left out.
func (h *Handler) kioskDashboards(ctx context.Context, t *tenancy.Handle, res *kiosk.Resolved) ([]kioskDashboard, error) {
	var out []kioskDashboard
	for _, id := range res.Link.Dashboards {
		title := "Dashboard " + strconv.FormatInt(id, 10)
		if fn := h.svc.Kiosk.DashboardTitle; fn != nil {
			got, err := fn(ctx, t, res.Subject, id)
			if strongroom.ErrorCode(err) == strongroom.ENOTFOUND || strongroom.ErrorCode(err) == strongroom.EFORBIDDEN {
				continue
			}
			if err != nil {
				return nil, err
			}
			title = strings.TrimSpace(got)
		}
		out = append(out, kioskDashboard{ID: id, Title: title})
	}
	return out, nil
}

// kioskPanels draws the current dashboard's widgets for the link's kiosk
// identity only (no user behind it): computed figures, never a widget's
// source, a query or an editor's hint.
func (h *Handler) kioskPanels(ctx context.Context, t *tenancy.Handle, res *kiosk.Resolved, kv *kioskView) error {
	ws, err := h.svc.Dashboards.KioskWidgets(ctx, t, res.Subject, kv.Current.ID)
	if code := strongroom.ErrorCode(err); code == strongroom.ENOTFOUND || code == strongroom.EFORBIDDEN {
		return nil // gone since it was named: the next view leaves it out
	} else if err != nil {
		return err
	}
	panels, err := h.svc.Widgets.Panels(ctx, t, &identity.Principal{Subject: res.Subject}, ws,
		charts.Options{Size: charts.Kiosk, Format: h.formatter(t)})
	if err != nil {
		return err
	}
	kv.Grid = panelGrid{Topic: liveTopic(t.Tenant.Slug, kv.Current.ID), Panels: panels, Kiosk: true}
	kv.Refresh = kv.Rotation
	for _, p := range panels {
		if p.Refresh > 0 && p.Refresh < kv.Refresh {
			kv.Refresh = p.Refresh
		}
	}
	return nil
}
