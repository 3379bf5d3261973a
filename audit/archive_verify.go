package audit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"

	"filippo.io/age"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"strongroom"
	"strongroom/store"
)

// VerifyArchive decrypts an archive with identity and checks it offline
// against verifierKey, the tenant's public note verifier key: the signed
// checkpoint, that events run 1…k without a gap and are dated before the
// archive's cut-off, and that they are the first k leaves of the signed
// tree. A truncated or altered archive is refused.
func VerifyArchive(r io.Reader, identity age.Identity, verifierKey string) (*ArchiveInfo, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return nil, strongroom.FieldError("verifier-key", "The verifier key is malformed.")
	}
	ar, err := age.Decrypt(r, identity)
	if err != nil {
		return nil, archiveError("it does not decrypt with this identity (" + err.Error() + ")")
	}
	gz, err := gzip.NewReader(ar)
	if err != nil {
		return nil, archiveError("it is not compressed as expected")
	}
	sc := bufio.NewScanner(gz)
	sc.Buffer(make([]byte, 0, 64<<10), maxEventLine)
	info, cp, err := readArchiveHeader(sc, v)
	if err != nil {
		return nil, err
	}
	tr, root, err := readArchiveEvents(sc, info)
	if err != nil {
		return nil, err
	}
	if sc.Scan() {
		return nil, archiveError("it has data after its trailer")
	}
	if err := sc.Err(); err != nil {
		return nil, archiveError("it is damaged (" + err.Error() + ")")
	}
	if err := checkPrefix(tr.Events, root, cp, tr.Consistency); err != nil {
		return nil, archiveError(err.Error())
	}
	info.Events = int64(tr.Events)
	return info, nil
}

func readArchiveHeader(sc *bufio.Scanner, v note.Verifier) (*ArchiveInfo, *checkpoint, error) {
	if !sc.Scan() {
		return nil, nil, archiveError("it has no header")
	}
	var h archiveHeader
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Format != archiveFormat {
		return nil, nil, archiveError("it has no header")
	}
	if h.Version != 1 {
		return nil, nil, archiveError("it has an unknown format version")
	}
	if h.Origin != v.Name() {
		return nil, nil, archiveError("it is from log " + h.Origin + ", not " + v.Name())
	}
	before, err := store.ParseTime(h.Before)
	if err != nil {
		return nil, nil, archiveError("its cut-off time is malformed")
	}
	cp, err := openCheckpoint([]byte(h.Checkpoint), v)
	if err != nil {
		return nil, nil, archiveError(err.Error())
	}
	if cp.size != h.TreeSize {
		return nil, nil, archiveError("its tree size disagrees with its checkpoint")
	}
	return &ArchiveInfo{Origin: h.Origin, Before: before, TreeSize: cp.size}, cp, nil
}

// readArchiveEvents hashes event lines until the trailer and returns the
// trailer and the root of the events' tree.
func readArchiveEvents(sc *bufio.Scanner, info *ArchiveInfo) (*archiveTrailer, []byte, error) {
	hasher := rfc6962.DefaultHasher
	rng := (&compactFactory).NewEmptyRange(0)
	cutoff := store.FormatTime(info.Before)
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.HasPrefix(line, []byte(`{"end":`)) {
			var tr archiveTrailer
			if err := json.Unmarshal(line, &tr); err != nil || !tr.End {
				return nil, nil, archiveError("its trailer is malformed")
			}
			if tr.Events != rng.End() {
				return nil, nil, archiveError("it holds a different number of events than its trailer says")
			}
			if tr.Events > info.TreeSize {
				return nil, nil, archiveError("it holds more events than its checkpoint")
			}
			root, _ := rng.GetRootHash(nil)
			return &tr, root, nil
		}
		seq, ok := bodySeq(line)
		if !ok || uint64(seq) != rng.End()+1 {
			return nil, nil, archiveError("its events are missing, reordered or malformed")
		}
		var t struct {
			Time string `json:"time"`
		}
		if err := json.Unmarshal(line, &t); err != nil || t.Time >= cutoff {
			return nil, nil, archiveError("an event is malformed or dated after the cut-off")
		}
		if err := rng.Append(hasher.HashLeaf(line), nil); err != nil {
			return nil, nil, archiveError(err.Error())
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, archiveError("it is damaged (" + err.Error() + ")")
	}
	return nil, nil, archiveError("it is truncated: the trailer is missing")
}

func archiveError(why string) error {
	return strongroom.Errorf(strongroom.EINVALID, "The audit archive does not verify: %s.", why)
}
