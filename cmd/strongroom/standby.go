package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"strongroom"
	"strongroom/backup"
	"strongroom/backup/standby"
	"strongroom/blob"
	"strongroom/erasure"
	"strongroom/store"
	"strongroom/store/sqlite"
	"strongroom/tenancy"
)

// standbyFlags are what the standby commands share.
type standbyFlags struct {
	cfg      StorageConfig
	from     string
	identity string
}

func runStandby(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "promote" {
		return runStandbyPromote(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "status" {
		return runStandbyStatus(ctx, args[1:], stdout, stderr)
	}
	var f standbyFlags
	var every time.Duration
	var statusAddr, tlsCert, tlsKey, logLevel string
	var once bool
	fs := newFlagSet("standby", stderr, "strongroom standby --from TARGET-URL --backup-identity FILE [--every 5m] [flags]\n\n"+
		"Keeps this installation a warm standby of every tenant on the backup target: each tenant's newest committed\n"+
		"backup is restored beside the copy held and replaces it only once every check passed. It serves nothing but\n"+
		"a status page; \"strongroom standby promote\" makes it the primary.")
	f.cfg.register(fs)
	stringFlag(fs, &f.from, "from", "", "the backup target to follow (file:///…, s3://…, …)")
	stringFlag(fs, &f.identity, "backup-identity", "", "age identity file that opens the backups")
	durationFlag(fs, &every, "every", 5*time.Minute, "look for newer backups this often")
	stringFlag(fs, &statusAddr, "status-addr", "127.0.0.1:8090", "address of the status page (it lists the tenants: keep it private); empty: none")
	stringFlag(fs, &tlsCert, "tls-cert", "", "PEM certificate file for the status page (with --tls-key); none: plain HTTP")
	stringFlag(fs, &tlsKey, "tls-key", "", "PEM private key file for the status page")
	stringFlag(fs, &logLevel, "log-level", "info", "debug, info, warn or error")
	boolFlag(fs, &once, "once", "make one pass and exit (for a drill, or a standby run from a timer)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if every < time.Second {
		return strongroom.FieldError("every", "The interval must be at least a second.")
	}
	log := newLogger(stderr, logLevel)
	s, a, target, cleanup, err := openStandby(ctx, f, log)
	if err != nil {
		return err
	}
	defer cleanup()
	lock, err := standby.TryLock(ctx, f.cfg.DataDir, 0)
	if err != nil {
		return err
	}
	defer lock.Release()
	if err := standby.Become(ctx, s); err != nil {
		return err
	}
	if err := s.Recover(ctx); err != nil {
		return err
	}
	report := func(res []standby.Result, err error) { printPass(stdout, res, err) }
	if once {
		res, err := s.Pass(ctx, target)
		report(res, err)
		return passError(res, err)
	}
	if statusAddr != "" {
		srv, err := serveStatus(a, statusAddr, tlsCert, tlsKey, target.Name(), every)
		if err != nil {
			return err
		}
		defer srv.Close()
		fmt.Fprintf(stdout, "Standby status at %s\n", statusURL(srv.Addr, tlsCert != ""))
	}
	fmt.Fprintf(stdout, "Standby of %s: looking for newer backups every %s. Not serving until \"strongroom standby promote\".\n", target.Name(), every)
	err = s.Run(ctx, target, every, report)
	if errors.Is(err, standby.ErrPromoting) {
		fmt.Fprintln(stdout, "A promotion began; the standby stopped.")
		return nil
	}
	return err
}

// openStandby opens the installation and the target and builds the
// standby service.
func openStandby(ctx context.Context, f standbyFlags, log *slog.Logger) (*standby.Service, *app, blob.Store, func(), error) {
	if f.from == "" {
		return nil, nil, nil, nil, strongroom.FieldError("from", "Name the backup target to follow (--from URL).")
	}
	if f.identity == "" {
		return nil, nil, nil, nil, strongroom.FieldError("backup-identity", "Name the age identity file that opens the backups (--backup-identity FILE).")
	}
	ids, err := backup.LoadIdentities(f.identity)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	target, err := blob.Open(ctx, f.from)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	s, a, err := newStandbyService(ctx, f.cfg, log)
	if err != nil {
		target.Close()
		return nil, nil, nil, nil, err
	}
	s.Identities = ids
	// Every standby copy re-applies the erasure ledger before it is
	// accepted, exactly as restore does: an older backup never brings an
	// erased person back, on the standby or after its promotion.
	s.AfterLoad = func(t blob.Store) func(context.Context, *tenancy.Handle, string) error {
		return backup.ReapplyLedger(erasure.New(a.db, a.log), t, ids)
	}
	return s, a, target, func() { a.Close(); target.Close() }, nil
}

func newStandbyService(ctx context.Context, cfg StorageConfig, log *slog.Logger) (*standby.Service, *app, error) {
	schema, err := tenantSchemaVersion(ctx)
	if err != nil {
		return nil, nil, err
	}
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		a.Close()
		return nil, nil, fmt.Errorf("data directory: %w", err)
	}
	s := &standby.Service{Engine: a.engine, Control: a.control, Keeper: a.keeper,
		DataDir: cfg.DataDir, FilesDir: cfg.files(), CheckpointDir: cfg.checkpoints(), SchemaVersion: schema,
		OpenStageControl: openStageControl, Log: log}
	return s, a, nil
}

// openStageControl makes the scratch control plane of one staged restore:
// a SQLite file whichever engine the tenants are on.
func openStageControl(ctx context.Context, dir string) (*store.DB, error) {
	e, err := sqlite.New(dir)
	if err != nil {
		return nil, err
	}
	return e.OpenControl(ctx)
}

func serveStatus(a *app, addr, cert, key, target string, every time.Duration) (*http.Server, error) {
	if (cert == "") != (key == "") {
		return nil, strongroom.FieldError("tls-cert", "Give both --tls-cert and --tls-key, or neither.")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, strongroom.FieldError("status-addr", "Cannot listen on %s: %v.", addr, err)
	}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: standby.StatusHandler(a.control, target, every, time.Now),
		ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if cert != "" {
			srv.ServeTLS(ln, cert, key)
		} else {
			srv.Serve(ln)
		}
	}()
	return srv, nil
}

func statusURL(addr string, tls bool) string {
	if tls {
		return "https://" + addr + "/"
	}
	return "http://" + addr + "/"
}

func printPass(w io.Writer, res []standby.Result, err error) {
	for _, r := range res {
		switch {
		case r.Restored != "":
			fmt.Fprintf(w, "%s: restored backup %s\n", r.Slug, r.Restored)
			if r.Err != nil {
				fmt.Fprintf(w, "%s: a newer backup was refused: %s\n", r.Slug, describe(r.Err))
			}
		case r.Err != nil:
			fmt.Fprintf(w, "%s: not restored, the copy held stays: %s\n", r.Slug, describe(r.Err))
		default:
			fmt.Fprintf(w, "%s: up to date\n", r.Slug)
		}
	}
	if err != nil {
		fmt.Fprintf(w, "The pass stopped: %s\n", describe(err))
	}
}

// passError is the error of a one-off pass: the first failure, so that a
// drill or a timer sees it in the exit code.
func passError(res []standby.Result, err error) error {
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Err != nil && r.Restored == "" {
			return fmt.Errorf("tenant %s was not restored: %w", r.Slug, r.Err)
		}
	}
	return nil
}
