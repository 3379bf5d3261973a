package audit

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
)

// scan checks events one by one, in sequence order, rebuilding the tree.
//
// A row that is missing, out of place or altered is named exactly. A row
// rewritten together with its leaf hash is only seen as a tree that no
// longer matches a signed checkpoint (or a stored subtree hash); that
// places the bad event within a span, and the scan goes on in case a later
// row names it exactly (an insertion shows up one row further down).
type scan struct {
	l        *Log
	rep      *Report
	rng      *compact.Range
	cps      []*checkpoint // by size; cps[ci:] not yet reached
	ci       int
	nodes    map[compact.NodeID][]byte
	badNode  *compact.NodeID
	suspect  *span
	next     int64  // the sequence number the next row must have
	lastGood uint64 // size of the last checkpoint the events matched
	prevAt   string
	scratch  []byte
	stopped  bool // a row was at fault: the tree past it means nothing
}

// span is where a bad event must lie when no single row gives it away.
type span struct {
	from, to uint64
	problem  string
	signed   bool // from a signed checkpoint, not the unsigned subtree cache
}

func (s *scan) events(ctx context.Context, headSize uint64) error {
	rows, err := s.l.db.QueryContext(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE seq <= ? ORDER BY seq`, int64(headSize))
	if err != nil {
		return fmt.Errorf("audit log of %s: read events: %w", s.l.slug, err)
	}
	defer rows.Close()
	var r row
	var body, leaf sql.RawBytes // hashed at once, so not copied
	for rows.Next() {
		if err := rows.Scan(&r.seq, &r.at, &r.actorKind, &r.actorID, &r.sourceIP, &r.action,
			&r.objectType, &r.objectID, &r.subjectID, &body, &leaf); err != nil {
			return fmt.Errorf("audit log of %s: read events: %w", s.l.slug, err)
		}
		r.body, r.leafHash = body, leaf
		if !s.row(&r) {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit log of %s: read events: %w", s.l.slug, err)
	}
	return nil
}

// stop reports the row at fault and ends the scan. Within a span already
// suspected it names the event exactly; past it, the span comes first.
func (s *scan) stop(seq int64, format string, args ...any) bool {
	if sp := s.suspect; sp != nil {
		s.rep.Problems = append(s.rep.Problems, sp.problem)
		if uint64(seq) > sp.to {
			seq = int64(sp.from)
		}
		s.suspect = nil
	}
	s.rep.fail(seq, format, args...)
	s.stopped = true
	return false
}

// row checks one event and adds it to the tree; false stops the scan.
func (s *scan) row(r *row) bool {
	if r.seq != s.next {
		return s.stop(s.next, "event %d is missing", s.next)
	}
	if bs, ok := bodySeq(r.body); !ok {
		return s.stop(r.seq, "event %d is not a well-formed stored event", r.seq)
	} else if bs != r.seq {
		// An event that claims an earlier place was pushed down by an
		// insertion at that place; one that claims a later place was
		// pulled up by a deletion (or a swap) here.
		at := r.seq
		if bs >= 1 && bs < r.seq {
			at = bs
		}
		return s.stop(at, "the event stored as %d says it is event %d: events were inserted, deleted or reordered", r.seq, bs)
	}
	leaf := s.l.hasher.HashLeaf(r.body)
	if !bytes.Equal(leaf, r.leafHash) {
		return s.stop(r.seq, "event %d was changed: its bytes do not match its leaf hash", r.seq)
	}
	var ok bool
	if s.scratch, ok = matchesColumns(s.scratch, r); !ok {
		return s.stop(r.seq, "event %d: its indexed columns disagree with its stored bytes", r.seq)
	}
	if r.at < s.prevAt {
		return s.stop(r.seq, "event %d is dated before the event preceding it", r.seq)
	}
	s.prevAt = r.at
	if err := s.rng.Append(leaf, s.visit); err != nil {
		return s.stop(r.seq, "event %d: %v", r.seq, err)
	}
	if s.badNode != nil {
		if s.suspect == nil {
			begin, end := s.badNode.Coverage()
			s.suspect = &span{from: begin + 1, to: end,
				problem: "the subtree hash recorded at append time does not match " + eventSpan(begin+1, end)}
		}
		s.badNode = nil
	}
	s.next++
	s.checkpointsAt(s.rng.End())
	return true
}

// visit compares each stored subtree hash with the recomputed one.
func (s *scan) visit(id compact.NodeID, hash []byte) {
	if id.Level == 0 || id.Level%nodeStride != 0 || s.badNode != nil {
		return
	}
	if stored, ok := s.nodes[id]; !ok || !bytes.Equal(stored, hash) {
		s.badNode = &id
	}
}

// checkpointsAt compares the recomputed root with every checkpoint of the
// current size. A mismatch places the bad event after the last checkpoint
// that matched; past it, roots mean nothing and are not compared.
func (s *scan) checkpointsAt(size uint64) {
	var root []byte
	for ; s.ci < len(s.cps) && s.cps[s.ci].size <= size; s.ci++ {
		cp := s.cps[s.ci]
		if s.suspect != nil && s.suspect.signed {
			continue
		}
		if root == nil {
			root = s.l.hasher.EmptyRoot()
			if size > 0 {
				root, _ = s.rng.GetRootHash(nil)
			}
		}
		if !bytes.Equal(root, cp.root) {
			s.suspect = &span{from: s.lastGood + 1, to: size, signed: true,
				problem: "the signed " + cp.from + " does not match " + eventSpan(s.lastGood+1, size)}
			continue
		}
		// A signature vouches for the events the subtree cache doubted.
		if sp := s.suspect; sp != nil && size >= sp.to {
			s.rep.fail(0, "the stored subtree hash for %s is wrong; the signed %s matches them", eventSpan(sp.from, sp.to), cp.from)
			s.suspect = nil
		}
		s.lastGood = size
	}
}

// finish checks what lies past the last event read.
func (s *scan) finish(headSize uint64, headRoot []byte) {
	count := uint64(s.next - 1)
	if count < headSize {
		s.stop(s.next, "missing: %s", eventSpan(uint64(s.next), headSize))
		return
	}
	if s.ci < len(s.cps) {
		cp := s.cps[s.ci]
		s.stop(s.next, "the signed %s covers %d events but only %d are stored", cp.from, cp.size, count)
		return
	}
	if sp := s.suspect; sp != nil {
		s.rep.fail(int64(sp.from), "%s", sp.problem)
		return
	}
	root := s.l.hasher.EmptyRoot()
	if count > 0 {
		root, _ = s.rng.GetRootHash(nil)
	}
	if !bytes.Equal(root, headRoot) {
		s.rep.fail(int64(s.lastGood)+1, "the tree head does not match %s", eventSpan(s.lastGood+1, count))
	}
}

// eventSpan names events for a problem: "event 7", "events 3–9".
func eventSpan(from, to uint64) string {
	if from == to {
		return fmt.Sprintf("event %d", from)
	}
	return fmt.Sprintf("events %d–%d", from, to)
}
