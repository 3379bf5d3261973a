package erasure_test

import (
	"testing"

	"strongroom/cases"
	"strongroom/erasure"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/store/storetest"
)

// TestErasedIDsNotReused: SQLite gives a deleted highest id to the next
// row. An erased contact or user keeps a tombstone row, so a person added
// afterwards never becomes the erased subject: their data reads, and
// reapplying the ledger leaves them alone. A user deleted before being
// erased gets a tombstone too.
func TestErasedIDsNotReused(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		t.Cleanup(func() { e.Close() })
		f := newFixture(t, e)
		ctx := f.ctx
		c, err := f.cases.CreateCase(ctx, f.h, f.admin, cases.CaseInput{Title: "Lease", Client: "Estate"})
		must(t, err)
		old, err := f.cases.CreateContact(ctx, f.h, f.admin, c.ID, cases.ContactInput{Kind: "person", Name: "First Person", Role: "witness"})
		must(t, err)
		u, _, err := f.ids.CreateUser(ctx, f.h, f.admin, identity.UserInput{Username: "gone", DisplayName: "Gone User"})
		must(t, err)
		must(t, f.ids.DeleteUser(ctx, f.h, f.admin, u.ID))
		for _, s := range []erasure.Subject{{Kind: erasure.KindContact, ID: old.Contact.ID}, {Kind: erasure.KindUser, ID: u.ID}} {
			if _, err := f.er.Erase(ctx, f.h, f.admin, s); err != nil {
				t.Fatalf("erase %s: %v", s, err)
			}
		}
		fresh, err := f.cases.CreateContact(ctx, f.h, f.admin, c.ID, cases.ContactInput{Kind: "person", Name: "Second Person", Role: "witness"})
		must(t, err)
		nu, _, err := f.ids.CreateUser(ctx, f.h, f.admin, identity.UserInput{Username: "newer", DisplayName: "Newer User"})
		must(t, err)
		if fresh.Contact.ID == old.Contact.ID || nu.ID == u.ID {
			t.Fatalf("an erased id was given again: contact %d→%d, user %d→%d", old.Contact.ID, fresh.Contact.ID, u.ID, nu.ID)
		}
		ledger, err := f.er.Ledger(ctx, "firm")
		must(t, err)
		must(t, erasure.Reapply(ctx, f.h, ledger))
		got, err := f.cases.GetContact(ctx, f.h, f.admin, fresh.ID)
		must(t, err)
		gu, err := f.ids.GetUser(ctx, f.h, f.admin, nu.ID)
		must(t, err)
		if got.Contact.Name != "Second Person" || gu.DisplayName != "Newer User" {
			t.Errorf("the new people read %q and %q", got.Contact.Name, gu.DisplayName)
		}
		tomb, err := f.ids.GetUser(ctx, f.h, f.admin, u.ID)
		must(t, err)
		if !tomb.Erased || tomb.Status != "disabled" {
			t.Errorf("the deleted, erased user reads %+v", tomb)
		}
		people, err := f.er.People(ctx, f.h, f.admin)
		must(t, err)
		for _, p := range people {
			if p.Subject.ID == old.Contact.ID && p.Subject.Kind == erasure.KindContact || p.Subject.ID == u.ID && p.Subject.Kind == erasure.KindUser {
				t.Errorf("an erased person is listed: %+v", p)
			}
		}
	})
}
