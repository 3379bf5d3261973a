package erasure_test

import (
	"strings"
	"testing"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/documents"
	"strongroom/erasure"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/store/storetest"
)

// TestErasureLeavesNoBytes: a person's values, held in their own fields,
// the audit trail (sealed), their parts in cases and the search entries of
// those, are not anywhere in the SQLite file's bytes after the erasure
// (secure_delete, the index optimized, the WAL checkpointed), neither in
// the live database nor in an older copy the ledger is reapplied to. Words
// are checked lower-cased too, as the full-text index keeps them.
func TestErasureLeavesNoBytes(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		t.Cleanup(func() { e.Close() })
		f := newFixture(t, e)
		values := []string{"Ignatius Wobblethorpe", "ig.wobble@example.net", "+1 555 0188 4471", "77 Quillon Lane",
			"Philippa Quenby", "pq.former@example.net", "wobblethorpe", "quillon", "quenby", "philippa", "ignatius"}
		ctx := f.ctx
		u, _, err := f.ids.CreateUser(ctx, f.h, f.admin, identity.UserInput{Username: "pquen", DisplayName: values[4], Email: values[5]})
		must(t, err)
		c1, err := f.cases.CreateCase(ctx, f.h, f.admin, cases.CaseInput{Title: "Lease", Client: "Estate", Responsible: []int64{u.ID}})
		must(t, err)
		c2, err := f.cases.CreateCase(ctx, f.h, f.admin, cases.CaseInput{Title: "Lease 2", Client: "Estate"})
		must(t, err)
		part, err := f.cases.CreateContact(ctx, f.h, f.admin, c1.ID, cases.ContactInput{Kind: "person", Name: "I. W.", Role: "witness"})
		must(t, err)
		_, err = f.cases.UpdateContact(ctx, f.h, f.admin, part.ID, cases.ContactInput{Kind: "person", Name: values[0],
			Email: values[1], Phone: values[2], Address: values[3], Role: "client", Version: part.Version})
		must(t, err)
		_, err = f.cases.CreateContact(ctx, f.h, f.admin, c2.ID, cases.ContactInput{ContactID: part.Contact.ID, Role: "witness"})
		must(t, err)
		uploader := principal(u.ID, map[access.Area]access.Grant{access.Cases: access.EditGrant, access.Documents: access.EditGrant})
		_, err = f.docs.Create(ctx, f.h, uploader, c1.ID, documents.Input{Title: "Plan"},
			documents.Upload{Filename: "plan.txt", Body: strings.NewReader("Plan of the lane.")})
		must(t, err)
		must(t, f.ids.SetUserStatus(ctx, f.h, f.admin, u.ID, true))
		old := f.snapshot()
		for _, s := range []erasure.Subject{{Kind: erasure.KindContact, ID: part.Contact.ID}, {Kind: erasure.KindUser, ID: u.ID}} {
			if _, err := f.er.Erase(ctx, f.h, f.admin, s); err != nil {
				t.Fatalf("erase %s: %v", s, err)
			}
		}
		f.fileClean(f.h, values...)
		ledger, err := f.er.Ledger(ctx, "firm")
		must(t, err)
		must(t, erasure.Reapply(ctx, old, ledger))
		f.fileClean(old, values...)
	})
}

// TestFileCheckSeesValues: the byte check above finds a value that is
// there (a search entry holds the name in clear until erased).
func TestFileCheckSeesValues(t *testing.T) {
	f := newFixture(t, storetest.NewSQLite(t))
	c, err := f.cases.CreateCase(f.ctx, f.h, f.admin, cases.CaseInput{Title: "Lease", Client: "Estate"})
	must(t, err)
	_, err = f.cases.CreateContact(f.ctx, f.h, f.admin, c.ID, cases.ContactInput{Kind: "person", Name: "Ottoline Vexbridge", Role: "witness"})
	must(t, err)
	if len(f.inFile(f.h, "vexbridge")) == 0 {
		t.Fatal("the byte check did not see a value in the file")
	}
}
