package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"strongroom/netpolicy"
)

const ipAllowlistAbout = `Shows (--show) or clears (--clear) a tenant's IP allowlist. Clearing is the operator's way
back in when the tenant's administrators have saved a list that leaves them all out: every
address is allowed again at once on this node, and within seconds on the others. The clearing
is written into the tenant's audit trail as done by the operator, who identifies with
--operator NAME --code CODE or --operator-token.`

// runTenantIPAllowlist runs "strongroom tenant ip-allowlist SLUG --show|--clear".
func runTenantIPAllowlist(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg StorageConfig
	var show, clear bool
	var of operatorFlags
	fs := newFlagSet("tenant ip-allowlist", stderr, "strongroom tenant ip-allowlist SLUG --show|--clear [flags]\n\n"+ipAllowlistAbout)
	cfg.register(fs)
	fs.BoolVar(&show, "show", false, "print the tenant's allowlist")
	fs.BoolVar(&clear, "clear", false, "empty the tenant's allowlist: every address is allowed again")
	of.register(fs)
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if show == clear {
		fmt.Fprint(stderr, "strongroom tenant ip-allowlist: say --show or --clear\n")
		return errUsage
	}
	var who *operatorFlags // showing the list reads no tenant data
	if clear {
		who = &of
	}
	h, op, closeTenant, err := openTenantAs(ctx, cfg, stderr, rest[0], who, "tenant ip-allowlist --clear", nil)
	if err != nil {
		return err
	}
	defer closeTenant()
	svc := netpolicy.New(newLogger(stderr, "warn"))
	var pol *netpolicy.Policy
	if clear {
		if _, err = svc.Clear(ctx, h, op.Name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "The IP allowlist of tenant %s is cleared: every address is allowed.\n", rest[0])
		return nil
	}
	if pol, err = svc.Read(ctx, h); err != nil {
		return err
	}
	if len(pol.Entries) == 0 {
		fmt.Fprintf(stdout, "Tenant %s has no IP allowlist: every address is allowed.\n", rest[0])
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NETWORK\tLABEL")
	for _, e := range pol.Entries {
		fmt.Fprintf(tw, "%s\t%s\n", e.Prefix, e.Label)
	}
	return tw.Flush()
}
