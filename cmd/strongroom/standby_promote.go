package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"strongroom/backup/standby"
	"strongroom/blob"
)

func runStandbyPromote(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f standbyFlags
	var catchUp, stopWait time.Duration
	var logLevel string
	fs := newFlagSet("standby promote", stderr, "strongroom standby promote [--from TARGET-URL --backup-identity FILE] [--catch-up 2m] [flags]\n\n"+
		"Makes this standby the primary: a running \"strongroom standby\" on this data directory stops (within a\n"+
		"second), anything newer on the target is restored within --catch-up (a target that does not answer does\n"+
		"not hold the promotion up: the copies held are promoted), and from then on \"strongroom serve\" serves\n"+
		"the tenants. Fence the old primary first: two primaries must never serve.")
	f.cfg.register(fs)
	stringFlag(fs, &f.from, "from", "", "the backup target to catch up from; empty: promote the copies held as they are")
	stringFlag(fs, &f.identity, "backup-identity", "", "age identity file that opens the backups (with --from)")
	durationFlag(fs, &catchUp, "catch-up", 2*time.Minute, "longest the last catch-up from the target may take")
	durationFlag(fs, &stopWait, "stop-wait", time.Minute, "longest to wait for a running standby to stop")
	stringFlag(fs, &logLevel, "log-level", "warn", "debug, info, warn or error")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	log := newLogger(stderr, logLevel)
	var target blob.Store
	var s *standby.Service
	var a *app
	if f.from != "" {
		var cleanup func()
		var err error
		if s, a, target, cleanup, err = openStandby(ctx, f, log); err != nil {
			return err
		}
		defer cleanup()
	} else {
		var err error
		if s, a, err = newStandbyService(ctx, f.cfg, log); err != nil {
			return err
		}
		defer a.Close()
		fmt.Fprintln(stdout, "No --from: promoting the copies held without a last catch-up.")
	}
	begin := time.Now()
	out, err := standby.Promote(ctx, s, standby.PromoteOptions{Target: target, CatchUp: catchUp, StopWait: stopWait, DataDir: f.cfg.DataDir})
	if err != nil {
		return err
	}
	printPass(stdout, out.Results, nil)
	if out.CatchUpStopped {
		fmt.Fprintf(stdout, "The catch-up did not finish within %s; the copies held were promoted.\n", catchUp)
	}
	now := time.Now()
	for _, t := range out.Tenants {
		if t.BackupID == "" {
			fmt.Fprintf(stdout, "%s: no copy (never restored): %s\n", t.Slug, t.LastError)
			continue
		}
		fmt.Fprintf(stdout, "%s: backup %s, taken %s (recovery point %s)\n", t.Slug, t.BackupID,
			t.BackupTime.UTC().Format("2006-01-02 15:04:05Z"), t.RecoveryPoint(now).Round(time.Second))
	}
	reextractAfterRestore(ctx, a.db, stdout, promotedSlugs(out.Tenants)...)
	fmt.Fprintf(stdout, "Promoted in %s. Start \"strongroom serve\" on this data directory.\n", time.Since(begin).Round(time.Millisecond))
	return nil
}
