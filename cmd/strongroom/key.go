package main

import (
	"context"
	"fmt"
	"io"

	"strongroom/keys"
)

// runKey handles "key rotate": tenant data keys are re-wrapped with a new
// master key in one transaction; no tenant data is touched.
func runKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprint(stderr, "strongroom key: the only subcommand is rotate\n")
		return errUsage
	}
	var cfg StorageConfig
	var to string
	fs := newFlagSet("key rotate", stderr,
		"strongroom key rotate --to NEW\n\nRe-wraps every tenant key with the master key NEW (a key file path, created if absent,\nor a KMS URL). Afterwards start Strongroom with NEW; keep the old key until you have.")
	cfg.register(fs)
	fs.StringVar(&to, "to", "", "the new master key: a key file path or a KMS URL")
	if _, err := parse(fs, args[1:], 0); err != nil {
		return err
	}
	if to == "" {
		fmt.Fprint(stderr, "strongroom key rotate: --to is required\n")
		return errUsage
	}
	a, err := openApp(ctx, cfg, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer a.Close()
	next, err := keys.Open(ctx, to, true)
	if err != nil {
		return err
	}
	defer next.Close()
	// The operators' realm key gets a copy under the new key first, so
	// that a rotation cut short leaves their authenticator apps working.
	if err := a.operators.PrepareRotation(ctx, next); err != nil {
		return err
	}
	n, err := a.tenants.RotateMasterKey(ctx, next)
	if err != nil {
		return err
	}
	if err := a.operators.FinishRotation(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Re-wrapped %d tenant keys with the new master key. Start Strongroom with it from now on.\n", n)
	return nil
}
