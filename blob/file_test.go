package blob_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"testing"

	_ "gocloud.dev/blob/fileblob"

	"strongroom/blob"
)

func TestFileStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := blob.Open(ctx, "file://"+filepath.ToSlash(dir)+"?no_tmp_dir=false")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, err := s.Put(ctx, "a/b/c", bytes.NewReader([]byte("hello")))
	if err != nil || w.Size != 5 {
		t.Fatalf("put: %+v %v", w, err)
	}
	r, err := s.Get(ctx, "a/b/c")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if string(got) != "hello" {
		t.Fatalf("got %q", got)
	}
	if _, err := s.Get(ctx, "missing"); !blob.IsAbsent(err) {
		t.Fatalf("missing object: %v", err)
	}
}
