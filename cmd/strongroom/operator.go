package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"strongroom"
	"strongroom/audit"
	"strongroom/grants"
	"strongroom/operators"
	"strongroom/store"
	"strongroom/tenancy"
)

// operatorTokenEnv holds a token from `strongroom operator token`, in place
// of --operator-token.
const operatorTokenEnv = "STRONGROOM_OPERATOR_TOKEN"

const operatorAbout = `Operators are the provider's staff, each with a personal account: a password and an
authenticator app (TOTP), set up at the first sign-in to the console at /operator/.

  strongroom operator create NAME [--display-name N] [--owner] [--password-file F|-]
      The first operator (an owner) needs no identification and only while there is none;
      every later one is created by an owner (--operator OWNER --code 123456). Without
      --password-file a one-time password is made and printed once.
  strongroom operator token --operator NAME --code 123456
      Prints a token valid for 15 minutes; give it to later commands as --operator-token
      or in STRONGROOM_OPERATOR_TOKEN instead of a new code each time.
  strongroom operator list
  strongroom operator disable|enable NAME --operator OWNER --code 123456

Commands that read or change a tenant's data (tenant show, tenant ip-allowlist --clear,
audit verify|proof|archive, restore, documents) need --operator NAME --code CODE or
--operator-token, and are written into that tenant's audit trail as done by the operator.`

// operatorFlags identify the operator running a command.
type operatorFlags struct {
	name, code, token string
}

func (f *operatorFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.name, "operator", "", "your operator name (with --code)")
	fs.StringVar(&f.code, "code", "", "the current six-digit code of your authenticator app (with --operator)")
	fs.StringVar(&f.token, "operator-token", "", "a token from `strongroom operator token` (or $"+operatorTokenEnv+")")
}

// identifyOperator returns the operator a command line names: --operator
// with --code (checked with the console's lockout rules), or a token from
// --operator-token or the environment.
func identifyOperator(ctx context.Context, a *app, f *operatorFlags) (*operators.Operator, error) {
	token := f.token
	if token == "" && f.name == "" {
		token = os.Getenv(operatorTokenEnv)
	}
	switch {
	case f.name != "" && token != "":
		return nil, strongroom.FieldError("operator", "Identify with --operator and --code, or with a token, not both.")
	case token != "":
		return a.operators.AuthenticateToken(ctx, token)
	case f.name != "" && f.code == "":
		return nil, strongroom.FieldError("code", "Give the current code of your authenticator app with --code.")
	case f.name != "":
		return a.operators.VerifyCode(ctx, f.name, f.code)
	}
	return nil, strongroom.Errorf(strongroom.EUNAUTHORIZED,
		"This command reaches a tenant's data: identify yourself with --operator NAME --code CODE, or --operator-token (see strongroom operator --help).")
}

// mayReachTenant is the one place that decides whether an identified
// operator may reach a tenant's data from the command line: only under a
// running access grant for that tenant, as in its pages. A tenant this
// server does not hold has no data to reach yet (a restore onto a fresh
// server makes it); the command itself says when it needs one.
//
// It returns the grant's number ("" for a tenant not held here), which the
// command's audit event carries so that the tenant's access page lists the
// command under the grant.
func mayReachTenant(ctx context.Context, a *app, op *operators.Operator, slug string) (string, error) {
	if _, err := a.control.FindTenant(ctx, slug); strongroom.ErrorCode(err) == strongroom.ENOTFOUND {
		return "", nil
	} else if err != nil {
		return "", err
	}
	g, err := grants.New(a.db, nil, a.log).RequireActive(ctx, slug, op, "")
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(g.ID, 10), nil
}

// operatorForTenant identifies the operator of a tenant command and checks
// that they may reach the tenant, returning the grant that lets them.
func operatorForTenant(ctx context.Context, a *app, f *operatorFlags, slug string) (*operators.Operator, string, error) {
	op, err := identifyOperator(ctx, a, f)
	if err != nil {
		return nil, "", err
	}
	grant, err := mayReachTenant(ctx, a, op, slug)
	if err != nil {
		return nil, "", err
	}
	return op, grant, nil
}

// recordOperatorCLIAccess writes an operator.cli event into the tenant's
// own audit trail: which operator ran which command on its data.
func recordOperatorCLIAccess(ctx context.Context, h *tenancy.Handle, op *operators.Operator, command string, details map[string]string) error {
	d := map[string]string{"command": command}
	maps.Copy(d, details)
	d["command"] = command
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := h.Audit.Append(ctx, tx, audit.Event{
			Actor: audit.Actor{Kind: audit.ActorOperator, ID: op.Name}, SourceIP: "cli",
			Action: "operator.cli", ObjectType: "tenant", ObjectID: h.Tenant.Slug, Details: d,
		})
		return err
	})
}

// runOperator runs "strongroom operator …".
func runOperator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, operatorAbout)
		return errUsage
	}
	var cfg StorageConfig
	var of operatorFlags
	var displayName, passwordFile string
	var owner bool
	fs := newFlagSet("operator "+args[0], stderr, "strongroom operator "+args[0]+" [NAME] [flags]\n\n"+operatorAbout)
	cfg.register(fs)
	want := 1
	switch args[0] {
	case "create":
		fs.StringVar(&displayName, "display-name", "", "the operator's full name as the console shows it")
		fs.BoolVar(&owner, "owner", false, "make an owner, who may create and disable operators (the first is always one)")
		fs.StringVar(&passwordFile, "password-file", "", "read the new operator's password from this file (- for standard input) instead of making one")
		of.register(fs)
	case "token":
		want = 0
		of.register(fs)
	case "disable", "enable":
		of.register(fs)
	case "list":
		want = 0
	default:
		fmt.Fprintf(stderr, "strongroom operator: unknown subcommand %q\n\n%s\n", args[0], operatorAbout)
		return errUsage
	}
	rest, err := parse(fs, args[1:], want)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer a.Close()
	switch args[0] {
	case "create":
		return operatorCreate(ctx, a, &of, rest[0], displayName, passwordFile, owner, stdout)
	case "token":
		op, err := identifyOperator(ctx, a, &of)
		if err != nil {
			return err
		}
		tok, expires, err := a.operators.IssueToken(ctx, op)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		fmt.Fprintf(stderr, "This token identifies %s until %s. Keep it to yourself; it is shown once.\n",
			op.Name, expires.UTC().Format("15:04:05 UTC"))
		return nil
	case "list":
		list, err := a.operators.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tDISPLAY NAME\tROLE\tSTATE")
		for _, l := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.Name, l.DisplayName, l.Role, operatorState(l))
		}
		return tw.Flush()
	default: // disable, enable
		op, err := identifyOperator(ctx, a, &of)
		if err != nil {
			return err
		}
		if err := a.operators.SetDisabled(ctx, op, rest[0], args[0] == "disable", "cli"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Operator %s is %sd.\n", rest[0], args[0])
		return nil
	}
}

// operatorState is how a list shows an operator's state.
func operatorState(l operators.Listed) string {
	switch {
	case l.Disabled:
		return "disabled"
	case l.Locked:
		return "locked"
	case !l.TOTPEnabled:
		return "must set up an authenticator app"
	}
	return "active"
}

func operatorCreate(ctx context.Context, a *app, of *operatorFlags, name, displayName, passwordFile string, owner bool, stdout io.Writer) error {
	n, err := a.operators.Count(ctx)
	if err != nil {
		return err
	}
	pw, made := "", false
	switch passwordFile {
	case "":
		pw, made = operators.OneTimePassword(), true
	case "-":
		b, err := io.ReadAll(io.LimitReader(os.Stdin, 4096))
		if err != nil {
			return fmt.Errorf("read the password from standard input: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
	default:
		b, err := os.ReadFile(passwordFile)
		if err != nil {
			return fmt.Errorf("read --password-file: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
	}
	nw := operators.NewOperator{Name: name, DisplayName: displayName, Role: operators.RoleStaff, Password: pw}
	if owner {
		nw.Role = operators.RoleOwner
	}
	var op *operators.Operator
	if n == 0 {
		op, err = a.operators.CreateFirst(ctx, nw)
	} else {
		by, ierr := identifyOperator(ctx, a, of)
		if ierr != nil {
			return ierr
		}
		op, err = a.operators.Create(ctx, by, nw, "cli")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created operator %s (%s, %s).\n", op.Name, op.DisplayName, op.Role)
	if made {
		fmt.Fprintf(stdout, "Their password, shown only now:\n  %s\n", pw)
	}
	fmt.Fprintln(stdout, "At the first sign-in at /operator/ they set up an authenticator app (until then the command line does not accept them) and choose their own password.")
	return nil
}

// consoleTenants is the tenant service as the operator console uses it.
type consoleTenants struct {
	a  *app
	mu sync.Mutex // the first administrator's password passes through a
}

func (c *consoleTenants) List(ctx context.Context) ([]*strongroom.Tenant, error) {
	return c.a.tenants.List(ctx)
}

func (c *consoleTenants) Create(ctx context.Context, slug, name string) (*strongroom.Tenant, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.a.adminPasswordIn, c.a.adminPassword = "", ""
	t, err := c.a.tenants.Create(ctx, slug, name)
	pw := c.a.adminPassword
	c.a.adminPassword = ""
	return t, pw, err
}

func (c *consoleTenants) Disable(ctx context.Context, slug string) error {
	return c.a.tenants.Disable(ctx, slug)
}

func (c *consoleTenants) Enable(ctx context.Context, slug string) error {
	return c.a.tenants.Enable(ctx, slug)
}
