package documents

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"strongroom/cases"
	"strongroom/identity"
	"strongroom/search"
	"strongroom/store"
	"strongroom/store/storetest"
)

func TestReextract(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *fixture)
	}{
		{"FindsBodiesAgain", testReextractFindsBodies},
		{"Cursor", testReextractCursor},
		{"SkipsUnreadableFiles", testReextractSkips},
		{"KeepsNewerChanges", testReextractKeepsChanges},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) { tc.fn(t, newFixture(t, e)) })
		})
	}
}

// restoreIndex rebuilds the search index from the records, as a restore
// does: every document keeps its title and description, not its text.
func (f *fixture) restoreIndex() {
	f.t.Helper()
	if _, err := cases.RebuildIndex(context.Background(), f.h.DB); err != nil {
		f.t.Fatal(err)
	}
}

// found lists the ids of the documents a search for q finds for p.
func (f *fixture) found(p *identity.Principal, q string) []int64 {
	f.t.Helper()
	res, err := search.New().Search(context.Background(), f.h, p, search.Query{Q: q, Types: []cases.RecordType{cases.TypeDocument}})
	if err != nil {
		f.t.Fatalf("search %q: %v", q, err)
	}
	var ids []int64
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	slices.Sort(ids)
	return ids
}

// indexRows reads every document entry of the search index, with the
// class words SQLite keeps beside it.
func (f *fixture) indexRows() string {
	f.t.Helper()
	classes := `''`
	if f.h.DB.Dialect == store.SQLite {
		classes = `classes`
	}
	rows, err := f.h.DB.QueryContext(context.Background(), `SELECT record_id, case_id, title, body, `+classes+
		` FROM search_index WHERE record_type = 'document' ORDER BY record_id`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, caseID int64
		var title, body, cls string
		if err := rows.Scan(&id, &caseID, &title, &body, &cls); err != nil {
			f.t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d %d %q %q %q\n", id, caseID, title, body, cls)
	}
	if err := rows.Err(); err != nil {
		f.t.Fatal(err)
	}
	return b.String()
}

func (f *fixture) reextract(after int64, limit int) Reextraction {
	f.t.Helper()
	r, err := f.svc.Reextract(context.Background(), f.h, after, limit)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// After a restore's rebuild, a search for a word only in a document's
// file finds nothing; re-extraction brings the text back as upload wrote
// it, and the entries keep their classes: a restricted user still finds
// only the documents of their class.
func testReextractFindsBodies(t *testing.T, f *fixture) {
	a, b := f.newClass("Alpha"), f.newClass("Beta")
	owner := f.staff(10, false, a, b)
	plain := f.mustUpload(owner, f.newCase(a), Input{Title: "Deposition", Description: "Witness statement"},
		"depo.txt", "The witness saw a zeppelin over the harbour.")
	pdf := f.mustUpload(owner, f.newCase(), Input{Title: "Filing"}, "filing.pdf", string(makePDF("Quixotic zeppelin stipulation")))
	hidden := f.mustUpload(owner, f.newCase(b), Input{Title: "Beta memo"}, "memo.txt", "A zeppelin of class Beta.")
	f.mustUpload(owner, f.newCase(), Input{Title: "Bytes"}, "bin.txt", "\x00\x01\x02binary zeppelin")
	uploaded := f.indexRows()
	all := []int64{plain.ID, pdf.ID, hidden.ID}
	if got := f.found(owner, "zeppelin"); !slices.Equal(got, all) {
		t.Fatalf("before the restore the search finds %v, want %v", got, all)
	}

	f.restoreIndex()
	if got := f.found(owner, "zeppelin"); len(got) != 0 {
		t.Fatalf("the rebuilt index already finds bodies: %v", got)
	}
	if got := f.found(owner, "witness"); !slices.Equal(got, []int64{plain.ID}) {
		t.Fatalf("the rebuilt index lost the description: %v", got)
	}

	r := f.reextract(0, 0)
	if r.Read != 4 || r.Indexed != 3 || r.Unchanged != 1 || r.Skipped != 0 || r.More {
		t.Fatalf("re-extraction %+v", r)
	}
	if got := f.found(owner, "zeppelin"); !slices.Equal(got, all) {
		t.Fatalf("after re-extraction the search finds %v, want %v", got, all)
	}
	if got := f.found(owner, "quixotic"); !slices.Equal(got, []int64{pdf.ID}) {
		t.Fatalf("PDF text not re-extracted: %v", got)
	}
	if after := f.indexRows(); after != uploaded {
		t.Fatalf("entries after re-extraction differ from upload's:\n%s\nwant\n%s", after, uploaded)
	}
	// The class of each entry held: a restricted user of Alpha finds their
	// document by its text, never Beta's or the unclassified one.
	if got := f.found(f.staff(11, true, a), "zeppelin"); !slices.Equal(got, []int64{plain.ID}) {
		t.Fatalf("restricted user finds %v, want only %d", got, plain.ID)
	}
	if got := f.found(f.staff(12, false, a), "zeppelin"); !slices.Equal(got, []int64{plain.ID, pdf.ID}) {
		t.Fatalf("user of Alpha finds %v", got)
	}

	// Twice changes nothing.
	if r := f.reextract(0, 0); r.Read != 4 || r.Indexed != 0 || r.Unchanged != 4 {
		t.Fatalf("second re-extraction %+v", r)
	}
	if after := f.indexRows(); after != uploaded {
		t.Fatalf("a second run changed the index:\n%s", after)
	}
}

// A batch goes no further than its limit and says where it stopped; the
// next starts after that document. Deleted documents are not read.
func testReextractCursor(t *testing.T, f *fixture) {
	caseID := f.newCase()
	var ids []int64
	for i := range 5 {
		d := f.mustUpload(f.admin, caseID, Input{Title: fmt.Sprint("Doc ", i)}, "d.txt", fmt.Sprintf("bodyword%d here", i))
		ids = append(ids, d.ID)
	}
	if err := f.svc.Delete(context.Background(), f.h, f.admin, ids[4], 1); err != nil {
		t.Fatal(err)
	}
	f.restoreIndex()
	if n, err := f.svc.LiveDocuments(context.Background(), f.h); err != nil || n != 4 {
		t.Fatalf("live documents %d %v", n, err)
	}
	first := f.reextract(0, 2)
	if first.Read != 2 || first.Indexed != 2 || first.Last != ids[1] || !first.More {
		t.Fatalf("first batch %+v", first)
	}
	for i, id := range ids[:4] {
		got := f.found(f.admin, fmt.Sprint("bodyword", i))
		if want := i < 2; want != slices.Equal(got, []int64{id}) {
			t.Fatalf("after one batch, bodyword%d finds %v", i, got)
		}
	}
	second := f.reextract(first.Last, 2)
	if second.Read != 2 || second.Indexed != 2 || second.Last != ids[3] || !second.More {
		t.Fatalf("second batch %+v", second)
	}
	last := f.reextract(second.Last, 2)
	if last.Read != 0 || last.More || last.Last != ids[3] {
		t.Fatalf("last batch %+v", last)
	}
	for i, id := range ids[:4] {
		if got := f.found(f.admin, fmt.Sprint("bodyword", i)); !slices.Equal(got, []int64{id}) {
			t.Fatalf("bodyword%d finds %v", i, got)
		}
	}
	if got := f.found(f.admin, "bodyword4"); len(got) != 0 || f.count(`SELECT COUNT(*) FROM search_index WHERE record_id = ? AND record_type = 'document'`, ids[4]) != 0 {
		t.Fatalf("the deleted document came back into search: %v", got)
	}
}

// A missing file and a damaged one are skipped with a log line naming the
// document (not its content or key), their entries left as the rebuild
// made them; the rest of the batch is indexed.
func testReextractSkips(t *testing.T, f *fixture) {
	caseID := f.newCase()
	gone := f.mustUpload(f.admin, caseID, Input{Title: "Gone", Description: "kept"}, "g.txt", "secretgone text")
	damaged := f.mustUpload(f.admin, caseID, Input{Title: "Damaged"}, "d.txt", "secretdamaged text")
	fine := f.mustUpload(f.admin, caseID, Input{Title: "Fine"}, "f.txt", "fineword text")
	keyOf := func(id int64) string {
		var k string
		if err := f.h.DB.QueryRowContext(context.Background(), `SELECT storage_key FROM document_versions WHERE document_id = ?`, id).Scan(&k); err != nil {
			t.Fatal(err)
		}
		return k
	}
	if err := os.Remove(filepath.Join(f.dir, keyOf(gone.ID))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(f.dir, keyOf(damaged.ID))
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-5] ^= 1
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	f.restoreIndex()
	rebuilt := f.indexRows()
	r := f.reextract(0, 0)
	if r.Read != 3 || r.Skipped != 2 || r.Indexed != 1 || r.Last != fine.ID {
		t.Fatalf("re-extraction %+v", r)
	}
	if got := f.found(f.admin, "fineword"); !slices.Equal(got, []int64{fine.ID}) {
		t.Fatalf("the readable document was not indexed: %v", got)
	}
	if got := f.found(f.admin, "kept"); !slices.Equal(got, []int64{gone.ID}) {
		t.Fatalf("the skipped document lost its entry: %v", got)
	}
	if f.found(f.admin, "secretdamaged") != nil || f.found(f.admin, "secretgone") != nil {
		t.Fatal("text of an unreadable file was indexed")
	}
	if !strings.Contains(rebuilt, `"Gone" "kept"`) {
		t.Fatalf("rebuilt entries %s", rebuilt)
	}
	logs := f.logs.String()
	for _, id := range []int64{gone.ID, damaged.ID} {
		if !strings.Contains(logs, fmt.Sprintf("document=%d ", id)) {
			t.Fatalf("skip of document %d not logged:\n%s", id, logs)
		}
	}
	if strings.Contains(logs, "secret") {
		t.Fatalf("a log line holds file content:\n%s", logs)
	}
}

// A document edited, given a new file or deleted after the rebuild keeps
// what its change wrote: re-extraction never writes an older state.
func testReextractKeepsChanges(t *testing.T, f *fixture) {
	ctx := context.Background()
	caseID := f.newCase()
	d := f.mustUpload(f.admin, caseID, Input{Title: "Draft"}, "d.txt", "oldword text")
	gone := f.mustUpload(f.admin, caseID, Input{Title: "Gone"}, "g.txt", "goneword text")
	f.restoreIndex()
	if _, err := f.svc.Update(ctx, f.h, f.admin, d.ID, Edit{Title: "Final", Version: d.Version}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Delete(ctx, f.h, f.admin, gone.ID, gone.Version); err != nil {
		t.Fatal(err)
	}
	if r := f.reextract(0, 0); r.Indexed != 1 {
		t.Fatalf("re-extraction %+v", r)
	}
	if got := f.found(f.admin, "final oldword"); !slices.Equal(got, []int64{d.ID}) {
		t.Fatalf("edited document: %v", got)
	}
	if got := f.found(f.admin, "goneword"); len(got) != 0 {
		t.Fatalf("a deleted document is in search: %v", got)
	}
	cur, _ := f.svc.Get(ctx, f.h, f.admin, d.ID)
	if _, err := f.svc.AddVersion(ctx, f.h, f.admin, d.ID, cur.Version, Upload{Filename: "n.txt", Body: strings.NewReader("newword text")}); err != nil {
		t.Fatal(err)
	}
	// A batch read before the new version: its older file must not win.
	rows, err := reextractPage(ctx, f.h.DB, 0, 10)
	if err != nil || len(rows) != 1 {
		t.Fatalf("page %v %v", rows, err)
	}
	rows[0].version.Number--
	if changed, err := f.svc.writeText(ctx, f.h.DB, rows[0], "oldword text"); err != nil || changed {
		t.Fatalf("stale write: %v %v", changed, err)
	}
	if got := f.found(f.admin, "newword"); !slices.Equal(got, []int64{d.ID}) {
		t.Fatalf("new version's text: %v", got)
	}
	if got := f.found(f.admin, "oldword"); len(got) != 0 {
		t.Fatalf("old version's text came back: %v", got)
	}
}
