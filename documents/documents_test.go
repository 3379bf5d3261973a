package documents

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/sio"

	"strongroom"
	"strongroom/access"
	"strongroom/store"
	"strongroom/store/storetest"
)

func TestDocuments(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		for _, tc := range []struct {
			name string
			fn   func(*testing.T, *fixture)
		}{
			{"EncryptedAtRest", testEncryptedAtRest},
			{"SniffedNotTrusted", testSniffedNotTrusted},
			{"SizeLimit", testSizeLimit},
			{"BadInput", testBadInput},
			{"Tampered", testTampered},
			{"Versions", testVersions},
			{"NoOrphanFiles", testNoOrphanFiles},
			{"Visibility", testVisibility},
			{"Search", testSearch},
			{"DeleteAndPurge", testDeleteAndPurge},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f.t = t
				tc.fn(t, f)
			})
		}
	})
}

func testEncryptedAtRest(t *testing.T, f *fixture) {
	ctx := context.Background()
	secret := strings.Repeat("Privileged settlement memo: the client accepts 4.2 million. ", 3000)
	before := f.files()
	d := f.mustUpload(f.admin, f.newCase(), Input{Title: "Memo"}, "memo.txt", secret)
	added := slices.DeleteFunc(f.files(), func(n string) bool { return slices.Contains(before, n) })
	if len(added) != 1 {
		t.Fatalf("stored files added: %v", added)
	}
	path := filepath.Join(f.dir, added[0])
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("Privileged")) || bytes.Contains(raw, []byte("4.2 million")) {
		t.Fatal("the stored file holds the plaintext")
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v", info.Mode())
	}
	if info, _ := os.Stat(f.dir); info.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v", info.Mode())
	}

	// The database holds the key only wrapped, bound to tenant and file.
	var storageKey string
	var wrapped []byte
	if err := f.h.DB.QueryRowContext(ctx, `SELECT storage_key, wrapped_key FROM document_versions WHERE document_id = ?`, d.ID).
		Scan(&storageKey, &wrapped); err != nil {
		t.Fatal(err)
	}
	if storageKey != added[0] {
		t.Fatalf("file %s, storage key %s", added[0], storageKey)
	}
	fileKey, err := unwrapKey(f.h, storageKey, wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(wrapped, fileKey) || bytes.Equal(fileKey, f.h.DataKey()) {
		t.Fatal("the file key is stored in the clear")
	}
	if _, err := unwrapKey(f.h, newStorageKey(), wrapped); err == nil {
		t.Fatal("a wrapped key opened for another file")
	}
	plain, err := sio.DecryptBuffer(nil, raw, sioConfig(fileKey))
	if err != nil || string(plain) != secret {
		t.Fatalf("decrypt with the file key: %v", err)
	}

	// The download gives back exactly what was sent, and is audited.
	got, dl, err := f.download(f.admin, d.ID, 0)
	if err != nil || string(got) != secret {
		t.Fatalf("download: %v (%d bytes)", err, len(got))
	}
	if dl.Version.ContentType != "text/plain; charset=utf-8" || dl.Version.Filename != "memo.txt" || dl.Version.Size != int64(len(secret)) {
		t.Fatalf("download version %+v", dl.Version)
	}
	evs := f.events()
	if !slices.Contains(evs, "document.create "+itoa(d.ID)) || !slices.Contains(evs, "document.download "+itoa(d.ID)) {
		t.Fatalf("audit events %v", evs)
	}
}

func testSniffedNotTrusted(t *testing.T, f *fixture) {
	caseID := f.newCase()
	for _, tc := range []struct{ name, content, want string }{
		{"photo.png", "<!DOCTYPE html><html><script>alert(1)</script></html>", "text/html; charset=utf-8"},
		{"setup.pdf", "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + strings.Repeat("\x00", 100), "application/octet-stream"},
		{"brief.docx", "PK\x03\x04" + strings.Repeat("\x00", 60), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"notes.docx", "plain words, not a zip", "text/plain; charset=utf-8"},
		{"scan", "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "application/pdf"},
	} {
		d := f.mustUpload(f.admin, caseID, Input{}, tc.name, tc.content)
		if d.Current.ContentType != tc.want {
			t.Errorf("%s: stored as %q, want %q", tc.name, d.Current.ContentType, tc.want)
		}
		if d.Title != tc.name {
			t.Errorf("%s: title defaults to %q", tc.name, d.Title)
		}
	}
	d := f.mustUpload(f.admin, caseID, Input{Title: "Path"}, `C:\Users\victim\..\..\evil\x.txt`, "x")
	if d.Current.Filename != "x.txt" {
		t.Fatalf("filename %q", d.Current.Filename)
	}
}

// countingReader is an endless upload that counts what was read of it.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	c.n += int64(len(p))
	return len(p), nil
}

func testSizeLimit(t *testing.T, f *fixture) {
	ctx := context.Background()
	caseID := f.newCase()
	if n, err := f.svc.MaxUpload(ctx, f.h); err != nil || n != DefaultMaxUpload {
		t.Fatalf("default limit %d %v", n, err)
	}
	wantCode(t, f.svc.SetMaxUpload(ctx, f.h, f.staff(2, false), 4096), strongroom.EFORBIDDEN, "")
	if err := f.svc.SetMaxUpload(ctx, f.h, f.admin, 4096); err != nil {
		t.Fatal(err)
	}
	defer f.svc.SetMaxUpload(ctx, f.h, f.admin, DefaultMaxUpload)
	files, docs := f.files(), f.count(`SELECT COUNT(*) FROM documents`)

	body := &countingReader{}
	_, err := f.svc.Create(ctx, f.h, f.admin, caseID, Input{Title: "Too big"}, Upload{Filename: "big.txt", Body: body})
	wantCode(t, err, strongroom.EINVALID, "file")
	if msg := strongroom.ErrorMessage(err); msg != "The file is larger than the limit of 4 KiB." {
		t.Fatalf("message %q", msg)
	}
	if body.n > 64<<10 {
		t.Fatalf("read %d bytes of an over-limit upload", body.n)
	}
	if !slices.Equal(f.files(), files) || f.count(`SELECT COUNT(*) FROM documents`) != docs {
		t.Fatal("a refused upload left a file or a row")
	}
	// Exactly at the limit is fine.
	f.mustUpload(f.admin, caseID, Input{Title: "Fits"}, "fits.txt", strings.Repeat("b", 4096))
}

func testBadInput(t *testing.T, f *fixture) {
	caseID := f.newCase()
	files := f.files()
	_, err := f.upload(f.admin, caseID, Input{Title: "Empty"}, "empty.txt", "")
	wantCode(t, err, strongroom.EINVALID, "file")
	_, err = f.upload(f.admin, caseID, Input{Title: strings.Repeat("t", 301)}, "a.txt", "x")
	wantCode(t, err, strongroom.EINVALID, "title")
	_, err = f.upload(f.admin, caseID, Input{Title: "bell\a"}, "a.txt", "x")
	wantCode(t, err, strongroom.EINVALID, "title")
	_, err = f.upload(f.admin, caseID, Input{Title: "Classes", Classes: []int64{987654}}, "a.txt", "x")
	wantCode(t, err, strongroom.EINVALID, "classes")
	broken := io.MultiReader(strings.NewReader("start of a file"), errReader{})
	_, err = f.svc.Create(context.Background(), f.h, f.admin, caseID, Input{Title: "Cut"}, Upload{Filename: "cut.txt", Body: broken})
	wantCode(t, err, strongroom.EINVALID, "file")
	_, err = f.upload(f.admin, 987654, Input{Title: "No case"}, "a.txt", "x")
	wantCode(t, err, strongroom.ENOTFOUND, "")
	if !slices.Equal(f.files(), files) {
		t.Fatal("refused uploads left files")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

func testTampered(t *testing.T, f *fixture) {
	secret := strings.Repeat("Tampering target text. ", 10000)
	d := f.mustUpload(f.admin, f.newCase(), Input{Title: "Target"}, "t.txt", secret)
	var key string
	f.h.DB.QueryRowContext(context.Background(), `SELECT storage_key FROM document_versions WHERE document_id = ?`, d.ID).Scan(&key)
	path := filepath.Join(f.dir, key)
	raw, _ := os.ReadFile(path)
	for _, damage := range []func([]byte) []byte{
		func(b []byte) []byte { c := slices.Clone(b); c[len(c)-100] ^= 1; return c }, // a flipped bit at the end
		func(b []byte) []byte { return b[:len(b)-1000] },                             // truncated
		func(b []byte) []byte { return b[:64<<10+32] },                               // cut at a package boundary
	} {
		if err := os.WriteFile(path, damage(raw), 0o600); err != nil {
			t.Fatal(err)
		}
		got, _, err := f.download(f.admin, d.ID, 0)
		wantCode(t, err, strongroom.EINTERNAL, "")
		if len(got) > 0 || strings.Contains(strongroom.ErrorMessage(err), "Tampering") {
			t.Fatal("a damaged file released plaintext")
		}
	}
	if !strings.Contains(f.logs.String(), "document file failed its check") {
		t.Fatalf("damage not logged: %s", f.logs.String())
	}
	os.WriteFile(path, raw, 0o600)
	if got, _, err := f.download(f.admin, d.ID, 0); err != nil || string(got) != secret {
		t.Fatalf("restored file: %v", err)
	}
}

func testVersions(t *testing.T, f *fixture) {
	ctx := context.Background()
	d := f.mustUpload(f.admin, f.newCase(), Input{Title: "Contract", Description: "First draft"}, "contract-v1.txt", "version one")
	if d.Version != 1 || d.Current.Number != 1 {
		t.Fatalf("new document %+v", d)
	}
	d2, err := f.svc.AddVersion(ctx, f.h, f.admin, d.ID, 1, Upload{Filename: "contract-v2.txt", Body: strings.NewReader("version two")})
	if err != nil {
		t.Fatal(err)
	}
	if d2.Version != 2 || d2.Current.Number != 2 || d2.Current.Filename != "contract-v2.txt" {
		t.Fatalf("after a new version %+v", d2)
	}
	files := f.files()
	_, err = f.svc.AddVersion(ctx, f.h, f.admin, d.ID, 1, Upload{Filename: "stale.txt", Body: strings.NewReader("stale")})
	wantCode(t, err, strongroom.ECONFLICT, "version")
	_, err = f.svc.Update(ctx, f.h, f.admin, d.ID, Edit{Title: "Stale", Version: 1})
	wantCode(t, err, strongroom.ECONFLICT, "version")
	if !slices.Equal(f.files(), files) {
		t.Fatal("a refused version left a file")
	}
	vs, err := f.svc.Versions(ctx, f.h, f.admin, d.ID)
	if err != nil || len(vs) != 2 || vs[0].Number != 2 || vs[1].Number != 1 {
		t.Fatalf("versions %+v %v", vs, err)
	}
	for n, want := range map[int]string{0: "version two", 1: "version one", 2: "version two"} {
		if got, _, err := f.download(f.admin, d.ID, n); err != nil || string(got) != want {
			t.Fatalf("version %d: %q %v", n, got, err)
		}
	}
	_, _, err = f.download(f.admin, d.ID, 3)
	wantCode(t, err, strongroom.ENOTFOUND, "")

	d3, err := f.svc.Update(ctx, f.h, f.admin, d.ID, Edit{Title: "Contract (signed)", Description: "Final", Version: 2})
	if err != nil || d3.Version != 3 || d3.Title != "Contract (signed)" || d3.Current.Number != 2 {
		t.Fatalf("update: %+v %v", d3, err)
	}
	// The search entry keeps the file's words under the new description.
	var body string
	f.h.DB.QueryRowContext(ctx, `SELECT body FROM search_index WHERE record_type = 'document' AND record_id = ?`, d.ID).Scan(&body)
	if body != "Final\nversion two" {
		t.Fatalf("search body %q", body)
	}
}

// hookReader runs fn once, when the upload is first read: a change made
// by someone else while the file arrives.
type hookReader struct {
	r  io.Reader
	fn func()
}

func (h *hookReader) Read(p []byte) (int, error) {
	if h.fn != nil {
		h.fn()
		h.fn = nil
	}
	return h.r.Read(p)
}

func testNoOrphanFiles(t *testing.T, f *fixture) {
	ctx := context.Background()
	caseID := f.newCase()
	d := f.mustUpload(f.admin, caseID, Input{Title: "Race"}, "race.txt", "one")
	files := f.files()
	// The document changes while the new version uploads: the transaction
	// refuses it, and the file written for it goes.
	up := Upload{Filename: "two.txt", Body: &hookReader{r: strings.NewReader("two"), fn: func() {
		if _, err := f.svc.Update(ctx, f.h, f.admin, d.ID, Edit{Title: "Renamed", Version: 1}); err != nil {
			t.Error(err)
		}
	}}}
	_, err := f.svc.AddVersion(ctx, f.h, f.admin, d.ID, 1, up)
	wantCode(t, err, strongroom.ECONFLICT, "version")
	// The case is deleted while a new document uploads.
	up = Upload{Filename: "three.txt", Body: &hookReader{r: strings.NewReader("three"), fn: func() {
		if _, err := f.h.DB.ExecContext(ctx, `UPDATE cases SET deleted_at = ? WHERE id = ?`, store.FormatTime(time.Now()), caseID); err != nil {
			t.Error(err)
		}
	}}}
	_, err = f.svc.Create(ctx, f.h, f.admin, caseID, Input{Title: "Late"}, up)
	wantCode(t, err, strongroom.ENOTFOUND, "")
	if got := f.files(); !slices.Equal(got, files) {
		t.Fatalf("files %v, want %v", got, files)
	}
	if n := f.count(`SELECT COUNT(*) FROM document_versions WHERE document_id = ?`, d.ID); n != 1 {
		t.Fatalf("%d versions", n)
	}
	// A document of a deleted case is gone with it.
	_, err = f.svc.Get(ctx, f.h, f.admin, d.ID)
	wantCode(t, err, strongroom.ENOTFOUND, "")
}

func testVisibility(t *testing.T, f *fixture) {
	ctx := context.Background()
	a, b := f.newClass("Smith MDL"), f.newClass("Jones")
	open, classed := f.newCase(), f.newCase(a)
	owner := f.staff(4, false, a, b) // classes only those who hold them may see
	plain := f.mustUpload(owner, open, Input{Title: "Plain"}, "plain.txt", "plain")
	ownA := f.mustUpload(owner, open, Input{Title: "Own A", Classes: []int64{a}}, "a.txt", "own class")
	inherited := f.mustUpload(owner, classed, Input{Title: "Inherited"}, "i.txt", "inherited class")
	_, err := f.upload(f.admin, open, Input{Title: "Not mine", Classes: []int64{a}}, "x.txt", "x")
	wantCode(t, err, strongroom.EINVALID, "classes")
	if inherited.OwnClasses || !slices.Equal(inherited.Classes, []int64{a}) || !ownA.OwnClasses {
		t.Fatalf("classes: inherited %+v own %+v", inherited, ownA)
	}
	_, missing := f.svc.Get(ctx, f.h, f.admin, 99999999)

	// lists is what a user finds through the cases they see; reaches what
	// they may open (a document of their class in a case they cannot see).
	for _, u := range []struct {
		name           string
		restricted     bool
		classes        []int64
		lists, reaches []int64
	}{
		{"unrestricted without classes", false, nil, []int64{plain.ID}, []int64{plain.ID}},
		{"unrestricted with A", false, []int64{a}, []int64{plain.ID, ownA.ID, inherited.ID}, []int64{plain.ID, ownA.ID, inherited.ID}},
		{"restricted with A", true, []int64{a}, []int64{inherited.ID}, []int64{ownA.ID, inherited.ID}},
		{"restricted with B", true, []int64{b}, nil, nil},
		{"restricted without classes", true, nil, nil, nil},
	} {
		p := f.staff(5, u.restricted, u.classes...)
		var seen []int64
		for _, caseID := range []int64{open, classed} {
			ds, err := f.svc.List(ctx, f.h, p, caseID)
			if err != nil {
				wantCode(t, err, strongroom.ENOTFOUND, "")
				continue
			}
			for _, d := range ds {
				seen = append(seen, d.ID)
			}
		}
		slices.Sort(seen)
		if !slices.Equal(seen, u.lists) {
			t.Errorf("%s lists %v, want %v", u.name, seen, u.lists)
		}
		for _, d := range []int64{plain.ID, ownA.ID, inherited.ID} {
			_, getErr := f.svc.Get(ctx, f.h, p, d)
			_, _, dlErr := f.download(p, d, 0)
			_, vErr := f.svc.Versions(ctx, f.h, p, d)
			if slices.Contains(u.reaches, d) {
				if getErr != nil || dlErr != nil || vErr != nil {
					t.Errorf("%s cannot reach document %d: %v %v %v", u.name, d, getErr, dlErr, vErr)
				}
				continue
			}
			for _, err := range []error{getErr, dlErr, vErr} {
				if err == nil || err.Error() != missing.Error() {
					t.Errorf("%s: hidden document %d answers %v, missing one %v", u.name, d, err, missing)
				}
			}
		}
	}

	// Without the documents area: forbidden, for the list, a document and a create.
	noDocs := f.principal(6, false, nil, map[access.Area]access.Grant{access.Cases: access.EditGrant})
	_, err = f.svc.List(ctx, f.h, noDocs, open)
	wantCode(t, err, strongroom.EFORBIDDEN, "")
	_, err = f.svc.Get(ctx, f.h, noDocs, plain.ID)
	wantCode(t, err, strongroom.EFORBIDDEN, "")
	_, err = f.upload(noDocs, open, Input{Title: "x"}, "x.txt", "x")
	wantCode(t, err, strongroom.EFORBIDDEN, "")
	// Read-only on documents: may download, may not change.
	reader := f.principal(7, false, nil, map[access.Area]access.Grant{access.Cases: access.ReadGrant, access.Documents: access.ReadGrant})
	if _, _, err := f.download(reader, plain.ID, 0); err != nil {
		t.Fatal(err)
	}
	_, err = f.upload(reader, open, Input{Title: "x"}, "x.txt", "x")
	wantCode(t, err, strongroom.EFORBIDDEN, "")
	_, err = f.svc.AddVersion(ctx, f.h, reader, plain.ID, plain.Version, Upload{Filename: "x", Body: strings.NewReader("x")})
	wantCode(t, err, strongroom.EFORBIDDEN, "")
	// A restricted user may only classify what they will still see.
	_, err = f.upload(f.staff(8, true, a), classed, Input{Title: "Other class", Classes: []int64{b}}, "x.txt", "x")
	wantCode(t, err, strongroom.EINVALID, "classes")
	_, err = f.upload(f.staff(8, true, a), open, Input{Title: "Unclassified"}, "x.txt", "x")
	wantCode(t, err, strongroom.ENOTFOUND, "") // the open case is not theirs to see
	mine := f.mustUpload(f.staff(8, true, a), classed, Input{Title: "Mine"}, "m.txt", "m")
	if !slices.Equal(mine.Classes, []int64{a}) {
		t.Fatalf("restricted upload classes %v", mine.Classes)
	}
	// Reclassifying: the owner of class A hides it from an unclassed user.
	none := f.staff(9, false)
	if _, err := f.svc.Get(ctx, f.h, none, plain.ID); err != nil {
		t.Fatal(err)
	}
	cur, _ := f.svc.Get(ctx, f.h, owner, plain.ID)
	classes := []int64{a}
	if _, err := f.svc.Update(ctx, f.h, f.staff(10, false, a), plain.ID, Edit{Title: cur.Title, Classes: &classes, Version: cur.Version}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Get(ctx, f.h, none, plain.ID)
	wantCode(t, err, strongroom.ENOTFOUND, "")
}

func testSearch(t *testing.T, f *fixture) {
	ctx := context.Background()
	caseID := f.newCase()
	body := func(id int64) string {
		var b string
		f.h.DB.QueryRowContext(ctx, `SELECT body FROM search_index WHERE record_type = 'document' AND record_id = ? AND case_id = ?`, id, caseID).Scan(&b)
		return b
	}
	txt := f.mustUpload(f.admin, caseID, Input{Title: "Deposition", Description: "Witness statement"}, "depo.txt", "The witness saw a zeppelin over the harbour.")
	if b := body(txt.ID); !strings.Contains(b, "Witness statement") || !strings.Contains(b, "zeppelin") {
		t.Fatalf("text file indexed as %q", b)
	}
	pdf := f.mustUpload(f.admin, caseID, Input{Title: "Filing"}, "filing.pdf", string(makePDF("Quixotic stipulation")))
	if pdf.Current.ContentType != "application/pdf" {
		t.Fatalf("PDF stored as %s", pdf.Current.ContentType)
	}
	if b := body(pdf.ID); !strings.Contains(b, "Quixotic") {
		t.Fatalf("PDF indexed as %q", b)
	}
	broken := f.mustUpload(f.admin, caseID, Input{Title: "Broken", Description: "still here"}, "b.pdf", "%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage")
	if b := body(broken.ID); b != "still here" {
		t.Fatalf("broken PDF indexed as %q", b)
	}
	bin := f.mustUpload(f.admin, caseID, Input{Title: "Bytes"}, "b.txt", "\x00\x01\x02binary zeppelin")
	if b := body(bin.ID); b != "" {
		t.Fatalf("binary indexed as %q", b)
	}
}

func testDeleteAndPurge(t *testing.T, f *fixture) {
	ctx := context.Background()
	caseID := f.newCase()
	d := f.mustUpload(f.admin, caseID, Input{Title: "Old"}, "old.txt", "old")
	f.svc.AddVersion(ctx, f.h, f.admin, d.ID, 1, Upload{Filename: "old2.txt", Body: strings.NewReader("old 2")})
	keep := f.mustUpload(f.admin, caseID, Input{Title: "Keep"}, "keep.txt", "keep")
	wantCode(t, f.svc.Delete(ctx, f.h, f.admin, d.ID, 1), strongroom.ECONFLICT, "version")
	if err := f.svc.Delete(ctx, f.h, f.admin, d.ID, 2); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Get(ctx, f.h, f.admin, d.ID)
	wantCode(t, err, strongroom.ENOTFOUND, "")
	_, _, err = f.download(f.admin, d.ID, 1)
	wantCode(t, err, strongroom.ENOTFOUND, "")
	ds, _ := f.svc.List(ctx, f.h, f.admin, caseID)
	if len(ds) != 1 || ds[0].ID != keep.ID {
		t.Fatalf("list after delete %v", ds)
	}
	if f.count(`SELECT COUNT(*) FROM search_index WHERE record_type = 'document' AND record_id = ?`, d.ID) != 0 {
		t.Fatal("a deleted document is still in search")
	}

	// A file a crash left without rows, and a stale temporary file.
	orphan, temp := filepath.Join(f.dir, newStorageKey()), filepath.Join(f.dir, tempPrefix+"123")
	for _, p := range []string{orphan, temp} {
		os.WriteFile(p, []byte("x"), 0o600)
	}
	files := len(f.files())
	if n, err := f.svc.Purge(ctx, f.h, time.Now()); err != nil || n != 0 || len(f.files()) != files {
		t.Fatalf("purge too early: %d %v", n, err)
	}
	old := time.Now().Add(-25 * time.Hour)
	os.Chtimes(orphan, old, old)
	os.Chtimes(temp, old, old)
	n, err := f.svc.Purge(ctx, f.h, time.Now().Add(31*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if got := len(f.files()); got != files-4 {
		t.Fatalf("%d files after purge, want %d", got, files-4)
	}
	if f.count(`SELECT COUNT(*) FROM document_versions WHERE document_id = ?`, d.ID)+f.count(`SELECT COUNT(*) FROM documents WHERE id = ?`, d.ID) != 0 {
		t.Fatal("purged rows remain")
	}
	if got, _, err := f.download(f.admin, keep.ID, 0); err != nil || string(got) != "keep" {
		t.Fatalf("kept document: %v", err)
	}
	if !slices.Contains(f.events(), "document.purge "+itoa(d.ID)) {
		t.Fatal("purge not audited")
	}
}
