package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"

	"strongroom/keys"
)

// These helpers let other parts of Strongroom (backups) sign and check
// documents of their own with the tenant's checkpoint key, and compare a
// restored log with the head recorded when it was saved.

// signerAAD binds a sealed signing key to its tenant.
func signerAAD(slug string) []byte { return []byte("strongroom audit signer " + slug) }

// Head returns the committed tree size and root hash.
func (l *Log) Head(ctx context.Context) (size uint64, root []byte, err error) {
	return l.readHead(ctx)
}

// SealedSigner returns the tenant's signing key as stored (sealed with the
// data key, bound to the slug) and its public verifier key. The sealed key
// is safe to copy: only the tenant's data key opens it.
func (l *Log) SealedSigner(ctx context.Context) (sealed []byte, verifierKey string, err error) {
	err = l.db.QueryRowContext(ctx, `SELECT sealed_key, verifier_key FROM audit_signer WHERE id = 1`).Scan(&sealed, &verifierKey)
	if err != nil {
		return nil, "", fmt.Errorf("audit log of %s: read signing key: %w", l.slug, err)
	}
	return sealed, verifierKey, nil
}

// SignNote signs text, which must be valid note text (UTF-8 lines, ending
// in a newline), with the tenant's checkpoint key. The text must not be
// mistakable for a checkpoint: start it with a line naming what it is.
func (l *Log) SignNote(text string) ([]byte, error) {
	if strings.HasPrefix(text, l.origin+"\n") {
		return nil, errors.New("audit: a signed note must not look like a checkpoint")
	}
	msg, err := note.Sign(&note.Note{Text: text}, l.signer)
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: sign note: %w", l.slug, err)
	}
	return msg, nil
}

// OpenNote checks msg's signature with verifierKey and returns its text.
func OpenNote(msg []byte, verifierKey string) (string, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return "", errors.New("the verifier key is malformed")
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return "", fmt.Errorf("signature does not verify with the key of %s", v.Name())
	}
	return n.Text, nil
}

// UnverifiedNoteText returns the text of a signed note without checking
// any signature: for reading what a note claims before the key that must
// have signed it is known. Never act on it before OpenNote succeeds.
func UnverifiedNoteText(msg []byte) (string, error) {
	_, err := note.Open(msg, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if errors.As(err, &unverified) {
		return unverified.Note.Text, nil
	}
	if err == nil {
		return "", errors.New("note has no signature")
	}
	return "", errors.New("not a signed note")
}

// ProveVerifierKey checks that verifierKey is the public half of the
// tenant's signing key sealed in sealed: the key opens with dataKey under
// the slug's binding, is named for the tenant's log, and a note it signs
// verifies with verifierKey. A verifier key passing this can be trusted as
// far as dataKey is.
func ProveVerifierKey(slug string, dataKey, sealed []byte, verifierKey string) error {
	skey, err := keys.OpenSealed(dataKey, sealed, signerAAD(slug))
	if err != nil {
		return fmt.Errorf("the signing key is not sealed with the data key of tenant %s", slug)
	}
	defer clear(skey)
	signer, err := note.NewSigner(string(skey))
	if err != nil {
		return errors.New("the sealed signing key is malformed")
	}
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return errors.New("the verifier key is malformed")
	}
	if signer.Name() != Origin(slug) || v.Name() != Origin(slug) {
		return fmt.Errorf("the signing key belongs to another log than tenant %s's", slug)
	}
	probe, err := note.Sign(&note.Note{Text: "strongroom verifier key probe\n"}, signer)
	if err != nil {
		return fmt.Errorf("sign with the sealed key: %w", err)
	}
	if _, err := note.Open(probe, note.VerifierList(v)); err != nil {
		return errors.New("the verifier key is not the sealed signing key's")
	}
	return nil
}

// CheckExtends reports an error unless the log's tree, now of at least
// size leaves, had root at size: the log as restored holds every event of
// the head recorded when it was saved, unchanged.
func (l *Log) CheckExtends(ctx context.Context, size uint64, root []byte) error {
	cur, curRoot, err := l.readHead(ctx)
	if err != nil {
		return err
	}
	switch {
	case cur < size:
		return fmt.Errorf("audit log of %s has %d events, fewer than the %d recorded", l.slug, cur, size)
	case cur == size:
		if !bytes.Equal(curRoot, root) {
			return fmt.Errorf("audit log of %s: tree root at %d events differs from the one recorded", l.slug, size)
		}
		return nil
	case size == 0:
		if !bytes.Equal(root, l.hasher.EmptyRoot()) {
			return fmt.Errorf("audit log of %s: recorded root of the empty tree is wrong", l.slug)
		}
		return nil
	}
	p, err := l.consistencyProof(ctx, l.db, size, cur)
	if err != nil {
		return err
	}
	if err := proof.VerifyConsistency(l.hasher, size, cur, p, root, curRoot); err != nil {
		return fmt.Errorf("audit log of %s does not extend the tree recorded at %d events", l.slug, size)
	}
	return nil
}
