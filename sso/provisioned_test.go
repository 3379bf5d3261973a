package sso_test

import (
	"context"
	"testing"

	"strongroom/access"
	"strongroom/identity"
	"strongroom/sso/ssotest"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// TestProvisionedLink: an Entra ID identity not linked yet is linked at
// its first sign-in to the user its directory provisioned with its object
// id, and only then; never for Google, never by e-mail, never a second
// identity for a user who has one, and a lookup's fault is told as one.
func TestProvisionedLink(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		u, _, err := f.ids.CreateUser(ctx, f.h, f.admin, identity.UserInput{Username: "carol", DisplayName: "Carol", Email: "carol@firm.example", RoleIDs: []int64{f.role(access.StaffRole)}})
		if err != nil {
			t.Fatal(err)
		}
		const oid = "5f1c3b2a-0000-4000-8000-00000000c0a1"
		asked := 0
		f.svc.Provisioned = func(_ context.Context, _ *tenancy.Handle, objectID string) (int64, bool, error) {
			asked++
			if objectID == oid {
				return u.ID, true, nil
			}
			return 0, false, nil
		}
		f.entra.AddUser("carol", ssotest.User{Subject: "e-carol", Claims: map[string]any{"tid": directory, "oid": oid, "preferred_username": "carol@firm.example"}})
		f.entra.AddUser("carol2", ssotest.User{Subject: "e-carol-2", Claims: map[string]any{"tid": directory, "oid": oid, "preferred_username": "carol@firm.example"}})
		f.entra.AddUser("dan", ssotest.User{Subject: "e-dan", Claims: map[string]any{"tid": directory, "oid": "5f1c3b2a-0000-4000-8000-0000000000da", "preferred_username": "carol@firm.example"}})
		f.google.AddUser("carol", ssotest.User{Subject: "g-carol", Claims: map[string]any{"email": "carol@firm.example", "email_verified": true, "hd": "firm.example", "oid": oid}})

		t.Run("an object id the directory provisioned links at first sign-in", func(t *testing.T) {
			res, err := f.finish(f.authorize(f.eProv, f.entra, "carol"))
			if err != nil || res.UserID != u.ID || res.Created {
				t.Fatalf("%+v %v", res, err)
			}
			links, err := f.svc.Links(ctx, f.h, f.admin, u.ID)
			if err != nil || len(links) != 1 || links[0].Subject != "e-carol" {
				t.Fatalf("links %+v %v", links, err)
			}
			evs := f.events("sso.link")
			if last := evs[len(evs)-1]; last.Actor.Kind != "system" || last.Details["via"] != "scim" || last.SourceIP != "198.51.100.4" {
				t.Fatalf("audit %+v", last)
			}
			n := asked
			if res, err := f.finish(f.authorize(f.eProv, f.entra, "carol")); err != nil || res.UserID != u.ID || asked != n {
				t.Fatalf("second sign-in: %+v %v (looked up again: %v)", res, err, asked != n)
			}
		})
		t.Run("a second identity of the same provider is not linked", func(t *testing.T) {
			res, err := f.finish(f.authorize(f.eProv, f.entra, "carol2"))
			wantRefused(t, f, res, err, "not_linked")
		})
		t.Run("an object id nobody was provisioned with is refused", func(t *testing.T) {
			res, err := f.finish(f.authorize(f.eProv, f.entra, "dan"))
			wantRefused(t, f, res, err, "not_linked")
		})
		t.Run("only Entra ID's object id links", func(t *testing.T) {
			res, err := f.finish(f.authorize(f.gProv, f.google, "carol"))
			wantRefused(t, f, res, err, "not_linked")
		})
	})
}
