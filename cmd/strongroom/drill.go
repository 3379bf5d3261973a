package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"filippo.io/age"

	"strongroom"
	"strongroom/backup"
	"strongroom/backup/drill"
	"strongroom/blob"
	"strongroom/jobs"
	"strongroom/store"
	"strongroom/store/sqlite"
	"strongroom/tenancy"
)

// drillKind is the job kind of a restore drill of one tenant.
const drillKind = "backup.drill"

// DefaultDrillEvery is how often each tenant is drilled: weekly, each
// drill on the next target in turn.
const DefaultDrillEvery = 7 * 24 * time.Hour

// DrillConfig says how restore drills run.
type DrillConfig struct {
	// Identity is the age identity file that opens the backups.
	Identity string
	// Every is the interval between drills of a tenant (0: off).
	Every time.Duration
	// SlowAfter is the restore time past which a drill is alerted on.
	SlowAfter time.Duration
}

func (c *DrillConfig) register(fs *flag.FlagSet) {
	stringFlag(fs, &c.Identity, "backup-identity", "", "age identity file that opens the backups (restores and restore drills)")
	durationFlag(fs, &c.Every, "drill-every", DefaultDrillEvery, "restore each tenant's newest backup into a scratch location this often, one target after the other; 0: never")
	durationFlag(fs, &c.SlowAfter, "drill-slow-after", drill.DefaultSlowAfter, "alert on a restore drill that takes longer than this (a quarter of the one-hour restore promise)")
}

// newDrillService assembles the restore drills of an installation over the
// backup targets already opened (the backup service's): what the drill job
// runs and what the Backups page and API read (web.Services.Backups).
// Without --backup-identity it still reads and shows; drills are refused.
func newDrillService(ctx context.Context, a *app, reg *tenancy.Registry, cfg StorageConfig, targets []blob.Store, dc DrillConfig) (*drill.Service, error) {
	var ids []age.Identity
	if dc.Identity != "" {
		var err error
		if ids, err = backup.LoadIdentities(dc.Identity); err != nil {
			return nil, err
		}
	}
	schema, err := tenantSchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	d := &drill.Service{Control: a.control, Tenants: reg, Targets: targets, Keeper: a.keeper, Identities: ids,
		SchemaVersion: schema, ScratchDir: cfg.DataDir, SlowAfter: dc.SlowAfter, Log: a.log,
		Scratch: func(dir string) (store.Engine, error) { return sqlite.New(dir) }}
	if err := d.LoadFigures(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// registerDrills puts the drill job on the runner and, unless drills are
// off, a schedule per tenant.
func (m *Main) registerDrills(d *drill.Service, dc DrillConfig) {
	m.runner.Register(drillKind, drillJob(d), jobs.KindOptions{MaxAttempts: 3, Timeout: 2 * time.Hour,
		Backoff: 5 * time.Minute, MaxBackoff: time.Hour})
	switch {
	case dc.Identity == "":
		m.Log.Warn("restore drills are off: no --backup-identity to open the backups with")
	case dc.Every > 0:
		m.runner.EachTenant(jobs.Schedule{Name: "drill", Kind: drillKind, Every: dc.Every, Jitter: dc.Every})
	}
}

// drillJob runs one drill of the job's tenant. A drill that failed on
// what the backup holds fails for good (the next one is scheduled anyway);
// one that could not reach a target or the database is tried again.
func drillJob(d *drill.Service) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) error {
		if j.Tenant == "" {
			return jobs.Permanent(strongroom.Errorf(strongroom.EINVALID, "The job names no tenant."))
		}
		_, err := d.Run(ctx, j.Tenant)
		if err != nil && strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE {
			return jobs.Permanent(err)
		}
		return err
	}
}

func backupDrill(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg StorageConfig
	var bc BackupConfig
	var dc DrillConfig
	var target string
	fs := newFlagSet("backup drill", stderr, "strongroom backup drill SLUG [--target URL] [flags]\n\n"+
		"Restores the tenant's newest backup on one target into a scratch location (a temporary data directory\n"+
		"with its own databases), runs every check of a restore, records the result and removes the scratch\n"+
		"location. The live tenant is not touched. Without --target, the target drilled longest ago.")
	cfg.register(fs)
	bc.register(fs)
	dc.register(fs)
	fs.StringVar(&target, "target", "", "drill this target (default: the next of --backup-target in turn)")
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
	log := newLogger(stderr, "warn")
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	reg := tenancy.NewRegistry(a.engine, a.control, a.keeper, log, time.Minute, cfg.checkpoints())
	defer reg.Close()
	if dc.Identity == "" {
		return strongroom.FieldError("backup-identity", "Name the age identity file that opens the backups (--backup-identity FILE): restore drills need it.")
	}
	d, err := newDrillService(ctx, a, reg, cfg, targets, dc)
	if err != nil {
		return err
	}
	out, err := d.Run(ctx, rest[0])
	printDrill(stdout, out)
	return err
}

func printDrill(w io.Writer, d drill.Drill) {
	if d.Target == "" {
		return
	}
	taken := "-"
	if !d.BackupTime.IsZero() {
		taken = d.BackupTime.UTC().Format("2006-01-02 15:04:05Z")
	}
	fmt.Fprintf(w, "Restore drill of %s on %s: backup %s (taken %s, %s) ", d.Tenant, d.Target, orDash(d.BackupID), taken, size(d.Bytes))
	switch {
	case !d.OK:
		fmt.Fprintf(w, "FAILED after %s at %s: %s\n", d.Duration.Round(time.Millisecond), d.Part, d.Error)
	case d.Slow:
		fmt.Fprintf(w, "restored and checked in %s: SLOWER than allowed\n", d.Duration.Round(time.Millisecond))
	default:
		fmt.Fprintf(w, "restored and checked in %s.\n", d.Duration.Round(time.Millisecond))
	}
}
