package blob_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "gocloud.dev/blob/fileblob"

	"strongroom/blob"
	"strongroom/blob/blobtest"
)

func fileURL(dir string) string { return "file://" + filepath.ToSlash(dir) }

func openDir(t *testing.T, dir string) blob.Store {
	t.Helper()
	s, err := blob.Open(context.Background(), fileURL(dir))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFileContract(t *testing.T) {
	blobtest.RunContract(t, func(t *testing.T) blob.Store {
		dir := t.TempDir()
		t.Cleanup(func() { noStrayFiles(t, dir) })
		return openDir(t, dir)
	})
}

// noStrayFiles checks what the contract cannot see through List: that the
// directory holds no temporary or attribute files once the test is done.
func noStrayFiles(t *testing.T, dir string) {
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".tmp") || strings.HasSuffix(path, ".attrs")) {
			t.Errorf("stray file %s", path)
		}
		return nil
	})
}

// A temporary file stranded by a crash is not an object.
func TestFileListHidesStrandedTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	defer s.Close()
	if _, err := s.Put(context.Background(), "a/b", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "c.18a2b3c4d5e6f7.tmp"), []byte("partial"), 0o666); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := s.List(context.Background(), "", func(i blob.Info) error { keys = append(keys, i.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "a/b" {
		t.Errorf("List = %q; want only a/b", keys)
	}
}

// Temporary files are written beside the object, not in os.TempDir: a
// target on another mount would fail every rename, and the object would
// pass through /tmp.
func TestFileWritesBesideTheObject(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", filepath.Join(tmp, "no-such-dir"))
	s := openDir(t, filepath.Join(tmp))
	defer s.Close()
	if _, err := s.Put(context.Background(), "k", strings.NewReader("x")); err != nil {
		t.Fatalf("Put with an unusable TMPDIR: %v", err)
	}
}

func TestFileObjectAndDirectoryOfOneName(t *testing.T) {
	s := openDir(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Put(ctx, "a/b", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(ctx, "a", strings.NewReader("x"))
	if err == nil || !strings.Contains(err.Error(), "cannot hold both") {
		t.Errorf("Put(a) beside a/b: %v; want a clear refusal", err)
	}
}
