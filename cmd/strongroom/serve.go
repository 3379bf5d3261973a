package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"
	"strongroom/dashboards"
	"strongroom/metrics"
	"strongroom/netpolicy"
	"strongroom/sso"
	"time"

	"strongroom"
	"strongroom/backup/drill"
	"strongroom/backup/standby"
	"strongroom/cases"
	"strongroom/documents"
	"strongroom/erasure"
	"strongroom/identity"
	"strongroom/jobs"
	"strongroom/live"
	"strongroom/reports"
	"strongroom/scim"
	"strongroom/search"
	"strongroom/seed"
	"strongroom/server"
	"strongroom/store"
	"strongroom/tenancy"
	"strongroom/trust"
	"strongroom/web"
	"strongroom/witness"
)

// ServeConfig is everything "strongroom serve" is told.
type ServeConfig struct {
	Storage          StorageConfig
	Addr             string
	HTTPAddr         string
	TLSCert, TLSKey  string
	ACMEDomains      string
	TrustedProxies   string
	MetricsAddr      string
	TenantHostSuffix string
	IdleClose        time.Duration
	LogLevel         string
	Demo             bool
	// DemoEmpty makes the demo tenant without its sample data.
	DemoEmpty bool
	// ThrottleBurst failed sign-ins are allowed from one address at once;
	// one more every ThrottleRefill.
	ThrottleBurst  int
	ThrottleRefill time.Duration
	// BodyTimeout bounds the time a request body may take (0: 30 s);
	// uploads get it anew for every 64 KiB they deliver.
	BodyTimeout time.Duration
	// MaxConnsPerAddr caps the connections open from one client address
	// (0: no cap); trusted proxies are exempt.
	MaxConnsPerAddr int
	// Witnesses cosign every tenant's audit checkpoints: URL=KEY each.
	Witnesses targetList
	// SignIn is the tenant-wide budget of failed sign-ins.
	SignIn SignInConfig
	// MaxUploadMiB is the largest upload limit a tenant may set, in MiB.
	MaxUploadMiB int
	// Backup says where, how often and how long backups are kept.
	Backup BackupServeConfig
	// Drill says how often each tenant's newest backup is restored into a
	// scratch location, and with which identity.
	Drill DrillConfig
	// Integrations says which refused networks integrations may reach.
	Integrations IntegrationConfig
	// Kiosk tunes the kiosk links.
	Kiosk KioskConfig
	// SSO is how single sign-on reaches identity providers (zero: the
	// system's roots; tests trust their loopback provider).
	SSO sso.Config
	// SMTPURL and SMTPFrom send break-glass alerts (grants); empty: none.
	SMTPURL, SMTPFrom string
	// Live tunes the live-update hub and LiveTick how often followed
	// dashboards are looked at for a due redraw (zero: the production
	// settings; tests shorten them).
	Live     live.Config
	LiveTick time.Duration
}

// Main is a running server: cmd/strongroom and end-to-end tests both use it.
type Main struct {
	Config ServeConfig
	Stdout io.Writer
	Log    *slog.Logger

	app *app
	// dashboards is the one dashboards service of pages and kiosk screens.
	dashboards *dashboards.Service
	registry   *tenancy.Registry
	svc        web.Services
	purger     *cases.Purger
	queue      *jobs.Store
	runner     *jobs.Runner
	faults     *store.Faults
	server     *server.Server
	web        *web.Handler
	backups    *backupJobs
	drills     *drill.Service // nil without backup targets
	cancel     context.CancelFunc
	done       chan struct{}
	// recovered is closed when the start-up recovery has finished.
	recovered chan struct{}
}

// ParseFlags reads serve's command line (and environment).
func (m *Main) ParseFlags(args []string, stderr io.Writer) error {
	c := &m.Config
	fs := newFlagSet("serve", stderr, "strongroom serve [flags]\n\nServes Strongroom over HTTPS. With no certificate flags it makes a self-signed\ncertificate for localhost in the data directory and prints its SHA-256 fingerprint.")
	c.Storage.register(fs)
	stringFlag(fs, &c.Addr, "addr", ":8443", "HTTPS listen address")
	stringFlag(fs, &c.HTTPAddr, "http-addr", ":8080", "plain HTTP address that only redirects to HTTPS; empty for none")
	stringFlag(fs, &c.TLSCert, "tls-cert", "", "PEM certificate file (with --tls-key)")
	stringFlag(fs, &c.TLSKey, "tls-key", "", "PEM private key file (with --tls-cert)")
	stringFlag(fs, &c.ACMEDomains, "acme-domain", "", "comma-separated host names to get certificates for through ACME (needs :443 and :80 reachable)")
	stringFlag(fs, &c.TrustedProxies, "trusted-proxies", "", "comma-separated addresses or CIDRs of proxies whose X-Forwarded-For is believed")
	stringFlag(fs, &c.MetricsAddr, "metrics-addr", "", "address for Prometheus metrics over plain HTTP, e.g. 127.0.0.1:9090; empty: off")
	stringFlag(fs, &c.TenantHostSuffix, "tenant-host-suffix", "", "also address tenants by host name SLUG.SUFFIX (e.g. example.com)")
	durationFlag(fs, &c.IdleClose, "idle-close", 5*time.Minute, "close a tenant's database after it has been idle this long")
	stringFlag(fs, &c.LogLevel, "log-level", "info", "debug, info, warn or error")
	targetListVar(fs, &c.Witnesses, "witness",
		"a witness that cosigns every audit checkpoint, URL=KEY (its cosignature key), repeatable")
	intFlag(fs, &c.ThrottleBurst, "login-throttle-burst", 20, "failed sign-ins allowed from one address before it must wait")
	durationFlag(fs, &c.ThrottleRefill, "login-throttle-refill", 30*time.Second, "an address regains one failed sign-in this often")
	durationFlag(fs, &c.BodyTimeout, "body-timeout", server.DefaultBodyTimeout, "time a request body may take to arrive; an upload gets it anew for every 64 KiB it delivers")
	intFlag(fs, &c.MaxConnsPerAddr, "max-conns-per-addr", 256, "connections one client address may hold open (IPv6: one /64); trusted proxies are exempt; 0: no cap")
	c.SignIn.register(fs)
	c.Backup.register(fs)
	c.Drill.register(fs)
	c.Integrations.register(fs)
	intFlag(fs, &c.MaxUploadMiB, "max-upload-mib", int(documents.DefaultUploadCeiling>>20),
		"largest upload limit, in MiB, a tenant's administrator may set (each tenant chooses its own below it; 100 MiB unless set)")
	stringFlag(fs, &c.SMTPURL, "smtp-url", "", "mail server for break-glass alerts to tenants' administrators, smtp://user:password@host:port (STARTTLS required); empty: no e-mail")
	stringFlag(fs, &c.SMTPFrom, "smtp-from", "", "sender address of the alerts (with --smtp-url)")
	boolFlag(fs, &c.DemoEmpty, "demo-empty", "with --demo: create the demo tenant without sample cases and users")
	boolFlag(fs, &c.Demo, "demo", "create a demo tenant named \"demo\" when it does not exist")
	_, err := parse(fs, args, 0)
	return err
}

func parseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p)
		} else if a, err := netip.ParseAddr(part); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		} else {
			return nil, strongroom.FieldError("trusted-proxies", "%q is neither an IP address nor a CIDR prefix.", part)
		}
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// Run opens storage, removes tenants a crash left half-made, and starts
// serving, with the rest of what a crash leaves put right in the
// background (recoverAtStart). It returns once the listeners are bound.
func (m *Main) Run(ctx context.Context) (err error) {
	c := m.Config
	proxies, err := parseProxies(c.TrustedProxies)
	if err != nil {
		return err
	}
	if c.IdleClose <= 0 {
		return strongroom.FieldError("idle-close", "The idle period must be positive.")
	}
	if c.BodyTimeout < 0 {
		return strongroom.FieldError("body-timeout", "The body timeout must not be negative.")
	}
	if c.MaxConnsPerAddr < 0 {
		return strongroom.FieldError("max-conns-per-addr", "The connection cap must not be negative (0 turns it off).")
	}
	if c.ThrottleBurst < 0 || c.ThrottleRefill < 0 {
		return strongroom.FieldError("login-throttle-burst", "The sign-in throttle settings must not be negative.")
	}
	if err := c.SignIn.check(); err != nil {
		return err
	}
	m.Config.Backup = m.Config.Backup.withDefaults()
	if err := m.Config.Backup.check(); err != nil {
		return err
	}
	if c.MaxUploadMiB < 0 || int64(c.MaxUploadMiB) > documents.MaxUploadCeiling>>20 {
		return strongroom.FieldError("max-upload-mib", "The upload ceiling must be between 1 and %d MiB (0: the default).", documents.MaxUploadCeiling>>20)
	}
	if m.app, err = openApp(ctx, c.Storage, m.Log); err != nil {
		return err
	}
	// A warm standby serves nothing until it is promoted.
	if err := standby.CheckServe(ctx, m.app.control); err != nil {
		m.app.Close()
		return err
	}
	if c.ThrottleBurst > 0 {
		m.app.throttle.Burst = float64(c.ThrottleBurst)
	}
	if c.ThrottleRefill > 0 {
		m.app.throttle.Refill = c.ThrottleRefill
	}
	c.SignIn.apply(m.app.identity)
	defer func() {
		if err != nil {
			m.Close(context.Background())
		}
	}()
	if err := m.app.tenants.Sweep(ctx); err != nil {
		return err
	}
	var demo *demoMade
	if c.Demo {
		if demo, err = m.ensureDemo(ctx); err != nil {
			return err
		}
	}
	m.registry = tenancy.NewRegistry(m.app.engine, m.app.control, m.app.keeper, m.Log, c.IdleClose, c.Storage.checkpoints())
	m.registry.MaxOpen = c.Storage.maxOpenTenants()
	for _, spec := range c.Witnesses {
		w, err := witness.NewClient(spec)
		if err != nil {
			return strongroom.FieldError("witness", "Witness %q: %s.", spec, err.Error())
		}
		m.registry.Witnesses = append(m.registry.Witnesses, w)
	}
	m.dashboards = dashboards.New()
	m.svc = m.services()
	if m.svc.Grants, err = m.grantsService(); err != nil {
		return err
	}
	m.svc.Operators = m.app.operators // the console at /operator/
	m.svc.OperatorTenants = &consoleTenants{a: m.app}
	m.svc.Documents.UploadCeiling = int64(c.MaxUploadMiB) << 20
	m.svc.Integrations = m.newIntegrations()
	m.faults = store.NewFaults(m.Log, c.Storage.DataDir, c.Storage.files(), c.Storage.checkpoints())
	if err := m.openBackups(ctx); err != nil {
		return err
	}
	if err := m.openDrills(ctx); err != nil {
		return err
	}
	handler, err := web.New(m.registry, m.svc, m.Log, web.Config{HostSuffix: c.TenantHostSuffix, Faults: m.faults, BodyTimeout: c.BodyTimeout,
		Live: c.Live, LiveTick: c.LiveTick, TrustTLS: c.trustTLS()})
	if err != nil {
		return err
	}
	m.web = handler
	// Soft-deleted records and documents go for good after 30 days, by an
	// hourly job per tenant.
	m.purger = cases.NewPurger(m.svc.Cases, m.activeTenants, m.registry.Get, time.Hour, m.Log)
	m.purger.Before = func(ctx context.Context, t *tenancy.Handle, now time.Time) error {
		_, err := m.svc.Documents.Purge(ctx, t, now)
		return err
	}
	// Every kind is registered before the metrics are made: they list
	// the kinds registered then.
	m.newRunner()
	dataDir := c.Storage.DataDir
	m.server, err = server.New(server.Config{
		Addr: c.Addr, HTTPAddr: c.HTTPAddr, TLSCert: c.TLSCert, TLSKey: c.TLSKey,
		ACMEDomains: splitList(c.ACMEDomains), DataDir: filepath.Clean(dataDir),
		TrustedProxies: proxies, MetricsAddr: c.MetricsAddr, Logger: m.Log,
		BodyTimeout: c.BodyTimeout, MaxConnsPerAddr: c.MaxConnsPerAddr,
		Ready:      m.ready,
		Gauges:     m.gauges(),
		Collectors: append(m.backupCollectors(), m.drillCollectors()...),
		Status:     m.statusPage(),
	}, handler)
	if err != nil {
		return err
	}
	if err := m.server.Open(); err != nil {
		return err
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel, m.done, m.recovered = cancel, make(chan struct{}), make(chan struct{})
	go func() {
		defer close(m.done)
		m.registry.Run(bg)
	}()
	go func() {
		defer close(m.recovered)
		m.recoverAtStart(bg)
		if bg.Err() == nil {
			m.runner.Start() // after the recovery, which already swept every tenant
		}
	}()

	m.printStart(demo)
	m.Log.Info("serving", "url", m.server.URL(), "engine", string(m.app.engine.Dialect()))
	return nil
}

// ready is for /readyz: the control plane answers, and the disk has space
// if a write found none.
func (m *Main) ready(ctx context.Context) error {
	if err := m.app.db.Ping(ctx); err != nil {
		return err
	}
	return m.faults.Check(ctx)
}

// gauges are the figures of the faults and of the jobs exposed with the
// metrics.
func (m *Main) gauges() []server.Gauge {
	return append([]server.Gauge{
		{Name: "storage_full", Help: "1 while writes are refused because the disk is full, until a write succeeds again.",
			Value: func() float64 {
				if m.faults.StorageFull() {
					return 1
				}
				return 0
			}},
		{Name: "storage_full_refusals_total", Help: "Requests refused because the disk was full.", Counter: true,
			Value: func() float64 { return float64(m.faults.Refused()) }},
	}, m.jobGauges()...)
}

// activeTenants lists the slugs of the tenants background jobs work on.
func (m *Main) activeTenants(ctx context.Context) ([]string, error) {
	ts, err := m.app.tenants.List(ctx)
	if err != nil {
		return nil, err
	}
	var slugs []string
	for _, t := range ts {
		if t.Status == strongroom.TenantActive {
			slugs = append(slugs, t.Slug)
		}
	}
	return slugs, nil
}

// services builds the domain services the web layer and jobs share.
func (m *Main) services() web.Services {
	// An Entra ID identity signing in for the first time is linked to the
	// user the same directory provisioned by SCIM with its object id.
	scimSvc := m.scimService()
	ssoSvc := sso.New(m.app.identity, m.Config.SSO, m.Log)
	ssoSvc.Provisioned = scimSvc.UserByExternalID
	return web.Services{
		Identity:   m.app.identity,
		Documents:  documents.New(m.Config.Storage.files(), m.Log),
		Cases:      cases.New(m.Log),
		Search:     search.New(),
		Reports:    reports.New(),
		Erasure:    erasure.New(m.app.db, m.Log),
		Metrics:    metrics.New(),
		Dashboards: m.dashboards,
		Kiosk:      m.kioskService(),
		NetPolicy:  netpolicy.New(m.Log),
		SSO:        ssoSvc,
		SCIM:       scimSvc,
	}
}

// scimService serves identity providers' provisioning.
func (m *Main) scimService() *scim.Service {
	s := scim.New(m.app.identity, m.Log)
	s.Dashboards = m.dashboards
	return s
}

// demoMade is what ensureDemo made, to print once the address is known.
type demoMade struct {
	adminPassword  string
	cases, records int
	logins         []seed.Login
}

// ensureDemo makes the demo tenant, with its sample data unless DemoEmpty,
// when it does not exist yet; made is nil when it did.
func (m *Main) ensureDemo(ctx context.Context) (*demoMade, error) {
	if _, err := m.app.tenants.Show(ctx, "demo"); err == nil {
		return nil, nil
	} else if strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
		return nil, err
	}
	t, err := m.app.tenants.Create(ctx, "demo", "Demo Law LLP")
	if err != nil {
		return nil, err
	}
	made := &demoMade{adminPassword: m.app.adminPassword}
	if m.Config.DemoEmpty {
		return made, nil
	}
	// Realistic data to try it with: practice groups, an MDL with two
	// local counsel firms restricted to their cases, a user for each role.
	err = withTenant(ctx, m.app, m.Config.Storage, t.Slug, func(h *tenancy.Handle) error {
		res, err := seed.Demo(store.WithTimeout(ctx, 0), h, m.app.identity, seed.DemoOptions{}) // bulk loading: no request deadline
		made.cases, made.records, made.logins = res.Cases, res.Records-res.Cases, res.Logins
		return err
	})
	return made, err
}

// printStart prints where to sign in, first, then the demo's logins, the
// certificate's fingerprint and where the master key is.
func (m *Main) printStart(demo *demoMade) {
	w, c := m.Stdout, m.Config
	if c.Demo {
		signIn := m.server.URL() + "t/demo/login"
		fmt.Fprintf(w, "Sign in at %s\n", signIn)
		if demo != nil {
			fmt.Fprintf(w, "Created the demo tenant \"demo\" (Demo Law LLP). Sign in as %q with the temporary password\n  %s\n(you will be asked to choose your own).\n",
				identity.FirstAdminName, demo.adminPassword)
			if demo.logins != nil {
				fmt.Fprintf(w, "The demo tenant has %d cases with %d records in them.\n", demo.cases, demo.records)
				printLogins(w, signIn, demo.logins)
			}
		}
	}
	fmt.Fprintf(w, "Strongroom is serving at %s\n", m.server.URL())
	if !c.Demo {
		fmt.Fprintf(w, "Make a tenant with \"strongroom tenant create SLUG\", then sign in at %st/SLUG/login\n", m.server.URL())
	}
	if fp := m.server.Fingerprint(); fp != "" && c.TLSCert == "" {
		fmt.Fprintf(w, "Self-signed certificate SHA-256 fingerprint:\n  %s\n", fp)
		fmt.Fprintln(w, "Check that your browser shows this fingerprint before you accept the certificate.")
	}
	for _, note := range m.app.keyNotes {
		fmt.Fprintln(w, note)
	}
}

// URL returns the address being served.
func (m *Main) URL() string { return m.server.URL() }

// jobDrainTimeout bounds the wait at shutdown for job handlers to stop.
const jobDrainTimeout = 10 * time.Second

// Close stops serving, waiting for requests in flight until ctx ends, then
// stops the job runner (its running jobs handed back), closes tenant
// databases (each after signing its last audit events, also those of a
// request still running) and the control plane.
func (m *Main) Close(ctx context.Context) error {
	var err error
	if m.server != nil {
		err = m.server.Close(ctx)
	}
	if m.web != nil {
		m.web.Close() // the live sockets, which the server's shutdown does not wait for
	}
	if m.cancel != nil {
		m.cancel()
		<-m.done
		<-m.recovered // before the runner: the recovery may start it
	}
	if m.runner != nil {
		// Handlers are cancelled and should end at once; their jobs are
		// handed back for the next start or another node.
		drain, cancel := context.WithTimeout(context.Background(), jobDrainTimeout)
		if cerr := m.runner.Close(drain); cerr != nil {
			m.Log.Warn("jobs still running at shutdown", "err", cerr)
		}
		cancel()
	}
	if m.backups != nil && m.backups.closeTargets != nil {
		m.backups.closeTargets()
	}
	if m.registry != nil {
		m.registry.Close()
	}
	if m.app != nil {
		m.app.Close()
	}
	return err
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m := &Main{Stdout: stdout}
	if err := m.ParseFlags(args, stderr); err != nil {
		return err
	}
	m.Log = newLogger(stderr, m.Config.LogLevel)
	if err := m.Run(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	m.Log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return m.Close(shutdown)
}

// newLogger returns a JSON logger at the named level.
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// trustTLS states the TLS in force for tenants' trust reports.
func (c *ServeConfig) trustTLS() trust.TLSSection {
	minV, suites := server.TLSSettings()
	t := trust.TLSSection{MinVersion: minV, CipherSuites: suites}
	switch {
	case c.ACMEDomains != "":
		t.Mode = "ACME (certificates issued automatically for " + c.ACMEDomains + ")"
	case c.TLSCert != "":
		t.Mode = "certificate files installed by the operator"
	default:
		t.Mode = "self-signed certificate"
		t.Notes = "A self-signed certificate is for trials: browsers warn about it."
	}
	if t.Notes == "" {
		t.Notes = "TLS 1.3 is offered with Go's fixed, sound suites; TLS 1.2 only with the forward-secret AEAD suites listed."
	}
	return t
}
