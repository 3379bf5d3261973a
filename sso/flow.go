package sso

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/tenancy"
)

// Start is a sign-in leaving for the provider: the URL to send the browser
// to, and the secret the browser keeps in a cookie and must bring back.
type Start struct {
	URL     string
	Browser string
}

// Begin starts signing in with a provider of the tenant. redirectURL is
// the tenant's callback, exactly as registered at the provider; next is
// where to go afterwards (checked by the caller when used).
func (s *Service) Begin(ctx context.Context, h *tenancy.Handle, providerID int64, redirectURL, next string) (*Start, error) {
	prov, err := loadProvider(ctx, h.DB, providerID)
	if err != nil {
		return nil, err
	}
	op, err := s.provider(ctx, s.IssuerOf(prov))
	if err != nil {
		return nil, err
	}
	state, nonce, browser, verifier := random(32), random(32), random(32), oauth2.GenerateVerifier()
	sealed, err := keys.Seal(h.DataKey(), []byte(verifier), sealAAD(h, "verifier", hash(state)))
	if err != nil {
		return nil, err
	}
	if len(next) > 2000 {
		next = ""
	}
	now := s.Now()
	if _, err := h.DB.ExecContext(ctx, `DELETE FROM sso_states WHERE expires_at < ?`, store.FormatTime(now)); err != nil {
		return nil, err
	}
	if _, err := h.DB.ExecContext(ctx, `INSERT INTO sso_states (state_hash, provider_id, browser_hash, nonce, sealed_verifier, next, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, hash(state), prov.ID, hash(browser), nonce, sealed, next, store.FormatTime(now.Add(StateLifetime))); err != nil {
		return nil, err
	}
	cfg := oauthConfig(prov, op, "", redirectURL)
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	if prov.Kind == KindGoogle && len(prov.AllowedDomains) == 1 {
		opts = append(opts, oauth2.SetAuthURLParam("hd", prov.AllowedDomains[0])) // a hint; the token is what counts
	}
	return &Start{URL: cfg.AuthCodeURL(state, opts...), Browser: browser}, nil
}

func oauthConfig(prov *Provider, op *oidc.Provider, secret, redirectURL string) *oauth2.Config {
	ep := op.Endpoint()
	// One way of sending the secret, as the provider says it takes it: a
	// code is sent once, never tried a second way.
	var meta struct {
		Methods []string `json:"token_endpoint_auth_methods_supported"`
	}
	ep.AuthStyle = oauth2.AuthStyleInHeader
	if op.Claims(&meta) == nil && len(meta.Methods) > 0 && !slices.Contains(meta.Methods, "client_secret_basic") {
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{ClientID: prov.ClientID, ClientSecret: secret, Endpoint: ep,
		RedirectURL: redirectURL, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// Callback is the provider's answer as it came back to the tenant.
type Callback struct {
	State, Code, Iss, Error string
	// Browser is the cookie the browser brought back ("" for none).
	Browser       string
	RedirectURL   string
	IP, UserAgent string
}

// Result is a finished sign-in: the session, and where to go next.
type Result struct {
	Login *identity.LoginResult
	Next  string
	// UserID is the user signed in; Created says they were created now.
	UserID  int64
	Created bool
}

type pending struct {
	providerID   int64
	browserHash  string
	nonce, next  string
	sealed       []byte
	expiresAtRaw string
}

// takeState reads and deletes a state in one transaction: it is used once,
// whatever follows.
func (s *Service) takeState(ctx context.Context, h *tenancy.Handle, state string) (*pending, error) {
	var p pending
	found := false
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT provider_id, browser_hash, nonce, sealed_verifier, next, expires_at FROM sso_states WHERE state_hash = ?`,
			hash(state)).Scan(&p.providerID, &p.browserHash, &p.nonce, &p.sealed, &p.next, &p.expiresAtRaw)
		if err != nil {
			return nil // absent: found stays false
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sso_states WHERE state_hash = ?`, hash(state))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		found = err == nil && n == 1
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, nil
	}
	return &p, nil
}

// Finish completes a sign-in the provider answered. Each refusal is
// audited (sso.refused, with its reason) and told in plain words.
func (s *Service) Finish(ctx context.Context, h *tenancy.Handle, cb Callback) (*Result, error) {
	if cb.State == "" || len(cb.State) > 200 {
		return nil, errRefused("This sign-in did not come back from your identity provider properly. Start again from the sign-in page.")
	}
	st, err := s.takeState(ctx, h, cb.State)
	if err != nil {
		return nil, err
	}
	if st == nil {
		s.refused(ctx, h, cb.IP, 0, "unknown_state", 0)
		return nil, errRefused("This sign-in has expired or was used already. Start again from the sign-in page.")
	}
	refuse := func(reason, msg string, args ...any) (*Result, error) {
		s.refused(ctx, h, cb.IP, st.providerID, reason, 0)
		return nil, errRefused(msg, args...)
	}
	if exp, err := store.ParseTime(st.expiresAtRaw); err != nil || s.Now().After(exp) {
		return refuse("expired_state", "This sign-in took longer than ten minutes. Start again from the sign-in page.")
	}
	if cb.Browser == "" || subtle.ConstantTimeCompare([]byte(hash(cb.Browser)), []byte(st.browserHash)) != 1 {
		return refuse("other_browser", "This sign-in was started in another browser. Start again from the sign-in page in this one.")
	}
	prov, err := loadProvider(ctx, h.DB, st.providerID)
	if err != nil {
		return refuse("provider_gone", "That identity provider is no longer set up for this firm.")
	}
	if cb.Error != "" {
		return refuse("provider_error", "%s did not sign you in. Start again from the sign-in page.", prov.Name)
	}
	issuer := s.IssuerOf(prov)
	op, err := s.provider(ctx, issuer)
	if err != nil {
		return nil, err
	}
	if cb.Iss != "" && cb.Iss != issuer || cb.Iss == "" && issParamRequired(op) {
		return refuse("issuer_mismatch", "The answer did not come from %s. Start again from the sign-in page.", prov.Name)
	}
	claims, err := s.exchange(ctx, h, prov, op, st, cb)
	if err != nil {
		var r *refusal
		if errors.As(err, &r) {
			return refuse(r.reason, "%s", r.msg)
		}
		return nil, err
	}
	if reason, msg := checkClaims(prov, claims); reason != "" {
		return refuse(reason, "%s", msg)
	}
	return s.signIn(ctx, h, prov, issuer, claims, st.next, cb)
}

// refusal is a reason to refuse found while checking the provider's answer.
type refusal struct{ reason, msg string }

func (r *refusal) Error() string { return r.reason }

// Claims are the ID token's claims Strongroom reads.
type Claims struct {
	Subject       string   `json:"sub"`
	Email         string   `json:"email"`
	EmailVerified any      `json:"email_verified"` // Entra and some others send a string
	HostedDomain  string   `json:"hd"`
	TenantID      string   `json:"tid"`
	ObjectID      string   `json:"oid"` // Entra ID: the user's object id in the directory, the same for every application
	AMR           []string `json:"amr"`
	ACR           string   `json:"acr"`
	Name          string   `json:"name"`
	Preferred     string   `json:"preferred_username"`
	AZP           string   `json:"azp"`
	Audience      any      `json:"aud"`
}

func (c *Claims) verified() bool {
	switch v := c.EmailVerified.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// exchange redeems the code with the PKCE verifier and verifies the ID
// token: signature by the provider's keys, issuer, audience, expiry, the
// nonce of this state and azp.
func (s *Service) exchange(ctx context.Context, h *tenancy.Handle, prov *Provider, op *oidc.Provider, st *pending, cb Callback) (*Claims, error) {
	if cb.Code == "" || len(cb.Code) > 4000 {
		return nil, &refusal{"no_code", "Your identity provider sent no sign-in code. Start again from the sign-in page."}
	}
	verifier, err := keys.OpenSealed(h.DataKey(), st.sealed, sealAAD(h, "verifier", hash(cb.State)))
	if err != nil {
		return nil, err
	}
	secret, err := openSecret(ctx, h, prov.ID)
	if err != nil {
		return nil, err
	}
	cctx := oidc.ClientContext(ctx, s.client)
	tok, err := oauthConfig(prov, op, secret, cb.RedirectURL).Exchange(cctx, cb.Code, oauth2.VerifierOption(string(verifier)))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, &refusal{"code_refused", prov.Name + " refused the sign-in code (it may have been used already). Start again from the sign-in page."}
		}
		s.log.Warn("OpenID Connect token request failed", "tenant", h.Tenant.Slug, "provider", prov.ID, "err", err)
		return nil, strongroom.Errorf(strongroom.EUNAVAILABLE, "The identity provider cannot be reached just now. Try again in a minute.")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, &refusal{"no_id_token", prov.Name + " sent no ID token. Start again from the sign-in page."}
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: prov.ClientID, Now: s.Now}).Verify(cctx, raw)
	if err != nil {
		var exp *oidc.TokenExpiredError
		if errors.As(err, &exp) {
			return nil, &refusal{"token_expired", prov.Name + " sent an expired ID token. Check this server's clock, then start again."}
		}
		s.log.Info("ID token refused", "tenant", h.Tenant.Slug, "provider", prov.ID, "err", err)
		return nil, &refusal{"token_invalid", prov.Name + " sent an ID token that is not for this firm's sign-in. Start again from the sign-in page."}
	}
	if idt.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.nonce)) != 1 {
		return nil, &refusal{"nonce_mismatch", "The ID token does not belong to this sign-in. Start again from the sign-in page."}
	}
	var c Claims
	if err := idt.Claims(&c); err != nil {
		return nil, &refusal{"token_invalid", prov.Name + " sent an ID token Strongroom cannot read."}
	}
	if c.AZP != "" && c.AZP != prov.ClientID || c.AZP == "" && len(idt.Audience) > 1 {
		return nil, &refusal{"azp_mismatch", prov.Name + " sent an ID token meant for another application."}
	}
	if c.Subject == "" {
		return nil, &refusal{"token_invalid", prov.Name + " sent an ID token without a subject."}
	}
	return &c, nil
}

// issParamRequired reports whether the provider says it sends iss in its
// authorization responses (RFC 9207): then its absence is refused.
func issParamRequired(op *oidc.Provider) bool {
	var meta struct {
		Supported bool `json:"authorization_response_iss_parameter_supported"`
	}
	return op.Claims(&meta) == nil && meta.Supported
}

// checkClaims applies the provider's own rules: Google's hosted domain
// with a verified e-mail, Entra's directory, another provider's domains.
func checkClaims(prov *Provider, c *Claims) (reason, msg string) {
	switch prov.Kind {
	case KindGoogle:
		if !c.verified() {
			return "email_unverified", "Your Google account's e-mail address is not verified."
		}
		if !slices.Contains(prov.AllowedDomains, strings.ToLower(c.HostedDomain)) {
			return "domain_refused", "Your Google account is not one of this firm's domains."
		}
	case KindEntra:
		if c.TenantID == "" || !strings.EqualFold(c.TenantID, prov.DirectoryID) {
			return "directory_refused", "Your Microsoft account is not in this firm's directory."
		}
	default:
		if len(prov.AllowedDomains) > 0 {
			if !c.verified() {
				return "email_unverified", "Your account's e-mail address is not verified at " + prov.Name + "."
			}
			if !slices.Contains(prov.AllowedDomains, emailDomain(c.Email)) {
				return "domain_refused", "Your account at " + prov.Name + " is not one of this firm's domains."
			}
		}
	}
	return "", ""
}

func emailDomain(email string) string {
	_, d, ok := strings.Cut(email, "@")
	if !ok {
		return ""
	}
	return strings.ToLower(d)
}

// mfaAMR are the amr values (RFC 8176) that show a second factor.
var mfaAMR = []string{"mfa", "otp", "hwk", "sc"}

func providerMFA(prov *Provider, c *Claims) bool {
	for _, a := range c.AMR {
		if slices.Contains(mfaAMR, a) {
			return true
		}
	}
	return c.ACR != "" && slices.Contains(prov.MFAACR, c.ACR)
}

// signIn finds the user linked to the identity, or creates one just in
// time when the policy allows, and opens the session.
func (s *Service) signIn(ctx context.Context, h *tenancy.Handle, prov *Provider, issuer string, c *Claims, next string, cb Callback) (*Result, error) {
	pol, err := readPolicy(ctx, h.DB)
	if err != nil {
		return nil, err
	}
	res := &Result{Next: next}
	var linkID int64
	err = h.DB.QueryRowContext(ctx, `SELECT id, user_id FROM sso_links WHERE issuer = ? AND subject = ?`, issuer, c.Subject).Scan(&linkID, &res.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		if res.UserID, err = s.linkProvisioned(ctx, h, prov, issuer, c, cb.IP); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err // a fault, told as one: never "not linked"
	}
	if res.UserID == 0 {
		if !pol.JIT || !jitDomain(prov, c) {
			s.refused(ctx, h, cb.IP, prov.ID, "not_linked", 0)
			return nil, errRefused("Your account at %s is not linked to a user of this firm. Ask your administrator.", prov.Name)
		}
		if res.UserID, err = s.createJIT(ctx, h, prov, issuer, c, pol, cb.IP); err != nil {
			if strongroom.ErrorCode(err) == strongroom.ECONFLICT || strongroom.ErrorCode(err) == strongroom.EINVALID {
				s.refused(ctx, h, cb.IP, prov.ID, "jit_failed", 0)
				return nil, errRefused("A user for your account at %s could not be created (%s). Ask your administrator.", prov.Name, strongroom.ErrorMessage(err))
			}
			return nil, err
		}
		res.Created = true
	}
	login, err := s.identity.SignInExternal(ctx, h, identity.External{UserID: res.UserID, Method: identity.MethodSSO,
		MFASatisfied: pol.ProviderMFA && providerMFA(prov, c), IP: cb.IP, UserAgent: cb.UserAgent,
		Details: map[string]string{"provider": itoa(int(prov.ID))}})
	if err != nil {
		return nil, err
	}
	if _, err := h.DB.ExecContext(ctx, `UPDATE sso_links SET last_used_at = ? WHERE issuer = ? AND subject = ?`,
		store.FormatTime(s.Now()), issuer, c.Subject); err != nil {
		s.log.Warn("note a link's use", "tenant", h.Tenant.Slug, "err", err)
	}
	res.Login = login
	return res, nil
}

// linkProvisioned links an Entra ID identity seen for the first time to
// the user the same directory provisioned by SCIM with the identity's
// object id (oid) as externalId, and returns that user (0: none). The
// directory (tid) was checked already, and the object id is the
// directory's own immutable id for the person, never an e-mail address.
// A user who already has an identity of this provider is not linked to a
// second one: an administrator decides.
func (s *Service) linkProvisioned(ctx context.Context, h *tenancy.Handle, prov *Provider, issuer string, c *Claims, ip string) (int64, error) {
	if prov.Kind != KindEntra || c.ObjectID == "" || s.Provisioned == nil {
		return 0, nil
	}
	userID, ok, err := s.Provisioned(ctx, h, c.ObjectID)
	if err != nil || !ok {
		return 0, err
	}
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sso_links WHERE provider_id = ? AND user_id = ?`, prov.ID, userID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			userID = 0
			return nil
		}
		link, err := s.insertLink(ctx, tx, prov.ID, issuer, c.Subject, userID)
		if err != nil {
			return err
		}
		return s.recordDetails(ctx, tx, h, audit.Actor{Kind: audit.ActorSystem}, ip, "sso.link", "user", userID,
			map[string]string{"provider": itoa(int(prov.ID)), "link": itoa(int(link)), "via": "scim"})
	})
	if err != nil {
		return 0, err
	}
	return userID, nil
}

// jitDomain reports whether an identity may be created just in time: a
// verified e-mail in one of the provider's allowed domains (and, for
// Google, of its hosted domain; Entra's directory was checked already).
func jitDomain(prov *Provider, c *Claims) bool {
	if len(prov.AllowedDomains) == 0 || !c.verified() && prov.Kind != KindEntra {
		return false
	}
	d := emailDomain(c.Email)
	if prov.Kind == KindEntra && d == "" {
		d = emailDomain(c.Preferred)
	}
	return slices.Contains(prov.AllowedDomains, d)
}

func (s *Service) createJIT(ctx context.Context, h *tenancy.Handle, prov *Provider, issuer string, c *Claims, pol *Policy, ip string) (int64, error) {
	email := c.Email
	if email == "" {
		email = c.Preferred
	}
	username := email
	if len([]rune(username)) > 64 {
		username = string([]rune(username)[:64])
	}
	name := strings.TrimSpace(c.Name)
	if name == "" {
		name = email
	}
	in := identity.UserInput{Username: username, DisplayName: name, Email: email, RoleIDs: pol.JITRoleIDs, ClassIDs: pol.JITClassIDs}
	return s.identity.CreateExternal(ctx, h, in, ip, map[string]string{"via": "sso", "provider": itoa(int(prov.ID))},
		func(tx *store.Tx, userID int64) error {
			_, err := s.insertLink(ctx, tx, prov.ID, issuer, c.Subject, userID)
			return err
		})
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
