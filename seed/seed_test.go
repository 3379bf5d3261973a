package seed_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"strongroom/cases"
	"strongroom/seed"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

func TestDemo(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := store.WithTimeout(context.Background(), 0) // bulk loads are bounded by the caller, as the bench command does
		h, ids := seedtest.Tenant(t, e)
		start := time.Now()
		res, err := seed.Demo(ctx, h, ids, seed.DemoOptions{Cases: 300})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("demo with %d cases, %d records: %v", res.Cases, res.Records, time.Since(start))
		if len(res.Logins) != 6 {
			t.Fatalf("logins %+v", res.Logins)
		}
		for _, l := range res.Logins {
			if l.Password == "" || l.Username == "" {
				t.Fatalf("login %+v", l)
			}
		}
		checkConsistent(t, h)
		if n := count(t, h, `SELECT COUNT(*) FROM cases WHERE mdl_id IS NOT NULL`); n != 240 {
			t.Errorf("%d MDL cases, want 240", n)
		}
		// The local counsel firms' classes are on exactly their cases.
		for _, name := range []string{seed.SmithClass, seed.JonesClass} {
			n := count(t, h, `SELECT COUNT(*) FROM record_classes rc JOIN security_classes s ON s.id = rc.class_id
				WHERE rc.record_type = 'case' AND s.name = ?`, name)
			if n != 100 {
				t.Errorf("%s on %d cases, want 100", name, n)
			}
		}
		// A second run refuses: the tenant has cases.
		if _, err := seed.Demo(ctx, h, ids, seed.DemoOptions{Cases: 10}); err == nil {
			t.Fatal("demo ran twice")
		}
		// Rows the application adds later get fresh ids.
		var id int64
		err = h.DB.InTx(ctx, func(tx *store.Tx) error {
			return tx.QueryRowContext(ctx, `INSERT INTO cases (number, title, status, opened_on, created_at, updated_at)
				VALUES ('NEW-1', 'New', 'open', '2025-01-01', '', '') RETURNING id`).Scan(&id)
		})
		if err != nil || id <= int64(res.Cases) {
			t.Fatalf("insert after seeding: id %d, %v", id, err)
		}
	})
}

func TestBench(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := store.WithTimeout(context.Background(), 0)
		h, ids := seedtest.Tenant(t, e)
		var calls int
		classes, n, err := seed.Bench(ctx, h, ids, seed.BenchOptions{Records: 3000, Progress: func(c, r int) { calls++ }})
		if err != nil {
			t.Fatal(err)
		}
		if len(classes) != seed.BenchClassCount || n < 2500 || n > 3500 || calls != 1 {
			t.Fatalf("classes %v, %d records, %d progress calls", classes, n, calls)
		}
		checkConsistent(t, h)
		// Twice: the generator adds to what is there.
		if _, _, err := seed.Bench(ctx, h, ids, seed.BenchOptions{Records: 500, Seed: 2}); err != nil {
			t.Fatal(err)
		}
		checkConsistent(t, h)
	})
}

func TestWrite(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := store.WithTimeout(context.Background(), 0)
		h, _ := seedtest.Tenant(t, e)
		var caseID, noteID, docID int64
		err := seed.Write(ctx, h, func(b *seed.Builder) {
			caseID = b.Case(seed.Case{Title: "Fixture"})
			noteID = b.Record(seed.Record{Type: cases.TypeNote, CaseID: caseID, Title: "N", Body: "hello", Deleted: true})
		})
		if err != nil {
			t.Fatal(err)
		}
		// A later batch finds the case's classes in the database.
		err = seed.Write(ctx, h, func(b *seed.Builder) {
			docID = b.Record(seed.Record{Type: cases.TypeDocument, CaseID: caseID, Title: "D"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, h, `SELECT COUNT(*) FROM notes WHERE id = ? AND deleted_at <> ''`, noteID); n != 1 {
			t.Fatal("the note is not deleted")
		}
		if n := count(t, h, `SELECT COUNT(*) FROM search_index WHERE record_type = 'document' AND record_id = ?`, docID); n != 1 {
			t.Fatal("the document is not indexed")
		}
		checkConsistent(t, h)
	})
}

func count(t *testing.T, h *tenancy.Handle, query string, args ...any) int {
	t.Helper()
	var n int
	if err := h.DB.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkConsistent checks the invariants the case services keep: every
// record has one search entry under its case; its effective classes are
// its own when own_classes is set, else exactly its case's; the full-text
// index agrees with search_index.
func checkConsistent(t *testing.T, h *tenancy.Handle) {
	t.Helper()
	ctx := context.Background()
	for _, typ := range cases.RecordTypes() {
		caseCol := "case_id"
		if typ == cases.TypeCase {
			caseCol = "id"
		}
		rows := count(t, h, `SELECT COUNT(*) FROM `+typ.Table())
		indexed := count(t, h, `SELECT COUNT(*) FROM `+typ.Table()+` r JOIN search_index si
			ON si.record_type = ? AND si.record_id = r.id AND si.case_id = r.`+caseCol, string(typ))
		if rows != indexed {
			t.Errorf("%s: %d rows, %d indexed", typ, rows, indexed)
		}
		if typ == cases.TypeCase {
			continue
		}
		// Inheriting records carry exactly their case's classes.
		bad := count(t, h, `SELECT COUNT(*) FROM `+typ.Table()+` r WHERE r.own_classes = 0 AND (
			EXISTS (SELECT 1 FROM record_classes a WHERE a.record_type = ? AND a.record_id = r.id AND NOT EXISTS (
				SELECT 1 FROM record_classes b WHERE b.record_type = 'case' AND b.record_id = r.case_id AND b.class_id = a.class_id))
			OR EXISTS (SELECT 1 FROM record_classes b WHERE b.record_type = 'case' AND b.record_id = r.case_id AND NOT EXISTS (
				SELECT 1 FROM record_classes a WHERE a.record_type = ? AND a.record_id = r.id AND a.class_id = b.class_id)))`,
			string(typ), string(typ))
		if bad != 0 {
			t.Errorf("%s: %d inheriting records differ from their case's classes", typ, bad)
		}
		if own := count(t, h, `SELECT COUNT(*) FROM `+typ.Table()+` r WHERE r.own_classes = 1 AND NOT EXISTS (
			SELECT 1 FROM record_classes a WHERE a.record_type = ? AND a.record_id = r.id)`, string(typ)); own != 0 {
			t.Errorf("%s: %d records with own classes carry none", typ, own)
		}
	}
	if total := count(t, h, `SELECT COUNT(*) FROM search_index`); total == 0 {
		t.Error("nothing indexed")
	}
	if h.DB.Dialect == store.SQLite {
		if _, err := h.DB.ExecContext(ctx, `INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
			t.Errorf("FTS integrity: %v", err)
		}
		var fts int
		h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM search_fts WHERE search_fts MATCH 'agreement OR contract OR fixture OR d'`).Scan(&fts)
		if fts == 0 {
			t.Error("the FTS table finds nothing")
		}
	}
	var types []string
	rows, err := h.DB.QueryContext(ctx, `SELECT DISTINCT record_type FROM record_classes ORDER BY record_type`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		types = append(types, s)
	}
	rows.Close()
	for _, s := range types {
		if !slices.Contains(cases.RecordTypes(), cases.RecordType(s)) {
			t.Errorf("record_classes holds unknown type %q", s)
		}
	}
}
