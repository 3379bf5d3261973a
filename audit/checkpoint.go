package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"strongroom"
	"strongroom/store"
)

// checkpoint is a parsed, signature-checked tlog-checkpoint note.
type checkpoint struct {
	size uint64
	root []byte
	note string // the signed note as stored
	from string // where it was read: "database" or a file name
}

// errInconsistent is returned when the tree no longer extends the last
// signed checkpoint: something rewrote the log. Nothing is signed then.
var errInconsistent = &strongroom.Error{Code: strongroom.EINTERNAL,
	Message: "The audit log does not extend its last signed checkpoint; run a verification."}

// checkpointText is the body of a C2SP tlog-checkpoint: origin, tree size,
// base64 root hash, each on a line.
func checkpointText(origin string, size uint64, root []byte) string {
	return origin + "\n" + strconv.FormatUint(size, 10) + "\n" + base64.StdEncoding.EncodeToString(root) + "\n"
}

// openCheckpoint checks msg's signature with v and parses its body.
func openCheckpoint(msg []byte, v note.Verifier) (*checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("checkpoint signature does not verify with %s's key: %w", v.Name(), err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 || lines[0] != v.Name() {
		return nil, errors.New("checkpoint is not for this log")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || (lines[1] != "0" && strings.HasPrefix(lines[1], "0")) {
		return nil, errors.New("checkpoint tree size is malformed")
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != rfc6962.DefaultHasher.Size() {
		return nil, errors.New("checkpoint root hash is malformed")
	}
	return &checkpoint{size: size, root: root, note: string(msg)}, nil
}

// readHead returns the committed tree size and root.
func (l *Log) readHead(ctx context.Context) (uint64, []byte, error) {
	var size int64
	var root []byte
	if err := l.db.QueryRowContext(ctx, `SELECT size, root FROM audit_head WHERE id = 1`).Scan(&size, &root); err != nil {
		return 0, nil, fmt.Errorf("audit log of %s: read tree head: %w", l.slug, err)
	}
	return uint64(size), l.rootOr(uint64(size), root), nil
}

// latestStored returns the newest checkpoint in the database, or nil.
func (l *Log) latestStored(ctx context.Context) (*checkpoint, error) {
	var msg string
	err := l.db.QueryRowContext(ctx, `SELECT note FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&msg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("audit log of %s: read checkpoint: %w", l.slug, err)
	}
	cp, err := openCheckpoint([]byte(msg), l.verifier)
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: stored checkpoint: %w", l.slug, err)
	}
	return cp, nil
}

// Checkpoint signs the current tree head, stores the note in the database
// and as a file outside it, and returns the note. When no event arrived
// since the last checkpoint it returns that one. It refuses to sign a tree
// that does not extend the last checkpoint. It writes through the
// database's own pool: never call it (or Proof, Archive) inside a
// transaction on the same database, which on SQLite holds the one writer.
func (l *Log) Checkpoint(ctx context.Context) (string, error) {
	cp, err := l.checkpoint(ctx)
	if err != nil {
		return "", err
	}
	return cp.note, nil
}

// SignTail signs a checkpoint when events arrived since the last one and
// returns how many events it newly covers: 0 when none were unsigned.
// Opening a tenant, start-up and shutdown run it, so that events written
// before a crash are signed without waiting for a new one.
func (l *Log) SignTail(ctx context.Context) (uint64, error) {
	last, err := l.latestStored(ctx)
	if err != nil {
		return 0, err
	}
	cp, err := l.checkpoint(ctx)
	if err != nil {
		return 0, err
	}
	if last == nil {
		return cp.size, nil
	}
	return cp.size - last.size, nil
}

func (l *Log) checkpoint(ctx context.Context) (*checkpoint, error) {
	// The latest checkpoint is read before the head, so the head can only
	// be at or past it even while others append and sign.
	last, err := l.latestStored(ctx)
	if err != nil {
		return nil, err
	}
	size, root, err := l.readHead(ctx)
	if err != nil {
		return nil, err
	}
	if last != nil {
		switch {
		case last.size > size:
			return nil, errInconsistent
		case last.size == size:
			if !bytes.Equal(last.root, root) {
				return nil, errInconsistent
			}
			return last, l.writeFile(last)
		case last.size > 0:
			p, err := l.consistencyProof(ctx, l.db, last.size, size)
			if err != nil {
				return nil, err
			}
			if proof.VerifyConsistency(l.hasher, last.size, size, p, last.root, root) != nil {
				return nil, errInconsistent
			}
		}
	}
	signed, err := note.Sign(&note.Note{Text: checkpointText(l.origin, size, root)}, l.signer)
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: sign checkpoint: %w", l.slug, err)
	}
	cp := &checkpoint{size: size, root: root, note: string(signed)}
	// Ed25519 signatures are deterministic: a concurrent signer of the same
	// size wrote the same note, so a conflict is not an error.
	_, err = l.db.ExecContext(ctx, `INSERT INTO audit_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (size) DO NOTHING`, int64(size), root, cp.note, store.FormatTime(l.now()))
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: store checkpoint: %w", l.slug, err)
	}
	return cp, l.writeFile(cp)
}

// checkpointFile names the file of the checkpoint of size.
func (l *Log) checkpointFile(size uint64) string {
	return filepath.Join(l.dir, fmt.Sprintf("%012d.checkpoint", size))
}

// writeFile writes cp outside the database (0600, atomically). An existing
// file for the same size that says something else means two different trees
// were signed at one size: a fork, reported rather than overwritten.
func (l *Log) writeFile(cp *checkpoint) error {
	path := l.checkpointFile(cp.size)
	if old, err := os.ReadFile(path); err == nil {
		if string(old) != cp.note {
			return errInconsistent
		}
		return nil
	}
	tmp, err := os.CreateTemp(l.dir, ".checkpoint-*")
	if err != nil {
		return fmt.Errorf("audit log of %s: write checkpoint file: %w", l.slug, err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.WriteString(cp.note)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err == nil {
		err = syncDir(l.dir)
	}
	if err != nil {
		return fmt.Errorf("audit log of %s: write checkpoint file: %w", l.slug, err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// LatestCheckpoint returns the newest signed checkpoint note, making the
// first one if none exists yet.
func (l *Log) LatestCheckpoint(ctx context.Context) (string, error) {
	cp, err := l.latestStored(ctx)
	if err != nil {
		return "", err
	}
	if cp == nil {
		return l.Checkpoint(ctx)
	}
	return cp.note, nil
}

// coveringCheckpoint returns the latest checkpoint, signing a new one when
// the latest does not include event seq yet.
func (l *Log) coveringCheckpoint(ctx context.Context, seq int64) (*checkpoint, error) {
	cp, err := l.latestStored(ctx)
	if err != nil {
		return nil, err
	}
	if cp == nil || cp.size < uint64(seq) {
		return l.checkpoint(ctx)
	}
	return cp, nil
}

// RunCheckpointer signs a checkpoint every interval (at most a minute is
// intended) until ctx is done, and once more then, so events since the
// last tick are signed before shutdown; run it in a goroutine and wait for
// it before closing the database. Checkpoint is a no-op while no events
// arrive, so an idle tenant costs two small reads per tick. Failures are
// logged and retried at the next tick; they carry no secrets.
func (l *Log) RunCheckpointer(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if _, err := l.Checkpoint(final); err != nil {
				slog.Error("audit checkpoint at shutdown failed", "tenant", l.slug, "err", err)
			} else {
				l.submitWitnessesLogged(final)
			}
			return
		case <-t.C:
			if _, err := l.Checkpoint(ctx); err != nil && ctx.Err() == nil {
				slog.Error("audit checkpoint failed", "tenant", l.slug, "err", err)
			} else {
				l.submitWitnessesLogged(ctx)
			}
		}
	}
}
