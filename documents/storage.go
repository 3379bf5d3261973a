package documents

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/minio/sio"

	"strongroom/keys"
	"strongroom/tenancy"
)

// tempPrefix starts the name of a file still being written. Such a file
// named with lockedTempPrefix is locked by its writer for as long as the
// upload lasts (see inflight.go); one without it comes from a version of
// Strongroom that did not lock, and only its age tells it is abandoned.
const (
	tempPrefix       = ".upload-"
	lockedTempPrefix = ".upload-locked-"
)

// storageKeyPattern is what a storage key looks like; a key read from the
// database is checked against it before it becomes part of a path.
var storageKeyPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// newStorageKey returns a random name for a file: 128 bits, hex.
func newStorageKey() string {
	var b [16]byte
	rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// filePath returns where the file of a storage key lives.
func filePath(dir, key string) (string, error) {
	if !storageKeyPattern.MatchString(key) {
		return "", fmt.Errorf("stored storage key %q is malformed", key)
	}
	return filepath.Join(dir, key), nil
}

// keyAAD binds a wrapped file key to its tenant and file: a wrapped key
// copied to another row or tenant does not open.
func keyAAD(t *tenancy.Handle, storageKey string) []byte {
	return []byte("strongroom document file key v1\x00" + t.SealedAs() + "\x00" + storageKey)
}

// wrapKey seals a file key with the tenant's data key.
func wrapKey(t *tenancy.Handle, storageKey string, fileKey []byte) ([]byte, error) {
	return keys.Seal(t.DataKey(), fileKey, keyAAD(t, storageKey))
}

// unwrapKey opens a wrapped file key.
func unwrapKey(t *tenancy.Handle, storageKey string, wrapped []byte) ([]byte, error) {
	key, err := keys.OpenSealed(t.DataKey(), wrapped, keyAAD(t, storageKey))
	if err != nil {
		// Not %w: the keys package's error carries a message of its own
		// that must not reach a client; errDamaged speaks for it.
		return nil, fmt.Errorf("unwrap file key: %v", err)
	}
	return key, nil
}

// sioConfig is the one encryption format of document files: DARE 2.0 with
// AES-256-GCM only.
func sioConfig(fileKey []byte) sio.Config {
	return sio.Config{MinVersion: sio.Version20, MaxVersion: sio.Version20,
		CipherSuites: []byte{sio.AES_256_GCM}, Key: fileKey}
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// removeFile deletes a stored file, logging (not returning) a failure: the
// caller's outcome stands, and Purge sweeps what is left.
func (s *Service) removeFile(path string) {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		s.log.Error("remove document file", "path", path, "err", err)
	}
}

// writerOnly hides a file's Close from sio, which closes what it writes
// to: the file must be synced first.
type writerOnly struct{ f *os.File }

func (w writerOnly) Write(p []byte) (int, error) { return w.f.Write(p) }
