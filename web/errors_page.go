package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/tenancy"
)

// errorPage is what the error page says.
type errorPage struct {
	Status  int
	Message string
	// Home is where the way back leads: the tenant's start page (which
	// asks a visitor to sign in), or the front page outside any tenant.
	Home string
}

// StatusText is the status in words ("Not Found").
func (e errorPage) StatusText() string { return http.StatusText(e.Status) }

// errorLookupTimeout bounds the look-up of the tenant and session an error
// page is shown in: the page must come quickly, whatever the database does.
const errorLookupTimeout = 2 * time.Second

// renderErrorPage shows an error as a page. A signed-in user sees it
// inside their tenant's frame, with its navigation; anyone else sees the
// plain page, which names no tenant (so it answers the same whether or not
// the tenant exists). Faults of the machine are shown plainly, without
// asking the database again; if the tenant's frame cannot be had or
// rendered, the plain page is shown.
func (h *Handler) renderErrorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	page := errorPage{Status: status, Message: msg, Home: "/"}
	slug := pathTenant(r.URL.Path)
	if slug != "" {
		page.Home = "/t/" + slug + "/"
	}
	if slug != "" && status < 500 {
		if t, p, release := h.errorContext(r, slug); t != nil {
			defer release()
			v := newView(r, t, p)
			v.Notice = ""
			v.Page = page
			if err := h.render(w, status, "error", v); err == nil {
				return
			} else {
				h.log.Error("render error page in the tenant's frame", "err", err)
			}
		}
	}
	if err := h.render(w, status, "error", view{Page: page}); err != nil {
		h.log.Error("render error page", "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
	}
}

// errorContext returns the tenant slug names and the user signed in to it
// by this request's session cookie, or nil when there is none (no such
// tenant, not signed in, an API token, or any failure on the way).
func (h *Handler) errorContext(r *http.Request, slug string) (*tenancy.Handle, *identity.Principal, func()) {
	if strongroom.ValidateSlug(slug) != nil || h.tenants == nil {
		return nil, nil, nil
	}
	if _, err := r.Cookie(sessionCookie(slug)); err != nil {
		return nil, nil, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), errorLookupTimeout)
	defer cancel()
	t, release, err := h.tenants.Get(ctx, slug)
	if err != nil {
		return nil, nil, nil
	}
	if h.identity == nil || !h.netQuiet(r, t) {
		release()
		return nil, nil, nil
	}
	r = r.WithContext(ctx)
	r.Header = r.Header.Clone()
	r.Header.Del("Authorization") // pages belong to browser sessions
	p, _, err := h.principal(r, t)
	if err != nil || p == nil {
		release()
		return nil, nil, nil
	}
	h.formats.load(ctx, h, t)
	return t, p, release
}

// pathTenant returns the slug of a tenant page path (/t/SLUG/…), or "".
func pathTenant(path string) string {
	rest, ok := strings.CutPrefix(path, "/t/")
	if !ok {
		return ""
	}
	slug, _, _ := strings.Cut(rest, "/")
	if strongroom.ValidateSlug(slug) != nil {
		return ""
	}
	return slug
}
