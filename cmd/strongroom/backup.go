package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"strongroom"
	"strongroom/backup"
	"strongroom/erasure"
	"strongroom/store"
	"strongroom/tenancy"
)

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, "strongroom backup: say run, list or drill\n")
		return errUsage
	}
	switch args[0] {
	case "run":
		return backupRun(ctx, args[1:], stdout, stderr)
	case "list":
		return backupList(ctx, args[1:], stdout, stderr)
	case "drill":
		return backupDrill(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "strongroom backup: unknown subcommand %q\n", args[0])
	return errUsage
}

func backupRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg StorageConfig
	var bc BackupConfig
	var all bool
	fs := newFlagSet("backup run", stderr, "strongroom backup run SLUG|--all [flags]\n\n"+
		"Backs the tenant (or every active tenant) up to every --backup-target: its database, audit key store,\n"+
		"checkpoint files and document files, encrypted to the --backup-recipient keys and signed with the\n"+
		"tenant's audit key. A target that fails is retried; the others still get the backup.")
	cfg.register(fs)
	bc.register(fs)
	fs.BoolVar(&all, "all", false, "back up every active tenant")
	want := 1
	if hasFlag(args, "all") {
		want = 0
	}
	rest, err := parse(fs, args, want)
	if err != nil {
		return err
	}
	log := newLogger(stderr, "warn")
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	reg := tenancy.NewRegistry(a.engine, a.control, a.keeper, log, time.Minute, cfg.checkpoints())
	defer reg.Close()
	svc, closeTargets, err := newBackupService(ctx, a, reg, cfg, bc)
	if err != nil {
		return err
	}
	defer closeTargets()
	// A whole tenant is read in one pass: not bounded like a request.
	ctx = store.WithTimeout(ctx, 0)
	var results []backup.Result
	if all {
		results, err = svc.RunAll(ctx)
	} else {
		var res backup.Result
		res, err = svc.RunTenant(ctx, rest[0])
		if res.ID != "" {
			results = append(results, res)
		}
	}
	printBackupResults(stdout, results)
	return err
}

// hasFlag reports whether args set the boolean flag name.
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "-"+name || a == "--"+name || a == "--"+name+"=true" || a == "-"+name+"=true" {
			return true
		}
	}
	return false
}

func printBackupResults(w io.Writer, results []backup.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tBACKUP\tTARGET\tRESULT\tTRIES\tSIZE\tFILES SENT\tTIME")
	for _, r := range results {
		for _, c := range r.Copies {
			result := "verified"
			if !c.OK {
				result = "FAILED: " + c.Error
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%d of %d\t%s\n", r.Tenant, r.ID, c.Target, result, c.Attempts,
				size(c.Size), c.Uploaded, c.Uploaded+c.Reused, c.Duration.Round(time.Millisecond))
		}
	}
	tw.Flush()
}

func backupList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var bc BackupConfig
	var target string
	fs := newFlagSet("backup list", stderr, "strongroom backup list SLUG [--target URL]\n\n"+
		"Lists the committed backups of a tenant as the targets hold them (needs neither the database\n"+
		"nor a key: it works on a fresh server).")
	bc.register(fs)
	fs.StringVar(&target, "target", "", "list this target only (default: every --backup-target)")
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if err := strongroom.ValidateSlug(rest[0]); err != nil {
		return err
	}
	targets, closeTargets, err := openTargets(ctx, oneOrAll(bc.Targets, target))
	if err != nil {
		return err
	}
	defer closeTargets()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tBACKUP\tTAKEN\tSIZE\tFILES")
	var errs []error
	for _, t := range targets {
		entries, err := backup.List(ctx, t, rest[0])
		if err != nil {
			errs = append(errs, err)
			fmt.Fprintf(tw, "%s\t(unreadable: %s)\t\t\t\n", t.Name(), describe(err))
			continue
		}
		for _, e := range entries {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", t.Name(), e.ID, e.Time.UTC().Format("2006-01-02 15:04:05Z"), size(e.Size), e.Files)
		}
	}
	tw.Flush()
	if len(errs) == len(targets) {
		return errs[0]
	}
	return nil
}

// size writes a byte count for people.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// newBackupService assembles the backup service of an installation: what
// a job handler calls (RunTenant, RunAll) and whose figures the metrics
// show (backupCollectors). The caller closes the targets with the func.
func newBackupService(ctx context.Context, a *app, reg *tenancy.Registry, cfg StorageConfig, bc BackupConfig) (*backup.Service, func(), error) {
	recipients, err := bc.recipients()
	if err != nil {
		return nil, nil, err
	}
	targets, closeTargets, err := openTargets(ctx, bc.Targets)
	if err != nil {
		return nil, nil, err
	}
	svc := &backup.Service{Registry: reg, Control: a.control, Targets: targets, Recipients: recipients,
		FilesDir: cfg.files(), CheckpointDir: cfg.checkpoints(), TmpDir: cfg.DataDir, Log: a.log,
		Ledger: erasure.New(a.db, a.log).ExportLedger}
	if err := svc.LoadFigures(ctx); err != nil {
		closeTargets()
		return nil, nil, err
	}
	return svc, closeTargets, nil
}
