package blobtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"strongroom"
	"strongroom/blob"
)

var (
	errSource = errors.New("the source broke midway")
	errStop   = errors.New("stop listing")
)

func testListOrder(t *testing.T, s blob.Store) {
	// '-' and '.' sort before '/', and '0' and 'b' after it: a store that
	// walks directories one by one lists "b/…" in the wrong place.
	keys := []string{"b/2", "a", "b-x", "b/c/3", "bb", "b.y", "b0", "b/1", "c/d/e/f"}
	for _, k := range keys {
		put(t, s, k, k)
	}
	all := slices.Clone(keys)
	slices.Sort(all)
	wantKeys(t, s, "", all...)
	wantKeys(t, s, "b", "b-x", "b.y", "b/1", "b/2", "b/c/3", "b0", "bb")
	wantKeys(t, s, "b/", "b/1", "b/2", "b/c/3")
	wantKeys(t, s, "b/c", "b/c/3")
	wantKeys(t, s, "c/d/e/", "c/d/e/f")
	wantKeys(t, s, "nothing/")
	wantKeys(t, s, "zz")
	_, sizes := list(t, s, "")
	for _, k := range keys {
		if sizes[k] != int64(len(k)) {
			t.Errorf("List: %s has size %d; want %d", k, sizes[k], len(k))
		}
	}
}

func testListStops(t *testing.T, s blob.Store) {
	for _, k := range []string{"1", "2", "3"} {
		put(t, s, k, k)
	}
	calls := 0
	err := s.List(context.Background(), "", func(blob.Info) error {
		calls++
		if calls == 2 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) || calls != 2 {
		t.Errorf("List returned %v after %d calls; want the callback's error after 2", err, calls)
	}
}

func testDelete(t *testing.T, s blob.Store) {
	ctx := context.Background()
	put(t, s, "x/y/z", "doomed")
	put(t, s, "x/keep", "kept")
	if err := s.Delete(ctx, "x/y/z"); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, s, "x/y/z")
	wantKeys(t, s, "x/", "x/keep")
	if err := s.Delete(ctx, "x/y/z"); err != nil {
		t.Errorf("deleting it again: %v; want no error", err)
	}
	if err := s.Delete(ctx, "never/was"); err != nil {
		t.Errorf("deleting what never was: %v; want no error", err)
	}
}

func testAbsent(t *testing.T, s blob.Store) {
	put(t, s, "dir/file", "x")
	wantAbsent(t, s, "no/such/object")
	wantAbsent(t, s, "dir") // a prefix of an object is no object
	_, err := s.Get(context.Background(), "no/such/object")
	if msg := strongroom.ErrorMessage(err); !strings.Contains(msg, "no/such/object") || !strings.Contains(msg, s.Name()) {
		t.Errorf("message %q does not name the key and the store", msg)
	}
}

// failPoints are where a Put breaks: before its first byte, inside the
// first buffer, and past S3's multipart threshold (8 MiB parts).
var failPoints = []int64{0, 1 << 10, 12 * MiB}

func testFailedPut(t *testing.T, s blob.Store) {
	for _, n := range failPoints {
		key := fmt.Sprintf("failed/after-%d", n)
		_, err := s.Put(context.Background(), key, FailAfter(Generated(2, 32*MiB), n, errSource))
		if !errors.Is(err, errSource) {
			t.Errorf("Put failing after %d bytes returned %v; want the source's error", n, err)
		}
		wantAbsent(t, s, key)
	}
	wantKeys(t, s, "") // nor a temporary file
}

func testFailedPutKeepsOld(t *testing.T, s blob.Store) {
	put(t, s, "kept", "the old version")
	for _, n := range failPoints {
		if _, err := s.Put(context.Background(), "kept", FailAfter(Generated(3, 32*MiB), n, errSource)); err == nil {
			t.Fatalf("Put failing after %d bytes succeeded", n)
		}
		if got := get(t, s, "kept"); got != "the old version" {
			t.Errorf("after a Put failing after %d bytes the object holds %d bytes; want the old version", n, len(got))
		}
	}
	wantKeys(t, s, "", "kept")
}

func testCancelledPut(t *testing.T, s blob.Store) {
	put(t, s, "old", "the old version")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, "new", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context returned %v; want context.Canceled", err)
	}
	wantAbsent(t, s, "new")
	for _, n := range failPoints[1:] {
		for _, key := range []string{fmt.Sprintf("cancelled/after-%d", n), "old"} {
			ctx, cancel := context.WithCancel(context.Background())
			_, err := s.Put(ctx, key, CancelAfter(Generated(4, 32*MiB), n, cancel))
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Put of %s cancelled after %d bytes returned %v; want context.Canceled", key, n, err)
			}
		}
		wantAbsent(t, s, fmt.Sprintf("cancelled/after-%d", n))
		if got := get(t, s, "old"); got != "the old version" {
			t.Errorf("after a Put cancelled after %d bytes the old object holds %d bytes; want it unchanged", n, len(got))
		}
	}
	wantKeys(t, s, "", "old")
}

// Keys that every store must keep exactly as given.
var strangeKeys = []string{
	"with/slash/es",
	"dots.in.the.name",
	"..leading.dots",
	"trailing.dot.",
	"ünïcødé/キー/😀",
	"spaces and (parens) 'quotes' +plus=eq,comma;semi@at$dollar!bang~tilde",
	"percent%20sign and %zz",
	"hash#and?question&amp",
	"UPPER/lower/MiXeD",
}

func testKeys(t *testing.T, s blob.Store) {
	for _, k := range strangeKeys {
		put(t, s, k, "key:"+k)
	}
	for _, k := range strangeKeys {
		if got := get(t, s, k); got != "key:"+k {
			t.Errorf("Get(%q) = %q", k, got)
		}
	}
	want := slices.Clone(strangeKeys)
	slices.Sort(want)
	wantKeys(t, s, "", want...)
	wantKeys(t, s, "ünïcødé/", "ünïcødé/キー/😀")
}

func testInvalidKeys(t *testing.T, s blob.Store) {
	ctx := context.Background()
	bad := []string{"", "/lead", "trail/", "a//b", "./a", "a/./b", "a/../b", "..", "x.tmp", "x.attrs",
		"nul\x00", "ctl\x01", "back\\slash", "bad\xffutf8", strings.Repeat("k", 1025)}
	for _, k := range bad {
		_, err := s.Put(ctx, k, strings.NewReader("x"))
		if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != "key" {
			t.Errorf("Put(%q) returned %v; want EINVALID naming the key", k, err)
		}
		if _, err := s.Stat(ctx, k); strongroom.ErrorCode(err) != strongroom.EINVALID {
			t.Errorf("Stat(%q) returned %v; want EINVALID", k, err)
		}
	}
	if err := s.List(ctx, "../", func(blob.Info) error { return nil }); strongroom.ErrorCode(err) != strongroom.EINVALID {
		t.Errorf(`List("../") returned %v; want EINVALID`, err)
	}
	wantKeys(t, s, "")
}

func testConcurrentPuts(t *testing.T, s blob.Store) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			size := int64(256<<10 + i)
			w, err := s.Put(context.Background(), fmt.Sprintf("c/%d", i), Generated(uint64(10+i), size))
			if err == nil && (w.Size != size || w.SHA256 != GeneratedSHA256(uint64(10+i), size)) {
				err = fmt.Errorf("Put reported %+v", w)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	var want []string
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Put %d: %v", i, errs[i])
		}
		key := fmt.Sprintf("c/%d", i)
		want = append(want, key)
		if got := sum([]byte(get(t, s, key))); got != GeneratedSHA256(uint64(10+i), int64(256<<10+i)) {
			t.Errorf("%s holds other bytes than were put", key)
		}
	}
	wantKeys(t, s, "c/", want...)
}

func testConcurrentPutsOneKey(t *testing.T, s blob.Store) {
	const n = 4
	var wg sync.WaitGroup
	versions := map[string]bool{}
	for i := range n {
		versions[GeneratedSHA256(uint64(20+i), 3*MiB)] = true
		wg.Go(func() {
			if _, err := s.Put(context.Background(), "one", Generated(uint64(20+i), 3*MiB)); err != nil {
				t.Errorf("Put %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if !versions[sum([]byte(get(t, s, "one")))] {
		t.Error("after concurrent Puts to one key the object is none of them whole")
	}
	wantKeys(t, s, "", "one")
}
