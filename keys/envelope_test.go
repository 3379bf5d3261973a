package keys

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"strongroom"
)

func mustDataKey(tb testing.TB) []byte {
	tb.Helper()
	key, err := NewDataKey()
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

func TestNewDataKey(t *testing.T) {
	a, b := mustDataKey(t), mustDataKey(t)
	if len(a) != 32 || len(b) != 32 {
		t.Fatalf("lengths %d, %d; want 32", len(a), len(b))
	}
	if bytes.Equal(a, b) {
		t.Fatal("two data keys are equal")
	}
}

func TestSeal(t *testing.T) {
	key, other := mustDataKey(t), mustDataKey(t)
	aad := []byte("tenant 7 / integration 3")
	plaintexts := map[string][]byte{
		"empty": {},
		"short": []byte("api token"),
		"large": bytes.Repeat([]byte("x"), 1<<16),
	}
	for name, plaintext := range plaintexts {
		t.Run(name, func(t *testing.T) {
			sealed, err := Seal(key, plaintext, aad)
			if err != nil {
				t.Fatal(err)
			}
			if len(sealed) != 1+12+len(plaintext)+16 {
				t.Errorf("sealed length = %d, want %d", len(sealed), 1+12+len(plaintext)+16)
			}
			if len(plaintext) > 4 && bytes.Contains(sealed, plaintext) {
				t.Error("sealed output contains the plaintext")
			}
			again, _ := Seal(key, plaintext, aad)
			if bytes.Equal(sealed, again) {
				t.Error("two seals of the same plaintext are equal (nonce reused?)")
			}
			got, err := OpenSealed(key, sealed, aad)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plaintext) {
				t.Fatal("round trip changed the plaintext")
			}
		})
	}

	sealed, err := Seal(key, []byte("api token"), aad)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)/2] ^= 0x80
	version := bytes.Clone(sealed)
	version[0] = 2
	for _, tc := range []struct {
		name   string
		key    []byte
		sealed []byte
		aad    []byte
	}{
		{"wrong aad", key, sealed, []byte("tenant 8 / integration 3")},
		{"missing aad", key, sealed, nil},
		{"wrong key", other, sealed, aad},
		{"tampered", key, flipped, aad},
		{"unknown version", key, version, aad},
		{"truncated", key, sealed[:len(sealed)-1], aad},
		{"too short", key, sealed[:1+12+15], aad},
		{"empty", key, nil, aad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OpenSealed(tc.key, tc.sealed, tc.aad)
			if !errors.Is(err, ErrDecrypt) || got != nil {
				t.Fatalf("OpenSealed = %q, %v; want ErrDecrypt", got, err)
			}
			if strongroom.ErrorCode(err) != strongroom.EINTERNAL {
				t.Errorf("code = %q, want %q", strongroom.ErrorCode(err), strongroom.EINTERNAL)
			}
		})
	}

	for _, n := range []int{0, 16, 31, 33} {
		if _, err := Seal(make([]byte, n), []byte("x"), nil); err == nil || strings.Contains(err.Error(), "\x00") {
			t.Errorf("Seal with a %d-byte key: err = %v", n, err)
		}
		if _, err := OpenSealed(make([]byte, n), sealed, aad); err == nil {
			t.Errorf("OpenSealed with a %d-byte key succeeded", n)
		}
	}
}

func FuzzOpenSealed(f *testing.F) {
	key := bytes.Repeat([]byte{0x42}, 32)
	sealed, err := Seal(key, []byte("seed plaintext"), []byte("aad"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed, []byte("aad"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte("aad"))
	f.Add(sealed[:20], []byte(nil))
	f.Fuzz(func(t *testing.T, data, aad []byte) {
		got, err := OpenSealed(key, data, aad)
		if err != nil {
			if got != nil {
				t.Fatal("OpenSealed returned plaintext with an error")
			}
			return
		}
		// Only a genuine seal opens: it must re-seal to the same plaintext.
		again, err := Seal(key, got, aad)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := OpenSealed(key, again, aad); err != nil || !bytes.Equal(back, got) {
			t.Fatalf("re-seal round trip failed: %v", err)
		}
	})
}
