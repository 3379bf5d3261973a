package audit

import (
	"context"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"strongroom/store"
)

// nodeStride is the spacing of stored tree levels: the hashes of perfect
// subtrees at levels 8, 16, 24 … are kept, one row per 256 leaves (and one
// per 65,536 …), so any subtree hash takes at most 255 rows to rebuild.
const nodeStride = 8

// compactFactory builds RFC 6962 compact ranges; offline verifiers use it
// without a Log.
var compactFactory = compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

type treeNode struct {
	id   compact.NodeID
	hash []byte
}

// querier is what both *store.DB and *store.Tx offer for reading.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*store.Rows, error)
}

func encodeFrontier(rng *compact.Range) []byte {
	hs := rng.Hashes()
	out := make([]byte, 0, len(hs)*32)
	for _, h := range hs {
		out = append(out, h...)
	}
	return out
}

func (l *Log) decodeFrontier(size uint64, b []byte) (*compact.Range, error) {
	if len(b)%32 != 0 {
		return nil, fmt.Errorf("frontier of %d bytes is not a list of hashes", len(b))
	}
	hashes := make([][]byte, len(b)/32)
	for i := range hashes {
		hashes[i] = b[i*32 : (i+1)*32 : (i+1)*32]
	}
	return l.rf.NewRange(0, size, hashes)
}

// rootOr returns root, or the RFC 6962 empty-tree hash for size 0 (stored
// as an empty value).
func (l *Log) rootOr(size uint64, root []byte) []byte {
	if size == 0 {
		return l.hasher.EmptyRoot()
	}
	return root
}

// nodeHash returns the hash of the perfect subtree id, from the stored
// level at or below it: one row when the level is stored, else the hashes
// of its descendants at the stored level below (at most 255 of them).
func (l *Log) nodeHash(ctx context.Context, q querier, id compact.NodeID) ([]byte, error) {
	base := id.Level - id.Level%nodeStride
	span := uint64(1) << (id.Level - base)
	begin := id.Index << (id.Level - base)
	var rows *store.Rows
	var err error
	if base == 0 {
		rows, err = q.QueryContext(ctx, `SELECT leaf_hash FROM audit_events WHERE seq > ? AND seq <= ? ORDER BY seq`,
			int64(begin), int64(begin+span))
	} else {
		rows, err = q.QueryContext(ctx, `SELECT hash FROM audit_tree_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx`,
			int64(base), int64(begin), int64(begin+span))
	}
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: read tree: %w", l.slug, err)
	}
	defer rows.Close()
	rng := l.rf.NewEmptyRange(0)
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("audit log of %s: read tree: %w", l.slug, err)
		}
		if err := rng.Append(h, nil); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit log of %s: read tree: %w", l.slug, err)
	}
	if rng.End() != span {
		return nil, fmt.Errorf("audit log of %s: tree node %d/%d: %d of %d hashes stored", l.slug, id.Level, id.Index, rng.End(), span)
	}
	return rng.GetRootHash(nil)
}

// proofHashes fetches the hashes that nodes names and folds them into a
// proof.
func (l *Log) proofHashes(ctx context.Context, q querier, nodes proof.Nodes) ([][]byte, error) {
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		h, err := l.nodeHash(ctx, q, id)
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	return nodes.Rehash(hashes, l.hasher.HashChildren)
}

// inclusionProof proves leaf index in the tree of size.
func (l *Log) inclusionProof(ctx context.Context, q querier, index, size uint64) ([][]byte, error) {
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return l.proofHashes(ctx, q, nodes)
}

// consistencyProof proves that the tree of size1 is a prefix of size2's.
func (l *Log) consistencyProof(ctx context.Context, q querier, size1, size2 uint64) ([][]byte, error) {
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return l.proofHashes(ctx, q, nodes)
}
