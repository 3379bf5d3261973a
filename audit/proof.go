package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"strongroom"
)

// ProofBundle is the JSON that Proof returns: one event, the inclusion
// proof of its leaf in a signed checkpoint, and that checkpoint. It verifies
// offline with VerifyProofBundle and the tenant's verifier key alone.
type ProofBundle struct {
	Origin    string `json:"origin"`
	Seq       int64  `json:"seq"`
	LeafIndex uint64 `json:"leaf_index"` // Seq - 1
	TreeSize  uint64 `json:"tree_size"`
	// Event holds the stored bytes (base64 in JSON); the leaf is
	// SHA-256(0x00 || Event).
	Event      []byte   `json:"event"`
	Proof      [][]byte `json:"proof"`
	Checkpoint string   `json:"checkpoint"` // signed note, C2SP tlog-checkpoint
	// VerifierKey is informational: a verifier must use a key it already
	// trusts, never the one that came with the bundle.
	VerifierKey string `json:"verifier_key"`
}

// Proof returns the inclusion proof bundle of event seq, against the latest
// checkpoint (signing a new one when the latest does not cover seq yet).
func (l *Log) Proof(ctx context.Context, seq int64) ([]byte, error) {
	size, _, err := l.readHead(ctx)
	if err != nil {
		return nil, err
	}
	if seq < 1 || uint64(seq) > size {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "There is no audit event %d.", seq)
	}
	cp, err := l.coveringCheckpoint(ctx, seq)
	if err != nil {
		return nil, err
	}
	var body []byte
	err = l.db.QueryRowContext(ctx, `SELECT body FROM audit_events WHERE seq = ?`, seq).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errInconsistent
	} else if err != nil {
		return nil, fmt.Errorf("audit log of %s: read event %d: %w", l.slug, seq, err)
	}
	index := uint64(seq - 1)
	p, err := l.inclusionProof(ctx, l.db, index, cp.size)
	if err != nil {
		return nil, err
	}
	// Never hand out a proof that does not verify: the stored tree nodes
	// are a cache, and a damaged one must show up here, not at the reader.
	if proof.VerifyInclusion(l.hasher, index, cp.size, l.hasher.HashLeaf(body), p, cp.root) != nil {
		return nil, errInconsistent
	}
	return json.Marshal(&ProofBundle{Origin: l.origin, Seq: seq, LeafIndex: index, TreeSize: cp.size,
		Event: body, Proof: p, Checkpoint: cp.note, VerifierKey: l.vkey})
}

// VerifyProofBundle checks a bundle from Proof using nothing but the bundle
// and verifierKey, the tenant's public note verifier key: the checkpoint's
// signature, that the event is the one at the bundle's position, and the
// inclusion proof against the checkpoint's root.
func VerifyProofBundle(bundle []byte, verifierKey string) error {
	var b ProofBundle
	if err := json.Unmarshal(bundle, &b); err != nil {
		return proofError("it is not a proof bundle")
	}
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return strongroom.FieldError("verifier-key", "The verifier key is malformed.")
	}
	cp, err := openCheckpoint([]byte(b.Checkpoint), v)
	if err != nil {
		return proofError(err.Error())
	}
	if b.Origin != v.Name() {
		return proofError("it is for log " + b.Origin + ", not " + v.Name())
	}
	if b.TreeSize != cp.size || b.LeafIndex >= cp.size {
		return proofError("its tree size or leaf index disagrees with its checkpoint")
	}
	if seq, ok := bodySeq(b.Event); !ok || seq != b.Seq || uint64(seq) != b.LeafIndex+1 {
		return proofError("the event is not the one at the proven position")
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(b.Event)
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, b.LeafIndex, cp.size, leaf, b.Proof, cp.root); err != nil {
		return proofError("the event is not in the signed tree")
	}
	return nil
}

func proofError(why string) error {
	return strongroom.Errorf(strongroom.EINVALID, "The audit proof does not verify: %s.", why)
}
