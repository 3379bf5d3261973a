package scim_test

import (
	"context"
	"testing"

	"strongroom/store"
	"strongroom/store/storetest"
)

// TestUserByExternalID is what single sign-on asks to link an Entra ID
// identity: the one active user provisioned with exactly that externalId,
// and nobody when the id is empty, differs in case, is held by two users,
// or its user is deactivated.
func TestUserByExternalID(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		mk := func(name, ext string) int64 {
			u, err := f.svc.CreateUser(ctx, f.h, f.client, []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+
				`@firm.example","externalId":"`+ext+`","active":true,"displayName":"`+name+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			return u.ID
		}
		ann := mk("ann", "oid-ann")
		mk("twin1", "oid-twin")
		mk("twin2", "oid-twin")
		gone := mk("gone", "oid-gone")
		if _, err := f.svc.PatchUser(ctx, f.h, f.client, gone, []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			ext  string
			want int64
		}{{"oid-ann", ann}, {"OID-ANN", 0}, {"", 0}, {"oid-twin", 0}, {"oid-gone", 0}, {"oid-nobody", 0}} {
			id, ok, err := f.svc.UserByExternalID(ctx, f.h, c.ext)
			if err != nil || id != c.want || ok != (c.want != 0) {
				t.Errorf("%q: %d %v %v, want %d", c.ext, id, ok, err, c.want)
			}
		}
	})
}
