package cases_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"strongroom"
	"strongroom/cases"
	"strongroom/tenancy"
)

// testSoftDeleteAndPurge deletes records and a case, checks they are
// hidden at once, kept for 30 days, then purged with their classes and
// search entries, each purge audited.
func testSoftDeleteAndPurge(t *testing.T, f *fixture) {
	ctx := context.Background()
	c := f.newCase("Purge", f.classA)
	keep := f.newFinancial(c.ID, "1")
	gone := f.newFinancial(c.ID, "2")
	if err := f.svc.DeleteFinancial(ctx, f.h, f.admin, gone.ID, gone.Version); err != nil {
		t.Fatal(err)
	}
	rs, _, err := f.svc.ListFinancial(ctx, f.h, f.admin, c.ID, cases.ListOptions{})
	if err != nil || len(rs) != 1 || rs[0].ID != keep.ID {
		t.Fatalf("list after delete: %v %d", err, len(rs))
	}
	_, err = f.svc.GetFinancial(ctx, f.h, f.admin, gone.ID)
	wantCode(t, err, strongroom.ENOTFOUND)
	if f.count(`SELECT COUNT(*) FROM search_index WHERE record_type = 'financial' AND record_id = ?`, gone.ID) != 0 {
		t.Fatal("a deleted record is still in search")
	}
	rows := func(typ string, id int64, table string) int {
		return f.count(`SELECT COUNT(*) FROM `+table+` WHERE id = ?`, id) +
			f.count(`SELECT COUNT(*) FROM record_classes WHERE record_type = ? AND record_id = ?`, typ, id)
	}
	// Within the retention period nothing goes.
	report, err := f.svc.Purge(ctx, f.h, f.clock.Now().Add(29*24*time.Hour))
	if err != nil || report["financial"] != 0 {
		t.Fatalf("early purge: %v %v", err, report)
	}
	if rows("financial", gone.ID, "financial_records") != 2 {
		t.Fatal("purged within the retention period")
	}
	// After it, the record goes and the purge is audited.
	events := len(f.events())
	report, err = f.svc.Purge(ctx, f.h, f.clock.Now().Add(31*24*time.Hour))
	if err != nil || report["financial"] < 1 {
		t.Fatalf("purge: %v %v", err, report)
	}
	if rows("financial", gone.ID, "financial_records") != 1 || rows("financial", keep.ID, "financial_records") != 2 {
		t.Fatal("purge removed the wrong rows")
	}
	// The purged record's classes stay, so its audit history stays protected.
	if f.count(`SELECT COUNT(*) FROM record_classes WHERE record_type = 'financial' AND record_id = ?`, gone.ID) != 1 {
		t.Fatal("purge dropped the classes that protect the record's audit history")
	}
	var purged []string
	for _, ev := range f.events()[events:] {
		if ev.Actor.Kind != "system" {
			t.Errorf("purge event by %+v", ev.Actor)
		}
		purged = append(purged, ev.Action+" "+ev.ObjectID)
	}
	if !slices.Contains(purged, "financial.purge "+strconv.FormatInt(gone.ID, 10)) {
		t.Fatalf("purge events %v", purged)
	}

	// Deleting a case hides it and everything in it; the purge takes all.
	note, _ := f.svc.CreateNote(ctx, f.h, f.admin, c.ID, cases.NoteInput{Title: "N", Body: "b"})
	ct, _ := f.svc.CreateContact(ctx, f.h, f.admin, c.ID, cases.ContactInput{Kind: "organisation", Name: "Org", Role: "opposing_party"})
	cur, _ := f.svc.GetCase(ctx, f.h, f.admin, c.ID)
	f.clock.Add(time.Hour)
	if err := f.svc.DeleteCase(ctx, f.h, f.admin, c.ID, cur.Version); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetFinancial(ctx, f.h, f.admin, keep.ID)
	wantCode(t, err, strongroom.ENOTFOUND)
	_, err = f.svc.GetNote(ctx, f.h, f.admin, note.ID)
	wantCode(t, err, strongroom.ENOTFOUND)
	_, _, err = f.svc.ListNotes(ctx, f.h, f.admin, c.ID, cases.ListOptions{})
	wantCode(t, err, strongroom.ENOTFOUND)
	if f.count(`SELECT COUNT(*) FROM contacts WHERE id = ? AND deleted_at <> ''`, ct.Contact.ID) != 1 {
		t.Fatal("the case's only contact should be deleted with it")
	}
	if _, err := f.svc.Purge(ctx, f.h, f.clock.Now().Add(30*24*time.Hour-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if f.count(`SELECT COUNT(*) FROM cases WHERE id = ?`, c.ID) != 1 {
		t.Fatal("case purged early")
	}
	if _, err := f.svc.Purge(ctx, f.h, f.clock.Now().Add(30*24*time.Hour+time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT COUNT(*) FROM cases WHERE id = ?`,
		`SELECT COUNT(*) FROM financial_records WHERE case_id = ?`,
		`SELECT COUNT(*) FROM notes WHERE case_id = ?`,
		`SELECT COUNT(*) FROM case_contacts WHERE case_id = ?`,
		`SELECT COUNT(*) FROM search_index WHERE case_id = ?`,
	} {
		if n := f.count(q, c.ID); n != 0 {
			t.Errorf("%s: %d rows left", q, n)
		}
	}
	if f.count(`SELECT COUNT(*) FROM contacts WHERE id = ?`, ct.Contact.ID) != 0 {
		t.Error("the contact was not purged")
	}
}

// testPurger runs the background purger over the tenant and closes it.
func testPurger(t *testing.T, f *fixture) {
	ctx := context.Background()
	c := f.newCase("Purger")
	if err := f.svc.DeleteCase(ctx, f.h, f.admin, c.ID, c.Version); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	runs := 0
	list := func(context.Context) ([]string, error) {
		mu.Lock()
		runs++
		mu.Unlock()
		return []string{"firm"}, nil
	}
	get := func(context.Context, string) (*tenancy.Handle, func(), error) { return f.h, func() {}, nil }
	p := cases.NewPurger(f.svc, list, get, time.Hour, discard)
	p.Now = func() time.Time { return f.clock.Now().Add(31 * 24 * time.Hour) }
	var before int
	p.Before = func(context.Context, *tenancy.Handle, time.Time) error { mu.Lock(); before++; mu.Unlock(); return nil }
	p.Run()
	deadline := time.Now().Add(10 * time.Second)
	for f.count(`SELECT COUNT(*) FROM cases WHERE id = ?`, c.ID) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the purger did not purge")
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Close()
	mu.Lock()
	defer mu.Unlock()
	if runs != 1 || before != 1 {
		t.Fatalf("%d runs (%d of Before) within the first interval", runs, before)
	}
}
