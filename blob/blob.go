// Package blob is Strongroom's one interface over object stores: a local
// directory, any S3-compatible endpoint, Google Cloud Storage or Azure Blob
// Storage, chosen by URL (file:///srv/backups, s3://bucket?endpoint=…,
// gs://bucket, azblob://container) through gocloud.dev/blob. Objects are
// streamed both ways; none is held in memory whole.
//
// The drivers are registered by importing them (gocloud.dev/blob/fileblob,
// …/s3blob, …/gcsblob, …/azureblob); cmd/strongroom imports all four, tests
// only what they use.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

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
type Store interface {
	// Put streams r into the object key. The object becomes visible only
	// when the whole stream has been written; a failed or cancelled Put
	// leaves no object (and an existing one as it was).
	Put(ctx context.Context, key string, r io.Reader) (Written, error)
	// Get opens the object key for reading; ENOTFOUND when absent.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat describes the object key; ENOTFOUND when absent.
	Stat(ctx context.Context, key string) (Info, error)
	// List calls fn for every object whose key starts with prefix, in key
	// order; an error from fn stops the listing and is returned.
	List(ctx context.Context, prefix string, fn func(Info) error) error
	// Delete removes the object key; an absent object is not an error.
	Delete(ctx context.Context, key string) error
	// Name is the store's URL without credentials, for logs and pages.
	Name() string
	Close() error
}

// Open opens the store at rawURL with the registered drivers.
func Open(ctx context.Context, rawURL string) (Store, error) {
	name, err := Redact(rawURL)
	if err != nil {
		return nil, err
	}
	b, err := blob.OpenBucket(ctx, rawURL)
	if err != nil {
		return nil, strongroom.Errorf(strongroom.EINVALID, "Cannot open the object store %s: %s.", name, describe(err))
	}
	return &bucket{b: b, name: name}, nil
}

// Redact returns rawURL without a password or secret-looking query values,
// so that a target can be named in logs, metrics and pages.
func Redact(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" {
		return "", strongroom.FieldError("url", "%q is not an object store URL (file:///path, s3://bucket, gs://bucket, azblob://container).", rawURL)
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "secret") || strings.Contains(lk, "password") || strings.Contains(lk, "token") || strings.Contains(lk, "key") {
			q.Set(k, "REDACTED")
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

type bucket struct {
	b    *blob.Bucket
	name string
}

func (s *bucket) Name() string { return s.name }
func (s *bucket) Close() error { return s.b.Close() }

func (s *bucket) Put(ctx context.Context, key string, r io.Reader) (Written, error) {
	// A cancelled context before Close makes gocloud abort the upload, so
	// nothing partial becomes visible.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return Written{}, s.fail("write", key, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), r)
	if err != nil {
		cancel()
		w.Close()
		return Written{}, s.fail("write", key, err)
	}
	if err := w.Close(); err != nil {
		return Written{}, s.fail("write", key, err)
	}
	return Written{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func (s *bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := s.b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, s.fail("read", key, err)
	}
	return r, nil
}

func (s *bucket) Stat(ctx context.Context, key string) (Info, error) {
	a, err := s.b.Attributes(ctx, key)
	if err != nil {
		return Info{}, s.fail("read", key, err)
	}
	return Info{Key: key, Size: a.Size, ModTime: a.ModTime}, nil
}

func (s *bucket) List(ctx context.Context, prefix string, fn func(Info) error) error {
	it := s.b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return s.fail("list", prefix, err)
		}
		if o.IsDir {
			continue
		}
		if err := fn(Info{Key: o.Key, Size: o.Size, ModTime: o.ModTime}); err != nil {
			return err
		}
	}
}

func (s *bucket) Delete(ctx context.Context, key string) error {
	err := s.b.Delete(ctx, key)
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return s.fail("delete", key, err)
	}
	return nil
}

// fail turns a driver error into Strongroom's: absent objects are
// ENOTFOUND, refusals and bad arguments EINVALID, anything else (a store
// that cannot be reached) EUNAVAILABLE. The driver's text follows for the
// log; the message a person sees names only the store and the object.
func (s *bucket) fail(op, key string, err error) error {
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return fmt.Errorf("%w (%v)", strongroom.Errorf(strongroom.ENOTFOUND, "No object %s in %s.", key, s.name), err)
	case gcerrors.PermissionDenied, gcerrors.InvalidArgument:
		return fmt.Errorf("%w (%v)", strongroom.Errorf(strongroom.EINVALID, "The object store %s refused to %s %s: %s.", s.name, op, key, describe(err)), err)
	case gcerrors.Canceled:
		return err
	}
	return fmt.Errorf("%w (%v)", strongroom.Errorf(strongroom.EUNAVAILABLE, "Cannot %s %s in %s: the object store did not answer as expected.", op, key, s.name), err)
}

// describe is a driver error's text without gocloud's "blob (code=…)" prefix.
func describe(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "): "); i >= 0 && strings.HasPrefix(msg, "blob") {
		msg = msg[i+3:]
	}
	return strings.TrimSuffix(msg, ".")
}
