package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"strongroom"
	"strongroom/identity"
)

func runTenant(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, "strongroom tenant: say create, list, show, disable, enable or ip-allowlist\n")
		return errUsage
	}
	if args[0] == "ip-allowlist" {
		return runTenantIPAllowlist(ctx, args[1:], stdout, stderr)
	}
	var cfg StorageConfig
	var of operatorFlags
	var name, adminPasswordFile string
	fs := newFlagSet("tenant "+args[0], stderr, "strongroom tenant "+args[0]+" [SLUG] [flags]")
	cfg.register(fs)
	want := 1
	switch args[0] {
	case "create":
		fs.StringVar(&name, "name", "", "the tenant's display name (default: the slug)")
		fs.StringVar(&adminPasswordFile, "admin-password-file", "", "read the first administrator's temporary password from this file instead of making one")
	case "list":
		want = 0
	case "show":
		of.register(fs)
	case "disable", "enable":
	default:
		fmt.Fprintf(stderr, "strongroom tenant: unknown subcommand %q\n", args[0])
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
		if name == "" {
			name = rest[0]
		}
		if adminPasswordFile != "" {
			b, err := os.ReadFile(adminPasswordFile)
			if err != nil {
				return fmt.Errorf("read --admin-password-file: %w", err)
			}
			a.adminPasswordIn = strings.TrimRight(string(b), "\r\n")
		}
		t, err := a.tenants.Create(ctx, rest[0], name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Created tenant %s (%s), stored in %s.\n", t.Slug, t.DisplayName, t.Placement)
		fmt.Fprintf(stdout, "Its first administrator signs in at /t/%s/ as %q", t.Slug, identity.FirstAdminName)
		if adminPasswordFile == "" {
			fmt.Fprintf(stdout, " with the temporary password\n  %s\n", a.adminPassword)
		} else {
			fmt.Fprintf(stdout, " with the password from %s\n", adminPasswordFile)
		}
		fmt.Fprintln(stdout, "and must choose a new password at the first sign-in.")
		return nil
	case "list":
		ts, err := a.tenants.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SLUG\tNAME\tSTATUS\tCREATED")
		for _, t := range ts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Slug, t.DisplayName, t.Status, t.CreatedAt.Format("2006-01-02 15:04 MST"))
		}
		return tw.Flush()
	case "show":
		_, _, closeTenant, err := openTenantAs(ctx, cfg, stderr, rest[0], &of, "tenant show", nil)
		if err != nil {
			return err
		}
		closeTenant()
		t, err := a.tenants.Show(ctx, rest[0])
		if err != nil {
			return err
		}
		printTenant(stdout, t)
		return nil
	case "disable":
		if err := a.tenants.Disable(ctx, rest[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Tenant %s is disabled: every request to it now answers that it is disabled.\n", rest[0])
		return nil
	default: // enable
		if err := a.tenants.Enable(ctx, rest[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Tenant %s is enabled.\n", rest[0])
		return nil
	}
}

func printTenant(w io.Writer, t *strongroom.Tenant) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Slug:\t%s\n", t.Slug)
	fmt.Fprintf(tw, "Name:\t%s\n", t.DisplayName)
	fmt.Fprintf(tw, "Status:\t%s\n", t.Status)
	fmt.Fprintf(tw, "Placement:\t%s\n", t.Placement)
	fmt.Fprintf(tw, "Created:\t%s\n", t.CreatedAt.Format("2006-01-02 15:04:05 MST"))
	tw.Flush()
}
