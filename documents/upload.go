package documents

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/minio/sio"

	"strongroom"
	"strongroom/keys"
	"strongroom/tenancy"
)

// Upload is a file arriving in a request: the name its client gave it
// (sanitised before it is kept) and its content, read once, never past the
// tenant's limit. An error from Body that is a *strongroom.Error is passed
// on as it is; any other is the client's upload failing.
type Upload struct {
	Filename string
	Body     io.Reader
}

// staged is an uploaded file written, encrypted and synced under its
// storage key, not yet named by any row.
type staged struct {
	file        *os.File // open and locked until recorded or discarded
	temp        string   // the name it was written under
	path        string
	storageKey  string
	wrappedKey  []byte
	filename    string
	contentType string
	size        int64
	sha256      string
	text        string // extracted for search
}

var (
	// errTooLarge stops an upload at the limit.
	errTooLarge = errors.New("upload larger than the limit")
	// errEmpty is an upload without a byte.
	errEmpty = errors.New("empty upload")
)

// limitReader reads at most left bytes and fails with errTooLarge as soon
// as one more arrives: the rest of the upload is never read. It keeps the
// first error of the underlying reader, to tell it from a write error.
type limitReader struct {
	r    io.Reader
	left int64
	err  error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			err = errTooLarge
		}
		return 0, l.note(err)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, l.note(err)
}

func (l *limitReader) note(err error) error {
	if err != nil && err != io.EOF && l.err == nil {
		l.err = err
	}
	return err
}

// uploadError is what the client hears when reading its upload failed.
func uploadError(err error, limit int64) error {
	var e *strongroom.Error
	switch {
	case errors.Is(err, errTooLarge):
		return strongroom.FieldError("file", "The file is larger than the limit of %s.", formatSize(limit))
	case errors.As(err, &e):
		return err
	}
	return strongroom.FieldError("file", "The upload was interrupted or could not be read; send the file again.")
}

// formatSize renders a byte count as the limit is set: "100 MiB".
func formatSize(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// stage streams an upload into the tenant's storage: sniffed, hashed,
// encrypted with a fresh file key into a temporary file in the same
// directory, synced and renamed to its storage key. On any failure nothing
// is left on disk. The file stays open and locked (inflight.go) until the
// caller records it (then release) or discards it.
func (s *Service) stage(ctx context.Context, t *tenancy.Handle, up Upload, limit int64) (*staged, error) {
	dir, err := s.tenantDir(t)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make document directory: %w", err)
	}
	fileKey, err := keys.NewDataKey()
	if err != nil {
		return nil, err
	}
	defer clear(fileKey)
	st := &staged{storageKey: newStorageKey(), filename: SanitizeFilename(up.Filename)}
	st.path = filepath.Join(dir, st.storageKey)
	if st.wrappedKey, err = wrapKey(t, st.storageKey, fileKey); err != nil {
		return nil, err
	}
	if st.file, err = s.createTemp(dir); err != nil {
		return nil, err
	}
	st.temp = st.file.Name()
	renamed := false
	defer func() {
		if !renamed {
			s.removeFile(st.temp) // before the lock goes with the close
			st.release(s)
		}
	}()
	capture, err := s.encryptTo(st.file, up.Body, limit, fileKey, st)
	if err != nil {
		if errors.Is(err, errEmpty) && up.Filename == "" {
			// A form sent without a file chosen: an empty part, no name.
			return nil, strongroom.FieldError("file", "Choose a file to upload.")
		} else if errors.Is(err, errEmpty) {
			return nil, strongroom.FieldError("file", "The file is empty.")
		}
		return nil, err
	}
	if err := st.file.Sync(); err != nil {
		return nil, fmt.Errorf("sync document file: %w", err)
	}
	s.hold(st.path) // before the name appears, for this service's sweeps
	if err := os.Rename(st.temp, st.path); err != nil {
		return nil, fmt.Errorf("name document file: %w", err)
	}
	renamed = true
	if err := syncDir(dir); err != nil {
		st.discard(s)
		return nil, fmt.Errorf("sync document directory: %w", err)
	}
	st.text = s.extractText(ctx, st.contentType, capture, st.file, fileKey, st.size)
	return st, nil
}

// encryptTo reads the upload through the limit, sniffs its type from the
// first bytes and writes it encrypted to f, filling in st's size, type and
// hash. It returns the start of the plaintext, for text extraction.
func (s *Service) encryptTo(f *os.File, body io.Reader, limit int64, fileKey []byte, st *staged) (*textCapture, error) {
	in := &limitReader{r: body, left: limit}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(in, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, uploadError(err, limit)
	}
	if n == 0 {
		return nil, errEmpty
	}
	st.contentType = sniff(head[:n], st.filename)
	enc, err := sio.EncryptWriter(writerOnly{f}, sioConfig(fileKey))
	if err != nil {
		return nil, fmt.Errorf("start encryption: %w", err)
	}
	sum, capture := sha256.New(), &textCapture{}
	w := io.MultiWriter(enc, sum, capture)
	if _, err := w.Write(head[:n]); err != nil {
		return nil, fmt.Errorf("write document file: %w", err)
	}
	copied, err := io.Copy(w, in)
	if in.err != nil {
		return nil, uploadError(in.err, limit)
	} else if err != nil {
		return nil, fmt.Errorf("write document file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("finish encryption: %w", err)
	}
	st.size = int64(n) + copied
	st.sha256 = hex.EncodeToString(sum.Sum(nil))
	return capture, nil
}

// discard removes a staged file whose rows were not committed.
func (st *staged) discard(s *Service) {
	s.removeFile(st.path)
	if err := syncDir(filepath.Dir(st.path)); err != nil {
		s.log.Warn("sync document directory", "err", err)
	}
	st.release(s)
}
