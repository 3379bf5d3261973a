// Package web holds Strongroom's routes: the server-rendered pages and the
// JSON API. Handlers return errors; they are rendered in one place (errors.go)
// so that no internal detail ever reaches a client.
package web

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"strongroom"
	"strongroom/cases"
	"strongroom/dashboards"
	"strongroom/documents"
	"strongroom/erasure"
	"strongroom/format"
	"strongroom/grants"
	"strongroom/home"
	"strongroom/identity"
	"strongroom/integrations"
	"strongroom/kiosk"
	"strongroom/live"
	"strongroom/metrics"
	"strongroom/netpolicy"
	"strongroom/operators"
	"strongroom/reports"
	"strongroom/scim"
	"strongroom/search"
	"strongroom/sso"
	"strongroom/store"
	"strongroom/tenancy"
	"strongroom/trust"
	"strongroom/widgets"
)

//go:embed templates/*.html templates/partials/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Tenants hands out a tenant's database by slug (tenancy.Registry).
type Tenants interface {
	Get(ctx context.Context, slug string) (*tenancy.Handle, func(), error)
}

// Config holds the web layer's options.
type Config struct {
	// HostSuffix, when set, also addresses tenants by host name:
	// SLUG.HostSuffix/… is served as /t/SLUG/….
	HostSuffix string
	// Faults hears of the faults requests meet (logged once per interval,
	// a full disk remembered for readiness); nil: a Faults of its own.
	Faults *store.Faults
	// BodyTimeout is the server's read deadline for a request body; an
	// upload gets it anew for every 64 KiB it delivers (0: 30 s).
	BodyTimeout time.Duration
	// Live tunes the live-update hub (zero: the production setting);
	// LiveOrigins are the exact origins its pages connect from (none:
	// https:// and the request's own host); LiveTick is how often a
	// tenant's followed dashboards are looked at for a due redraw (0: 1 s).
	Live        live.Config
	LiveOrigins []string
	LiveTick    time.Duration
	// TrustTLS is the TLS in force, as tenants' trust reports state it.
	TrustTLS trust.TLSSection
}

// Handler serves every page and API route.
type Handler struct {
	tenants  Tenants
	identity *identity.Service
	svc      Services
	log      *slog.Logger
	cfg      Config
	pages    map[string]*template.Template
	formats  *formatCache // each tenant's formatting and pages bound to it
	mux      *routeMux
	// csrf refuses state-changing requests that a browser sent from
	// another origin; SameSite=Lax cookies are the second line.
	csrf *http.CrossOriginProtection
	// live is the live-update hub and what connects it (live.go).
	live *liveWire
}

// Services are the domain services the routes call; cmd/strongroom builds
// them. Each area of the product adds its service here.
type Services struct {
	Identity  *identity.Service
	Documents *documents.Service
	Cases     *cases.Service
	Search    *search.Service
	Reports   *reports.Service
	Home      *home.Service // nil: home.New()
	Erasure   *erasure.Service
	// Backups reads the tenant's backups and restore drills (nil: a
	// server without backup targets, whose Backups page lists none).
	Backups BackupStatus
	Metrics *metrics.Service // nil: metrics.New()
	// Integrations manages the tenant's integrations (nil: no pages).
	Integrations *integrations.Service
	// Dashboards holds dashboards and groups (nil: dashboards.New()).
	Dashboards *dashboards.Service
	// Kiosk manages and resolves kiosk links (nil: none are served).
	Kiosk *kiosk.Service
	// Widgets draws dashboards' panels (nil: one over Metrics).
	Widgets *widgets.Renderer
	// NetPolicy holds the tenants' IP allowlists (nil: none are enforced
	// and the Network access page and API answer 404).
	NetPolicy *netpolicy.Service
	// SSO is single sign-on through OpenID Connect (nil: no providers,
	// and its pages and API answer 404).
	SSO *sso.Service
	// SCIM serves identity providers' provisioning (nil: its routes and
	// the Provisioning page answer 404).
	SCIM *scim.Service
	// Operators is the provider's staff realm: the console at /operator/
	// (nil: it answers 404, and no operator works in a tenant).
	Operators *operators.Service
	// Grants is access by the service provider: operators' requests and
	// grants, and the operator as a read-only principal in a tenant under
	// one (nil: no operator works in a tenant, and its pages answer 404).
	Grants *grants.Service
	// OperatorTenants lists, creates, disables and enables tenants for
	// the operator console (nil: its tenant list is empty).
	OperatorTenants OperatorTenants
}

// New parses the templates (failing fast on a broken one) and builds routes.
func New(tenants Tenants, svc Services, log *slog.Logger, cfg Config) (*Handler, error) {
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	if svc.Home == nil {
		svc.Home = home.New()
	}
	if svc.Metrics == nil {
		svc.Metrics = metrics.New()
	}
	if svc.Dashboards == nil {
		svc.Dashboards = dashboards.New()
	}
	if svc.Widgets == nil {
		svc.Widgets = &widgets.Renderer{Metrics: svc.Metrics}
	}
	if cfg.Faults == nil {
		cfg.Faults = store.NewFaults(log)
	}
	h := &Handler{tenants: tenants, identity: svc.Identity, svc: svc, log: log, cfg: cfg, pages: pages}
	if h.formats, err = newFormatCache(); err != nil {
		return nil, err
	}
	h.mux = newRouteMux(h)
	h.live = newLiveWire(h)
	h.routes()
	h.csrf = http.NewCrossOriginProtection()
	h.csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.renderError(w, r, strongroom.Errorf(strongroom.EFORBIDDEN, "This request came from another site and was refused."))
	}))
	return h, nil
}

func parseTemplates() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		// Every page is parsed with the layout and the shared partials
		// (templates/partials/*.html: form errors, navigation pieces).
		t, err := template.New("layout.html").Funcs(templateFuncs(format.Default)).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html", name)
		if err != nil {
			return nil, err
		}
		pages[base] = t
	}
	return pages, nil
}

// handlerFunc is a handler that returns its error for central rendering.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// tenantFunc is a handler that runs with the tenant its URL names.
type tenantFunc func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error

func (h *Handler) routes() {
	static, _ := fs.Sub(staticFS, "static")
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(http.FileServerFS(static))))
	h.mux.Handle("GET /{$}", h.page(h.front))
	h.mux.Handle("GET /t/{slug}/{$}", h.page(h.authed(h.home, false)))
	h.mux.Handle("GET /api/v1/t/{slug}/status", h.page(h.withTenant(h.apiStatus)))
	h.apiRoutes()
	h.erasureRoutes()
	h.backupRoutes()
	h.integrationRoutes()
	h.integrationAPIRoutes()
	h.dashboardRoutes()
	h.referenceRoutes()
	h.metricsRoutes()
	h.kioskRoutes()
	h.liveRoutes()
	h.dashboardPageRoutes()
	h.netpolicyRoutes()
	h.providerAccessRoutes()
	h.trustRoutes()
	h.passkeyRoutes()
	h.ssoRoutes()
	h.scimRoutes()
	h.operatorConsoleRoutes()
	h.mux.Handle("/", h.page(func(w http.ResponseWriter, r *http.Request) error {
		return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
	}))
	h.pageRoutes()
	h.auditRoutes()
	h.documentRoutes()
	h.casesRoutes()
	h.searchRoutes()
	h.reportRoutes()
}

// ServeHTTP addresses tenants by host name when configured, then routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if slug, ok := h.hostTenant(r.Host); ok && !strings.HasPrefix(r.URL.Path, "/static/") &&
		!strings.HasPrefix(r.URL.Path, "/t/"+slug+"/") && !strings.HasPrefix(r.URL.Path, "/api/v1/t/"+slug+"/") && !isReferencePath(r.URL.Path) {
		r = r.Clone(r.Context())
		if strings.HasPrefix(r.URL.Path, "/api/v1/") {
			r.URL.Path = "/api/v1/t/" + slug + "/" + strings.TrimPrefix(r.URL.Path, "/api/v1/")
		} else {
			r.URL.Path = "/t/" + slug + r.URL.Path
		}
		r.URL.RawPath = ""
	}
	h.csrf.Handler(h.mux).ServeHTTP(w, r)
}

// hostTenant returns the slug of a host of the form SLUG.HostSuffix.
func (h *Handler) hostTenant(host string) (string, bool) {
	if h.cfg.HostSuffix == "" {
		return "", false
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	slug, ok := strings.CutSuffix(strings.ToLower(host), "."+strings.ToLower(h.cfg.HostSuffix))
	if !ok || strongroom.ValidateSlug(slug) != nil {
		return "", false
	}
	return slug, true
}

func (h *Handler) page(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.renderError(w, r, err)
		}
	})
}

// withTenant resolves the tenant named in the URL and hands the handler its
// database only; the handle is released when the handler returns.
func (h *Handler) withTenant(fn tenantFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		slug := r.PathValue("slug")
		if strongroom.ValidateSlug(slug) != nil {
			return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
		}
		t, release, err := h.tenants.Get(r.Context(), slug)
		if err != nil {
			if strongroom.ErrorCode(err) == strongroom.ENOTFOUND {
				// The same answer as for any unknown page: no hint of which tenants exist.
				return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
			}
			return err
		}
		defer release()
		if err := h.netGuard(r, t); err != nil { // the tenant's IP allowlist (netpolicy.go)
			return err
		}
		h.formats.load(r.Context(), h, t) // the tenant's formatting, for its pages
		return fn(w, r, t)
	}
}

func staticHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}
