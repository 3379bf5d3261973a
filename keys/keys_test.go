package keys

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocloud.dev/secrets/localsecrets"

	"strongroom"
)

// MustOpen opens url or fails the test.
func MustOpen(tb testing.TB, url string, create bool) Keeper {
	tb.Helper()
	k, err := Open(context.Background(), url, create)
	if err != nil {
		tb.Fatalf("Open(%q): %v", url, err)
	}
	tb.Cleanup(func() { k.Close() })
	return k
}

// base64KeyURL returns a base64key:// URL with a fresh random key, and the key.
func base64KeyURL(tb testing.TB) (string, [32]byte) {
	tb.Helper()
	sk, err := localsecrets.NewRandomKey()
	if err != nil {
		tb.Fatal(err)
	}
	return "base64key://" + base64.URLEncoding.EncodeToString(sk[:]), sk
}

// readKey returns the raw key and the file contents of a key file.
func readKey(tb testing.TB, path string) ([]byte, string) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != 32 {
		tb.Fatalf("key file %s: %d bytes, %v", path, len(key), err)
	}
	return key, string(data)
}

func wantCode(tb testing.TB, err error, code, fragment string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("err = nil, want %s error containing %q", code, fragment)
	}
	if got := strongroom.ErrorCode(err); got != code {
		tb.Errorf("code = %q, want %q (err: %v)", got, code, err)
	}
	if !strings.Contains(strongroom.ErrorMessage(err), fragment) {
		tb.Errorf("message %q does not contain %q", strongroom.ErrorMessage(err), fragment)
	}
}

func TestOpen_FileCreate(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		url  func(path string) string
	}{
		{"plain path", func(p string) string { return p }},
		{"file URL", func(p string) string { return "file://" + filepath.ToSlash(p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "new", "dir")
			path := filepath.Join(dir, "master.key")
			first := MustOpen(t, tc.url(path), true)

			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("key file mode = %04o, want 0600", perm)
			}
			di, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if perm := di.Mode().Perm(); perm != 0o700 {
				t.Errorf("key dir mode = %04o, want 0700", perm)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("key dir holds %d entries, want 1 (no temporary files left)", len(entries))
			}
			readKey(t, path)

			wrapped, err := first.Wrap(ctx, []byte("tenant data key"))
			if err != nil {
				t.Fatal(err)
			}
			// Reopen, with create both ways: the file must be read, not replaced.
			for _, create := range []bool{false, true} {
				second := MustOpen(t, tc.url(path), create)
				got, err := second.Unwrap(ctx, wrapped)
				if err != nil {
					t.Fatalf("create=%v: Unwrap: %v", create, err)
				}
				if string(got) != "tenant data key" {
					t.Fatalf("create=%v: Unwrap = %q", create, got)
				}
			}
		})
	}
}

func TestOpen_FileMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	path := filepath.Join(dir, "master.key")
	_, err := Open(context.Background(), path, false)
	wantCode(t, err, strongroom.EINVALID, "master key file "+path+" does not exist")
	if !strings.Contains(err.Error(), "restore") {
		t.Errorf("error %q does not tell the operator to restore the file", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open with create=false created %s (stat err %v)", dir, err)
	}
}

func TestOpen_FileRefused(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)) + "\n"
	for _, tc := range []struct {
		name     string
		data     string
		mode     os.FileMode
		code     string
		fragment string
	}{
		{"group readable", good, 0o640, strongroom.EINVALID, "chmod 600"},
		{"world readable", good, 0o604, strongroom.EINVALID, "chmod 600"},
		{"empty", "", 0o600, strongroom.EINVALID, "is not a Strongroom master key file"},
		{"garbage", "hello, world\n", 0o600, strongroom.EINVALID, "is not a Strongroom master key file"},
		{"short key", base64.StdEncoding.EncodeToString(make([]byte, 31)), 0o600, strongroom.EINVALID, "is not a Strongroom master key file"},
		{"long key", base64.StdEncoding.EncodeToString(make([]byte, 33)), 0o600, strongroom.EINVALID, "is not a Strongroom master key file"},
		{"two lines", good + good, 0o600, strongroom.EINVALID, "is not a Strongroom master key file"},
		{"huge", strings.Repeat("A", 5000), 0o600, strongroom.EINVALID, "is not a Strongroom master key file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "master.key")
			if err := os.WriteFile(path, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, err := Open(context.Background(), path, true)
			wantCode(t, err, tc.code, tc.fragment)
			if tc.data != "" && strings.Contains(err.Error(), strings.TrimSpace(tc.data)) {
				t.Errorf("error %q contains the file's contents", err)
			}
			if got, _ := os.ReadFile(path); string(got) != tc.data {
				t.Errorf("Open changed the refused file")
			}
		})
	}
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Open(context.Background(), dir, true)
		wantCode(t, err, strongroom.EINVALID, "is not a Strongroom master key file")
	})
}

func TestOpen_Schemes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		url      string
		fragment string
	}{
		{"empty", "", "no master key configured"},
		{"unknown scheme", "rot13://some/key", `unknown master key URL scheme "rot13"`},
		{"driver not linked", "awskms://alias/strongroom?region=eu-west-1", `"awskms" is not available in this build`},
		{"base64key without key", "base64key://", "has no key"},
		{"base64key bad key", "base64key://c2hvcnQ=", "cannot open the master key at base64key://(redacted)"},
		{"file URL with host", "file://server/etc/key", "file:///absolute/path"},
		{"file URL relative", "file://", "file:///absolute/path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(context.Background(), tc.url, true)
			wantCode(t, err, strongroom.EINVALID, tc.fragment)
		})
	}
}

func TestFileKeeperPath(t *testing.T) {
	for _, tc := range []struct {
		url  string
		path string
		ok   bool
	}{
		{"/var/lib/strongroom/master.key", "/var/lib/strongroom/master.key", true},
		{"data/master.key", "data/master.key", true},
		{"file:///var/lib/strongroom/master.key", "/var/lib/strongroom/master.key", true},
		{"FILE:///a/b/../c", "/a/c", true},
		{"file://localhost/a/key", "/a/key", true},
		{"file:///a/my%20key", "/a/my key", true},
		{"file://host/a/key", "", false},
		{"file:///a/key?x=1", "", false},
		{"file://", "", false},
		{"awskms://alias/x", "", false},
		{"base64key://abc", "", false},
		{"", "", false},
	} {
		t.Run(tc.url, func(t *testing.T) {
			path, ok := FileKeeperPath(tc.url)
			if path != filepath.FromSlash(tc.path) || ok != tc.ok {
				t.Errorf("FileKeeperPath(%q) = %q, %v; want %q, %v", tc.url, path, ok, tc.path, tc.ok)
			}
		})
	}
}

func TestKeeper_WrongKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	urlA, _ := base64KeyURL(t)
	urlB, _ := base64KeyURL(t)
	for _, tc := range []struct {
		name   string
		urlA   string
		urlB   string
		keysOf []string // key files whose contents must not leak
	}{
		{"file", filepath.Join(dir, "a.key"), filepath.Join(dir, "b.key"), []string{"a.key", "b.key"}},
		{"base64key", urlA, urlB, nil},
		{"file then base64key", filepath.Join(dir, "c.key"), urlB, []string{"c.key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := MustOpen(t, tc.urlA, true)
			b := MustOpen(t, tc.urlB, true)

			check, err := MakeCheck(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyCheck(ctx, a, check); err != nil {
				t.Fatalf("VerifyCheck with the same key: %v", err)
			}
			err = VerifyCheck(ctx, b, check)
			var serr *strongroom.Error
			if !errors.As(err, &serr) || serr.Code != strongroom.EINVALID ||
				serr.Message != "the master key does not match this installation's (wrong key file or KMS key?)" {
				t.Fatalf("VerifyCheck with another key = %v", err)
			}

			wrapped, err := a.Wrap(ctx, []byte("data key"))
			if err != nil {
				t.Fatal(err)
			}
			_, unwrapErr := b.Unwrap(ctx, wrapped)
			if unwrapErr == nil {
				t.Fatal("Unwrap with another key succeeded")
			}

			var secrets []string
			for _, name := range tc.keysOf {
				key, text := readKey(t, filepath.Join(dir, name))
				secrets = append(secrets, strings.TrimSpace(text), string(key))
			}
			for _, u := range []string{tc.urlA, tc.urlB} {
				if k, ok := strings.CutPrefix(u, "base64key://"); ok {
					secrets = append(secrets, k)
				}
			}
			assertNoSecrets(t, []error{err, unwrapErr}, secrets)
		})
	}
}

func TestKeeper_Tampered(t *testing.T) {
	ctx := context.Background()
	url, _ := base64KeyURL(t)
	for _, tc := range []struct{ name, url string }{
		{"file", filepath.Join(t.TempDir(), "master.key")},
		{"base64key", url},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := MustOpen(t, tc.url, true)
			wrapped, err := k.Wrap(ctx, []byte("tenant data key"))
			if err != nil {
				t.Fatal(err)
			}
			for i := range wrapped {
				bad := bytes.Clone(wrapped)
				bad[i] ^= 0x01
				if _, err := k.Unwrap(ctx, bad); err == nil {
					t.Fatalf("Unwrap succeeded with byte %d flipped", i)
				}
			}
			for _, bad := range [][]byte{nil, wrapped[:len(wrapped)-1], append(bytes.Clone(wrapped), 0)} {
				if _, err := k.Unwrap(ctx, bad); err == nil {
					t.Fatalf("Unwrap succeeded on %d bytes", len(bad))
				}
			}
		})
	}
	t.Run("file sealed with Seal is not a wrap", func(t *testing.T) {
		// The file keeper binds its purpose into the AAD.
		path := filepath.Join(t.TempDir(), "master.key")
		k := MustOpen(t, path, true)
		key, _ := readKey(t, path)
		sealed, err := Seal(key, []byte("x"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.Unwrap(ctx, sealed); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("Unwrap = %v, want ErrDecrypt", err)
		}
	})
}

func TestKeeper_Closed(t *testing.T) {
	k, err := Open(context.Background(), filepath.Join(t.TempDir(), "master.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Wrap(context.Background(), []byte("x")); err == nil {
		t.Fatal("Wrap after Close succeeded")
	}
}

func TestRewrap(t *testing.T) {
	ctx := context.Background()
	from := MustOpen(t, filepath.Join(t.TempDir(), "master.key"), true)
	url, sk := base64KeyURL(t)
	to := MustOpen(t, url, false)

	dataKey, err := NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := from.Wrap(ctx, dataKey)
	if err != nil {
		t.Fatal(err)
	}
	rewrapped, err := Rewrap(ctx, from, to, wrapped)
	if err != nil {
		t.Fatal(err)
	}
	// A keeper opened independently on the same KMS key unwraps it.
	again := localsecrets.NewKeeper(sk)
	defer again.Close()
	for name, unwrap := range map[string]func() ([]byte, error){
		"to":           func() ([]byte, error) { return to.Unwrap(ctx, rewrapped) },
		"localsecrets": func() ([]byte, error) { return again.Decrypt(ctx, rewrapped) },
	} {
		t.Run(name, func(t *testing.T) {
			got, err := unwrap()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, dataKey) {
				t.Fatal("rewrapped key differs from the original")
			}
		})
	}
	t.Run("old wrap does not open with new key", func(t *testing.T) {
		if _, err := to.Unwrap(ctx, wrapped); err == nil {
			t.Fatal("Unwrap of the old wrap with the new key succeeded")
		}
	})
	t.Run("wrong from key", func(t *testing.T) {
		other := MustOpen(t, filepath.Join(t.TempDir(), "other.key"), true)
		if _, err := Rewrap(ctx, other, to, wrapped); err == nil {
			t.Fatal("Rewrap with the wrong old key succeeded")
		}
	})
}

// assertNoSecrets fails if any error's text contains any secret.
func assertNoSecrets(tb testing.TB, errs []error, secrets []string) {
	tb.Helper()
	for _, err := range errs {
		if err == nil {
			continue
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(err.Error(), s) {
				tb.Errorf("error %q contains key material", err)
			}
		}
	}
}

func TestErrors_NoKeyMaterial(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	url, sk := base64KeyURL(t)
	keyText := strings.TrimPrefix(url, "base64key://")
	secrets := []string{keyText, string(sk[:]), base64.StdEncoding.EncodeToString(sk[:])}

	var errs []error
	record := func(_ any, err error) {
		if err == nil {
			t.Errorf("expected an error (%d)", len(errs))
		}
		errs = append(errs, err)
	}
	record(Open(ctx, url+"?bogus=1", false))
	record(Open(ctx, "rot13://"+keyText, false))
	record(Open(ctx, "base64key://"+keyText[:20], false))
	record(Open(ctx, "base64key://%zz"+keyText, false))
	record(Open(ctx, filepath.Join(dir, "absent.key"), false))

	loose := filepath.Join(dir, "loose.key")
	os.WriteFile(loose, []byte(base64.StdEncoding.EncodeToString(sk[:])+"\n"), 0o644)
	os.Chmod(loose, 0o644)
	record(Open(ctx, loose, false))
	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(bad, []byte(base64.StdEncoding.EncodeToString(sk[:31])+"\n"), 0o600)
	record(Open(ctx, bad, false))
	secrets = append(secrets, base64.StdEncoding.EncodeToString(sk[:31]))

	k := MustOpen(t, url, false)
	record(k.Unwrap(ctx, []byte("not a ciphertext")))
	record(nil, VerifyCheck(ctx, k, []byte("not a check")))
	record(Seal(sk[:31], []byte("x"), nil))
	sealed, _ := Seal(sk[:], []byte("x"), nil)
	record(OpenSealed(sk[:], sealed, []byte("other")))

	assertNoSecrets(t, errs, secrets)
}
