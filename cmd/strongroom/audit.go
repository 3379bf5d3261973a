package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	"golang.org/x/mod/sumdb/note"

	"strongroom"
	"strongroom/audit"
	"strongroom/operators"
	"strongroom/tenancy"
)

const auditUsage = `strongroom audit: check, prove and archive a tenant's audit trail.

  strongroom audit verify TENANT              recompute the tree and check every signed checkpoint
  strongroom audit checkpoint TENANT          sign a checkpoint now and print the latest
  strongroom audit key TENANT                 print the tenant's public verifier key
  strongroom audit proof TENANT SEQ [--out FILE]
                                              write the inclusion proof of event SEQ
  strongroom audit archive TENANT --before YYYY-MM-DD --to DIR --recipient age1… [--recipients-file FILE]
                                              write the events dated before a day, encrypted
  strongroom audit verify-proof FILE --key KEY
  strongroom audit archive-verify FILE --identity FILE --key KEY
                                              check a proof or an archive offline, with the public
                                              key alone (no storage flags)

The first five take the storage flags of every command; see "strongroom audit verify --help".
`

// runAudit dispatches "strongroom audit …".
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, auditUsage)
		return errUsage
	}
	switch args[0] {
	case "verify", "checkpoint", "key":
		return auditTenantCommand(ctx, args, stdout, stderr)
	case "proof":
		return auditProof(ctx, args[1:], stdout, stderr)
	case "archive":
		return auditArchive(ctx, args[1:], stdout, stderr)
	case "verify-proof":
		return auditVerifyProof(args[1:], stdout, stderr)
	case "archive-verify":
		return auditVerifyArchive(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "strongroom audit: unknown subcommand %q\n\n%s", args[0], auditUsage)
	return errUsage
}

// openAuditLog opens one tenant's database and audit log, as the server's
// registry would, for a command that reaches no tenant data.
func openAuditLog(ctx context.Context, cfg StorageConfig, stderr io.Writer, slug string) (*tenancy.Handle, func(), error) {
	h, _, done, err := openTenantAs(ctx, cfg, stderr, slug, nil, "", nil)
	return h, done, err
}

// openTenantAs opens a tenant for a command that reads or changes its
// data: of identifies the operator (see identifyOperator), who must be
// allowed to reach the tenant, and the command is written into the
// tenant's audit trail as theirs before anything else is done. A nil of
// opens the tenant with no operator, for commands touching no tenant data.
func openTenantAs(ctx context.Context, cfg StorageConfig, stderr io.Writer, slug string, of *operatorFlags, command string, details map[string]string) (*tenancy.Handle, *operators.Operator, func(), error) {
	a, err := openApp(ctx, cfg, newLogger(stderr, "warn"))
	if err != nil {
		return nil, nil, nil, err
	}
	var op *operators.Operator
	var grant string
	if of != nil {
		if op, grant, err = operatorForTenant(ctx, a, of, slug); err != nil {
			a.Close()
			return nil, nil, nil, err
		}
	}
	h, closeDB, err := openHandle(ctx, a, cfg, slug)
	if err != nil {
		a.Close()
		return nil, nil, nil, err
	}
	done := func() { closeDB(); a.Close() }
	if op != nil {
		if grant != "" {
			details = maps.Clone(details)
			if details == nil {
				details = map[string]string{}
			}
			details["grant"] = grant
		}
		if err := recordOperatorCLIAccess(ctx, h, op, command, details); err != nil {
			done()
			return nil, nil, nil, err
		}
	}
	return h, op, done, nil
}

// openHandle opens one tenant's database and audit log as the server's
// registry would.
func openHandle(ctx context.Context, a *app, cfg StorageConfig, slug string) (*tenancy.Handle, func(), error) {
	t, err := a.control.FindTenant(ctx, slug)
	if err != nil {
		return nil, nil, err
	}
	key, err := a.keeper.Unwrap(ctx, t.WrappedKey)
	if err != nil {
		return nil, nil, fmt.Errorf("open the data key of tenant %s: %w", slug, err)
	}
	db, err := a.engine.OpenTenantDB(ctx, t.Slug, t.Placement)
	if err != nil {
		return nil, nil, err
	}
	h, err := tenancy.NewHandle(ctx, t, db, key, cfg.checkpoints())
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return h, func() { db.Close() }, nil
}

// auditTenantCommand runs verify, checkpoint and key: one tenant, no flags
// beyond storage.
func auditTenantCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	about := map[string]string{
		"verify":     "Recomputes the tenant's audit tree from its events and checks it against every signed\ncheckpoint, in the database and in the checkpoint directory. Exits 1 when anything is wrong.",
		"checkpoint": "Signs a checkpoint of the tenant's audit log now (when events arrived since the last one)\nand prints the latest signed checkpoint.",
		"key":        "Prints the tenant's public verifier key: all that offline verification of proofs and\narchives needs. Keep a copy outside Strongroom.",
	}[args[0]]
	var cfg StorageConfig
	var of *operatorFlags
	fs := newFlagSet("audit "+args[0], stderr, "strongroom audit "+args[0]+" TENANT [flags]\n\n"+about)
	cfg.register(fs)
	if args[0] == "verify" { // reads every event; checkpoint and key read none
		of = &operatorFlags{}
		of.register(fs)
	}
	rest, err := parse(fs, args[1:], 1)
	if err != nil {
		return err
	}
	h, _, closeLog, err := openTenantAs(ctx, cfg, stderr, rest[0], of, "audit verify", nil)
	if err != nil {
		return err
	}
	defer closeLog()
	switch args[0] {
	case "verify":
		return printVerify(ctx, h, stdout)
	case "checkpoint":
		cp, err := h.Audit.Checkpoint(ctx)
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, cp)
		return err
	default: // key
		key, err := h.Audit.VerifierKey(ctx)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, key)
		return err
	}
}

func printVerify(ctx context.Context, h *tenancy.Handle, stdout io.Writer) error {
	rep, err := h.Audit.Verify(ctx)
	if err != nil {
		return err
	}
	slug := h.Tenant.Slug
	if rep.OK() {
		fmt.Fprintf(stdout, "Audit log of %s: %d events, %d signed checkpoints: OK.\n", slug, rep.Events, rep.Checkpoints)
		return nil
	}
	fmt.Fprintf(stdout, "Audit log of %s: %d events read, %d signed checkpoints checked: it does NOT verify.\n",
		slug, rep.Events, rep.Checkpoints)
	for _, p := range rep.Problems {
		fmt.Fprintf(stdout, "  - %s\n", p)
	}
	if rep.FirstBadSeq > 0 {
		return fmt.Errorf("the audit log of %s does not verify: the first bad event is seq %d", slug, rep.FirstBadSeq)
	}
	return fmt.Errorf("the audit log of %s does not verify", slug)
}

func auditProof(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg StorageConfig
	var out string
	fs := newFlagSet("audit proof", stderr, "strongroom audit proof TENANT SEQ [--out FILE] [flags]\n\n"+
		"Writes the inclusion proof of audit event SEQ in the latest signed checkpoint (signing one\n"+
		"when needed) as JSON. It verifies offline: strongroom audit verify-proof FILE --key KEY.")
	cfg.register(fs)
	fs.StringVar(&out, "out", "", "write the proof to this file (0600) instead of standard output")
	var of operatorFlags
	of.register(fs)
	rest, err := parse(fs, args, 2)
	if err != nil {
		return err
	}
	seq, err := strconv.ParseInt(rest[1], 10, 64)
	if err != nil || seq < 1 {
		return strongroom.FieldError("seq", "SEQ is the number of an audit event, a whole number from 1.")
	}
	h, _, closeLog, err := openTenantAs(ctx, cfg, stderr, rest[0], &of, "audit proof", map[string]string{"seq": rest[1]})
	if err != nil {
		return err
	}
	defer closeLog()
	bundle, err := h.Audit.Proof(ctx, seq)
	if err != nil {
		return err
	}
	bundle = append(bundle, '\n')
	if out == "" {
		_, err = stdout.Write(bundle)
		return err
	}
	if err := writeFileAtomic(out, bundle); err != nil {
		return fmt.Errorf("write --out: %w", err)
	}
	fmt.Fprintf(stdout, "Wrote the proof of event %d of %s to %s.\n", seq, h.Tenant.Slug, out)
	return nil
}

// writeFileAtomic writes data to path (0600) through a temporary file in
// the same directory, so that a failure leaves no half-written file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".strongroom-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err = tmp.Chmod(0o600); err == nil {
		if _, err = tmp.Write(data); err == nil {
			err = tmp.Sync()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// verifierKey reads --key: the key itself or a file holding it.
func verifierKey(s string) (note.Verifier, string, error) {
	if s == "" {
		return nil, "", strongroom.FieldError("key", `Give the tenant's verifier key with --key (the key, or a file holding it); "strongroom audit key TENANT" prints it.`)
	}
	if st, err := os.Stat(s); err == nil && st.Mode().IsRegular() {
		b, err := os.ReadFile(s)
		if err != nil {
			return nil, "", fmt.Errorf("read --key: %w", err)
		}
		s = strings.TrimSpace(string(b))
	}
	v, err := note.NewVerifier(s)
	if err != nil {
		return nil, "", strongroom.FieldError("key", "This is not a verifier key (strongroom/tenant/SLUG+hash+key), nor a file holding one.")
	}
	return v, s, nil
}

func auditVerifyProof(args []string, stdout, stderr io.Writer) error {
	var key string
	fs := newFlagSet("audit verify-proof", stderr, "strongroom audit verify-proof FILE --key KEY\n\n"+
		"Checks a proof written by \"strongroom audit proof\" with nothing but the proof and the\n"+
		"tenant's public verifier key: the checkpoint's signature and the event's inclusion.")
	fs.StringVar(&key, "key", "", "the tenant's verifier key, or a file holding it")
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	v, key, err := verifierKey(key)
	if err != nil {
		return err
	}
	bundle, err := os.ReadFile(rest[0])
	if err != nil {
		return fmt.Errorf("read the proof: %w", err)
	}
	if err := audit.VerifyProofBundle(bundle, key); err != nil {
		return err
	}
	var b audit.ProofBundle
	if err := json.Unmarshal(bundle, &b); err != nil {
		return err
	}
	what := ""
	if e, err := audit.ParseEvent(b.Event); err == nil {
		what = fmt.Sprintf(" (%s at %s)", e.Action, e.Time.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(stdout, "The proof verifies: event %d%s is in the tree of %d events signed by %s.\n",
		b.Seq, what, b.TreeSize, v.Name())
	return nil
}

// listFlag is a flag that may be given more than once.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func auditArchive(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg StorageConfig
	var before, dir, recipientsFile string
	var recipientList listFlag
	fs := newFlagSet("audit archive", stderr, "strongroom audit archive TENANT --before YYYY-MM-DD --to DIR --recipient age1… [flags]\n\n"+
		"Writes every audit event dated before the start (UTC) of a day, with the proof that ties them to\n"+
		"a signed checkpoint, gzip-compressed and encrypted with age, to DIR/TENANT-audit-before-DATE.jsonl.gz.age.\n"+
		"The log itself is left as it is.")
	cfg.register(fs)
	fs.StringVar(&before, "before", "", "archive events dated before this day (YYYY-MM-DD, UTC)")
	fs.StringVar(&dir, "to", "", "directory to write the archive to (created 0700 if absent)")
	fs.Var(&recipientList, "recipient", "an age recipient (age1…) to encrypt to; repeat for several")
	fs.StringVar(&recipientsFile, "recipients-file", "", "a file of age recipients, one a line (# comments allowed)")
	var of operatorFlags
	of.register(fs)
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	day, err := time.Parse("2006-01-02", before)
	if err != nil {
		return strongroom.FieldError("before", "Give --before as a day, YYYY-MM-DD.")
	}
	if dir == "" {
		return strongroom.FieldError("to", "Give the directory to write the archive to with --to.")
	}
	recipients, err := ageRecipients(recipientList, recipientsFile)
	if err != nil {
		return err
	}
	slug := rest[0]
	path := filepath.Join(dir, fmt.Sprintf("%s-audit-before-%s.jsonl.gz.age", slug, day.Format("2006-01-02")))
	if _, err := os.Stat(path); err == nil {
		return strongroom.Errorf(strongroom.ECONFLICT, "%s already exists; an archive is never overwritten.", path)
	}
	h, _, closeLog, err := openTenantAs(ctx, cfg, stderr, slug, &of, "audit archive", map[string]string{"before": day.Format("2006-01-02")})
	if err != nil {
		return err
	}
	defer closeLog()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create --to: %w", err)
	}
	if err := writeArchive(ctx, h, day, path, recipients); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote the audit events of %s dated before %s to %s, encrypted to %d recipients.\n",
		slug, day.Format("2006-01-02"), path, len(recipients))
	fmt.Fprintf(stdout, "Check it with: strongroom audit archive-verify %s --identity FILE --key KEY\n", path)
	return nil
}

// writeArchive writes the archive to a temporary file beside path and
// renames it into place once complete.
func writeArchive(ctx context.Context, h *tenancy.Handle, before time.Time, path string, recipients []age.Recipient) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".archive-*")
	if err != nil {
		return fmt.Errorf("create the archive: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("create the archive: %w", err)
	}
	err = h.Audit.Archive(ctx, before, tmp, recipients)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return strongroom.Errorf(strongroom.ECONFLICT, "%s already exists; an archive is never overwritten.", path)
	}
	return os.Rename(tmp.Name(), path)
}

// ageRecipients parses --recipient and --recipients-file.
func ageRecipients(list []string, file string) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, s := range list {
		r, err := age.ParseX25519Recipient(strings.TrimSpace(s))
		if err != nil {
			return nil, strongroom.FieldError("recipient", "%q is not an age recipient (age1…).", s)
		}
		out = append(out, r)
	}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, strongroom.FieldError("recipients-file", "%s cannot be read.", file)
		}
		defer f.Close()
		rs, err := age.ParseRecipients(f)
		if err != nil {
			return nil, strongroom.FieldError("recipients-file", "%s does not hold age recipients: %v.", file, err)
		}
		out = append(out, rs...)
	}
	if len(out) == 0 {
		return nil, strongroom.FieldError("recipient", "An archive is encrypted: give at least one --recipient age1… or a --recipients-file.")
	}
	return out, nil
}

// identities is an age identity that is any of several.
type identities []age.Identity

func (ids identities) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	for _, id := range ids {
		key, err := id.Unwrap(stanzas)
		if errors.Is(err, age.ErrIncorrectIdentity) {
			continue
		}
		return key, err
	}
	return nil, age.ErrIncorrectIdentity
}

func auditVerifyArchive(args []string, stdout, stderr io.Writer) error {
	var key, identityFile string
	fs := newFlagSet("audit archive-verify", stderr, "strongroom audit archive-verify FILE --identity FILE --key KEY\n\n"+
		"Decrypts an archive written by \"strongroom audit archive\" and checks it with nothing but the\n"+
		"tenant's public verifier key: the signed checkpoint, that no event is missing or altered, and\n"+
		"that the events are the first leaves of the signed tree.")
	fs.StringVar(&identityFile, "identity", "", "a file holding the age identity (AGE-SECRET-KEY-1…) the archive was encrypted to")
	fs.StringVar(&key, "key", "", "the tenant's verifier key, or a file holding it")
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	_, key, err = verifierKey(key)
	if err != nil {
		return err
	}
	if identityFile == "" {
		return strongroom.FieldError("identity", "Give the file holding the archive's age identity with --identity.")
	}
	idf, err := os.Open(identityFile)
	if err != nil {
		return strongroom.FieldError("identity", "%s cannot be read.", identityFile)
	}
	ids, err := age.ParseIdentities(idf)
	idf.Close()
	if err != nil {
		// age's message is left out: it may quote the file.
		return strongroom.FieldError("identity", "%s does not hold an age identity (AGE-SECRET-KEY-1…).", identityFile)
	}
	f, err := os.Open(rest[0])
	if err != nil {
		return fmt.Errorf("read the archive: %w", err)
	}
	defer f.Close()
	info, err := audit.VerifyArchive(f, identities(ids), key)
	if err != nil {
		return err
	}
	cut := info.Before.UTC().Format("2006-01-02 15:04:05 MST")
	if info.Events == 0 {
		fmt.Fprintf(stdout, "The archive verifies; it holds no events (none of %s is dated before %s).\n", info.Origin, cut)
		return nil
	}
	fmt.Fprintf(stdout, "The archive verifies: events 1–%d of %s, dated before %s, are the first %d of the %d in its signed checkpoint.\n",
		info.Events, info.Origin, cut, info.Events, info.TreeSize)
	return nil
}
