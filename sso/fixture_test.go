package sso_test

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/url"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/identity/totp"
	"strongroom/seed/seedtest"
	"strongroom/sso"
	"strongroom/sso/ssotest"
	"strongroom/store"
	"strongroom/tenancy"
)

const (
	redirect  = "https://firm.example/t/firm/sso/callback"
	directory = "0b5e2c4e-6f1a-4f7e-9d2a-3c1b2a4d5e6f"
	other     = "9a9a9a9a-1111-2222-3333-444444444444"
)

type fixture struct {
	t       *testing.T
	h       *tenancy.Handle
	ids     *identity.Service
	svc     *sso.Service
	admin   *identity.Principal
	google  *ssotest.Provider
	entra   *ssotest.Provider
	gProv   *sso.Provider
	eProv   *sso.Provider
	staffID int64
}

// newFixture is a tenant with a Google-like and an Entra-like provider on
// loopback, each configured at the tenant, and a staff user.
func newFixture(t *testing.T, e store.Engine) *fixture {
	t.Helper()
	ctx := context.Background()
	h, ids := seedtest.Tenant(t, e)
	f := &fixture{t: t, h: h, ids: ids, admin: adminPrincipal()}
	f.google = ssotest.New(t, "")
	f.entra = ssotest.New(t, "/"+directory+"/v2.0")
	pool := x509.NewCertPool()
	pool.AddCert(f.google.Server.Certificate())
	entraBase := f.entra.Server.URL
	f.svc = sso.New(ids, sso.Config{RootCAs: pool, GoogleIssuer: f.google.Issuer,
		EntraIssuer: func(tid string) string { return entraBase + "/" + tid + "/v2.0" }}, nil)
	for _, p := range []*ssotest.Provider{f.google, f.entra} {
		p.AddClient(ssotest.Client{ID: "strongroom", Secret: "s3cret-client", RedirectURIs: []string{redirect}})
	}
	var err error
	f.gProv, err = f.svc.CreateProvider(ctx, h, f.admin, sso.ProviderInput{Kind: sso.KindGoogle, Name: "Google",
		ClientID: "strongroom", ClientSecret: "s3cret-client", AllowedDomains: []string{"firm.example"}})
	if err != nil {
		t.Fatal(err)
	}
	f.eProv, err = f.svc.CreateProvider(ctx, h, f.admin, sso.ProviderInput{Kind: sso.KindEntra, Name: "Microsoft",
		ClientID: "strongroom", ClientSecret: "s3cret-client", DirectoryID: directory, AllowedDomains: []string{"firm.example"}})
	if err != nil {
		t.Fatal(err)
	}
	f.google.AddUser("ann", ssotest.User{Subject: "g-ann", Claims: map[string]any{"email": "ann@firm.example", "email_verified": true, "hd": "firm.example", "name": "Ann"}})
	f.google.AddUser("outsider", ssotest.User{Subject: "g-out", Claims: map[string]any{"email": "eve@other.example", "email_verified": true, "hd": "other.example"}})
	f.google.AddUser("unverified", ssotest.User{Subject: "g-unv", Claims: map[string]any{"email": "ann2@firm.example", "email_verified": false, "hd": "firm.example"}})
	f.google.AddUser("newcomer", ssotest.User{Subject: "g-new", Claims: map[string]any{"email": "nick@firm.example", "email_verified": true, "hd": "firm.example", "name": "Nick New"}})
	f.entra.AddUser("bob", ssotest.User{Subject: "e-bob", Claims: map[string]any{"tid": directory, "preferred_username": "bob@firm.example", "amr": []string{"pwd", "mfa"}}})
	f.entra.AddUser("stranger", ssotest.User{Subject: "e-str", Claims: map[string]any{"tid": other, "preferred_username": "s@elsewhere.example"}})
	u, _, err := ids.CreateUser(ctx, h, f.admin, identity.UserInput{Username: "ann", DisplayName: "Ann", Email: "ann@firm.example", RoleIDs: []int64{f.role(access.StaffRole)}})
	if err != nil {
		t.Fatal(err)
	}
	f.staffID = u.ID
	return f
}

func adminPrincipal() *identity.Principal {
	var roles []access.Role
	for _, r := range access.BuiltinRoles() {
		if r.Name == access.AdministratorRole {
			roles = append(roles, r)
		}
	}
	return &identity.Principal{User: &identity.User{ID: 1}, Subject: access.NewSubject(1, false, nil, roles), IP: "192.0.2.7"}
}

func (f *fixture) role(name string) int64 {
	f.t.Helper()
	roles, err := f.ids.ListRoles(context.Background(), f.h, adminPrincipal())
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range roles {
		if r.Name == name {
			return r.ID
		}
	}
	f.t.Fatalf("no role %s", name)
	return 0
}

func (f *fixture) link(prov *sso.Provider, subject string, userID int64) {
	f.t.Helper()
	if _, err := f.svc.LinkUser(context.Background(), f.h, f.admin, sso.LinkInput{ProviderID: prov.ID, Subject: subject, UserID: userID}); err != nil {
		f.t.Fatal(err)
	}
}

// answer is what came back to the callback from the provider.
type answer struct {
	cb    sso.Callback
	start *sso.Start
}

// authorize begins a sign-in with prov and has op sign login in, returning
// the provider's answer as the browser would bring it back.
func (f *fixture) authorize(prov *sso.Provider, op *ssotest.Provider, login string) answer {
	f.t.Helper()
	st, err := f.svc.Begin(context.Background(), f.h, prov.ID, redirect, "")
	if err != nil {
		f.t.Fatal(err)
	}
	op.AutoLogin = login
	client := op.Server.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(st.URL)
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		f.t.Fatalf("authorize: %s", resp.Status)
	}
	to, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		f.t.Fatal(err)
	}
	q := to.Query()
	return answer{start: st, cb: sso.Callback{State: q.Get("state"), Code: q.Get("code"), Iss: q.Get("iss"), Error: q.Get("error"),
		Browser: st.Browser, RedirectURL: redirect, IP: "198.51.100.4", UserAgent: "test"}}
}

func (f *fixture) finish(a answer) (*sso.Result, error) {
	return f.svc.Finish(context.Background(), f.h, a.cb)
}

func (f *fixture) events(action string) []audit.Event {
	f.t.Helper()
	evs, err := f.h.Audit.Events(context.Background(), 0, 1_000_000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []audit.Event
	for _, e := range evs {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// refusedFor returns the reason of the last sso.refused event.
func (f *fixture) lastRefusal() string {
	evs := f.events("sso.refused")
	if len(evs) == 0 {
		return ""
	}
	return evs[len(evs)-1].Details["reason"]
}

func (f *fixture) policy(in sso.PolicyInput) error {
	f.t.Helper()
	pol, err := f.svc.GetPolicy(context.Background(), f.h, f.admin)
	if err != nil {
		f.t.Fatal(err)
	}
	in.Version = pol.Version
	_, err = f.svc.UpdatePolicy(context.Background(), f.h, f.admin, in)
	return err
}

// enrolTOTP turns on Strongroom's own second factor for a user.
func (f *fixture) enrolTOTP(username string, userID int64) {
	f.t.Helper()
	ctx := context.Background()
	temp, err := f.ids.ResetPassword(ctx, f.h, f.admin, userID)
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := f.ids.Login(ctx, f.h, username, temp, "192.0.2.9", "test")
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := f.ids.Authenticate(ctx, f.h, res.Token, "192.0.2.9")
	if err != nil {
		f.t.Fatal(err)
	}
	e, err := f.ids.BeginTOTP(ctx, f.h, p)
	if err != nil {
		f.t.Fatal(err)
	}
	code, _ := totp.CodeAt(e.Secret, time.Now())
	if _, _, err := f.ids.ConfirmTOTP(ctx, f.h, p, code, "test"); err != nil {
		f.t.Fatal(err)
	}
}

func wantRefused(t *testing.T, f *fixture, res *sso.Result, err error, reason string) {
	t.Helper()
	if err == nil || res != nil {
		t.Fatalf("signed in: %+v", res)
	}
	if strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
		t.Fatalf("want a refusal, got %v", err)
	}
	if got := f.lastRefusal(); got != reason {
		t.Fatalf("audited reason %q, want %q (%v)", got, reason, err)
	}
}
