// Package blobtest holds what tests of blob stores and of their users
// share: the contract suite every store passes (RunContract), a real
// S3-compatible server on loopback (S3), a fault-injecting wrapper
// (Faulty) and readers that generate, fail or cancel midway.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strings"
	"testing"

	"strongroom/blob"
)

// MiB is a mebibyte.
const MiB = 1 << 20

// Streamed is the size of the object the contract streams through a store:
// larger than any buffer a driver keeps, and than S3's multipart threshold.
const Streamed = 64 * MiB

type contractTest struct {
	name string
	fn   func(t *testing.T, s blob.Store)
}

// RunContract checks that the stores open returns behave as blob.Store
// says. open must return a new, empty store on every call (a new
// directory, a new bucket); RunContract closes it.
func RunContract(t *testing.T, open func(t *testing.T) blob.Store) {
	tests := []contractTest{
		{"RoundTripEmpty", testRoundTripEmpty},
		{"RoundTripSmall", testRoundTripSmall},
		{"RoundTripStreamed", testRoundTripStreamed},
		{"Overwrite", testOverwrite},
		{"Stat", testStat},
		{"ListInKeyOrder", testListOrder},
		{"ListStopsOnError", testListStops},
		{"Delete", testDelete},
		{"Absent", testAbsent},
		{"FailedPutLeavesNothing", testFailedPut},
		{"FailedPutKeepsOld", testFailedPutKeepsOld},
		{"CancelledPutLeavesNothing", testCancelledPut},
		{"Keys", testKeys},
		{"InvalidKeys", testInvalidKeys},
		{"ConcurrentPuts", testConcurrentPuts},
		{"ConcurrentPutsToOneKey", testConcurrentPutsOneKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			if s.Name() == "" {
				t.Error("Name() is empty")
			}
			tc.fn(t, s)
		})
	}
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// put stores data under key and checks what Put reports.
func put(t *testing.T, s blob.Store, key, data string) {
	t.Helper()
	w, err := s.Put(context.Background(), key, strings.NewReader(data))
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	if w.Size != int64(len(data)) || w.SHA256 != sum([]byte(data)) {
		t.Fatalf("Put(%q) reported %+v; want size %d, SHA-256 %s", key, w, len(data), sum([]byte(data)))
	}
}

// get reads the object key whole.
func get(t *testing.T, s blob.Store, key string) string {
	t.Helper()
	r, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer r.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		t.Fatalf("reading %q: %v", key, err)
	}
	return b.String()
}

// list returns the keys and sizes List gives for prefix, in its order.
func list(t *testing.T, s blob.Store, prefix string) ([]string, map[string]int64) {
	t.Helper()
	var keys []string
	sizes := map[string]int64{}
	err := s.List(context.Background(), prefix, func(i blob.Info) error {
		keys = append(keys, i.Key)
		sizes[i.Key] = i.Size
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys, sizes
}

func wantKeys(t *testing.T, s blob.Store, prefix string, want ...string) {
	t.Helper()
	got, _ := list(t, s, prefix)
	if !slices.Equal(got, want) {
		t.Errorf("List(%q) = %q; want %q", prefix, got, want)
	}
}

func wantAbsent(t *testing.T, s blob.Store, key string) {
	t.Helper()
	ctx := context.Background()
	if i, err := s.Stat(ctx, key); !blob.IsAbsent(err) {
		t.Errorf("Stat(%q) = %+v, %v; want absent", key, i, err)
	}
	r, err := s.Get(ctx, key)
	if !blob.IsAbsent(err) {
		t.Errorf("Get(%q): %v; want absent", key, err)
	}
	if r != nil {
		r.Close()
	}
}

func testRoundTripEmpty(t *testing.T, s blob.Store) {
	put(t, s, "empty", "")
	if got := get(t, s, "empty"); got != "" {
		t.Errorf("Get = %q; want nothing", got)
	}
	i, err := s.Stat(context.Background(), "empty")
	if err != nil || i.Size != 0 {
		t.Errorf("Stat = %+v, %v; want size 0", i, err)
	}
	_, sizes := list(t, s, "")
	if size, ok := sizes["empty"]; !ok || size != 0 {
		t.Errorf("List: empty object listed %v with size %d", ok, size)
	}
}

func testRoundTripSmall(t *testing.T, s blob.Store) {
	const data = "Strongroom keeps what it is given.\n"
	put(t, s, "small", data)
	if got := get(t, s, "small"); got != data {
		t.Errorf("Get = %q; want %q", got, data)
	}
}

func testRoundTripStreamed(t *testing.T, s blob.Store) {
	ctx := context.Background()
	want := GeneratedSHA256(1, Streamed)
	w, err := s.Put(ctx, "big/stream", Generated(1, Streamed))
	if err != nil {
		t.Fatal(err)
	}
	if w.Size != Streamed || w.SHA256 != want {
		t.Errorf("Put reported %+v; want size %d, SHA-256 %s", w, Streamed, want)
	}
	i, err := s.Stat(ctx, "big/stream")
	if err != nil || i.Size != Streamed {
		t.Errorf("Stat = %+v, %v; want size %d", i, err, Streamed)
	}
	r, err := s.Get(ctx, "big/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := HashOf(r); got != want {
		t.Errorf("what Get streamed hashes to %s; want %s", got, want)
	}
}

func testOverwrite(t *testing.T, s blob.Store) {
	put(t, s, "doc", "the first version, the longer one")
	put(t, s, "doc", "second")
	if got := get(t, s, "doc"); got != "second" {
		t.Errorf("Get = %q; want the second version", got)
	}
	if i, err := s.Stat(context.Background(), "doc"); err != nil || i.Size != 6 {
		t.Errorf("Stat = %+v, %v; want size 6", i, err)
	}
	wantKeys(t, s, "", "doc")
}

func testStat(t *testing.T, s blob.Store) {
	put(t, s, "a/b/stat.me", "12345")
	i, err := s.Stat(context.Background(), "a/b/stat.me")
	if err != nil {
		t.Fatal(err)
	}
	if i.Key != "a/b/stat.me" || i.Size != 5 || i.ModTime.IsZero() {
		t.Errorf("Stat = %+v; want key a/b/stat.me, size 5, a modification time", i)
	}
}
