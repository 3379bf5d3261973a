// Command strongroom runs the Strongroom server and its operator commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"strongroom"
	"strongroom/store"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "dev"

const usage = `Strongroom: case management and dashboards that keep client data safe.

Usage:
  strongroom serve [flags]                  run the server (HTTPS)
  strongroom tenant create SLUG [--name N]  create a tenant and its database
  strongroom tenant list                    list tenants
  strongroom tenant show SLUG               show one tenant
  strongroom tenant disable SLUG            make a tenant answer "disabled"
  strongroom tenant enable SLUG             restore a disabled tenant
  strongroom tenant ip-allowlist SLUG --show|--clear
                                            print a tenant's IP allowlist, or clear it (audited)
  strongroom operator create|token|list|disable|enable …
                                            the provider's staff: personal operator accounts
  strongroom key rotate --to URL            re-wrap tenant keys with a new master key
  strongroom audit verify|proof|archive …   verify, prove, sign and archive a tenant's audit trail
  strongroom verify TENANT [--since DATE] [--checkpoint FILE] [--json]
                                            write a tenant's signed trust report
  strongroom verify --offline REPORT --key KEY [--witness-key K]…
                                            check a trust report with the public keys alone
  strongroom witness keygen|serve …         run a witness that cosigns audit checkpoints
  strongroom jobs list|schedules [--tenant SLUG]  show recent background jobs, or each schedule's last run
  strongroom backup run SLUG|--all          back tenants up to every --backup-target
  strongroom backup list SLUG               list a tenant's backups as the targets hold them
  strongroom backup drill SLUG [--target URL]  restore the newest backup into a scratch location and check it
  strongroom restore SLUG --from URL        restore a tenant from a backup target
  strongroom standby --from URL             keep a warm standby of every tenant on a target (serves nothing)
  strongroom standby promote                stop the standby, catch up and make it the primary
  strongroom documents reextract SLUG       queue the re-extraction of a tenant's document text for search
  strongroom demo seed SLUG                 fill an empty tenant with demo data and users
  strongroom bench seed --records N SLUG    fill a tenant with N generated records
  strongroom bench run SLUG                 time search, case lists and reports
  strongroom bench login                    time sign-in during a flood of failed sign-ins
  strongroom bench backup SLUG --target URL  time backup and restore to each target, beside restic
  strongroom version                        print the version

Every command takes the storage flags below; run "strongroom COMMAND --help"
for the rest. Each flag can also be set by the environment variable shown.

Start here:  go run ./cmd/strongroom serve
             (creates ./strongroom-data and ./strongroom-master.key, prints the URL)
`

func main() {
	// Files Strongroom creates (databases, keys, certificates) are for its
	// own user only.
	syscall.Umask(0o077)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr)
	case "tenant":
		err = runTenant(ctx, args[1:], stdout, stderr)
	case "key":
		err = runKey(ctx, args[1:], stdout, stderr)
	case "audit":
		// Verifying or archiving a whole log reads it in one pass: the
		// operator's command, not bounded like a request's work.
		err = runAudit(store.WithTimeout(ctx, 0), args[1:], stdout, stderr)
	case "witness":
		err = runWitness(ctx, args[1:], stdout, stderr)
	case "verify":
		err = runVerify(store.WithTimeout(ctx, 0), args[1:], stdout, stderr)
	case "operator":
		err = runOperator(ctx, args[1:], stdout, stderr)
	case "jobs":
		err = runJobs(ctx, args[1:], stdout, stderr)
	case "backup":
		err = runBackup(ctx, args[1:], stdout, stderr)
	case "restore":
		err = runRestore(ctx, args[1:], stdout, stderr)
	case "standby":
		err = runStandby(ctx, args[1:], stdout, stderr)
	case "documents":
		err = runDocuments(ctx, args[1:], stdout, stderr)
	case "demo":
		err = runDemo(ctx, args[1:], stdout, stderr)
	case "bench":
		err = runBench(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "strongroom %s\n", Version)
	default:
		fmt.Fprintf(stderr, "strongroom: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(stderr, "strongroom: %s\n", describe(err))
	return 1
}

// errUsage marks a command line that was wrong; its message is already shown.
var errUsage = errors.New("usage")

// describe gives the operator the safe message of a domain error, or the
// wrapped chain of any other (which never holds a secret).
func describe(err error) string {
	var e *strongroom.Error
	if errors.As(err, &e) {
		if e.Field != "" && e.Code == strongroom.EINVALID {
			return fmt.Sprintf("%s: %s", e.Field, e.Message)
		}
		return e.Message
	}
	return err.Error()
}
