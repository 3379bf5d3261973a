package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"strongroom/seed"
	"strongroom/store"
	"strongroom/tenancy"
)

// runDemo is "strongroom demo seed TENANT": the demo data in an existing,
// empty tenant.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "seed" {
		fmt.Fprint(stderr, "strongroom demo: say seed TENANT\n")
		return errUsage
	}
	var cfg StorageConfig
	var cases int
	fs := newFlagSet("demo seed", stderr, "strongroom demo seed TENANT [flags]\n\nFills an empty tenant with the demo: practice groups, an MDL with two local counsel\nfirms restricted to their cases, a user for each role and a few thousand cases.\nPrints the users' temporary passwords.")
	cfg.register(fs)
	fs.IntVar(&cases, "cases", seed.DemoCases, "how many cases to make")
	rest, err := parse(fs, args[1:], 1)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer a.Close()
	return withTenant(ctx, a, cfg, rest[0], func(h *tenancy.Handle) error {
		start := time.Now()
		res, err := seed.Demo(store.WithTimeout(ctx, 0), h, a.identity, seed.DemoOptions{Cases: cases}) // bulk loading: no request deadline
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Seeded tenant %s with %d cases and %d records in %s.\n", h.Tenant.Slug, res.Cases, res.Records-res.Cases,
			time.Since(start).Round(time.Millisecond))
		printLogins(stdout, "/t/"+h.Tenant.Slug+"/login", res.Logins)
		return nil
	})
}

// withTenant opens a tenant's database for a command.
func withTenant(ctx context.Context, a *app, cfg StorageConfig, slug string, fn func(*tenancy.Handle) error) error {
	reg := tenancy.NewRegistry(a.engine, a.control, a.keeper, a.log, time.Hour, cfg.checkpoints())
	reg.MaxOpen = cfg.maxOpenTenants()
	defer reg.Close()
	h, release, err := reg.Get(ctx, slug)
	if err != nil {
		return err
	}
	defer release()
	return fn(h)
}

// printLogins lists the demo's users with their temporary passwords and
// where to sign in.
func printLogins(w io.Writer, signIn string, logins []seed.Login) {
	fmt.Fprintln(w, "Demo users (each must choose a new password at the first sign-in):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, l := range logins {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", signIn, l.Username, l.Password, l.Role, l.About)
	}
	tw.Flush()
}
