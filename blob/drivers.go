package blob

import (
	"context"
	"net/url"
	"sort"
	"sync"

	"gocloud.dev/blob"

	"strongroom"
)

// IsAbsent reports whether err says an object does not exist.
func IsAbsent(err error) bool { return strongroom.ErrorCode(err) == strongroom.ENOTFOUND }

// An Opener opens the bucket a URL names. It is for drivers that need more
// from a URL than gocloud's own openers read from it, such as an S3 target
// that carries credentials of its own (see strongroom/blob/s3store).
type Opener func(ctx context.Context, u *url.URL) (*blob.Bucket, error)

var (
	openersMu sync.RWMutex
	openers   = map[string]Opener{}
)

// RegisterScheme makes Open use open for URLs of scheme, ahead of the
// gocloud driver registered for it. It is meant to be called from a driver
// package's init; registering a scheme twice panics, as gocloud does.
func RegisterScheme(scheme string, open Opener) {
	openersMu.Lock()
	defer openersMu.Unlock()
	if _, dup := openers[scheme]; dup {
		panic("blob: scheme " + scheme + " registered twice")
	}
	openers[scheme] = open
}

func openerFor(scheme string) Opener {
	openersMu.RLock()
	defer openersMu.RUnlock()
	return openers[scheme]
}

// schemes lists the URL schemes this program can open, for messages.
func schemes() []string {
	seen := map[string]bool{}
	for _, s := range blob.DefaultURLMux().BucketSchemes() {
		seen[s] = true
	}
	openersMu.RLock()
	for s := range openers {
		seen[s] = true
	}
	openersMu.RUnlock()
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
