package cases_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"strongroom/cases"
	"strongroom/seed"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

type indexEntry struct{ caseID, title, body, classes string }

// searchIndex reads every entry, by "type:id"; on SQLite with the class
// words its triggers keep.
func searchIndex(t *testing.T, h *tenancy.Handle) map[string]indexEntry {
	t.Helper()
	classes := `''`
	if h.DB.Dialect == store.SQLite {
		classes = `classes`
	}
	rows, err := h.DB.QueryContext(context.Background(), `SELECT record_type, record_id, case_id, title, body, `+classes+` FROM search_index`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]indexEntry{}
	for rows.Next() {
		var typ string
		var id, caseID int64
		var e indexEntry
		if err := rows.Scan(&typ, &id, &caseID, &e.title, &e.body, &e.classes); err != nil {
			t.Fatal(err)
		}
		e.caseID = fmt.Sprint(caseID)
		out[fmt.Sprintf("%s:%d", typ, id)] = e
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRebuildIndex(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		h, ids := seedtest.Tenant(t, e)
		if _, err := seed.Demo(store.WithTimeout(ctx, 0), h, ids, seed.DemoOptions{Cases: 40, Now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		deleted := serviceRecords(t, h)
		before := searchIndex(t, h)
		if _, ok := before[deleted]; ok || len(before) < 100 {
			t.Fatalf("%d entries before the rebuild; deleted %s indexed: %v", len(before), deleted, ok)
		}
		// A damaged index: entries missing, one stale, one wrong.
		err := h.DB.InTx(ctx, func(tx *store.Tx) error {
			for _, q := range []string{`DELETE FROM search_index WHERE record_type IN ('note', 'contact')`,
				`UPDATE search_index SET title = 'wrong' WHERE record_type = 'case'`,
				`INSERT INTO search_index (record_type, record_id, case_id, title, body) VALUES ('note', 999999, 1, 'stale', '')`} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		n, err := cases.RebuildIndex(ctx, h.DB)
		if err != nil {
			t.Fatal(err)
		}
		after := searchIndex(t, h)
		if n != len(before) || len(after) != len(before) {
			t.Fatalf("rebuilt %d entries, %d in the index, %d before", n, len(after), len(before))
		}
		descriptions := documentDescriptions(t, h)
		types := map[string]int{}
		for key, want := range before {
			got, ok := after[key]
			typ, _, _ := strings.Cut(key, ":")
			types[typ]++
			switch {
			case !ok:
				t.Errorf("%s missing after the rebuild", key)
			case typ == "document":
				// Extracted text is re-extracted separately: the rebuilt
				// entry holds the description only.
				desc := descriptions[key]
				if got.title != want.title || got.caseID != want.caseID || got.classes != want.classes || got.body != desc ||
					!(want.body == desc || strings.HasPrefix(want.body, desc+"\n")) {
					t.Errorf("%s: rebuilt %+v, was %+v", key, got, want)
				}
			case got != want:
				t.Errorf("%s: rebuilt %+v, was %+v", key, got, want)
			}
		}
		for _, typ := range cases.RecordTypes() {
			if types[string(typ)] == 0 {
				t.Errorf("no %s entries: the test proves nothing for them", typ)
			}
		}
		if h.DB.Dialect == store.SQLite {
			// The full-text table follows search_index exactly.
			if _, err := h.DB.ExecContext(ctx, `INSERT INTO search_fts (search_fts) VALUES ('integrity-check')`); err != nil {
				t.Fatalf("FTS index after rebuild: %v", err)
			}
		}
	})
}

// serviceRecords writes records through the case service (a case with
// tags, a financial record without description, a note, a deleted note)
// and returns the index key of the deleted note.
func serviceRecords(t *testing.T, h *tenancy.Handle) string {
	t.Helper()
	ctx := context.Background()
	admin, err := seed.AdminPrincipal(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	svc := cases.New(discard)
	c, err := svc.CreateCase(ctx, h, admin, cases.CaseInput{Title: "Rebuilt matter", Client: "Acme Ltd", PracticeGroup: "Tax",
		Status: "open", OpenedOn: "2026-02-01", Tags: []string{"alpha", "beta"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateFinancial(ctx, h, admin, c.ID, cases.FinancialInput{Kind: "fee", Amount: "12.50", Currency: "EUR", OccurredOn: "2026-02-02"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateNote(ctx, h, admin, c.ID, cases.NoteInput{Title: "Kept", Body: "A note that stays."}); err != nil {
		t.Fatal(err)
	}
	gone, err := svc.CreateNote(ctx, h, admin, c.ID, cases.NoteInput{Title: "Gone", Body: "A note that is deleted."})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteNote(ctx, h, admin, gone.ID, gone.Version); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("note:%d", gone.ID)
}

func documentDescriptions(t *testing.T, h *tenancy.Handle) map[string]string {
	t.Helper()
	rows, err := h.DB.QueryContext(context.Background(), `SELECT id, description FROM documents`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id int64
		var d string
		if err := rows.Scan(&id, &d); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("document:%d", id)] = d
	}
	return out
}
