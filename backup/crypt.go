package backup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"

	"strongroom"
)

// Every part but the document files is compressed with zstd and then
// encrypted with age to the operator's recipients: an online backup key
// (its identity on the machines that restore) and an offline escrow key.
// Document files are stored as they are: each is already encrypted with a
// key of its own, wrapped by the tenant's data key, which travels in the
// manifest wrapped by the master key.

// sealer compresses and encrypts what is written to it.
type sealer struct {
	age io.WriteCloser
	z   *zstd.Encoder
}

func newSealer(w io.Writer, recipients []age.Recipient) (*sealer, error) {
	if len(recipients) == 0 {
		return nil, strongroom.FieldError("backup-recipient", "Backups need at least one age recipient to encrypt to.")
	}
	aw, err := age.Encrypt(w, recipients...)
	if err != nil {
		return nil, fmt.Errorf("encrypt backup part: %w", err)
	}
	z, err := zstd.NewWriter(aw, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("compress backup part: %w", err)
	}
	return &sealer{age: aw, z: z}, nil
}

func (s *sealer) Write(p []byte) (int, error) { return s.z.Write(p) }

// Close finishes the compressed stream and the encryption (its last
// chunk and tag); an age stream not closed reads back as truncated.
func (s *sealer) Close() error {
	if err := s.z.Close(); err != nil {
		return err
	}
	return s.age.Close()
}

// opener decrypts and decompresses a part.
type opener struct {
	z *zstd.Decoder
}

// errIdentity is the answer when no identity opens a part.
var errIdentity = &backupError{msg: "does not open with the backup identity given (--backup-identity): it was encrypted to other keys"}

func newOpener(r io.Reader, identities []age.Identity) (*opener, error) {
	if len(identities) == 0 {
		return nil, strongroom.FieldError("backup-identity", "Restoring needs the backup identity (an age key file).")
	}
	ar, err := age.Decrypt(r, identities...)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, errIdentity
		}
		return nil, &backupError{msg: "is damaged", cause: err}
	}
	z, err := zstd.NewReader(ar, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20))
	if err != nil {
		return nil, &backupError{msg: "is damaged", cause: err}
	}
	return &opener{z: z}, nil
}

func (o *opener) Read(p []byte) (int, error) { return o.z.Read(p) }
func (o *opener) Close()                     { o.z.Close() }

// ParseRecipients reads age recipients, one a line (comments with #).
func ParseRecipients(text string) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, err := age.ParseX25519Recipient(line)
		if err != nil {
			return nil, strongroom.FieldError("backup-recipient", "%q is not an age recipient (age1…).", abbreviate(line))
		}
		out = append(out, r)
	}
	return out, nil
}

// LoadIdentities reads an age identity file (as age-keygen writes it).
func LoadIdentities(path string) ([]age.Identity, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, strongroom.FieldError("backup-identity", "Cannot read the backup identity file %s.", path)
	}
	ids, err := age.ParseIdentities(bufio.NewReader(bytes.NewReader(b)))
	if err != nil {
		return nil, strongroom.FieldError("backup-identity", "The file %s holds no age identity.", path)
	}
	return ids, nil
}

// abbreviate keeps what is shown of a rejected value short; a rejected
// recipient line may be a secret key pasted into the wrong place.
func abbreviate(s string) string {
	if strings.HasPrefix(strings.ToUpper(s), "AGE-SECRET-KEY") {
		return "AGE-SECRET-KEY-…"
	}
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}
