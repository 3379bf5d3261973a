package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"strongroom"
	"strongroom/backup"
	"strongroom/blob"
	"strongroom/erasure"
	"strongroom/operators"
	"strongroom/store"
	"strongroom/store/sqlite"
)

func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg StorageConfig
	var from, at, id, identity, as, name string
	fs := newFlagSet("restore", stderr, "strongroom restore SLUG --from TARGET-URL [--at TIME|--backup ID] [--as NEW-SLUG] [flags]\n\n"+
		"Restores a tenant from one backup target onto this server, which needs only the master key and the\n"+
		"backup identity. The backup's manifest and every part are checked before anything is written; the\n"+
		"tenant is created all or nothing, on this server's engine (--database for PostgreSQL). With --as the\n"+
		"backup of SLUG becomes a new tenant NEW-SLUG beside the original (a copy: its audit trail goes on\n"+
		"from the original's, under the original's name and verifier key).")
	cfg.register(fs)
	fs.StringVar(&from, "from", "", "the backup target to restore from (file:///…, s3://…, …)")
	fs.StringVar(&at, "at", "", "restore the newest backup taken at or before this time (RFC 3339, or 2006-01-02 15:04 UTC)")
	fs.StringVar(&id, "backup", "", "restore the backup with this id (see strongroom backup list)")
	stringFlag(fs, &identity, "backup-identity", "", "age identity file that opens the backups")
	fs.StringVar(&as, "as", "", "restore the backup as a new tenant with this slug, beside the original")
	fs.StringVar(&name, "display-name", "", "the restored tenant's display name (default: the backup's; with --as, the backup's marked \"(copy)\")")
	var of operatorFlags
	of.register(fs)
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	opt := backup.RestoreOptions{Slug: rest[0], BackupID: id, As: as, DisplayName: name}
	if as != "" {
		if err := strongroom.ValidateSlug(as); err != nil {
			return strongroom.FieldError("as", "%s", strongroom.ErrorMessage(err))
		}
		if as == rest[0] {
			opt.As = ""
		}
	}
	if opt.At, err = parseAt(at); err != nil {
		return err
	}
	if at != "" && id != "" {
		return strongroom.FieldError("at", "Choose the backup by --at or by --backup, not both.")
	}
	if from == "" {
		return strongroom.FieldError("from", "Name the target to restore from (--from URL).")
	}
	if identity == "" {
		return strongroom.FieldError("backup-identity", "Name the age identity file that opens the backups (--backup-identity FILE).")
	}
	ids, err := backup.LoadIdentities(identity)
	if err != nil {
		return err
	}
	target, err := blob.Open(ctx, from)
	if err != nil {
		return err
	}
	defer target.Close()
	schema, err := tenantSchemaVersion(ctx)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, newLogger(stderr, "warn"))
	if err != nil {
		return err
	}
	defer a.Close()
	op, _, err := operatorForTenant(ctx, a, &of, opt.Slug) // a tenant held here is never restored over: no grant
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	p := newProgress(stderr)
	r := &backup.Restorer{Tenants: a.tenants, Keeper: a.keeper, Identities: ids,
		FilesDir: cfg.files(), CheckpointDir: cfg.checkpoints(), TmpDir: cfg.DataDir,
		SchemaVersion: schema, Progress: p.report, Log: a.log,
		AfterLoad: backup.ReapplyLedger(erasure.New(a.db, a.log), target, ids)}
	begin := time.Now()
	out, err := r.Restore(store.WithTimeout(ctx, 0), target, opt)
	p.finish()
	if err != nil {
		return err
	}
	copyOf := ""
	if out.Tenant.Slug != opt.Slug {
		copyOf = " as a copy of " + opt.Slug
	}
	fmt.Fprintf(stdout, "Restored tenant %s (%s)%s from backup %s of %s (taken %s) in %s: %d document files.\n",
		out.Tenant.Slug, out.Tenant.DisplayName, copyOf, out.Backup.ID, target.Name(),
		out.Backup.Time.UTC().Format("2006-01-02 15:04:05Z"), time.Since(begin).Round(time.Second), out.Files)
	if out.KeystoreMissing {
		fmt.Fprintln(stdout, "The backup's audit key store had expired: personal values in its audit trail stay sealed.")
	}
	if err := recordRestore(ctx, a, cfg, op, out.Tenant.Slug, out.Backup.ID); err != nil {
		return err
	}
	reextractAfterRestore(ctx, a.db, stdout, out.Tenant.Slug)
	return nil
}

func parseAt(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, strongroom.FieldError("at", "%q is not a time (2026-01-02T15:04:05Z, 2026-01-02 15:04 or 2026-01-02, UTC).", s)
}

// tenantSchemaVersion is the newest tenant schema this binary has, read
// from a scratch database: a backup of a newer one is refused before
// anything is written. Both engines number their migrations alike.
func tenantSchemaVersion(ctx context.Context) (int, error) {
	dir, err := os.MkdirTemp("", "strongroom-schema-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	e, err := sqlite.New(dir)
	if err != nil {
		return 0, err
	}
	defer e.Close()
	p, err := e.CreateTenantDB(ctx, "schema")
	if err != nil {
		return 0, err
	}
	db, err := e.OpenTenantDB(ctx, "schema", p)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return store.SchemaVersion(ctx, db)
}

// progress shows a restore's stages: a bar on a terminal, plain lines
// otherwise (one per stage and every tenth of the way).
type progress struct {
	w     io.Writer
	tty   bool
	bar   *progressbar.ProgressBar
	stage string
	step  int64
}

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, tty: ok && term.IsTerminal(int(f.Fd()))}
}

var stageNames = map[string]string{"download": "Downloading and checking", "database": "Loading the database",
	"files": "Placing document files", "checks": "Checking the restored tenant"}

func (p *progress) report(stage string, done, total int64) {
	if stage != p.stage {
		p.finish()
		p.stage, p.step = stage, 0
		if p.tty {
			bytes := stage == "download" || stage == "database"
			p.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(p.w),
				progressbar.OptionSetDescription(stageNames[stage]), progressbar.OptionShowCount(),
				progressbar.OptionShowBytes(bytes), progressbar.OptionClearOnFinish())
		} else {
			fmt.Fprintf(p.w, "%s…\n", stageNames[stage])
		}
	}
	if p.bar != nil {
		p.bar.Set64(done)
		return
	}
	if total > 0 && done*10/total > p.step {
		p.step = done * 10 / total
		fmt.Fprintf(p.w, "  %s: %d%%\n", stageNames[stage], p.step*10)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}

// recordRestore writes who restored the tenant into its (restored) trail.
func recordRestore(ctx context.Context, a *app, cfg StorageConfig, op *operators.Operator, slug, backupID string) error {
	h, closeDB, err := openHandle(ctx, a, cfg, slug)
	if err != nil {
		return err
	}
	defer closeDB()
	return recordOperatorCLIAccess(ctx, h, op, "restore", map[string]string{"backup": backupID})
}
