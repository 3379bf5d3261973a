package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"strongroom/backup/standby"
)

// runStandbyStatus prints what the standby holds: its role and, per
// tenant, the backup held, its age (the recovery point) and the last error.
func runStandbyStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg StorageConfig
	fs := newFlagSet("standby status", stderr, "strongroom standby status [flags]\n\nShows which backup of each tenant this standby holds and how old it is.")
	cfg.register(fs)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer a.Close()
	role, err := standby.ReadRole(ctx, a.control)
	if err != nil {
		return err
	}
	if role == standby.RoleNone {
		role = "not a standby"
	}
	ts, err := standby.Tenants(ctx, a.control)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Role: %s\n", role)
	now := time.Now()
	for _, t := range ts {
		held, age := "none", "-"
		if t.BackupID != "" {
			held, age = t.BackupID, t.RecoveryPoint(now).Round(time.Second).String()
		}
		fmt.Fprintf(stdout, "%s  %s  age %s", t.Slug, held, age)
		if t.LastError != "" {
			fmt.Fprintf(stdout, "  last error: %s", t.LastError)
		}
		fmt.Fprintln(stdout)
	}
	return nil
}
