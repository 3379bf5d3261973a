package main

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"

	_ "github.com/jackc/pgx/v5/stdlib" // dropping the restored copies
)

// resticInput is what restic is given: the same tenant a Strongroom
// backup holds. On SQLite that is the tenant's database file as it lies
// (nothing writes to it during the bench); on PostgreSQL a pg_dump of its
// database, made beforehand and not timed, so restic's figures are a
// lower bound there. Both get the checkpoints and the document files.
func (b *benchBackup) resticInput(ctx context.Context) ([]string, func(), error) {
	paths := []string{filepath.Join(b.cfg.files(), b.slug), filepath.Join(b.cfg.checkpoints(), b.slug)}
	if b.cfg.Database == "" {
		db := filepath.Join(b.cfg.DataDir, "tenants", b.slug+".db")
		paths = append(paths, db)
		if _, err := os.Stat(db + "-wal"); err == nil {
			paths = append(paths, db+"-wal")
		}
		return paths, func() {}, nil
	}
	dump := filepath.Join(b.work, b.slug+".pgdump")
	a, err := openApp(ctx, b.cfg, newLogger(b.log, "warn"))
	if err != nil {
		return nil, nil, err
	}
	placement := a.engine.Placement(b.slug)
	a.Close()
	dsn, err := withDatabase(b.cfg.Database, placement)
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.CommandContext(ctx, "pg_dump", "-Fc", "-Z0", "-f", dump, dsn)
	cmd.Stdout, cmd.Stderr = b.log, b.log
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("pg_dump of %s: %w", placement, err)
	}
	return append(paths, dump), func() { os.Remove(dump) }, nil
}

// benchRestic times restic's backup, its unchanged re-backup and its
// restore of the same data to repo.
func (b *benchBackup) benchRestic(ctx context.Context, repo string) error {
	env := []string{"RESTIC_REPOSITORY=" + repo}
	if os.Getenv("RESTIC_PASSWORD") == "" {
		env = append(env, "RESTIC_PASSWORD=strongroom-bench")
	}
	if _, err := b.timeCommand(ctx, env, "restic", "init"); err != nil {
		return fmt.Errorf("restic init (the repository must be new): %w", err)
	}
	paths, cleanup, err := b.resticInput(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	size, err := treeSize(paths)
	if err != nil {
		return err
	}
	args := append([]string{"backup", "--quiet"}, paths...)
	for _, step := range []string{"backup", "backup, unchanged"} {
		s, err := b.timeCommand(ctx, env, "restic", args...)
		if err != nil {
			return err
		}
		b.add("restic", repo, step, s, size)
	}
	var best float64
	for run := range b.runs {
		dir := filepath.Join(b.work, fmt.Sprintf("restic-restore-%d", run))
		s, err := b.timeCommand(ctx, env, "restic", "restore", "latest", "--target", dir)
		os.RemoveAll(dir)
		if err != nil {
			return err
		}
		best = fastest(best, s)
	}
	b.add("restic", repo, "restore", best, size)
	return nil
}

// treeSize adds up the bytes of the regular files under paths.
func treeSize(paths []string) (int64, error) {
	var n int64
	for _, p := range paths {
		err := filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			info, err := d.Info()
			if err == nil {
				n += info.Size()
			}
			return err
		})
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// report prints every step, then Strongroom's time over restic's for
// each step both have, per pair of Strongroom target and restic repo.
func (b *benchBackup) report() {
	tw := tabwriter.NewWriter(b.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TOOL\tTARGET\tSTEP\tSECONDS\tMB\tMB/S\tLOAD\t")
	for _, r := range b.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%.0f\t%.0f\t%s\t\n", r.Tool, r.Target, r.Step, r.Seconds,
			float64(r.Bytes)/1e6, float64(r.Bytes)/1e6/r.Seconds, r.Load)
	}
	tw.Flush()
	fmt.Fprintln(b.stdout)
	tw = tabwriter.NewWriter(b.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STRONGROOM TARGET\tRESTIC REPO\tSTEP\tSTRONGROOM/RESTIC (time)")
	for _, s := range b.rows {
		if s.Tool != "strongroom" {
			continue
		}
		for _, r := range b.rows {
			if r.Tool == "restic" && sameStep(s.Step, r.Step) && storeKind(s.Target) == storeKind(r.Target) && r.Seconds > 0 {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\n", s.Target, r.Target, s.Step, s.Seconds/r.Seconds)
			}
		}
	}
	tw.Flush()
}

// storeKind pairs a Strongroom target with the restic repository of its
// kind: an S3 server, or the local disk.
func storeKind(u string) string {
	if strings.HasPrefix(u, "s3:") {
		return "s3"
	}
	return "local"
}

func sameStep(strongroom, restic string) bool {
	return strongroom == restic || (strongroom == "restore to live" && restic == "restore")
}

// withDatabase returns the PostgreSQL URL dsn naming another database.
func withDatabase(dsn, database string) (string, error) {
	i := strings.Index(dsn, "://")
	if i < 0 {
		return "", fmt.Errorf("not a postgres:// URL")
	}
	rest := dsn[i+3:]
	q := ""
	if j := strings.IndexByte(rest, '?'); j >= 0 {
		rest, q = rest[:j], rest[j:]
	}
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	return dsn[:i+3] + rest + "/" + database + q, nil
}

// freshInstallation is a new, empty installation beside the measured one
// with the same master key: a data directory of its own and, on
// PostgreSQL, a control database of its own (whose name prefixes its
// tenants' databases). cleanup removes it all.
func (b *benchBackup) freshInstallation(ctx context.Context, name string) (StorageConfig, func() error, error) {
	c := StorageConfig{DataDir: filepath.Join(b.work, name), MasterKey: b.cfg.MasterKey, MasterKeyFile: b.cfg.MasterKeyFile}
	if err := os.RemoveAll(c.DataDir); err != nil {
		return c, nil, err
	}
	if b.cfg.Database == "" {
		return c, func() error { return os.RemoveAll(c.DataDir) }, nil
	}
	control := "srbench_" + name
	var err error
	if c.Database, err = withDatabase(b.cfg.Database, control); err != nil {
		return c, nil, err
	}
	e, err := newEngine(c)
	if err != nil {
		return c, nil, err
	}
	// The engine names the tenant's database (its prefix is cut short).
	tenantDB := e.Placement(b.slug)
	e.Close()
	drop := func() error {
		db, err := sql.Open("pgx", b.cfg.Database)
		if err != nil {
			return err
		}
		defer db.Close()
		for _, d := range []string{tenantDB, control} {
			if _, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+d+`" WITH (FORCE)`); err != nil {
				return fmt.Errorf("drop %s: %w", d, err)
			}
		}
		return os.RemoveAll(c.DataDir)
	}
	if err := drop(); err != nil {
		return c, nil, err
	}
	return c, drop, nil
}
