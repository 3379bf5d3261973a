// Package ssotest is a real OpenID Connect provider for tests: discovery,
// JSON Web Key Set, authorization and token endpoints over TLS on
// loopback, the authorization code flow with PKCE (S256), one-time codes
// and RS256-signed ID tokens. Its users are set by the test; what it signs
// can be bent per test (another audience, issuer or nonce, an expired
// token) to prove that Strongroom refuses each.
package ssotest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// User is an account at the provider: its subject and the claims its ID
// token carries besides the standard ones (email, email_verified, hd, tid,
// amr, acr, name …).
type User struct {
	Subject string
	Claims  map[string]any
}

// Client is a relying party registered at the provider.
type Client struct {
	ID, Secret   string
	RedirectURIs []string
}

// Provider is a running provider. Its exported fields may be changed
// between requests of a test (under no lock: tests set them between flows).
type Provider struct {
	// Issuer is the provider's issuer: the server's URL and Path.
	Issuer string
	Server *httptest.Server

	// AutoLogin, when set, names the user signed in at the authorization
	// endpoint at once; else a sign-in form is shown.
	AutoLogin string
	// SendIss adds the iss parameter to the authorization response
	// (RFC 9207); IssParam, when set, sends that value instead.
	SendIss  bool
	IssParam string
	// Tweak, when set, changes the ID token's claims before they are
	// signed.
	Tweak func(claims map[string]any)
	// TokenLifetime is how long an ID token is valid (0: 5 minutes; a
	// negative one is expired when issued).
	TokenLifetime time.Duration
	// Now is the provider's clock.
	Now func() time.Time

	key  *rsa.PrivateKey
	kid  string
	mu   sync.Mutex
	path string

	clients map[string]Client
	users   map[string]User
	codes   map[string]*grant
	// Redeemed counts codes exchanged, and Refused those refused.
	Redeemed, Refused int
}

type grant struct {
	client, redirect, challenge, nonce, user string
	used                                     bool
	expires                                  time.Time
}

// New starts a provider whose issuer is the server's URL followed by path
// ("" or, for an Entra-like provider, "/{tenant id}/v2.0"). It stops when
// the test ends.
func New(t testing.TB, path string) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{key: key, kid: random(8), path: strings.TrimSuffix(path, "/"), Now: time.Now,
		clients: map[string]Client{}, users: map[string]User{}, codes: map[string]*grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p.path+"/.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET "+p.path+"/keys", p.keys)
	mux.HandleFunc("GET "+p.path+"/authorize", p.authorize)
	mux.HandleFunc("POST "+p.path+"/authorize", p.login)
	mux.HandleFunc("POST "+p.path+"/token", p.token)
	mux.HandleFunc("GET "+p.path+"/logout", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>Signed out</title><p>You have signed out of the provider.</p>`))
	})
	p.Server = httptest.NewTLSServer(mux)
	t.Cleanup(p.Server.Close)
	p.Issuer = p.Server.URL + p.path
	return p
}

// AddClient registers a relying party.
func (p *Provider) AddClient(c Client) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clients[c.ID] = c
}

// AddUser adds an account, signed in as login.
func (p *Provider) AddUser(login string, u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users[login] = u
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         p.Issuer,
		"authorization_endpoint":                         p.Issuer + "/authorize",
		"token_endpoint":                                 p.Issuer + "/token",
		"jwks_uri":                                       p.Issuer + "/keys",
		"end_session_endpoint":                           p.Issuer + "/logout",
		"response_types_supported":                       []string{"code"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"code_challenge_methods_supported":               []string{"S256"},
		"scopes_supported":                               []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post"},
		"authorization_response_iss_parameter_supported": p.SendIss,
	})
}

func (p *Provider) keys(w http.ResponseWriter, r *http.Request) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: p.kid, Algorithm: "RS256", Use: "sig"}}}
	writeJSON(w, http.StatusOK, set)
}

// authorize checks the request and signs in AutoLogin, or shows the form.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if msg := p.checkAuthorize(q); msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	if p.AutoLogin != "" {
		p.issueCode(w, r, q, p.AutoLogin)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	loginForm.Execute(w, q)
}

func (p *Provider) checkAuthorize(q url.Values) string {
	p.mu.Lock()
	c, ok := p.clients[q.Get("client_id")]
	p.mu.Unlock()
	switch {
	case !ok:
		return "unknown client"
	case !contains(c.RedirectURIs, q.Get("redirect_uri")):
		return "redirect_uri is not registered"
	case q.Get("response_type") != "code":
		return "only the code flow"
	case !contains(strings.Fields(q.Get("scope")), "openid"):
		return "scope openid is required"
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		return "PKCE with S256 is required"
	}
	return ""
}

// login is the form's submission: the user signed in by name.
func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	q := url.Values{}
	for _, k := range []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method"} {
		q.Set(k, r.PostForm.Get(k))
	}
	if msg := p.checkAuthorize(q); msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	p.issueCode(w, r, q, r.PostForm.Get("login"))
}

func (p *Provider) issueCode(w http.ResponseWriter, r *http.Request, q url.Values, login string) {
	p.mu.Lock()
	_, ok := p.users[login]
	code := random(24)
	if ok {
		p.codes[code] = &grant{client: q.Get("client_id"), redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge"),
			nonce: q.Get("nonce"), user: login, expires: p.Now().Add(time.Minute)}
	}
	p.mu.Unlock()
	to, _ := url.Parse(q.Get("redirect_uri"))
	v := to.Query()
	if ok {
		v.Set("code", code)
	} else {
		v.Set("error", "access_denied")
	}
	v.Set("state", q.Get("state"))
	if p.IssParam != "" {
		v.Set("iss", p.IssParam)
	} else if p.SendIss {
		v.Set("iss", p.Issuer)
	}
	to.RawQuery = v.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
}

// token redeems a code once, for its client, redirect URI and verifier.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c, known := p.clients[id]
	if !known || c.Secret != secret {
		p.Refused++
		tokenError(w, "invalid_client")
		return
	}
	g := p.codes[r.PostForm.Get("code")]
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if r.PostForm.Get("grant_type") != "authorization_code" || g == nil || g.used || p.Now().After(g.expires) ||
		g.client != id || g.redirect != r.PostForm.Get("redirect_uri") ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		if g != nil {
			g.used = true // a code tried twice is spent for good
		}
		p.Refused++
		tokenError(w, "invalid_grant")
		return
	}
	g.used = true
	p.Redeemed++
	idToken, err := p.sign(g, id)
	if err != nil {
		http.Error(w, "sign", http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": random(24), "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
}

func (p *Provider) sign(g *grant, client string) (string, error) {
	u := p.users[g.user]
	now := p.Now()
	life := p.TokenLifetime
	if life == 0 {
		life = 5 * time.Minute
	}
	claims := map[string]any{"iss": p.Issuer, "sub": u.Subject, "aud": client, "iat": now.Unix(),
		"exp": now.Add(life).Unix(), "nonce": g.nonce}
	for k, v := range u.Claims {
		claims[k] = v
	}
	if p.Tweak != nil {
		p.Tweak(claims)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.key, KeyID: p.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

func tokenError(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var loginForm = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test identity provider · Sign in</title>
<style>*{box-sizing:border-box}body{font-family:sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}label,input,button{display:block;margin:.5rem 0}input{padding:.4rem;width:100%}button{padding:.5rem 1rem}</style>
</head><body><h1>Test identity provider</h1><p>Sign in to continue to the application.</p>
<form method="post">
{{range $k, $v := .}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}
<label for="login">Account</label><input id="login" name="login" autocomplete="username" required>
<button type="submit" id="signin">Sign in</button>
</form></body></html>`))
