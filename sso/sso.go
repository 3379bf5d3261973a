// Package sso signs a tenant's users in through OpenID Connect providers
// the tenant's administrators configure: Google (with its hosted domains),
// Microsoft Entra ID (the firm's own directory) and any other provider by
// its issuer. The authorization code flow runs with PKCE (S256), a
// one-time state bound to the browser that began it, a nonce, and the
// issuer checked both in the response (RFC 9207) and in the ID token,
// whose signature, audience and expiry are verified against the
// provider's published keys.
//
// An identity is named by its issuer and subject, never by its e-mail: an
// administrator links it to a user, or the tenant lets identities of its
// verified domains be created just in time. The tenant's policy can make
// single sign-on the only way in (with one break-glass administrator still
// allowed a password) and can let the provider's second factor stand for
// Strongroom's. Every sign-in, refusal and change is audited with ids and
// addresses only.
package sso

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"strongroom"
	"strongroom/identity"
	"strongroom/tenancy"
)

// Provider kinds.
const (
	KindGoogle = "google"
	KindEntra  = "entra"
	KindOIDC   = "oidc"
)

// Issuers of the well-known providers.
const (
	GoogleIssuer = "https://accounts.google.com"
	// EntraIssuerFormat is a directory's issuer; never the multi-tenant
	// "common" template.
	EntraIssuerFormat = "https://login.microsoftonline.com/%s/v2.0"
)

// StateLifetime is how long a sign-in may take between leaving for the
// provider and coming back.
const StateLifetime = 10 * time.Minute

// Config is how the service reaches providers.
type Config struct {
	// RootCAs, when set, are the only roots a provider's certificate may
	// chain to (tests: the loopback provider's); nil: the system's.
	RootCAs *x509.CertPool
	// Timeout bounds every request to a provider (0: 10 s).
	Timeout time.Duration
	// GoogleIssuer and EntraIssuer replace the real issuers (tests only).
	GoogleIssuer string
	EntraIssuer  func(directoryID string) string
}

// Service runs single sign-on for every tenant.
type Service struct {
	identity *identity.Service
	client   *http.Client
	cfg      Config
	log      *slog.Logger
	// Now is the clock; tests move it.
	Now func() time.Time
	// Provisioned finds the user the firm's directory provisioned (by
	// SCIM) with this directory object id as its externalId: an Entra ID
	// identity not linked yet is linked to that user at its first sign-in
	// (nil: never; an administrator links every identity).
	Provisioned func(ctx context.Context, h *tenancy.Handle, objectID string) (userID int64, ok bool, err error)

	mu        sync.Mutex
	discovery map[string]discovered // by issuer
}

type discovered struct {
	p  *oidc.Provider
	at time.Time
}

// discoveryTTL is how long a provider's discovery document is believed.
const discoveryTTL = time.Hour

// New returns the service and makes ids ask it whether a password may be
// used (the "SSO only" policy).
func New(ids *identity.Service, cfg Config, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.RootCAs != nil {
		tr.TLSClientConfig.RootCAs = cfg.RootCAs
	}
	tr.Proxy = nil
	s := &Service{identity: ids, cfg: cfg, log: log, Now: time.Now, discovery: map[string]discovered{},
		client: &http.Client{Transport: tr, Timeout: cfg.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a provider's endpoints answer themselves
		}}}
	ids.PasswordGate = s.passwordAllowed
	return s
}

// IssuerOf is the issuer a provider's ID tokens must carry.
func (s *Service) IssuerOf(p *Provider) string {
	switch p.Kind {
	case KindGoogle:
		if s.cfg.GoogleIssuer != "" {
			return s.cfg.GoogleIssuer
		}
		return GoogleIssuer
	case KindEntra:
		if s.cfg.EntraIssuer != nil {
			return s.cfg.EntraIssuer(p.DirectoryID)
		}
		return fmt.Sprintf(EntraIssuerFormat, p.DirectoryID)
	}
	return p.Issuer
}

// provider returns the discovered provider of an issuer, from memory when
// it was read less than discoveryTTL ago. go-oidc refuses a document whose
// issuer is not the one asked for.
func (s *Service) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	s.mu.Lock()
	d, ok := s.discovery[issuer]
	s.mu.Unlock()
	if ok && s.Now().Sub(d.at) < discoveryTTL {
		return d.p, nil
	}
	// The client's Timeout bounds the request; the key set fetched later
	// goes through the same client, not through this request's context.
	p, err := oidc.NewProvider(oidc.ClientContext(context.WithoutCancel(ctx), s.client), issuer)
	if err != nil {
		s.log.Warn("OpenID Connect discovery failed", "issuer", issuer, "err", err)
		return nil, strongroom.Errorf(strongroom.EUNAVAILABLE, "The identity provider cannot be reached just now. Try again in a minute.")
	}
	s.mu.Lock()
	s.discovery[issuer] = discovered{p: p, at: s.Now()}
	s.mu.Unlock()
	return p, nil
}

// EndSessionURL is the provider's end_session_endpoint, or "" when it has
// none or cannot be reached: offered after signing out of Strongroom.
func (s *Service) EndSessionURL(ctx context.Context, p *Provider) string {
	op, err := s.provider(ctx, s.IssuerOf(p))
	if err != nil {
		return ""
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if op.Claims(&meta) != nil || !isHTTPS(meta.EndSession) {
		return ""
	}
	return meta.EndSession
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// errRefused is a refused sign-in, with a message for the person.
func errRefused(msg string, args ...any) error {
	return strongroom.Errorf(strongroom.EUNAUTHORIZED, msg, args...)
}

func notFound(what string) error {
	return strongroom.Errorf(strongroom.ENOTFOUND, "No such %s.", what)
}

// sealAAD binds a sealed value to its tenant, table and row.
func sealAAD(h *tenancy.Handle, what string, id any) []byte {
	return fmt.Appendf(nil, "strongroom sso %s %s %v", what, h.SealedAs(), id)
}
