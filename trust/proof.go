package trust

import (
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

func verifyConsistency(oldSize, newSize uint64, p [][]byte, oldRoot, newRoot []byte) error {
	if oldSize == 0 {
		return nil
	}
	return proof.VerifyConsistency(rfc6962.DefaultHasher, oldSize, newSize, p, oldRoot, newRoot)
}
