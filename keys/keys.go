// Package keys is Strongroom's envelope encryption: a master key (a local key
// file or a KMS key reached through gocloud.dev/secrets) wraps one data key per
// tenant, and the data keys seal the tenant's secrets with AES-256-GCM.
//
// No error from this package carries key material.
package keys

import (
	"context"
	"errors"
	"fmt"
	"net"
	neturl "net/url"
	"path"
	"path/filepath"
	"strings"

	"gocloud.dev/gcerrors"
	"gocloud.dev/secrets"

	"strongroom"
)

// Keeper wraps and unwraps small secrets (tenant data keys) with the master key.
type Keeper interface {
	Wrap(ctx context.Context, plaintext []byte) ([]byte, error)
	Unwrap(ctx context.Context, ciphertext []byte) ([]byte, error)
	Close() error
}

var (
	_ Keeper = (*fileKeeper)(nil)
	_ Keeper = (*cloudKeeper)(nil)
)

// cloudSchemes are the KMS schemes Strongroom knows; their drivers are linked
// in by cmd/strongroom, not by this package.
var cloudSchemes = []string{"awskms", "gcpkms", "azurekeyvault", "hashivault", "base64key"}

// Open returns the keeper named by url:
//
//   - a plain file path or file:///abs/path: a local key file holding 32
//     random bytes, base64 on one line. A missing file is created (mode 0600)
//     only when create is true.
//   - any other scheme (awskms://, gcpkms://, azurekeyvault://, hashivault://,
//     base64key://): a gocloud.dev/secrets keeper; create is ignored. The
//     driver must be linked into the binary.
func Open(ctx context.Context, url string, create bool) (Keeper, error) {
	if strings.TrimSpace(url) == "" {
		return nil, strongroom.Errorf(strongroom.EINVALID, "no master key configured: give a key file path or a KMS URL")
	}
	if p, ok := FileKeeperPath(url); ok {
		return openFile(p, create)
	}
	if hasScheme(url, "file") {
		return nil, strongroom.Errorf(strongroom.EINVALID, "master key file URL must have the form file:///absolute/path")
	}
	return openCloud(ctx, url)
}

// FileKeeperPath reports whether url names a local key file, and its path.
// A string without "://" is a file path; file:///abs/path (or
// file://localhost/abs/path) is the absolute path /abs/path.
func FileKeeperPath(url string) (path string, ok bool) {
	if strings.TrimSpace(url) == "" {
		return "", false
	}
	if !strings.Contains(url, "://") {
		return filepath.Clean(url), true
	}
	if !hasScheme(url, "file") {
		return "", false
	}
	return fileURLPath(url)
}

func fileURLPath(rawURL string) (string, bool) {
	u, err := neturl.Parse(rawURL)
	if err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", false
	}
	if !path.IsAbs(u.Path) {
		return "", false
	}
	return filepath.FromSlash(path.Clean(u.Path)), true
}

// hasScheme reports whether rawURL starts with scheme:// (any case).
func hasScheme(rawURL, scheme string) bool {
	prefix := scheme + "://"
	return len(rawURL) >= len(prefix) && strings.EqualFold(rawURL[:len(prefix)], prefix)
}

// openCloud opens a gocloud.dev/secrets keeper. rawURL may hold key material
// (base64key://KEY), so it is never put into an error as given.
func openCloud(ctx context.Context, rawURL string) (Keeper, error) {
	u, err := neturl.Parse(rawURL)
	if err != nil || u.Scheme == "" {
		return nil, strongroom.Errorf(strongroom.EINVALID, "master key setting is neither a file path nor a valid URL")
	}
	scheme := strings.ToLower(u.Scheme)
	mux := secrets.DefaultURLMux()
	if !mux.ValidKeeperScheme(scheme) {
		for _, s := range cloudSchemes {
			if s == scheme {
				return nil, strongroom.Errorf(strongroom.EINVALID, "master key scheme %q is not available in this build", scheme)
			}
		}
		return nil, strongroom.Errorf(strongroom.EINVALID,
			"unknown master key URL scheme %q: use a key file path, file:///path, or one of %s://",
			scheme, strings.Join(cloudSchemes, "://, "))
	}
	if scheme == "base64key" && u.Host == "" {
		// localsecrets would make up a random key: every start would get a
		// different master key and lose all tenant data.
		return nil, strongroom.Errorf(strongroom.EINVALID, "base64key:// master key URL has no key in it")
	}
	k, err := mux.OpenKeeperURL(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", strongroom.Errorf(strongroom.EINVALID, "cannot open the master key at %s", redact(u)), err)
	}
	return &cloudKeeper{k: k, scheme: scheme}, nil
}

// redact renders u for messages, without credentials or inline key material.
func redact(u *neturl.URL) string {
	if strings.EqualFold(u.Scheme, "base64key") {
		return "base64key://(redacted)"
	}
	v := *u
	v.RawQuery, v.Fragment = "", ""
	return v.Redacted()
}

// cloudKeeper adapts a *secrets.Keeper to Keeper.
type cloudKeeper struct {
	k      *secrets.Keeper
	scheme string
}

func (c *cloudKeeper) Wrap(ctx context.Context, plaintext []byte) ([]byte, error) {
	out, err := c.k.Encrypt(ctx, plaintext)
	if err != nil {
		return nil, c.error("wrap", err)
	}
	return out, nil
}

func (c *cloudKeeper) Unwrap(ctx context.Context, ciphertext []byte) ([]byte, error) {
	out, err := c.k.Decrypt(ctx, ciphertext)
	if err != nil {
		return nil, c.error("unwrap", err)
	}
	return out, nil
}

func (c *cloudKeeper) Close() error { return c.k.Close() }

// error marks failures to reach the key service as EUNAVAILABLE; anything
// else (wrong key, damaged ciphertext) stays EINTERNAL.
func (c *cloudKeeper) error(op string, err error) error {
	var ne net.Error
	switch {
	case errors.As(err, &ne),
		gcerrors.Code(err) == gcerrors.DeadlineExceeded,
		gcerrors.Code(err) == gcerrors.Canceled,
		gcerrors.Code(err) == gcerrors.ResourceExhausted,
		gcerrors.Code(err) == gcerrors.Internal:
		return fmt.Errorf("keys: %s: %w: %w", op,
			strongroom.Errorf(strongroom.EUNAVAILABLE, "the key service (%s) cannot be reached", c.scheme), err)
	}
	return fmt.Errorf("keys: %s with %s: %w", op, c.scheme, err)
}
