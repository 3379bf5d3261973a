package backup

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"

	"strongroom"
	"strongroom/audit"
	"strongroom/cases"
	"strongroom/documents"
	"strongroom/erasure"
	"strongroom/store"
	"strongroom/store/storetest"
)

// A backup restored beside its original under another slug (--as) is a
// copy that works: the same cases, contacts (sealed personal fields open)
// and documents (wrapped file keys open), its audit trail the original's
// up to a first tenant.restored event naming the copy, under the
// original's origin, verifying; the original's erasures since the backup
// applied and made the copy's own; new values written in the copy open;
// and a backup of the copy restores in turn on a fresh server. The
// original is untouched.
func TestRestoreAsCopyBesideOriginal(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		src := newServer(t, e, "")
		src.tenant("firm", 3)
		h, release := src.handle("firm")
		pp := plantPerson(t, src, h)
		release()
		k := newAgeKeys(t)
		dir := t.TempDir()
		target := openTarget(t, dir)
		before, err := src.backups(k, target).RunTenant(ctx, "firm")
		if err != nil {
			t.Fatal(err)
		}
		er := erasure.New(src.control.DB(), discard)
		h, release = src.handle("firm")
		if _, err := er.Erase(ctx, h, src.admin(h), pp.subject); err != nil {
			t.Fatal(err)
		}
		release()
		original := src.view("firm")
		originalContacts := contactNames(t, src, "firm")

		r := src.restorer(k)
		r.AfterLoad = ReapplyLedger(er, target, []age.Identity{k.id})
		out, err := r.Restore(ctx, target, RestoreOptions{Slug: "firm", As: "firm-copy", BackupID: before.ID})
		if err != nil {
			t.Fatal(err)
		}
		if out.Tenant.Slug != "firm-copy" || out.Tenant.DisplayName != "Firm firm (copy)" {
			t.Fatalf("restored as %q (%q)", out.Tenant.Slug, out.Tenant.DisplayName)
		}

		copied := src.view("firm-copy")
		if !slices.Equal(copied.cases, original.cases) || !maps.Equal(copied.docs, original.docs) || len(copied.docs) == 0 {
			t.Fatalf("the copy serves %d cases and %d documents, the original %d and %d",
				len(copied.cases), len(copied.docs), len(original.cases), len(original.docs))
		}
		if got := contactNames(t, src, "firm-copy"); !slices.Equal(got, originalContacts) || len(got) == 0 {
			t.Fatalf("the copy's contacts %q, the original's %q", got, originalContacts)
		}
		if seen := readableValues(t, src, "firm-copy", pp); len(seen) > 0 {
			t.Fatalf("a person erased in the original after the backup is readable in the copy: %v", seen)
		}
		ledger, err := er.Ledger(ctx, "firm-copy")
		if err != nil || len(ledger) != 1 || ledger[0].Subject != ledgerSubject(pp) {
			t.Fatalf("the copy's erasure ledger: %v %+v", err, ledger)
		}

		h, release = src.handle("firm-copy")
		if h.SealedAs() != "firm" || h.Audit.Origin() != audit.Origin("firm") {
			t.Fatalf("the copy seals as %q with origin %q", h.SealedAs(), h.Audit.Origin())
		}
		evs, err := h.Audit.Events(ctx, 0, 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		forks := 0
		for _, ev := range evs {
			if ev.Action == "tenant.restored" && ev.Details["copy_of"] == "firm" && ev.Details["restored_as"] == "firm-copy" {
				forks++
			}
		}
		if forks != 1 {
			t.Fatalf("%d tenant.restored events name the copy", forks)
		}
		// New values sealed in the copy open: a contact and a document.
		p := src.admin(h)
		cs := cases.New(discard)
		c, err := cs.CreateCase(ctx, h, p, cases.CaseInput{Title: "After the fork", Client: "New client"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CreateContact(ctx, h, p, c.ID, cases.ContactInput{Kind: "person", Name: "Ada Fork", Email: "ada@example.org", Role: "client"}); err != nil {
			t.Fatal(err)
		}
		docs := documents.New(src.files, discard)
		if _, err := docs.Create(ctx, h, p, c.ID, documents.Input{Title: "Fork memo"},
			documents.Upload{Filename: "fork.txt", Body: strings.NewReader("written in the copy")}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Audit.SignTail(ctx); err != nil {
			t.Fatal(err)
		}
		release()
		afterFork := src.view("firm-copy")
		if got := contactNames(t, src, "firm-copy"); !slices.Contains(got, "Ada Fork") {
			t.Fatalf("a contact written in the copy does not open: %q", got)
		}
		src.verifyAudit("firm-copy")
		src.verifyAudit("firm")
		if again := src.view("firm"); !slices.Equal(again.cases, original.cases) || !maps.Equal(again.docs, original.docs) {
			t.Fatal("restoring the copy changed the original")
		}

		_, err = r.Restore(ctx, target, RestoreOptions{Slug: "firm", As: "firm-copy"})
		if strongroom.ErrorCode(err) != strongroom.ECONFLICT {
			t.Fatalf("restoring as a slug in use: %v", err)
		}

		// The copy's own backup restores on a fresh server under its slug.
		svc := src.backups(k, target)
		svc.Ledger = er.ExportLedger
		copyBackup, err := svc.RunTenant(ctx, "firm-copy")
		if err != nil || copyBackup.Status != "completed" {
			t.Fatalf("back up the copy: %v %+v", err, copyBackup)
		}
		dst := newServer(t, freshEngine(t, e), src.keyPath)
		fresh := openTarget(t, dir)
		r2 := dst.restorer(k)
		r2.AfterLoad = ReapplyLedger(erasure.New(dst.control.DB(), discard), fresh, []age.Identity{k.id})
		if _, err := r2.Restore(ctx, fresh, RestoreOptions{Slug: "firm-copy"}); err != nil {
			t.Fatal(err)
		}
		if got := dst.view("firm-copy"); !slices.Equal(got.cases, afterFork.cases) || !maps.Equal(got.docs, afterFork.docs) {
			t.Fatal("the copy's backup restores other cases or documents")
		}
		dst.verifyAudit("firm-copy")
	})
}

// contactNames lists the names of every contact of every case of slug,
// sorted: each is a sealed personal field opened with its subject key.
func contactNames(t *testing.T, s *server, slug string) []string {
	t.Helper()
	ctx := context.Background()
	h, release := s.handle(slug)
	defer release()
	p := s.admin(h)
	cs := cases.New(discard)
	list, _, err := cs.ListCases(ctx, h, p, cases.CaseFilter{ListOptions: cases.ListOptions{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range list {
		recs, _, err := cs.ListContacts(ctx, h, p, c.ID, cases.ListOptions{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			names = append(names, r.Contact.Name)
		}
	}
	slices.Sort(names)
	return names
}
