package blobtest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math/rand/v2"
)

// Generated returns a reader of n pseudo-random bytes made from seed: a
// stream as large as a test needs without holding it in memory. The same
// seed and n always give the same bytes.
func Generated(seed uint64, n int64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return io.LimitReader(rand.NewChaCha8(key), n)
}

// GeneratedSHA256 is the lowercase hex SHA-256 of Generated(seed, n).
func GeneratedSHA256(seed uint64, n int64) string {
	return HashOf(Generated(seed, n))
}

// HashOf reads r to its end and returns the lowercase hex SHA-256 of what
// it read, or "" if reading failed.
func HashOf(r io.Reader) string {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// FailAfter returns a reader that yields the first n bytes of r and then
// fails with err, as a source that breaks midway does.
func FailAfter(r io.Reader, n int64, err error) io.Reader {
	return &failing{r: r, left: n, err: err}
}

type failing struct {
	r    io.Reader
	left int64
	err  error
}

func (f *failing) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, f.err
	}
	if int64(len(p)) > f.left {
		p = p[:f.left]
	}
	n, err := f.r.Read(p)
	f.left -= int64(n)
	if err == io.EOF {
		// The source ran out before the failure: that is a failure too,
		// or the test would not test what it says.
		return n, f.err
	}
	return n, err
}

// CancelAfter returns a reader that yields r whole but calls cancel once n
// bytes have been read, as a caller that gives up midway does.
func CancelAfter(r io.Reader, n int64, cancel context.CancelFunc) io.Reader {
	return &cancelling{r: r, left: n, cancel: cancel}
}

type cancelling struct {
	r      io.Reader
	left   int64
	cancel context.CancelFunc
}

func (c *cancelling) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left <= 0 {
		c.cancel()
	}
	return n, err
}
