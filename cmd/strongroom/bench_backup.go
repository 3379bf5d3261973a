package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"strongroom"
	"strongroom/backup"
	"strongroom/blob"
	"strongroom/tenancy"
)

// benchBackup is one "strongroom bench backup" run: the tenant, where
// its installation keeps things, and where the scratch copies go.
type benchBackup struct {
	cfg      StorageConfig
	slug     string
	targets  []string
	restic   []string
	runs     int
	work     string
	identity string // age identity file; its recipient encrypts the backups
	self     string // this binary: each backup and restore is its own process, as an operator runs it
	stdout   io.Writer
	log      io.Writer // the commands' own output
	rows     []benchRow
}

// benchRow is one timed step.
type benchRow struct {
	Tool, Target, Step string
	Seconds            float64
	Bytes              int64
	Load               string
}

// runBenchBackup is "strongroom bench backup": the command line of each
// step is the one an operator types, so the figures include opening the
// installation, and a restore is timed until the tenant opens live.
func runBenchBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	b := &benchBackup{stdout: stdout, log: stderr}
	var targets, restic targetList
	fs := newFlagSet("bench backup", stderr, "strongroom bench backup SLUG --target URL [--target URL…] [--restic-repo REPO…] [flags]\n\n"+
		"Times, side by side, a backup of the tenant to each target (first, then again unchanged), a restore\n"+
		"from each onto a fresh data directory (a new control database, the same master key) until the tenant\n"+
		"opens, and restic backing up and restoring the same data (the tenant's database file or a pg_dump of\n"+
		"it, its checkpoints and document files) to each --restic-repo. RESTIC_PASSWORD and, for s3: repos,\n"+
		"AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY come from the environment.")
	b.cfg.register(fs)
	fs.Var(&targets, "target", "backup target URL, repeatable (file:///…, s3://…)")
	fs.Var(&restic, "restic-repo", "restic repository to compare with, repeatable (a directory, s3:http://host:port/bucket)")
	fs.IntVar(&b.runs, "runs", 1, "time each step this many times and keep the fastest")
	fs.StringVar(&b.work, "work", "strongroom-bench-backup", "scratch directory for the restored copies (on the disk being measured)")
	fs.StringVar(&b.identity, "backup-identity", "", "age identity file (default: one generated in --work)")
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	b.slug, b.targets, b.restic = rest[0], targets, restic
	if len(b.targets) == 0 {
		return strongroom.FieldError("target", "Name at least one backup target (--target URL).")
	}
	if b.runs < 1 {
		return strongroom.FieldError("runs", "Say how many times to time each step: 1 or more.")
	}
	if b.self, err = os.Executable(); err != nil {
		return fmt.Errorf("find this program: %w", err)
	}
	if err := os.MkdirAll(b.work, 0o700); err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	if err := b.ensureIdentity(); err != nil {
		return err
	}
	return b.run(ctx)
}

func (b *benchBackup) run(ctx context.Context) error {
	for i, t := range b.targets {
		if err := b.benchTarget(ctx, i, t); err != nil {
			return err
		}
	}
	for _, repo := range b.restic {
		if err := b.benchRestic(ctx, repo); err != nil {
			return err
		}
	}
	b.report()
	return nil
}

// ensureIdentity generates the backups' age identity when none is named.
func (b *benchBackup) ensureIdentity() error {
	if b.identity != "" {
		return nil
	}
	b.identity = filepath.Join(b.work, "backup.key")
	if _, err := os.Stat(b.identity); err == nil {
		return nil
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	return os.WriteFile(b.identity, []byte(id.String()+"\n"), 0o600)
}

func (b *benchBackup) recipient() (string, error) {
	ids, err := backup.LoadIdentities(b.identity)
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		if x, ok := id.(*age.X25519Identity); ok {
			return x.Recipient().String(), nil
		}
	}
	return "", strongroom.FieldError("backup-identity", "The identity file holds no X25519 identity.")
}

// storageArgs are the flags that point a child command at an installation.
func storageArgs(c StorageConfig) []string {
	var out []string
	add := func(name, v string) {
		if v != "" {
			out = append(out, "--"+name, v)
		}
	}
	add("data-dir", c.DataDir)
	add("database", c.Database)
	add("master-key-file", c.MasterKeyFile)
	add("master-key", c.MasterKey)
	add("files-dir", c.FilesDir)
	add("checkpoint-dir", c.CheckpointDir)
	return out
}

// benchTarget times the first backup, the unchanged second one and a
// restore, each b.runs times (a backup run adds a backup each time).
func (b *benchBackup) benchTarget(ctx context.Context, i int, target string) error {
	name := targetName(target)
	rcpt, err := b.recipient()
	if err != nil {
		return err
	}
	args := append([]string{"backup", "run", b.slug, "--backup-target", target, "--backup-recipient", rcpt}, storageArgs(b.cfg)...)
	for _, step := range []string{"backup", "backup, unchanged"} {
		var best float64
		for range b.runs {
			if step == "backup" {
				// A first backup: the target's document files are sent anew.
				if err := b.emptyTarget(ctx, target); err != nil {
					return err
				}
			}
			s, err := b.timeCommand(ctx, nil, b.self, args...)
			if err != nil {
				return fmt.Errorf("%s to %s: %w", step, name, err)
			}
			best = fastest(best, s)
		}
		size, err := b.lastBackupSize(ctx, target)
		if err != nil {
			return err
		}
		b.add("strongroom", name, step, best, size)
	}
	if err := b.benchRestore(ctx, i, target); err != nil {
		return err
	}
	// The next measurements need the disk space more than these copies.
	return b.emptyTarget(ctx, target)
}

func fastest(best, s float64) float64 {
	if best == 0 || s < best {
		return s
	}
	return best
}

// benchRestore restores onto a fresh installation until the tenant opens.
func (b *benchBackup) benchRestore(ctx context.Context, i int, target string) error {
	var best float64
	size, err := b.lastBackupSize(ctx, target)
	if err != nil {
		return err
	}
	for run := range b.runs {
		fresh, cleanup, err := b.freshInstallation(ctx, fmt.Sprintf("restore%d_%d", i, run))
		if err != nil {
			return err
		}
		args := append([]string{"restore", b.slug, "--from", target, "--backup-identity", b.identity}, storageArgs(fresh)...)
		begin := time.Now()
		_, err = b.timeCommand(ctx, nil, b.self, args...)
		if err == nil {
			err = openLive(ctx, fresh, b.slug)
		}
		s := time.Since(begin).Seconds()
		if cerr := cleanup(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("restore from %s: %w", targetName(target), err)
		}
		best = fastest(best, s)
	}
	b.add("strongroom", targetName(target), "restore to live", best, size)
	return nil
}

// openLive opens the restored tenant as a server would: its handle from
// the registry, database migrated and audit trail keyed.
func openLive(ctx context.Context, cfg StorageConfig, slug string) error {
	a, err := openApp(ctx, cfg, newLogger(io.Discard, "warn"))
	if err != nil {
		return err
	}
	defer a.Close()
	return withTenant(ctx, a, cfg, slug, func(h *tenancy.Handle) error {
		if h.Tenant.Status != "active" {
			return fmt.Errorf("the restored tenant is %s, not active", h.Tenant.Status)
		}
		return nil
	})
}

// timeCommand runs a command, its output to b.log, and returns its seconds.
func (b *benchBackup) timeCommand(ctx context.Context, env []string, name string, args ...string) (float64, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = b.log, b.log
	cmd.Env = append(os.Environ(), env...)
	fmt.Fprintf(b.log, "$ %s %s\n", filepath.Base(name), strings.Join(redact(args), " "))
	begin := time.Now()
	err := cmd.Run()
	s := time.Since(begin).Seconds()
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", filepath.Base(name), args[0], err)
	}
	fmt.Fprintf(b.log, "  %.1f s (load %s)\n", s, loadAverage())
	return s, nil
}

// redact hides the credentials an s3:// URL carries.
func redact(args []string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		out[i] = targetName(a)
	}
	return out
}

// targetName is a URL without its query (where S3 credentials go).
func targetName(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// lastBackupSize is the size of the newest committed backup on target.
func (b *benchBackup) lastBackupSize(ctx context.Context, target string) (int64, error) {
	t, err := blob.Open(ctx, target)
	if err != nil {
		return 0, err
	}
	defer t.Close()
	es, err := backup.List(ctx, t, b.slug)
	if err != nil {
		return 0, err
	}
	if len(es) == 0 {
		return 0, fmt.Errorf("%s holds no backup of %s", targetName(target), b.slug)
	}
	newest := es[0]
	for _, e := range es {
		if e.Time.After(newest.Time) {
			newest = e
		}
	}
	return newest.Size, nil
}

// emptyTarget deletes every object on target, for a first backup.
func (b *benchBackup) emptyTarget(ctx context.Context, target string) error {
	t, err := blob.Open(ctx, target)
	if err != nil {
		return err
	}
	defer t.Close()
	var keys []string
	if err := t.List(ctx, "", func(i blob.Info) error { keys = append(keys, i.Key); return nil }); err != nil {
		return fmt.Errorf("list %s: %w", targetName(target), err)
	}
	for _, k := range keys {
		if err := t.Delete(ctx, k); err != nil {
			return fmt.Errorf("empty %s: %w", targetName(target), err)
		}
	}
	return nil
}

func (b *benchBackup) add(tool, target, step string, s float64, bytes int64) {
	b.rows = append(b.rows, benchRow{Tool: tool, Target: target, Step: step, Seconds: s, Bytes: bytes, Load: loadAverage()})
}

// loadAverage is the machine's one-minute load, for beside each figure.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
