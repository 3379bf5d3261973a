package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"strongroom"
	"strongroom/netpolicy"
	"strongroom/trust"
	"strongroom/witness"
)

// runVerify is "strongroom verify": a tenant's signed trust report, or
// the offline check of one.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	for _, a := range args {
		if a == "--offline" || a == "-offline" || strings.HasPrefix(a, "--offline=") {
			return verifyOffline(args, stdout, stderr)
		}
	}
	return verifyTenant(ctx, args, stdout, stderr)
}

// verifyTenant builds, signs and prints one tenant's trust report.
func verifyTenant(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg StorageConfig
	var since, checkpoint, out string
	var asJSON bool
	var witnesses stringList
	var of operatorFlags
	fs := newFlagSet("verify", stderr, "strongroom verify TENANT [--since YYYY-MM-DD] [--checkpoint FILE] [--json] [--out FILE]\n\n"+
		"Verifies the tenant's audit trail and writes its trust report, signed with the tenant's audit key.\n"+
		"--checkpoint checks that the log still extends a checkpoint downloaded earlier.")
	cfg.register(fs)
	of.register(fs)
	fs.StringVar(&since, "since", "", "list operator accesses from this day (default: 90 days ago)")
	fs.StringVar(&checkpoint, "checkpoint", "", "a checkpoint file kept from an earlier report")
	fs.BoolVar(&asJSON, "json", false, "write the signed JSON report instead of text")
	fs.StringVar(&out, "out", "", "also write the signed JSON report to this file")
	fs.Var(&witnesses, "witness", "submit the latest checkpoint to this witness first, URL=KEY, repeatable")
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	in := trust.Inputs{Since: time.Now().AddDate(0, 0, -90),
		TLS: trust.TLSSection{Mode: "not known to this command", CipherSuites: []string{},
			Notes: "The server's TLS settings are in the report its administrators' page serves."}}
	if since != "" {
		if in.Since, err = time.Parse("2006-01-02", since); err != nil {
			return strongroom.FieldError("since", "--since is a day, YYYY-MM-DD.")
		}
	}
	if checkpoint != "" {
		if in.Checkpoint, err = os.ReadFile(checkpoint); err != nil {
			return strongroom.FieldError("checkpoint", "Cannot read %s.", checkpoint)
		}
	}
	h, _, closeLog, err := openTenantAs(ctx, cfg, stderr, rest[0], &of, "verify", nil)
	if err != nil {
		return err
	}
	defer closeLog()
	if len(witnesses) > 0 {
		var ws []*witness.Client
		for _, spec := range witnesses {
			w, err := witness.NewClient(spec)
			if err != nil {
				return strongroom.FieldError("witness", "Witness %q: %s.", spec, err.Error())
			}
			ws = append(ws, w)
		}
		h.Audit.SetWitnesses(ws)
		if err := h.Audit.SubmitToWitnesses(ctx); err != nil {
			fmt.Fprintf(stderr, "strongroom verify: %v\n", err)
		}
	}
	np, err := netpolicy.New(newLogger(stderr, "warn")).Read(ctx, h)
	if err != nil {
		return err
	}
	in.Policies = trust.PolicySettings(nil, np, nil)
	in.Backups.Notes = "Backups and restore drills are reported on the administrators' page, where the server knows its targets."
	r, err := trust.Build(ctx, h.Tenant.Slug, h.Audit, in)
	if err != nil {
		return err
	}
	signed, err := trust.Sign(r, h.Audit)
	if err != nil {
		return err
	}
	if out != "" {
		if err := os.WriteFile(out, append(signed, '\n'), 0o600); err != nil {
			return strongroom.FieldError("out", "Cannot write %s.", out)
		}
	}
	if asJSON {
		_, err = fmt.Fprintf(stdout, "%s\n", signed)
		return err
	}
	return trust.WriteText(stdout, r)
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// verifyOffline checks a signed report with public keys alone.
func verifyOffline(args []string, stdout, stderr io.Writer) error {
	var report, key string
	var witnesses stringList
	fs := newFlagSet("verify --offline", stderr, "strongroom verify --offline REPORT.json --key KEY [--witness-key KEY]…\n\n"+
		"Checks a trust report with the tenant's public key (pinned from \"strongroom audit key\") and\n"+
		"witnesses' keys: no database, no server.")
	fs.StringVar(&report, "offline", "", "the signed report (JSON)")
	fs.StringVar(&key, "key", "", "the tenant's public verifier key")
	fs.Var(&witnesses, "witness-key", "a witness's cosignature key, repeatable")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if key == "" {
		return strongroom.FieldError("key", "Give the tenant's public key (--key).")
	}
	b, err := os.ReadFile(report)
	if err != nil {
		return strongroom.FieldError("offline", "Cannot read %s.", report)
	}
	v, err := trust.Verify(b, key, witnesses)
	if err != nil {
		return err
	}
	r := v.Report
	fmt.Fprintf(stdout, "Trust report of %s made %s: signature verified.\n", r.Tenant, r.GeneratedAt)
	fmt.Fprintf(stdout, "Audit tree of %d events, root %s, checkpoint signed by the tenant's key.\n", r.Audit.TreeSize, r.Audit.RootHash)
	for _, w := range v.Witnessed {
		fmt.Fprintf(stdout, "Cosigned by witness %s: verified.\n", w)
	}
	for _, p := range v.Problems {
		fmt.Fprintf(stdout, "NOT verified: %s.\n", p)
	}
	if len(v.Problems) > 0 {
		return fmt.Errorf("%d witness cosignatures do not verify", len(v.Problems))
	}
	return nil
}
