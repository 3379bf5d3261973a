package blobtest_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "gocloud.dev/blob/fileblob"

	"strongroom"
	"strongroom/blob"
	"strongroom/blob/blobtest"
)

func openDir(t *testing.T) blob.Store {
	t.Helper()
	s, err := blob.Open(context.Background(), "file://"+filepath.ToSlash(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// With no switch on, Faulty is the store it wraps.
func TestFaultyPassesTheContractWhenHealthy(t *testing.T) {
	blobtest.RunContract(t, func(t *testing.T) blob.Store { return &blobtest.Faulty{Store: openDir(t)} })
}

func read(t *testing.T, s blob.Store, key string) (string, error) {
	t.Helper()
	r, err := s.Get(context.Background(), key)
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

func TestFaultyDown(t *testing.T) {
	ctx := context.Background()
	f := &blobtest.Faulty{Store: openDir(t)}
	if _, err := f.Put(ctx, "k", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
	f.SetDown(true)
	_, putErr := f.Put(ctx, "k2", strings.NewReader("v"))
	_, getErr := f.Get(ctx, "k")
	_, statErr := f.Stat(ctx, "k")
	listErr := f.List(ctx, "", func(blob.Info) error { return nil })
	delErr := f.Delete(ctx, "k")
	for i, err := range []error{putErr, getErr, statErr, listErr, delErr} {
		if strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE {
			t.Errorf("call %d while down: %v; want EUNAVAILABLE", i, err)
		}
	}
	f.SetDown(false)
	if got, err := read(t, f, "k"); err != nil || got != "v" {
		t.Errorf("after coming back: %q, %v; the object should be untouched", got, err)
	}
}

func TestFaultyFailPutAfter(t *testing.T) {
	ctx := context.Background()
	f := &blobtest.Faulty{Store: openDir(t)}
	f.FailPutAfter(10)
	_, err := f.Put(ctx, "k", strings.NewReader(strings.Repeat("x", 100)))
	if strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE {
		t.Errorf("Put past the failure point: %v; want EUNAVAILABLE", err)
	}
	if _, err := f.Stat(ctx, "k"); !blob.IsAbsent(err) {
		t.Errorf("after the failed Put: %v; want no object", err)
	}
	if _, err := f.Put(ctx, "short", strings.NewReader("0123456789")); err == nil {
		// Ten bytes reach the store; the failure comes when it asks for more.
		t.Error("a Put of exactly the bytes before the failure point succeeded; the store must see the connection drop")
	}
	f.FailPutAfter(-1)
	if _, err := f.Put(ctx, "k", strings.NewReader(strings.Repeat("x", 100))); err != nil {
		t.Errorf("after turning it off: %v", err)
	}
}

func TestFaultyCorruptAndTruncateGet(t *testing.T) {
	ctx := context.Background()
	f := &blobtest.Faulty{Store: openDir(t)}
	if _, err := f.Put(ctx, "k", blobtest.Generated(7, 3*blobtest.MiB)); err != nil {
		t.Fatal(err)
	}
	want, _ := read(t, f, "k")
	f.CorruptGet(2 * blobtest.MiB)
	got, err := read(t, f, "k")
	if err != nil || len(got) != len(want) || got == want || got[2*blobtest.MiB] != want[2*blobtest.MiB]^0xff ||
		got[:2*blobtest.MiB] != want[:2*blobtest.MiB] || got[2*blobtest.MiB+1:] != want[2*blobtest.MiB+1:] {
		t.Errorf("CorruptGet: want exactly the byte at 2 MiB flipped (err %v)", err)
	}
	f.CorruptGet(-1)
	f.TruncateGet(1000)
	if got, err := read(t, f, "k"); err != nil || got != want[:1000] {
		t.Errorf("TruncateGet(1000): %d bytes, %v; want the first 1000 and no error", len(got), err)
	}
	f.TruncateGet(-1)
	if got, _ := read(t, f, "k"); got != want {
		t.Error("with the switches off Get should read the object as stored")
	}
}

// The switches may be flipped while the store is busy (go test -race).
func TestFaultyConcurrentSwitches(t *testing.T) {
	ctx := context.Background()
	f := &blobtest.Faulty{Store: openDir(t)}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 20 {
				f.SetDown(j%2 == 0)
				f.FailPutAfter(int64(j - 10))
				f.CorruptGet(int64(i))
				f.TruncateGet(int64(j))
				_, err := f.Put(ctx, "k", strings.NewReader("value"))
				if err != nil && strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE && !errors.Is(err, io.EOF) {
					t.Errorf("Put: %v", err)
				}
				if r, err := f.Get(ctx, "k"); err == nil {
					io.Copy(io.Discard, r)
					r.Close()
				}
			}
		})
	}
	wg.Wait()
}
