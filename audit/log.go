// Package audit is Strongroom's audit trail: one append-only, tamper-evident
// log per tenant, kept in the tenant's own database.
//
// Every event is written by Append inside the caller's transaction, so a
// change and its event commit together or not at all. Events are the leaves
// of an RFC 6962 Merkle tree; a leaf is the hash of the event's canonical
// bytes exactly as stored. Checkpoints of the tree are signed notes in the
// C2SP tlog-checkpoint format, kept in the database and, as files, outside
// it. Verify recomputes the tree and checks it against every checkpoint;
// Proof and Archive produce material that verifies offline with only the
// tenant's public verifier key.
//
// Personal values are sealed under a key per data subject (audit_subject_keys)
// so that erasing a person deletes one key and leaves every stored byte, and
// therefore every leaf hash and signature, as it was.
package audit

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"strongroom"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/witness"
)

// Log is the audit log of one tenant. It is safe for concurrent use.
type Log struct {
	db       *store.DB
	slug     string
	sealedAs string // the slug its keys and values are bound to (see OpenAs)
	origin   string // names the log in checkpoints: "strongroom/tenant/SEALED-AS"
	dataKey  []byte
	nameKey  []byte // HMAC key for unknown user names, derived from dataKey
	dir      string // checkpoint files outside the database
	signer   note.Signer
	verifier note.Verifier
	vkey     string
	now      func() time.Time
	hasher   *rfc6962.Hasher
	rf       *compact.RangeFactory

	witnessMu sync.Mutex
	witnesses []*witness.Client // see SetWitnesses
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Origin returns the checkpoint origin line of the tenant with slug.
func Origin(slug string) string { return "strongroom/tenant/" + slug }

// Open returns the audit log in db, the database of the tenant slug.
// dataKey is the tenant's 32-byte data key; it seals the checkpoint signing
// key (made here on first use) and the per-subject keys. checkpointDir is
// where checkpoint files are written, outside the database (for example
// DATA/checkpoints/SLUG); it is created with mode 0700.
func Open(ctx context.Context, db *store.DB, slug string, dataKey []byte, checkpointDir string) (*Log, error) {
	return OpenAs(ctx, db, slug, slug, dataKey, checkpointDir)
}

// OpenAs is Open for a tenant whose log was begun by the tenant sealedAs: a
// copy restored beside its original under the slug slug. Its signing key,
// subject keys and sealed values are bound to sealedAs and its checkpoints
// carry sealedAs's origin, so that the copy's trail up to the restore is
// the original's, verifiable with the original's verifier key.
func OpenAs(ctx context.Context, db *store.DB, slug, sealedAs string, dataKey []byte, checkpointDir string) (*Log, error) {
	if !slugPattern.MatchString(slug) {
		return nil, strongroom.FieldError("slug", "Tenant slug %q is not valid for an audit log.", slug)
	}
	if !slugPattern.MatchString(sealedAs) {
		return nil, strongroom.Errorf(strongroom.EINTERNAL, "audit log of %s: the sealing name %q is not a slug", slug, sealedAs)
	}
	if len(dataKey) != keys.DataKeySize {
		return nil, strongroom.Errorf(strongroom.EINTERNAL, "audit log of %s: data key has the wrong size", slug)
	}
	if checkpointDir == "" {
		return nil, strongroom.FieldError("checkpoint-dir", "The audit log of %s needs a directory for checkpoint files.", slug)
	}
	if err := os.MkdirAll(checkpointDir, 0o700); err != nil {
		return nil, fmt.Errorf("audit log of %s: create checkpoint directory: %w", slug, err)
	}
	nameKey, err := hkdf.Key(sha256.New, dataKey, nil, "strongroom audit name hash v1", 32)
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: derive name key: %w", slug, err)
	}
	hasher := rfc6962.DefaultHasher
	l := &Log{
		db: db, slug: slug, sealedAs: sealedAs, origin: Origin(sealedAs),
		dataKey: append([]byte(nil), dataKey...), nameKey: nameKey,
		dir: checkpointDir, now: time.Now, hasher: hasher,
		rf: &compactFactory,
	}
	if err := l.loadSigner(ctx); err != nil {
		return nil, err
	}
	if err := l.pinVerifierKey(); err != nil {
		return nil, err
	}
	return l, nil
}

// loadSigner reads the tenant's signing key, making one on first use. Two
// nodes opening the log at once both insert; the second insert is ignored
// and both read back the same key.
func (l *Log) loadSigner(ctx context.Context) error {
	aad := signerAAD(l.sealedAs)
	var sealed []byte
	var vkey string
	err := l.db.QueryRowContext(ctx, `SELECT sealed_key, verifier_key FROM audit_signer WHERE id = 1`).Scan(&sealed, &vkey)
	if errors.Is(err, sql.ErrNoRows) {
		skey, newVkey, gerr := note.GenerateKey(rand.Reader, l.origin)
		if gerr != nil {
			return fmt.Errorf("audit log of %s: generate signing key: %w", l.slug, gerr)
		}
		newSealed, serr := keys.Seal(l.dataKey, []byte(skey), aad)
		if serr != nil {
			return fmt.Errorf("audit log of %s: seal signing key: %w", l.slug, serr)
		}
		_, err = l.db.ExecContext(ctx, `INSERT INTO audit_signer (id, sealed_key, verifier_key, created_at)
			VALUES (1, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, newSealed, newVkey, store.FormatTime(l.now()))
		if err != nil {
			return fmt.Errorf("audit log of %s: store signing key: %w", l.slug, err)
		}
		err = l.db.QueryRowContext(ctx, `SELECT sealed_key, verifier_key FROM audit_signer WHERE id = 1`).Scan(&sealed, &vkey)
	}
	if err != nil {
		return fmt.Errorf("audit log of %s: read signing key: %w", l.slug, err)
	}
	skey, err := keys.OpenSealed(l.dataKey, sealed, aad)
	if err != nil {
		return fmt.Errorf("audit log of %s: open signing key: %w", l.slug, err)
	}
	defer clear(skey)
	if l.signer, err = note.NewSigner(string(skey)); err != nil {
		return fmt.Errorf("audit log of %s: signing key is malformed", l.slug)
	}
	if l.verifier, err = note.NewVerifier(vkey); err != nil {
		return fmt.Errorf("audit log of %s: verifier key is malformed", l.slug)
	}
	if l.signer.Name() != l.origin || l.verifier.Name() != l.origin || l.signer.KeyHash() != l.verifier.KeyHash() {
		return fmt.Errorf("audit log of %s: stored signing key belongs to another log", l.slug)
	}
	l.vkey = vkey
	return nil
}

// verifierKeyFile holds, beside the checkpoint files, the verifier key the
// log had when the directory was first used. A database rewritten with a
// new signing key then disagrees with it.
const verifierKeyFile = "verifier.key"

func (l *Log) pinVerifierKey() error {
	path := filepath.Join(l.dir, verifierKeyFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil // compared by Verify, which reports rather than refuses
	} else if err != nil {
		return fmt.Errorf("audit log of %s: pin verifier key: %w", l.slug, err)
	}
	_, err = f.WriteString(l.vkey + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit log of %s: pin verifier key: %w", l.slug, err)
	}
	return nil
}

// VerifierKey returns the tenant's public note verifier key
// ("strongroom/tenant/SLUG+hash+key"): all that offline verification needs.
func (l *Log) VerifierKey(ctx context.Context) (string, error) { return l.vkey, nil }

// Origin returns the origin line of this log's checkpoints.
func (l *Log) Origin() string { return l.origin }

// SealedAs returns the slug the log's keys and values are bound to: the
// tenant's own, or its original's for a copy restored under another slug.
func (l *Log) SealedAs() string { return l.sealedAs }

// HashName returns the keyed hash (HMAC-SHA256, hex) of a user name, after
// trimming and lower-casing it. It lets an administrator see that the same
// unknown name was tried repeatedly without the name being stored.
func HashName(key []byte, name string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(name))))
	return hex.EncodeToString(m.Sum(nil))
}

// HashName is HashName under a key derived from the tenant data key.
func (l *Log) HashName(name string) string { return HashName(l.nameKey, name) }

// FailedLoginUnknownUser returns the event for a failed login under a user
// name that does not exist: the source address and a keyed hash of the
// name, never the name (it is often a password typed into the wrong field).
func (l *Log) FailedLoginUnknownUser(sourceIP, name string) Event {
	return Event{
		Actor:    Actor{Kind: ActorAnonymous},
		SourceIP: sourceIP,
		Action:   "auth.login_failed",
		Details:  map[string]string{"reason": "unknown_user", "name_hash": l.HashName(name)},
	}
}
