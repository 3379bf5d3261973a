package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"strongroom"
	"strongroom/witness"
)

const witnessUsage = `strongroom witness: cosign tenants' audit checkpoints (C2SP tlog-witness).

  strongroom witness keygen --name NAME --out FILE   make a witness key; prints its public key
  strongroom witness serve --key FILE --logs FILE --state FILE [--addr ADDR] [--tls-cert F --tls-key F]
                                                      serve POST /add-checkpoint
`

// runWitness dispatches "strongroom witness …".
func runWitness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, witnessUsage)
		return errUsage
	}
	switch args[0] {
	case "keygen":
		var name, out string
		fs := newFlagSet("witness keygen", stderr, "strongroom witness keygen --name NAME --out FILE\n\nWrites a new witness private key to FILE (mode 0600, never overwritten) and prints\nthe public cosignature key that logs and tenants pin.")
		fs.StringVar(&name, "name", "", "the witness's name, e.g. witness.example.org")
		fs.StringVar(&out, "out", "", "file for the private key")
		if _, err := parse(fs, args[1:], 0); err != nil {
			return err
		}
		if name == "" {
			return strongroom.FieldError("name", "Name the witness (--name).")
		}
		if out == "" {
			return strongroom.FieldError("out", "Name the private key's file (--out).")
		}
		skey, vkey, err := witness.GenerateKey(name)
		if err != nil {
			return strongroom.FieldError("name", "%q is not a valid witness name.", name)
		}
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return strongroom.FieldError("out", "Cannot create %s (it must not exist yet).", out)
		}
		if _, err := f.WriteString(skey + "\n"); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, vkey)
		return err
	case "serve":
		return witnessServe(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "strongroom witness: unknown subcommand %q\n\n%s", args[0], witnessUsage)
	return errUsage
}

func witnessServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var keyFile, logsFile, state, addr, cert, key string
	fs := newFlagSet("witness serve", stderr, "strongroom witness serve --key FILE --logs FILE --state FILE [flags]\n\n"+
		"Cosigns the checkpoints of the logs listed in --logs (lines \"ORIGIN KEY\"; a tenant's are printed by\n"+
		"\"strongroom audit key TENANT\", ORIGIN strongroom/tenant/SLUG), each only when it extends the last\n"+
		"one cosigned. Without --tls-cert it serves plain HTTP: put it behind a TLS proxy, or on loopback.")
	fs.StringVar(&keyFile, "key", "", "the witness's private key file (from keygen)")
	fs.StringVar(&logsFile, "logs", "", "file of the logs to cosign, \"ORIGIN KEY\" a line")
	fs.StringVar(&state, "state", "", "file of the last tree size and root seen per log (kept across restarts)")
	fs.StringVar(&addr, "addr", "127.0.0.1:8444", "listen address")
	fs.StringVar(&cert, "tls-cert", "", "PEM certificate file (with --tls-key)")
	fs.StringVar(&key, "tls-key", "", "PEM private key file (with --tls-cert)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	for _, f := range [][2]string{{"key", keyFile}, {"logs", logsFile}, {"state", state}} {
		if f[1] == "" {
			return strongroom.FieldError(f[0], "--%s is required.", f[0])
		}
	}
	if (cert == "") != (key == "") {
		return strongroom.FieldError("tls-cert", "Give both --tls-cert and --tls-key, or neither.")
	}
	skey, err := os.ReadFile(keyFile)
	if err != nil {
		return strongroom.FieldError("key", "Cannot read %s.", keyFile)
	}
	lf, err := os.Open(logsFile)
	if err != nil {
		return strongroom.FieldError("logs", "Cannot read %s.", logsFile)
	}
	logs, err := witness.ParseLogs(lf)
	lf.Close()
	if err != nil {
		return strongroom.FieldError("logs", "%s: %s.", logsFile, err.Error())
	}
	w, err := witness.New(strings.TrimSpace(string(skey)), logs, state)
	if err != nil {
		return strongroom.FieldError("key", "%s.", err.Error())
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return strongroom.FieldError("addr", "Cannot listen on %s.", addr)
	}
	srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12}}
	fmt.Fprintf(stdout, "witness %s cosigning %d logs on %s\n", w.VerifierKey(), len(logs), ln.Addr())
	go func() {
		<-ctx.Done()
		// The serving context is done by now; the shutdown keeps its
		// values and gets five seconds of its own.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if cert != "" {
		err = srv.ServeTLS(ln, cert, key)
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
