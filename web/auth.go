package web

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/server"
	"strongroom/store"
	"strongroom/tenancy"
)

// sessionCookie names the session cookie of a tenant. The __Host- prefix
// makes browsers refuse it unless it is Secure, has Path=/ and no Domain, so
// no other host or path can set or read it; the slug keeps two tenants'
// sessions on one host apart.
func sessionCookie(slug string) string { return "__Host-sr-" + slug }

func setSession(w http.ResponseWriter, slug, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie(slug), Value: token, Path: "/",
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func clearSession(w http.ResponseWriter, slug string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie(slug), Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// authFunc is a handler that runs for a signed-in principal.
type authFunc func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error

// clientIP is the request's source address as the server computed it.
func clientIP(r *http.Request) string {
	if ip := server.ClientIP(r.Context()); ip.IsValid() {
		return ip.String()
	}
	return ""
}

// principal authenticates a request: an API token in the Authorization
// header, or the tenant's session cookie.
func (h *Handler) principal(r *http.Request, t *tenancy.Handle) (*identity.Principal, string, error) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		secret, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return nil, "", strongroom.Errorf(strongroom.EUNAUTHORIZED, "Send an API token as \"Authorization: Bearer <token>\".")
		}
		p, err := h.identity.AuthenticateToken(r.Context(), t, strings.TrimSpace(secret), clientIP(r))
		return p, "", err
	}
	c, err := r.Cookie(sessionCookie(t.Tenant.Slug))
	if err != nil {
		return nil, "", strongroom.Errorf(strongroom.EUNAUTHORIZED, "Please sign in.")
	}
	p, err := h.identity.Authenticate(r.Context(), t, c.Value, clientIP(r))
	return p, c.Value, err
}

// authed runs fn for a signed-in principal of the tenant in the URL. Pages
// send a visitor who is not signed in to the sign-in form; a user who must
// first change a temporary password or enrol two-factor is sent there, and
// the API answers that it must be done first. open lists handlers that such
// a user may still reach (the change form itself, sign-out).
//
// Every route behind authed needs a full API token (or a session); a token
// of a narrower scope reaches only routes registered with authedScope.
func (h *Handler) authed(fn authFunc, open bool) handlerFunc {
	return h.authedScope(fn, open, identity.ScopeFull)
}

// authedScope is authed for a route that a token of scope need may use as
// well. This is the one place token scopes are enforced: a token whose
// scope the route does not take is refused (403, audited) before anything
// else about the request is looked at.
func (h *Handler) authedScope(fn authFunc, open bool, need identity.TokenScope) handlerFunc {
	return h.withTenant(func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
		api := strings.HasPrefix(r.URL.Path, "/api/")
		p, token, err := h.principal(r, t)
		if strongroom.ErrorCode(err) == strongroom.EUNAUTHORIZED {
			// No session or token of the tenant: an operator under a
			// running grant is served read-only (provider_access_principal.go);
			// without one they are the anonymous visitor below.
			op, g, oerr := h.operatorGrant(r, t)
			if oerr != nil {
				return oerr
			}
			if g != nil {
				return h.asOperator(w, r, t, op, g, fn, need)
			}
		}
		if err != nil {
			if !api && strongroom.ErrorCode(err) == strongroom.EUNAUTHORIZED {
				clearSession(w, t.Tenant.Slug)
				return redirect(w, r, tenantPath(t, "login")+"?next="+url.QueryEscape(r.URL.Path))
			}
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		if !p.Allows(need) {
			h.recordDenied(r, t, p)
			return strongroom.Errorf(strongroom.EFORBIDDEN, "This API token's scope does not cover this request; use a full token or sign in.")
		}
		h.providerNotices(r, t, p)
		if !open && p.Restricted() {
			if api {
				return strongroom.Errorf(strongroom.EPASSWORD, "Change your temporary password (and set up two-factor sign-in if your workspace requires it) before anything else.")
			}
			if p.User.PasswordTemporary {
				return redirect(w, r, tenantPath(t, "password"))
			}
			return redirect(w, r, tenantPath(t, "totp"))
		}
		err = fn(w, r.WithContext(withSessionToken(r.Context(), token)), t, p)
		if strongroom.ErrorCode(err) == strongroom.EFORBIDDEN {
			h.recordDenied(r, t, p)
		}
		return err
	})
}

// recordDenied writes a refused request into the tenant's audit log. The
// path is kept, not the query string or body.
func (h *Handler) recordDenied(r *http.Request, t *tenancy.Handle, p *identity.Principal) {
	err := t.DB.InTx(r.Context(), func(tx *store.Tx) error {
		_, err := t.Audit.Append(r.Context(), tx, audit.Event{
			Actor: p.AuditActor(), SourceIP: clientIP(r), Action: "auth.permission_denied",
			ObjectType: "request", Details: map[string]string{"method": r.Method, "path": r.URL.Path},
		})
		return err
	})
	if err != nil {
		h.log.Error("audit a refused request", "tenant", t.Tenant.Slug, "err", err)
	}
}

// tenantPath returns the page path of a tenant: /t/SLUG/rest.
func tenantPath(t *tenancy.Handle, rest string) string {
	return "/t/" + t.Tenant.Slug + "/" + rest
}

// redirect answers with 303 See Other, so a POST is followed by a GET.
func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// safeNext returns next when it is a path inside the tenant, else home:
// a sign-in form must not become an open redirect. The path is decoded and
// its dot segments resolved before it is checked (a browser treats %2e as a
// dot and a backslash as a slash), and the cleaned path is what is
// returned, so the check and the browser see the same path.
func safeNext(t *tenancy.Handle, next string) string {
	home := "/t/" + t.Tenant.Slug + "/"
	if strings.Contains(next, "\\") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return home
	}
	if strings.ContainsFunc(u.Path, func(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }) {
		return home
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	if !strings.HasPrefix(clean, home) || clean == home {
		return home
	}
	return (&url.URL{Path: clean, RawQuery: u.RawQuery}).String()
}

// ifServed answers 404 ("Page not found.") while served reports false: the
// routes of a service the server was built without (nil in Services).
func ifServed(served func() bool, fn authFunc) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		if !served() {
			return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
		}
		return fn(w, r, t, p)
	}
}
