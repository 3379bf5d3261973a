package backup

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"filippo.io/age"

	"strongroom"
	"strongroom/audit"
	"strongroom/blob"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// refusal is one backup spoiled in one way, and what restoring it must say.
type refusal struct {
	name  string
	spoil func(t *testing.T, f *refuseFixture)
	want  string
	code  string
}

type refuseFixture struct {
	src    *server
	k      ageKeys
	dir    string // the file target's directory
	target blob.Store
	id     string
	other  *tenancy.Handle // another tenant of the same server
	r      *Restorer       // the fresh server's restorer
}

// Every spoiled backup is refused with a message naming what is wrong,
// before anything of the tenant exists: no row, no database, no files.
func TestRestoreRefusesSpoiledBackups(t *testing.T) {
	cases := []refusal{
		{"corrupted data part", func(t *testing.T, f *refuseFixture) { flipByte(t, f.object(dataObject)) },
			"data part (tenants/firm/backups/" + "", strongroom.EINVALID},
		{"truncated data part", func(t *testing.T, f *refuseFixture) { truncate(t, f.object(dataObject)) },
			"truncated", strongroom.EINVALID},
		{"corrupted document file", func(t *testing.T, f *refuseFixture) { flipByte(t, f.someFile(t)) },
			"document file ", strongroom.EINVALID},
		{"corrupted manifest", func(t *testing.T, f *refuseFixture) { flipByte(t, f.object(manifestObject)) },
			"manifest: hash mismatch", strongroom.EINVALID},
		{"wrong age key", func(t *testing.T, f *refuseFixture) {
			other, _ := age.GenerateX25519Identity()
			f.r.Identities = []age.Identity{other}
		}, "does not open with the backup identity", strongroom.EINVALID},
		{"manifest signed by another tenant", func(t *testing.T, f *refuseFixture) {
			f.rewrite(t, f.other.Audit, func(m *Manifest) {
				m.WrappedKey = f.other.Tenant.WrappedKey
				m.SealedSigner, m.VerifierKey, _ = f.other.Audit.SealedSigner(context.Background())
			})
		}, "names a signing key that is not the tenant's", strongroom.EINVALID},
		{"manifest signed with another key than it names", func(t *testing.T, f *refuseFixture) {
			f.rewrite(t, f.other.Audit, func(m *Manifest) {})
		}, "is not signed by the tenant", strongroom.EINVALID},
		{"newer schema", func(t *testing.T, f *refuseFixture) {
			h, release := f.src.handle("firm")
			defer release()
			f.rewrite(t, h.Audit, func(m *Manifest) { m.SchemaVersion += 1 })
		}, "restore with a newer Strongroom", strongroom.EINVALID},
		{"disk full", func(t *testing.T, f *refuseFixture) {
			f.r.create = fullDisk(3000)
		}, "the disk is full", strongroom.ESTORAGE},
		{"a failing hook after the load", func(t *testing.T, f *refuseFixture) {
			f.r.AfterLoad = func(ctx context.Context, h *tenancy.Handle, _ string) error {
				return strongroom.Errorf(strongroom.EUNAVAILABLE, "The erasure ledger is unavailable.")
			}
		}, "erasure ledger", strongroom.EUNAVAILABLE},
	}
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		src := newServer(t, e, "")
		src.tenant("firm", 2)
		src.tenant("other", 1)
		k := newAgeKeys(t)
		for _, c := range cases {
			t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
				dir := t.TempDir()
				target := openTarget(t, dir)
				res, err := src.backups(k, target).RunTenant(ctx, "firm")
				if err != nil {
					t.Fatal(err)
				}
				other, release := src.handle("other")
				defer release()
				dst := newServer(t, freshEngine(t, e), src.keyPath)
				f := &refuseFixture{src: src, k: k, dir: dir, target: target, id: res.ID, other: other, r: dst.restorer(k)}
				c.spoil(t, f)
				_, err = f.r.Restore(ctx, target, RestoreOptions{Slug: "firm"})
				if err == nil {
					t.Fatal("the spoiled backup was restored")
				}
				if msg := strongroom.ErrorMessage(err); !strings.Contains(msg, c.want) || strongroom.ErrorCode(err) != c.code {
					t.Fatalf("%s (%s), want %q (%s)", msg, strongroom.ErrorCode(err), c.want, c.code)
				}
				t.Log(strongroom.ErrorMessage(err))
				dst.absent("firm")
			})
		}
	})
}

func (f *refuseFixture) object(name string) string {
	return filepath.Join(f.dir, filepath.FromSlash(objectKey("firm", f.id, name)))
}

func (f *refuseFixture) someFile(t *testing.T) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(f.dir, "tenants", "firm", "files", "*"))
	for _, m := range matches {
		if !strings.HasSuffix(m, ".attrs") {
			return m
		}
	}
	t.Fatal("no document file on the target")
	return ""
}

// rewrite replaces the backup's manifest with an edited one signed by
// signer, and its marker to match, as a forger with write access to the
// target and the operator's public recipients could.
func (f *refuseFixture) rewrite(t *testing.T, signer *audit.Log, edit func(*Manifest)) {
	t.Helper()
	ctx := context.Background()
	rc, err := f.target.Get(ctx, objectKey("firm", f.id, manifestObject))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(rc)
	rc.Close()
	o, err := newOpener(bytes.NewReader(raw), []age.Identity{f.k.id})
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(o)
	o.Close()
	m, err := readUnverified(msg)
	if err != nil {
		t.Fatal(err)
	}
	edit(m)
	if signer == nil {
		return
	}
	signed, err := m.sign(signer)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := sealBytes(signed, f.k.recipient)
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.target.Put(ctx, objectKey("firm", f.id, manifestObject), bytes.NewReader(sealed))
	if err != nil {
		t.Fatal(err)
	}
	mk, err := readMarker(ctx, f.target, "firm", f.id)
	if err != nil {
		t.Fatal(err)
	}
	mk.ManifestSHA256, mk.ManifestSize = w.SHA256, w.Size
	b, _ := json.Marshal(mk)
	if _, err := f.target.Put(ctx, objectKey("firm", f.id, markerObject), bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
}

func flipByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x40
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, info.Size()/2); err != nil {
		t.Fatal(err)
	}
}

// fullDisk makes files that take n bytes in all, then fail as a full disk.
func fullDisk(n int64) func(string) (io.WriteCloser, error) {
	left := n
	return func(path string) (io.WriteCloser, error) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		return &fullWriter{f: f, left: &left}, nil
	}
}

type fullWriter struct {
	f    *os.File
	left *int64
}

func (w *fullWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > *w.left {
		n, _ := w.f.Write(p[:*w.left])
		*w.left = 0
		return n, &os.PathError{Op: "write", Path: w.f.Name(), Err: syscall.ENOSPC}
	}
	*w.left -= int64(len(p))
	return w.f.Write(p)
}

func (w *fullWriter) Close() error { return w.f.Close() }

// The manifest holds the data key only wrapped and the signing key only
// sealed: neither, nor the master key, appears in it in clear.
func TestManifestHoldsNoSecret(t *testing.T) {
	ctx := context.Background()
	src := newServer(t, storetest.NewSQLite(t), "")
	src.tenant("firm", 1)
	k := newAgeKeys(t)
	dir := t.TempDir()
	target := openTarget(t, dir)
	res, err := src.backups(k, target).RunTenant(ctx, "firm")
	if err != nil {
		t.Fatal(err)
	}
	f := &refuseFixture{k: k, dir: dir, target: target, id: res.ID}
	var msg []byte
	f.rewrite(t, nil, func(m *Manifest) {
		b, _ := json.Marshal(m)
		msg = b
	})
	h, release := src.handle("firm")
	defer release()
	master, err := os.ReadFile(src.keyPath)
	if err != nil {
		t.Fatal(err)
	}
	for what, secret := range map[string][]byte{"data key": h.DataKey(), "master key file": bytes.TrimSpace(master)} {
		for _, form := range [][]byte{secret, []byte(base64.StdEncoding.EncodeToString(secret)), []byte(hex.EncodeToString(secret))} {
			if bytes.Contains(msg, form) {
				t.Fatalf("the manifest holds the %s", what)
			}
		}
	}
	if !bytes.Contains(msg, []byte(base64.StdEncoding.EncodeToString(h.Tenant.WrappedKey))) {
		t.Fatal("the manifest read is not the one written (its wrapped key is missing)")
	}
	if bytes.Contains(msg, []byte("PRIVATE+KEY")) {
		t.Fatal("the manifest holds the signing key in clear")
	}
}
