package keys

import (
	"bytes"
	"context"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"strongroom"
)

// fileWrapAAD binds what the file keeper wraps to its purpose.
var fileWrapAAD = []byte("strongroom/keys: master key file wrap")

// maxKeyFileSize bounds how much of a supposed key file is read.
const maxKeyFileSize = 1024

// fileKeeper wraps with a 32-byte master key read from a local file.
type fileKeeper struct {
	path string
	mu   sync.RWMutex
	aead cipher.AEAD // nil once closed
}

func (k *fileKeeper) Wrap(ctx context.Context, plaintext []byte) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.aead == nil {
		return nil, errClosed()
	}
	return seal(k.aead, plaintext, fileWrapAAD), nil
}

func (k *fileKeeper) Unwrap(ctx context.Context, ciphertext []byte) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.aead == nil {
		return nil, errClosed()
	}
	plaintext, err := openSealed(k.aead, ciphertext, fileWrapAAD)
	if err != nil {
		return nil, fmt.Errorf("keys: unwrap with master key file %s: %w", k.path, err)
	}
	return plaintext, nil
}

func (k *fileKeeper) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.aead = nil
	return nil
}

func errClosed() error {
	return strongroom.Errorf(strongroom.EINTERNAL, "master key keeper is closed")
}

// openFile opens the key file at path, creating it first if it is missing
// and create is true.
func openFile(path string, create bool) (Keeper, error) {
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, strongroom.Errorf(strongroom.EINVALID,
				"master key file %s does not exist: restore it from where you keep your master key backup "+
					"(without it, existing tenant data cannot be decrypted)", path)
		}
		key, err = createKeyFile(path)
		if errors.Is(err, fs.ErrExist) { // another process created it first
			key, err = readKeyFile(path)
		}
	}
	if err != nil {
		return nil, err
	}
	defer clear(key)
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return &fileKeeper{path: path, aead: aead}, nil
}

// readKeyFile returns the key in the file at path. A missing file gives an
// error matching fs.ErrNotExist.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("%w: %w", strongroom.Errorf(strongroom.EINVALID,
			"cannot read master key file %s: check its owner and permissions", path), err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keys: stat master key file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, errNotKeyFile(path)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, strongroom.Errorf(strongroom.EINVALID,
			"master key file %s is accessible to group or others (mode %04o); restrict it with: chmod 600 %s",
			path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("keys: read master key file %s: %w", path, err)
	}
	defer clear(data)
	key, ok := parseKeyFile(data)
	if !ok {
		return nil, errNotKeyFile(path)
	}
	return key, nil
}

// parseKeyFile decodes a key file's contents: one line of standard base64
// holding exactly 32 bytes.
func parseKeyFile(data []byte) ([]byte, bool) {
	if len(data) > maxKeyFileSize {
		return nil, false
	}
	line := bytes.TrimSpace(data)
	key := make([]byte, base64.StdEncoding.DecodedLen(len(line)))
	n, err := base64.StdEncoding.Strict().Decode(key, line)
	if err != nil || n != DataKeySize || bytes.ContainsAny(line, "\r\n") {
		clear(key)
		return nil, false
	}
	return key[:n], true
}

func errNotKeyFile(path string) error {
	return strongroom.Errorf(strongroom.EINVALID,
		"%s is not a Strongroom master key file (want 32 random bytes, base64 on one line)", path)
}

// createKeyFile writes a new random key to path, mode 0600, creating the
// parent directory (0700) if absent. It never replaces an existing file: if
// path exists it returns an error matching fs.ErrExist.
func createKeyFile(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", strongroom.Errorf(strongroom.EINVALID,
			"cannot create directory %s for the master key file", dir), err)
	}
	key, err := NewDataKey()
	if err != nil {
		return nil, err
	}
	line := base64.StdEncoding.AppendEncode(nil, key)
	line = append(line, '\n')
	defer clear(line)

	if err := writeNew(path, line); err != nil {
		clear(key)
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", strongroom.Errorf(strongroom.EINVALID,
			"cannot create master key file %s", path), err)
	}
	return key, nil
}

// writeNew creates path with data, atomically where the file system has hard
// links: the data is written and synced to a temporary file that is then
// linked into place, which fails rather than replace an existing file.
func writeNew(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".strongroom-master-key-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := writeSync(tmp, data); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return err
	} else if err != nil { // no hard links here: write in place, exclusively
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if err := writeSync(f, data); err != nil {
			os.Remove(path)
			return err
		}
	}
	return syncDir(dir)
}

// writeSync writes data to f, syncs and closes it.
func writeSync(f *os.File, data []byte) error {
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
