package audit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"testing"
	"time"

	"filippo.io/age"

	"strongroom/store"
	"strongroom/store/storetest"
)

func TestArchive(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e, "archive")
		ctx := context.Background()
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		clock := start
		f.log.now = func() time.Time { return clock }
		for i := 0; i < 400; i++ {
			clock = start.Add(time.Duration(i) * time.Minute)
			f.appendEach(t, 1)
		}
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		cut := start.Add(300 * time.Minute) // events 1–300 are before it
		var buf bytes.Buffer
		if err := f.log.Archive(ctx, cut, &buf, []age.Recipient{id.Recipient()}); err != nil {
			t.Fatal(err)
		}
		archive := buf.Bytes()

		t.Run("RoundTrip", func(t *testing.T) {
			info, err := VerifyArchive(bytes.NewReader(archive), id, f.log.vkey)
			if err != nil {
				t.Fatal(err)
			}
			if info.Events != 300 || info.TreeSize != 400 || !info.Before.Equal(cut) || info.Origin != "strongroom/tenant/archive" {
				t.Fatalf("archive info %+v", info)
			}
			lines := archiveLines(t, archive, id)
			if !bytes.Equal(lines[300], f.body(t, 300)) {
				t.Fatal("archived event 300 is not its stored bytes")
			}
		})
		t.Run("ArchivingLeavesTheLogWhole", func(t *testing.T) {
			if rep := f.mustVerify(t); rep.Events != 400 {
				t.Fatalf("verified %d events after archiving, want 400", rep.Events)
			}
		})
		t.Run("WrongIdentityRefused", func(t *testing.T) {
			other, _ := age.GenerateX25519Identity()
			if _, err := VerifyArchive(bytes.NewReader(archive), other, f.log.vkey); err == nil {
				t.Fatal("decrypted with the wrong identity")
			}
		})
		t.Run("OtherTenantsKeyRefused", func(t *testing.T) {
			other := newFixture(t, e, "archive-other")
			if _, err := VerifyArchive(bytes.NewReader(archive), id, other.log.vkey); err == nil {
				t.Fatal("verified with another tenant's key")
			}
		})
		t.Run("TamperedRefused", func(t *testing.T) {
			lines := archiveLines(t, archive, id)
			for name, tamper := range map[string]func([][]byte) [][]byte{
				"changed event": func(ls [][]byte) [][]byte {
					ls[42] = bytes.Replace(ls[42], []byte("case.update"), []byte("case.view__"), 1)
					return ls
				},
				"dropped event":   func(ls [][]byte) [][]byte { return append(ls[:42:42], ls[43:]...) },
				"swapped events":  func(ls [][]byte) [][]byte { ls[42], ls[43] = ls[43], ls[42]; return ls },
				"dropped trailer": func(ls [][]byte) [][]byte { return ls[:len(ls)-1] },
				"extra line":      func(ls [][]byte) [][]byte { return append(ls, ls[1]) },
			} {
				ls := make([][]byte, len(lines))
				for i := range lines {
					ls[i] = append([]byte(nil), lines[i]...)
				}
				forged := sealArchive(t, tamper(ls), id.Recipient())
				if _, err := VerifyArchive(bytes.NewReader(forged), id, f.log.vkey); err == nil {
					t.Errorf("archive with a %s verified", name)
				} else {
					t.Logf("%s: %v", name, err)
				}
			}
			flipped := append([]byte(nil), archive...)
			flipped[len(flipped)/2] ^= 1
			if _, err := VerifyArchive(bytes.NewReader(flipped), id, f.log.vkey); err == nil {
				t.Error("archive with a flipped ciphertext bit verified")
			}
		})
		t.Run("EmptyArchive", func(t *testing.T) {
			var b bytes.Buffer
			if err := f.log.Archive(ctx, start, &b, []age.Recipient{id.Recipient()}); err != nil {
				t.Fatal(err)
			}
			if info, err := VerifyArchive(&b, id, f.log.vkey); err != nil || info.Events != 0 {
				t.Fatalf("empty archive: %+v, %v", info, err)
			}
		})
	})
}

// archiveLines decrypts and decompresses an archive into its lines.
func archiveLines(t *testing.T, archive []byte, id age.Identity) [][]byte {
	t.Helper()
	r, err := age.Decrypt(bytes.NewReader(archive), id)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(gz)
	sc.Buffer(nil, maxEventLine)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// sealArchive writes lines back as an archive, as someone holding the
// recipient's public key (but not the log's signing key) could.
func sealArchive(t *testing.T, lines [][]byte, to age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, to)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(w)
	for _, l := range lines {
		io.Copy(gz, bytes.NewReader(append(l, '\n')))
	}
	gz.Close()
	w.Close()
	return buf.Bytes()
}
