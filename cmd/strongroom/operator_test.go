package main

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"strongroom/grants"
	"strongroom/identity/password"
	"strongroom/identity/totp"
	"strongroom/operators"
	"strongroom/tenancy"
)

const testOperatorPassword = "correct horse battery staple"

// ownOperatorPassword is the one an operator chooses at their first
// console sign-in, in place of testOperatorPassword.
const ownOperatorPassword = "lantern cobalt meadow frigate 4417"

// testOperator makes the first operator of the installation the storage
// flags name, with an authenticator app set up, and returns its TOTP
// secret.
func testOperator(t *testing.T, storageArgs ...string) (name, secret string) {
	t.Helper()
	ctx := context.Background()
	a, err := openApp(ctx, cfgOf(t, storageArgs), newLogger(io.Discard, "warn"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	svc := operators.New(a.db, a.keeper, password.NewHasher(password.Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 0), a.log)
	if _, err := svc.CreateFirst(ctx, operators.NewOperator{Name: "test.operator", DisplayName: "Test Operator", Password: testOperatorPassword}); err != nil {
		t.Fatal(err)
	}
	res, err := svc.SignIn(ctx, "test.operator", testOperatorPassword, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	e, err := svc.BeginTOTP(ctx, res.Token)
	if err != nil {
		t.Fatal(err)
	}
	// The enrolment uses the previous step, so that the current code is still free.
	svc.Now = func() time.Time { return time.Now().Add(-30 * time.Second) }
	code, _ := totp.CodeAt(e.Secret, svc.Now())
	if _, err := svc.ConfirmTOTP(ctx, res.Token, code, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	return "test.operator", e.Secret
}

// operatorSignedIn makes the first operator of an installation and sets
// STRONGROOM_OPERATOR_TOKEN to a token of theirs for the test.
func operatorSignedIn(t *testing.T, storageArgs ...string) {
	t.Helper()
	name, secret := testOperator(t, storageArgs...)
	code, _ := totp.CodeAt(secret, time.Now())
	tok := strings.TrimSpace(mustCLI(t, append([]string{"operator", "token", "--operator", name, "--code", code}, storageArgs...)...))
	t.Setenv(operatorTokenEnv, tok)
}

func TestOperatorCLI(t *testing.T) {
	s := storage(t)
	with := func(args ...string) []string { return append(args, s...) }
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte(testOperatorPassword+"\n"), 0o600)
	failCLI(t, "name: Operator accounts are personal", with("operator", "create", "admin", "--password-file", pwFile)...)
	out := mustCLI(t, with("operator", "create", "jane.doe", "--display-name", "Jane Doe")...)
	if !strings.Contains(out, "Created operator jane.doe (Jane Doe, owner).") || !strings.Contains(out, "shown only now") {
		t.Fatalf("create: %s", out)
	}
	// Later operators need an owner's identification.
	failCLI(t, "identify yourself", with("operator", "create", "sam.staff", "--password-file", pwFile)...)
	failCLI(t, "not right", with("operator", "token", "--operator", "jane.doe", "--code", "123456")...)
	// Until the authenticator app is set up, the command line refuses the operator.
	failCLI(t, "identify yourself", with("tenant", "show", "none")...)
	mustCLI(t, with("tenant", "create", "acme")...)
	failCLI(t, "identify yourself", with("tenant", "show", "acme")...)
	failCLI(t, "identify yourself", with("audit", "verify", "acme")...)
	failCLI(t, "identify yourself", with("tenant", "ip-allowlist", "acme", "--clear")...)
	mustCLI(t, with("audit", "checkpoint", "acme")...) // reads no tenant data

	ctx := context.Background()
	a, err := openApp(ctx, cfgOf(t, s), newLogger(io.Discard, "warn"))
	if err != nil {
		t.Fatal(err)
	}
	// jane.doe's first sign-in, as the console does it.
	pw := strings.TrimSpace(strings.SplitN(strings.SplitN(out, "shown only now:\n", 2)[1], "\n", 2)[0])
	var res *operators.SignInResult
	res, err = a.operators.SignIn(ctx, "jane.doe", pw, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	e, _ := a.operators.BeginTOTP(ctx, res.Token)
	a.operators.Now = func() time.Time { return time.Now().Add(-30 * time.Second) }
	code, _ := totp.CodeAt(e.Secret, a.operators.Now())
	if _, err := a.operators.ConfirmTOTP(ctx, res.Token, code, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	a.Close()

	code, _ = totp.CodeAt(e.Secret, time.Now())
	tok := strings.TrimSpace(mustCLI(t, with("operator", "token", "--operator", "jane.doe", "--code", code)...))
	if !strings.HasPrefix(tok, "sro_") {
		t.Fatalf("token: %q", tok)
	}
	failCLI(t, "not right", with("operator", "token", "--operator", "jane.doe", "--code", code)...) // a code is used once
	out = mustCLI(t, with("operator", "create", "sam.staff", "--password-file", pwFile, "--operator-token", tok)...)
	if !strings.Contains(out, "sam.staff (sam.staff, staff)") {
		t.Fatalf("second operator: %s", out)
	}
	// Identified is not enough: the tenant's data takes a running grant.
	failCLI(t, `no running access grant for workspace "acme"`, with("tenant", "show", "acme", "--operator-token", tok)...)
	operatorGrantedTo(t, "jane.doe", "acme", s...)
	mustCLI(t, with("tenant", "show", "acme", "--operator-token", tok)...)
	t.Setenv(operatorTokenEnv, tok)
	mustCLI(t, with("tenant", "ip-allowlist", "acme", "--clear")...)
	out = mustCLI(t, with("operator", "list")...)
	if !strings.Contains(out, "jane.doe") || !strings.Contains(out, "must set up an authenticator app") {
		t.Fatalf("list: %s", out)
	}

	// The tenant's own trail names the operator for each command.
	h, closeLog, err := openAuditLog(ctx, cfgOf(t, s), io.Discard, "acme")
	if err != nil {
		t.Fatal(err)
	}
	defer closeLog()
	var n int
	h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE action = 'operator.cli' AND actor_kind = 'operator' AND actor_id = 'jane.doe'`).Scan(&n)
	if n != 2 {
		t.Fatalf("%d operator.cli events, want 2", n)
	}
	mustCLI(t, with("audit", "verify", "acme")...)
}

func cfgOf(t *testing.T, args []string) StorageConfig {
	t.Helper()
	var cfg StorageConfig
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// cliTenants opens tenants for a grants service the way the commands do.
type cliTenants struct {
	a   *app
	cfg StorageConfig
}

func (c cliTenants) Get(ctx context.Context, slug string) (*tenancy.Handle, func(), error) {
	return openHandle(ctx, c.a, c.cfg, slug)
}

// operatorGranted gives the test operator (see operatorSignedIn) a running
// support grant for tenant slug, as an automatic approval does, so that
// its commands may reach the tenant's data.
func operatorGranted(t *testing.T, slug string, storageArgs ...string) {
	t.Helper()
	operatorGrantedTo(t, "test.operator", slug, storageArgs...)
}

// operatorGrantedTo gives operator name a running support grant for slug.
func operatorGrantedTo(t *testing.T, name, slug string, storageArgs ...string) {
	t.Helper()
	ctx := context.Background()
	cfg := cfgOf(t, storageArgs)
	a, err := openApp(ctx, cfg, newLogger(io.Discard, "warn"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	list, err := a.operators.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range list {
		if l.Name == name {
			op := l.Operator
			g := grants.New(a.db, cliTenants{a, cfg}, a.log)
			if _, err := g.File(ctx, &op, "127.0.0.1", grants.Request{Tenant: slug, Reason: grants.Support,
				Ticket: "TEST-1", Duration: grants.MaxDuration}); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no operator %s", name)
}
