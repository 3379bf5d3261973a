package blobtest

import (
	"context"
	"io"
	"sync"

	"strongroom"
	"strongroom/blob"
)

// Faulty wraps a Store and breaks it on command, for tests of what uses a
// store: a target that is down, an upload that dies midway, a read that
// comes back corrupt or short. The zero switches break nothing; every
// method is safe to call while the store is in use.
//
//	f := &blobtest.Faulty{Store: s}
//	f.SetDown(true)
type Faulty struct {
	blob.Store

	mu           sync.Mutex
	down         bool
	failPutAfter int64 // bytes, when failPut
	failPut      bool
	corruptAt    int64 // offset, when corrupt
	corrupt      bool
	truncateAt   int64 // bytes, when truncate
	truncate     bool
}

// SetDown makes every call fail with EUNAVAILABLE, as a store that cannot
// be reached does, until SetDown(false).
func (f *Faulty) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// FailPutAfter makes every Put fail with EUNAVAILABLE once n bytes have
// gone to the store, as a connection that drops midway does; the store
// underneath sees its source fail, so nothing is stored. n < 0 turns it
// off.
func (f *Faulty) FailPutAfter(n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failPutAfter, f.failPut = n, n >= 0
}

// CorruptGet makes what Get reads have the byte at offset flipped (all
// its bits), silently, as a store that rots does. at < 0 turns it off.
func (f *Faulty) CorruptGet(at int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.corruptAt, f.corrupt = at, at >= 0
}

// TruncateGet makes what Get reads end, without an error, after n bytes,
// as a store that lost the end of an object does. n < 0 turns it off.
func (f *Faulty) TruncateGet(n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.truncateAt, f.truncate = n, n >= 0
}

func (f *Faulty) unavailable() error {
	return strongroom.Errorf(strongroom.EUNAVAILABLE, "The object store %s cannot be reached (a fault injected by a test).", f.Name())
}

func (f *Faulty) isDown() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down
}

func (f *Faulty) Put(ctx context.Context, key string, r io.Reader) (blob.Written, error) {
	f.mu.Lock()
	down, failPut, after := f.down, f.failPut, f.failPutAfter
	f.mu.Unlock()
	if down {
		return blob.Written{}, f.unavailable()
	}
	if failPut {
		r = FailAfter(r, after, f.unavailable())
	}
	return f.Store.Put(ctx, key, r)
}

func (f *Faulty) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	f.mu.Lock()
	down, corrupt, at, truncate, n := f.down, f.corrupt, f.corruptAt, f.truncate, f.truncateAt
	f.mu.Unlock()
	if down {
		return nil, f.unavailable()
	}
	rc, err := f.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	var r io.Reader = rc
	if corrupt {
		r = &flipper{r: r, at: at}
	}
	if truncate {
		r = io.LimitReader(r, n)
	}
	return struct {
		io.Reader
		io.Closer
	}{r, rc}, nil
}

func (f *Faulty) Stat(ctx context.Context, key string) (blob.Info, error) {
	if f.isDown() {
		return blob.Info{}, f.unavailable()
	}
	return f.Store.Stat(ctx, key)
}

func (f *Faulty) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if f.isDown() {
		return f.unavailable()
	}
	return f.Store.List(ctx, prefix, fn)
}

func (f *Faulty) Delete(ctx context.Context, key string) error {
	if f.isDown() {
		return f.unavailable()
	}
	return f.Store.Delete(ctx, key)
}

// flipper inverts the byte at offset at of what it reads.
type flipper struct {
	r   io.Reader
	at  int64
	off int64
}

func (c *flipper) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if i := c.at - c.off; i >= 0 && i < int64(n) {
		p[i] ^= 0xff
	}
	c.off += int64(n)
	return n, err
}
