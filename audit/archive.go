package audit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"strongroom"
	"strongroom/store"
)

// Archive format, version 1: an age-encrypted stream holding gzip-compressed
// JSON Lines.
//
//	line 1     header:  {"format":"strongroom-audit-archive","version":1,"origin":…,
//	                     "before":…,"tree_size":N,"checkpoint":"<signed note>"}
//	lines 2…   events 1…k, each line exactly the stored bytes of one event
//	last line  trailer: {"end":true,"events":k,"consistency":[…]}
//
// The events are always a prefix of the log (event times never go
// backwards), so instead of one inclusion proof per event the trailer holds
// one consistency proof: it shows that the tree of the k archived leaves is
// the first k leaves of the signed checkpoint's tree, which proves every
// archived event at once and in place. Personal values stay sealed under
// their subject keys, so erasing a subject reaches into archives too.
const archiveFormat = "strongroom-audit-archive"

type archiveHeader struct {
	Format     string `json:"format"`
	Version    int    `json:"version"`
	Origin     string `json:"origin"`
	Before     string `json:"before"`
	TreeSize   uint64 `json:"tree_size"`
	Checkpoint string `json:"checkpoint"`
}

type archiveTrailer struct {
	End         bool     `json:"end"`
	Events      uint64   `json:"events"`
	Consistency [][]byte `json:"consistency"`
}

// ArchiveInfo describes an archive that verified.
type ArchiveInfo struct {
	Origin   string
	Before   time.Time
	Events   int64  // events 1…Events are in the archive
	TreeSize uint64 // size of the signed checkpoint they were proven against
}

// maxEventLine bounds one line when reading an archive back.
const maxEventLine = 16 << 20

// Archive writes every event dated before `before` to w, encrypted to
// recipients, with a fresh signed checkpoint and the proof that ties the
// events to it. It reads only: the log and its tree are left as they are.
func (l *Log) Archive(ctx context.Context, before time.Time, w io.Writer, recipients []age.Recipient) error {
	if len(recipients) == 0 {
		return strongroom.FieldError("recipients", "An audit archive needs at least one recipient.")
	}
	cp, err := l.checkpoint(ctx)
	if err != nil {
		return err
	}
	var k int64
	err = l.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit_events WHERE at < ? AND seq <= ?`,
		store.FormatTime(before), int64(cp.size)).Scan(&k)
	if err != nil {
		return fmt.Errorf("audit log of %s: archive: %w", l.slug, err)
	}
	var cons [][]byte
	if k > 0 && uint64(k) < cp.size {
		if cons, err = l.consistencyProof(ctx, l.db, uint64(k), cp.size); err != nil {
			return err
		}
	}
	aw, err := age.Encrypt(w, recipients...)
	if err != nil {
		return fmt.Errorf("audit log of %s: archive: %w", l.slug, err)
	}
	gz := gzip.NewWriter(aw)
	bw := bufio.NewWriterSize(gz, 64<<10)
	hdr := archiveHeader{Format: archiveFormat, Version: 1, Origin: l.origin, Before: store.FormatTime(before),
		TreeSize: cp.size, Checkpoint: cp.note}
	if err := writeJSONLine(bw, hdr); err != nil {
		return err
	}
	if err := l.archiveEvents(ctx, bw, k, cp, cons); err != nil {
		return err
	}
	if err := writeJSONLine(bw, archiveTrailer{End: true, Events: uint64(k), Consistency: cons}); err != nil {
		return err
	}
	for _, c := range []func() error{bw.Flush, gz.Close, aw.Close} {
		if err := c(); err != nil {
			return fmt.Errorf("audit log of %s: archive: %w", l.slug, err)
		}
	}
	return nil
}

// archiveEvents streams events 1…k and checks, before the archive is
// finished, that they are the ones the checkpoint signed: an archive of a
// tampered log is refused, not written.
func (l *Log) archiveEvents(ctx context.Context, w *bufio.Writer, k int64, cp *checkpoint, cons [][]byte) error {
	rows, err := l.db.QueryContext(ctx, `SELECT seq, body FROM audit_events WHERE seq <= ? ORDER BY seq`, k)
	if err != nil {
		return fmt.Errorf("audit log of %s: archive: %w", l.slug, err)
	}
	defer rows.Close()
	rng := l.rf.NewEmptyRange(0)
	for rows.Next() {
		var seq int64
		var body []byte
		if err := rows.Scan(&seq, &body); err != nil {
			return fmt.Errorf("audit log of %s: archive: %w", l.slug, err)
		}
		if seq != int64(rng.End())+1 || bytes.IndexByte(body, '\n') >= 0 {
			return errInconsistent
		}
		if err := rng.Append(l.hasher.HashLeaf(body), nil); err != nil {
			return err
		}
		w.Write(body)
		if err := w.WriteByte('\n'); err != nil {
			return fmt.Errorf("audit log of %s: archive: %w", l.slug, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit log of %s: archive: %w", l.slug, err)
	}
	root, err := rng.GetRootHash(nil)
	if err != nil || rng.End() != uint64(k) || checkPrefix(rng.End(), root, cp, cons) != nil {
		return errInconsistent
	}
	return nil
}

// checkPrefix checks that a tree of size k with root is a prefix of cp's.
func checkPrefix(k uint64, root []byte, cp *checkpoint, cons [][]byte) error {
	switch {
	case k == 0:
		return nil
	case k == cp.size:
		if !bytes.Equal(root, cp.root) {
			return errors.New("the archived events are not the signed tree")
		}
		return nil
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, k, cp.size, cons, root, cp.root); err != nil {
		return errors.New("the archived events are not a prefix of the signed tree")
	}
	return nil
}

func writeJSONLine(w *bufio.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Write(b)
	return w.WriteByte('\n')
}
