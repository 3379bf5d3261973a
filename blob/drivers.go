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

// A Diagnoser recognises errors of one driver that gocloud leaves as
// Unknown (an Azure refusal, say) and returns Strongroom's error code and
// a phrase for the message ("it refused the credentials (…)"); ok is
// false for errors it does not know. The phrase must not quote the error.
type Diagnoser func(err error) (code, what string, ok bool)

var (
	diagnosersMu sync.RWMutex
	diagnosers   []Diagnoser
)

// RegisterDiagnoser adds d to those consulted, before the generic rules,
// for every store's errors. It is meant to be called from a driver
// package's init.
func RegisterDiagnoser(d Diagnoser) {
	diagnosersMu.Lock()
	defer diagnosersMu.Unlock()
	diagnosers = append(diagnosers, d)
}

func registeredDiagnosis(err error) (problem, bool) {
	diagnosersMu.RLock()
	defer diagnosersMu.RUnlock()
	for _, d := range diagnosers {
		if code, what, ok := d(err); ok {
			return problem{code, what}, true
		}
	}
	return problem{}, false
}
