// Package blob is Strongroom's one interface over object stores: a local
// directory, any S3-compatible endpoint, Google Cloud Storage or Azure Blob
// Storage, chosen by URL (file:///srv/backups, s3://bucket?endpoint=…,
// gs://bucket, azblob://container) through gocloud.dev/blob. Objects are
// streamed both ways; none is held in memory whole.
//
// The drivers are registered by importing them (gocloud.dev/blob/fileblob,
// …/s3blob, …/gcsblob, …/azureblob, and strongroom/blob/s3store for S3
// targets with credentials of their own); cmd/strongroom imports them all,
// tests only what they use. Every store passes the contract suite in
// strongroom/blob/blobtest.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gocloud.dev/blob"

	"strongroom"
)

// Info describes a stored object.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Written is what Put learned while streaming an object: its size and the
// SHA-256 of its bytes as sent.
type Written struct {
	Size   int64
	SHA256 string // lowercase hex
}

// Store is one bucket (or directory, or container).
//
// Keys are UTF-8 paths of at most 1024 bytes, parts separated by slashes;
// no part is empty, "." or "..", no control character or backslash, and a
// key does not end in a slash, ".tmp" or ".attrs" (EINVALID otherwise), so
// that a key names the same object on every kind of store. On a directory
// store, "a" and "a/b" cannot both be objects. A Store is safe for
// concurrent use; concurrent Puts to one key leave one of them whole.
type Store interface {
	// Put streams r into the object key. The object becomes visible only
	// when the whole stream has been written (and, on a directory store,
	// synced to disk); a failed or cancelled Put leaves no object (and an
	// existing one as it was). An error of r is returned wrapped, so that
	// errors.Is and strongroom.ErrorCode see it.
	Put(ctx context.Context, key string, r io.Reader) (Written, error)
	// Get opens the object key for reading; ENOTFOUND when absent.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat describes the object key; ENOTFOUND when absent.
	Stat(ctx context.Context, key string) (Info, error)
	// List calls fn for every object whose key starts with prefix, in key
	// order (by bytes); an error from fn stops the listing and is returned.
	List(ctx context.Context, prefix string, fn func(Info) error) error
	// Delete removes the object key; an absent object is not an error.
	Delete(ctx context.Context, key string) error
	// Name is the store's URL without credentials, for logs and pages.
	Name() string
	Close() error
}

// probeTimeout bounds the check that Open makes when its context has no
// deadline of its own: a store that does not answer must not hang startup.
const probeTimeout = 30 * time.Second

// Open opens the store at rawURL with the registered drivers and checks
// that it answers: an unknown scheme, a missing bucket or directory,
// refused credentials and an unreachable endpoint are each reported here,
// in a message that names the store without its secrets.
func Open(ctx context.Context, rawURL string) (Store, error) {
	name, secrets, err := redact(rawURL)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(rawURL) // redact parsed it already
	open := openerFor(u.Scheme)
	if open == nil && !slices.Contains(blob.DefaultURLMux().BucketSchemes(), u.Scheme) {
		return nil, strongroom.FieldError("url", "Cannot open the object store %s: this program knows no object store of kind %q (it knows %s).",
			name, u.Scheme, strings.Join(schemes(), ", "))
	}
	isFile := u.Scheme == "file"
	if isFile {
		fileDefaults(u)
	}
	var b *blob.Bucket
	if open != nil {
		b, err = open(ctx, u)
	} else {
		b, err = blob.DefaultURLMux().OpenBucketURL(ctx, u)
	}
	if err != nil {
		return nil, openFail(name, secrets, err, false)
	}
	if err := probe(ctx, b); err != nil {
		b.Close()
		return nil, openFail(name, secrets, err, true)
	}
	return &bucket{b: b, name: name, secrets: secrets, isFile: isFile}, nil
}

// probe lists at most one object, the cheapest call every store answers
// only when the bucket exists and the credentials are good.
func probe(ctx context.Context, b *blob.Bucket) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, probeTimeout)
		defer cancel()
	}
	_, _, err := b.ListPage(ctx, blob.FirstPageToken, 1, nil)
	return err
}

type bucket struct {
	b       *blob.Bucket
	name    string
	secrets []string // values of the URL that must not reach a message
	isFile  bool
}

func (s *bucket) Name() string { return s.name }
func (s *bucket) Close() error { return s.b.Close() }

func (s *bucket) Put(ctx context.Context, key string, r io.Reader) (Written, error) {
	if err := checkKey(key); err != nil {
		return Written{}, err
	}
	// The driver reads from src itself (gocloud's Upload path). Writing
	// into a gocloud Writer instead goes through a pipe whose failure
	// crashes azureblob v0.47 (its writer's Close dereferences a pipe its
	// upload goroutine has set to nil). src cancels ctx the moment it
	// fails, and a cancelled context makes every driver abort: fileblob
	// removes its temporary file instead of renaming it, S3 aborts the
	// multipart upload, Azure drops the uncommitted blocks.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	src := &source{ctx: ctx, cancel: cancel, r: r, h: sha256.New()}
	err := s.b.Upload(ctx, key, src, &blob.WriterOptions{
		ContentType: "application/octet-stream",
		// A directory store's temporary file, synced before the rename.
		BeforeWrite: func(as func(any) bool) error { as(&src.file); return nil },
	})
	if err != nil {
		return Written{}, s.putFailed(key, src, err)
	}
	if src.file != nil {
		if err := syncDir(filepath.Dir(src.file.Name())); err != nil {
			return Written{}, s.fail("write", key, err)
		}
	}
	return Written{Size: src.n, SHA256: hex.EncodeToString(src.h.Sum(nil))}, nil
}

// putFailed tells apart what stopped a Put: the caller's context, the
// reader it gave, or the store.
func (s *bucket) putFailed(key string, src *source, err error) error {
	switch {
	case src.ctxErr != nil && errors.Is(src.ctxErr, context.DeadlineExceeded):
		return fmt.Errorf("%w (%w)", strongroom.Errorf(strongroom.EUNAVAILABLE, "Storing %s in %s did not finish in time; nothing was stored.", key, s.name), src.ctxErr)
	case src.ctxErr != nil:
		return fmt.Errorf("storing %s in %s: %w", key, s.name, src.ctxErr)
	case src.err != nil:
		return fmt.Errorf("storing %s in %s: reading what was to be stored: %w", key, s.name, src.err)
	case src.syncErr != nil:
		return s.fail("write", key, src.syncErr)
	}
	return s.fail("write", key, err)
}

// source is the reader a Put streams from, read by the driver (from one
// goroutine at a time). It hashes and counts what it gives, stops at once
// when the context ends (a directory store would otherwise copy the rest
// of the stream before noticing), cancels the upload when its reader
// fails, keeps its reader's error apart from the store's, and syncs a
// directory store's file before it says the stream is over.
type source struct {
	ctx    context.Context
	cancel context.CancelFunc
	r      io.Reader
	h      hash.Hash
	n      int64
	file   *os.File
	eof    bool // r is done; the next Read syncs file and reports it
	err    error
	ctxErr error
	// syncErr is the store's failure to sync file.
	syncErr error
}

func (s *source) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		s.ctxErr = err
		return 0, err
	}
	if s.eof {
		return 0, s.end()
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	s.h.Write(p[:n])
	switch {
	case err == io.EOF && n > 0:
		// The driver writes p[:n] after this returns: the file is synced
		// on the next call.
		s.eof = true
		return n, nil
	case err == io.EOF:
		return 0, s.end()
	case err != nil:
		s.err = err
		s.cancel()
	}
	return n, err
}

// end syncs a directory store's file once everything has been written to
// it, so that what is renamed into place is on disk.
func (s *source) end() error {
	s.eof = true
	if s.file == nil || s.syncErr != nil {
		return s.syncOr(io.EOF)
	}
	if err := s.file.Sync(); err != nil {
		s.syncErr = err
		s.cancel()
	}
	return s.syncOr(io.EOF)
}

func (s *source) syncOr(err error) error {
	if s.syncErr != nil {
		return s.syncErr
	}
	return err
}

func (s *bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	r, err := s.b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, s.fail("read", key, err)
	}
	return &reader{r: r, s: s, key: key}, nil
}

// reader reports a failure midway through an object in Strongroom's terms.
type reader struct {
	r   *blob.Reader
	s   *bucket
	key string
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = r.s.fail("read", r.key, err)
	}
	return n, err
}

func (r *reader) Close() error { return r.r.Close() }

func (s *bucket) Stat(ctx context.Context, key string) (Info, error) {
	if err := checkKey(key); err != nil {
		return Info{}, err
	}
	a, err := s.b.Attributes(ctx, key)
	if err != nil {
		return Info{}, s.fail("read", key, err)
	}
	return Info{Key: key, Size: a.Size, ModTime: a.ModTime}, nil
}

func (s *bucket) List(ctx context.Context, prefix string, fn func(Info) error) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	if !s.isFile {
		// The object stores list in key order themselves.
		return s.list(ctx, prefix, fn)
	}
	// fileblob walks directory by directory, so "a/b" comes before "a-b"
	// although '-' < '/': a directory store's listing is sorted here.
	var all []Info
	if err := s.list(ctx, prefix, func(i Info) error { all = append(all, i); return nil }); err != nil {
		return err
	}
	slices.SortFunc(all, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	for _, i := range all {
		if err := fn(i); err != nil {
			return err
		}
	}
	return nil
}

func (s *bucket) list(ctx context.Context, prefix string, fn func(Info) error) error {
	it := s.b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return s.fail("list", prefix, err)
		}
		if o.IsDir || (s.isFile && isTemp(o.Key)) {
			continue
		}
		if err := fn(Info{Key: o.Key, Size: o.Size, ModTime: o.ModTime}); err != nil {
			return err
		}
	}
}

func (s *bucket) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.b.Delete(ctx, key); err != nil {
		if err := s.fail("delete", key, err); !IsAbsent(err) {
			return err
		}
	}
	return nil
}
