package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/transparency-dev/merkle/compact"
)

// Report is the outcome of Verify. A log verified when Problems is empty.
type Report struct {
	Events      int64 // events read and hashed
	Checkpoints int   // signed checkpoints checked: database copies and files
	// FirstBadSeq is the first event that is missing, changed, inserted or
	// out of place, or the first event of the span that a signed checkpoint
	// no longer matches; 0 when no event is at fault.
	FirstBadSeq int64
	Problems    []string
}

// OK reports whether the log verified.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) fail(seq int64, format string, args ...any) {
	if seq > 0 && (r.FirstBadSeq == 0 || seq < r.FirstBadSeq) {
		r.FirstBadSeq = seq
	}
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Verify recomputes the Merkle tree from the stored events and checks it
// against every signed checkpoint, in the database and in the checkpoint
// directory. Tampering is reported in the Report; the error is for failures
// to read. It reads without blocking writers and can run beside them.
func (l *Log) Verify(ctx context.Context) (*Report, error) {
	rep := &Report{}
	// Checkpoints first, then the head: every checkpoint read is then
	// covered by the head, even while others append and sign.
	cps, err := l.loadCheckpoints(ctx, rep)
	if err != nil {
		return nil, err
	}
	headSize, headRoot, err := l.readHead(ctx)
	if err != nil {
		return nil, err
	}
	nodes, err := l.loadNodes(ctx)
	if err != nil {
		return nil, err
	}
	s := &scan{l: l, rep: rep, cps: cps, nodes: nodes, rng: l.rf.NewEmptyRange(0), next: 1}
	s.checkpointsAt(0)
	if err := s.events(ctx, headSize); err != nil {
		return nil, err
	}
	rep.Events = s.next - 1
	if !s.stopped {
		s.finish(headSize, headRoot)
	}
	if err := l.checkTrailing(ctx, rep); err != nil {
		return nil, err
	}
	l.checkPinnedKey(rep)
	return rep, nil
}

// loadCheckpoints reads and signature-checks every checkpoint, returning
// the good ones by size. A bad signature is a problem, not an error.
func (l *Log) loadCheckpoints(ctx context.Context, rep *Report) ([]*checkpoint, error) {
	var cps []*checkpoint
	rows, err := l.db.QueryContext(ctx, `SELECT size, note FROM audit_checkpoints ORDER BY size`)
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: read checkpoints: %w", l.slug, err)
	}
	defer rows.Close()
	for rows.Next() {
		var size int64
		var msg string
		if err := rows.Scan(&size, &msg); err != nil {
			return nil, fmt.Errorf("audit log of %s: read checkpoints: %w", l.slug, err)
		}
		cps = l.addCheckpoint(rep, cps, []byte(msg), "database checkpoint "+strconv.FormatInt(size, 10), uint64(size))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit log of %s: read checkpoints: %w", l.slug, err)
	}
	files, err := filepath.Glob(filepath.Join(l.dir, "*.checkpoint"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		msg, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("audit log of %s: read checkpoint file: %w", l.slug, err)
		}
		size, _ := strconv.ParseUint(strings.TrimSuffix(filepath.Base(f), ".checkpoint"), 10, 64)
		cps = l.addCheckpoint(rep, cps, msg, "checkpoint file "+filepath.Base(f), size)
	}
	sort.SliceStable(cps, func(i, j int) bool { return cps[i].size < cps[j].size })
	return cps, nil
}

func (l *Log) addCheckpoint(rep *Report, cps []*checkpoint, msg []byte, from string, size uint64) []*checkpoint {
	cp, err := openCheckpoint(msg, l.verifier)
	if err != nil {
		rep.fail(0, "%s: %v", from, err)
		return cps
	}
	if cp.size != size {
		rep.fail(0, "%s: signed for tree size %d, filed as %d", from, cp.size, size)
		return cps
	}
	cp.from = from
	rep.Checkpoints++
	return append(cps, cp)
}

func (l *Log) loadNodes(ctx context.Context) (map[compact.NodeID][]byte, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT level, idx, hash FROM audit_tree_nodes`)
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: read tree nodes: %w", l.slug, err)
	}
	defer rows.Close()
	nodes := map[compact.NodeID][]byte{}
	for rows.Next() {
		var level, idx int64
		var h []byte
		if err := rows.Scan(&level, &idx, &h); err != nil {
			return nil, fmt.Errorf("audit log of %s: read tree nodes: %w", l.slug, err)
		}
		nodes[compact.NewNodeID(uint(level), uint64(idx))] = h
	}
	return nodes, rows.Err()
}

// checkTrailing catches rows added past the tree head. The maximum is read
// before the head, so an append committing in between cannot look like one.
func (l *Log) checkTrailing(ctx context.Context, rep *Report) error {
	var maxSeq int64
	if err := l.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit_events`).Scan(&maxSeq); err != nil {
		return fmt.Errorf("audit log of %s: read events: %w", l.slug, err)
	}
	size, _, err := l.readHead(ctx)
	if err != nil {
		return err
	}
	if maxSeq > int64(size) {
		rep.fail(int64(size)+1, "not in the tree, added outside the log: %s", eventSpan(size+1, uint64(maxSeq)))
	}
	return nil
}

// checkPinnedKey compares the verifier key in the database with the one
// pinned beside the checkpoint files.
func (l *Log) checkPinnedKey(rep *Report) {
	pinned, err := os.ReadFile(filepath.Join(l.dir, verifierKeyFile))
	if err != nil {
		rep.fail(0, "the pinned verifier key cannot be read: %v", err)
		return
	}
	if strings.TrimSpace(string(pinned)) != l.vkey {
		rep.fail(0, "the database's verifier key is not the one pinned in the checkpoint directory")
	}
}
