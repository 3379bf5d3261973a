package scim_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/scim"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

type fixture struct {
	t      *testing.T
	h      *tenancy.Handle
	ids    *identity.Service
	svc    *scim.Service
	admin  *identity.Principal
	client *scim.Client
	secret string
}

func newFixture(t *testing.T, e store.Engine) *fixture {
	t.Helper()
	h, ids := seedtest.Tenant(t, e)
	f := &fixture{t: t, h: h, ids: ids, svc: scim.New(ids, nil)}
	var roles []access.Role
	for _, r := range access.BuiltinRoles() {
		if r.Name == access.AdministratorRole {
			roles = append(roles, r)
		}
	}
	f.admin = &identity.Principal{User: &identity.User{ID: 1}, Subject: access.NewSubject(1, false, nil, roles), IP: "192.0.2.7"}
	tok, secret, err := f.svc.CreateToken(context.Background(), h, f.admin, "Entra ID")
	if err != nil {
		t.Fatal(err)
	}
	f.secret = secret
	f.client, err = f.svc.Authenticate(context.Background(), h, secret, "192.0.2.9")
	if err != nil || f.client.TokenID != tok.ID {
		t.Fatalf("authenticate: %+v %v", f.client, err)
	}
	return f
}

func (f *fixture) events(action string) []audit.Event {
	f.t.Helper()
	evs, err := f.h.Audit.Events(context.Background(), 0, 1_000_000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []audit.Event
	for _, e := range evs {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func (f *fixture) list(filter string) *scim.List[*scim.User] {
	f.t.Helper()
	l, err := f.svc.ListUsers(context.Background(), f.h, f.client, filter, 1, 100)
	if err != nil {
		f.t.Fatalf("list %q: %v", filter, err)
	}
	return l
}

func wantType(t *testing.T, err error, code, typ, field string) {
	t.Helper()
	if strongroom.ErrorCode(err) != code || scim.TypeOf(err) != typ || (field != "" && strongroom.ErrorField(err) != field) {
		t.Fatalf("got %v (type %q field %q), want %s %s %s", err, scim.TypeOf(err), strongroom.ErrorField(err), code, typ, field)
	}
}

const entraUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_ab6490ee@firm.example","active":true,
	"displayName":"BJensen","emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@firm.example"}],
	"meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
	"roles":[],"title":"Partner","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Litigation"}}`

// TestEntraSequence replays what Entra ID's provisioning sends for a
// user: a lookup by userName that finds nothing, the create, a lookup by
// externalId, PATCHes with capitalised ops and string booleans, and the
// deactivation.
func TestEntraSequence(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		if l := f.list(`userName eq "Test_User_ab6490ee@firm.example"`); l.Total != 0 || len(l.Resources) != 0 {
			t.Fatalf("lookup before create: %+v", l)
		}
		u, err := f.svc.CreateUser(ctx, f.h, f.client, []byte(entraUser))
		if err != nil {
			t.Fatal(err)
		}
		if u.UserName != "Test_User_ab6490ee@firm.example" || u.DisplayName != "BJensen" || u.GivenName != "givenName" ||
			u.Email != "Test_User_fd0ea19b@firm.example" || !u.Active || u.ExternalID != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" {
			t.Fatalf("created: %+v", u)
		}
		if l := f.list(`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`); l.Total != 1 || l.Resources[0].ID != u.ID {
			t.Fatalf("by externalId: %+v", l)
		}
		if l := f.list(`externalId eq "0A21F0F2-8d2a-4f8e-bf98-7363c4aed4ef"`); l.Total != 0 {
			t.Fatalf("externalId is case-exact: %+v", l)
		}
		if l := f.list(`USERNAME Eq "test_user_AB6490EE@firm.example"`); l.Total != 1 {
			t.Fatalf("userName is not case-exact: %+v", l)
		}
		patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
			{"op":"Replace","path":"displayName","value":"Barbara Jensen"},
			{"op":"Replace","path":"emails[type eq \"work\"].value","value":"bjensen@firm.example"},
			{"op":"Replace","path":"name.familyName","value":"Jensen"},
			{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Tax"},
			{"op":"Replace","value":{"name.givenName":"Barbara","externalId":"ext-2"}}]}`
		u, err = f.svc.PatchUser(ctx, f.h, f.client, u.ID, []byte(patch))
		if err != nil {
			t.Fatal(err)
		}
		if u.DisplayName != "Barbara Jensen" || u.Email != "bjensen@firm.example" || u.FamilyName != "Jensen" || u.GivenName != "Barbara" || u.ExternalID != "ext-2" {
			t.Fatalf("patched: %+v", u)
		}
		u, err = f.svc.PatchUser(ctx, f.h, f.client, u.ID, []byte(`{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`))
		if err != nil || u.Active {
			t.Fatalf("deactivate: %+v %v", u, err)
		}
		u, err = f.svc.PatchUser(ctx, f.h, f.client, u.ID, []byte(`{"Operations":[{"op":"replace","value":{"active":"True"}}]}`))
		if err != nil || !u.Active {
			t.Fatalf("reactivate: %+v %v", u, err)
		}
		if err := f.svc.DeleteUser(ctx, f.h, f.client, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.GetUser(ctx, f.h, f.client, u.ID); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Fatalf("get after delete: %v", err)
		}
		iu, err := f.ids.GetUser(ctx, f.h, f.admin, u.ID)
		if err != nil || iu.Status != "disabled" {
			t.Fatalf("the account stays, disabled: %+v %v", iu, err)
		}
		// Every change is the SCIM client's, by its token's id.
		for _, a := range []string{"user.create", "user.update", "user.disable", "user.enable", "scim.user_update", "scim.user_delete"} {
			evs := f.events(a)
			if len(evs) == 0 {
				t.Fatalf("no %s event", a)
			}
			last := evs[len(evs)-1]
			if last.Actor != (audit.Actor{Kind: audit.ActorSCIM, ID: strconv.FormatInt(f.client.TokenID, 10)}) || last.SourceIP != "192.0.2.9" {
				t.Errorf("%s by %+v from %q", a, last.Actor, last.SourceIP)
			}
		}
		// A create of the same user name brings the account back.
		again, err := f.svc.CreateUser(ctx, f.h, f.client, []byte(entraUser))
		if err != nil || again.ID != u.ID || !again.Active {
			t.Fatalf("create after delete: %+v %v", again, err)
		}
	})
}

// TestPaging: startIndex is 1-based; count bounds a page; totalResults
// counts every match.
func TestPaging(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		for i := range 5 {
			if _, err := f.svc.CreateUser(ctx, f.h, f.client, fmt.Appendf(nil, `{"userName":"okta%d@firm.example","name":{"givenName":"G","familyName":"F%d"}}`, i, i)); err != nil {
				t.Fatal(err)
			}
		}
		l, err := f.svc.ListUsers(ctx, f.h, f.client, `userName sw "okta"`, 2, 2)
		if err != nil || l.Total != 5 || len(l.Resources) != 2 || l.Resources[0].UserName != "okta1@firm.example" || l.StartIdx != 2 {
			t.Fatalf("page: %+v %v", l, err)
		}
		l, _ = f.svc.ListUsers(ctx, f.h, f.client, "", 100, 10)
		if l.Total != 6 || len(l.Resources) != 0 {
			t.Fatalf("past the end: %+v", l)
		}
		if s, n, err := scim.Page("0", "-3"); err != nil || s != 1 || n != 0 {
			t.Fatalf("Page: %d %d %v", s, n, err)
		}
		if _, _, err := scim.Page("x", ""); scim.TypeOf(err) != "invalidValue" || strongroom.ErrorField(err) != "startIndex" {
			t.Fatalf("Page x: %v", err)
		}
	})
}

// TestRefusals: bad input names the attribute and changes nothing.
func TestRefusals(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		u, err := f.svc.CreateUser(ctx, f.h, f.client, []byte(`{"userName":"alice@firm.example","displayName":"Alice"}`))
		if err != nil {
			t.Fatal(err)
		}
		count := len(f.events("user.create"))
		_, err = f.svc.CreateUser(ctx, f.h, f.client, []byte(`{"userName":"ALICE@firm.example"}`))
		wantType(t, err, strongroom.ECONFLICT, "uniqueness", "userName")
		_, err = f.svc.CreateUser(ctx, f.h, f.client, []byte(`{"userName":`))
		wantType(t, err, strongroom.EINVALID, "invalidSyntax", "body")
		_, err = f.svc.CreateUser(ctx, f.h, f.client, []byte(`{"displayName":"No name"}`))
		wantType(t, err, strongroom.EINVALID, "invalidValue", "userName")
		_, err = f.svc.CreateUser(ctx, f.h, f.client, []byte(`{"userName":"bob@firm.example","active":"maybe"}`))
		wantType(t, err, strongroom.EINVALID, "invalidValue", "active")
		_, err = f.svc.CreateUser(ctx, f.h, f.client, []byte(`{"userName":"has space"}`))
		wantType(t, err, strongroom.EINVALID, "invalidValue", "userName")
		_, err = f.svc.CreateUser(ctx, f.h, f.client, []byte(`{"userName":"bob@firm.example","emails":[{"value":"not an address"}]}`))
		wantType(t, err, strongroom.EINVALID, "invalidValue", "emails")
		if n := len(f.events("user.create")); n != count {
			t.Fatalf("refused creates wrote %d events", n-count)
		}
		_, err = f.svc.PatchUser(ctx, f.h, f.client, u.ID, []byte(`{"Operations":[{"op":"Replace","path":"displayName","value":"Changed"},{"op":"Replace","path":"active","value":7}]}`))
		wantType(t, err, strongroom.EINVALID, "invalidValue", "active")
		_, err = f.svc.PatchUser(ctx, f.h, f.client, u.ID, []byte(`{"Operations":[{"op":"remove","path":"userName"}]}`))
		wantType(t, err, strongroom.EINVALID, "mutability", "userName")
		_, err = f.svc.PatchUser(ctx, f.h, f.client, u.ID, []byte(`{"Operations":[{"op":"frobnicate","path":"displayName"}]}`))
		wantType(t, err, strongroom.EINVALID, "invalidValue", "op")
		_, err = f.svc.PatchUser(ctx, f.h, f.client, u.ID, []byte(`{"Operations":[]}`))
		wantType(t, err, strongroom.EINVALID, "invalidValue", "Operations")
		got, _ := f.svc.GetUser(ctx, f.h, f.client, u.ID)
		if got.DisplayName != "Alice" {
			t.Fatalf("a failed PATCH changed the user: %+v", got)
		}
		_, err = f.svc.ListUsers(ctx, f.h, f.client, `userName eq`, 1, 10)
		wantType(t, err, strongroom.EINVALID, "invalidFilter", "filter")
		_, err = f.svc.ListUsers(ctx, f.h, f.client, `password eq "x"`, 1, 10)
		wantType(t, err, strongroom.EINVALID, "invalidFilter", "filter")
		if _, err := f.svc.GetUser(ctx, f.h, f.client, 999); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Fatalf("unknown id: %v", err)
		}
		// The only administrator cannot be deactivated by the provider.
		_, err = f.svc.PatchUser(ctx, f.h, f.client, 1, []byte(`{"Operations":[{"op":"Replace","path":"active","value":false}]}`))
		wantType(t, err, strongroom.ECONFLICT, "mutability", "")
	})
}

// TestTokens: wrong, revoked and missing tokens are refused and audited;
// guesses are throttled per address.
func TestTokens(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		for _, bad := range []string{"", "srs_wrong", "srt_" + strings.Repeat("a", 43), f.secret + "x"} {
			if _, err := f.svc.Authenticate(ctx, f.h, bad, "192.0.2.50"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
				t.Fatalf("token %q: %v", bad, err)
			}
		}
		if n := len(f.events("scim.auth_failed")); n != 1 {
			t.Fatalf("auth_failed events: %d, want 1 (rate-limited)", n)
		}
		toks, err := f.svc.ListTokens(ctx, f.h, f.admin)
		if err != nil || len(toks) != 1 || toks[0].LastUsedAt.IsZero() || toks[0].Name != "Entra ID" {
			t.Fatalf("tokens: %+v %v", toks, err)
		}
		if err := f.svc.RevokeToken(ctx, f.h, f.admin, toks[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, f.h, f.secret, "192.0.2.9"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
			t.Fatalf("revoked token: %v", err)
		}
		for range scim.GuessBurst {
			f.svc.Authenticate(ctx, f.h, "srs_guess", "192.0.2.60")
		}
		if _, err := f.svc.Authenticate(ctx, f.h, "srs_guess", "192.0.2.60"); strongroom.ErrorCode(err) != strongroom.ETOOMANY {
			t.Fatalf("guess past the burst: %v", err)
		}
		if _, _, err := f.svc.CreateToken(ctx, f.h, f.admin, " "); strongroom.ErrorField(err) != "name" {
			t.Fatalf("blank name: %v", err)
		}
		staff := &identity.Principal{User: &identity.User{ID: 2}, Subject: access.NewSubject(2, false, nil, nil)}
		if _, _, err := f.svc.CreateToken(ctx, f.h, staff, "x"); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("non-admin: %v", err)
		}
	})
}

// TestDeactivationEndsSessions: a provider's deactivation ends the
// user's open session at once; a provisioned user has no password.
func TestDeactivationEndsSessions(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		u, err := f.svc.CreateUser(ctx, f.h, f.client, []byte(`{"userName":"carol@firm.example"}`))
		if err != nil {
			t.Fatal(err)
		}
		for _, pw := range []string{"", "carol@firm.example", "password"} {
			if _, err := f.ids.Login(ctx, f.h, "carol@firm.example", pw, "192.0.2.70", "test"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
				t.Fatalf("password sign-in of a provisioned user (%q): %v", pw, err)
			}
		}
		temp, err := f.ids.ResetPassword(ctx, f.h, f.admin, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.ids.Login(ctx, f.h, "carol@firm.example", temp, "192.0.2.70", "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.ids.Authenticate(ctx, f.h, res.Token, "192.0.2.70"); err != nil {
			t.Fatalf("session before: %v", err)
		}
		if _, err := f.svc.PatchUser(ctx, f.h, f.client, u.ID, []byte(`{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ids.Authenticate(ctx, f.h, res.Token, "192.0.2.70"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
			t.Fatalf("session after deactivation: %v", err)
		}
		// Ended, not only refused: re-enabling does not bring it back.
		if ss, err := f.ids.ListSessions(ctx, f.h, f.admin, u.ID); err != nil || len(ss) != 0 {
			t.Fatalf("sessions after deactivation: %v %v", ss, err)
		}
		if _, err := f.ids.Login(ctx, f.h, "carol@firm.example", temp, "192.0.2.70", "test"); strongroom.ErrorCode(err) != strongroom.EUNAUTHORIZED {
			t.Fatalf("sign-in after deactivation: %v", err)
		}
	})
}

// TestGroups: Entra's and Okta's member PATCHes, and the role mapping
// that gives and takes roles with membership.
func TestGroups(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		a, _ := f.svc.CreateUser(ctx, f.h, f.client, []byte(`{"userName":"a@firm.example"}`))
		b, _ := f.svc.CreateUser(ctx, f.h, f.client, []byte(`{"userName":"b@firm.example"}`))
		g, err := f.svc.CreateGroup(ctx, f.h, f.client, fmt.Appendf(nil, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Litigation","externalId":"g-1","members":[{"value":"%d"}]}`, a.ID))
		if err != nil || len(g.Members) != 1 {
			t.Fatalf("create: %+v %v", g, err)
		}
		roles, err := f.ids.ListRoles(ctx, f.h, f.admin)
		if err != nil {
			t.Fatal(err)
		}
		var staff int64
		for _, r := range roles {
			if r.Name != access.AdministratorRole && staff == 0 {
				staff = r.ID
			}
		}
		if _, err := f.svc.SetGroupRoles(ctx, f.h, f.admin, g.ID, []int64{staff}); err != nil {
			t.Fatal(err)
		}
		hasRole := func(id int64) bool {
			u, err := f.ids.GetUser(ctx, f.h, f.admin, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range u.RoleIDs {
				if r == staff {
					return true
				}
			}
			return false
		}
		if !hasRole(a.ID) || hasRole(b.ID) {
			t.Fatal("mapping did not give the role to the member only")
		}
		// Entra: add with a list of values.
		g, err = f.svc.PatchGroup(ctx, f.h, f.client, g.ID, fmt.Appendf(nil, `{"Operations":[{"op":"Add","path":"members","value":[{"value":"%d"}]}]}`, b.ID))
		if err != nil || len(g.Members) != 2 || !hasRole(b.ID) {
			t.Fatalf("entra add: %+v %v", g, err)
		}
		// Okta: remove by a value filter.
		g, err = f.svc.PatchGroup(ctx, f.h, f.client, g.ID, fmt.Appendf(nil, `{"Operations":[{"op":"remove","path":"members[value eq \"%d\"]"}]}`, a.ID))
		if err != nil || len(g.Members) != 1 || hasRole(a.ID) {
			t.Fatalf("okta remove: %+v %v", g, err)
		}
		// Entra: remove with a list of values; rename.
		g, err = f.svc.PatchGroup(ctx, f.h, f.client, g.ID, fmt.Appendf(nil, `{"Operations":[{"op":"Remove","path":"members","value":[{"value":"%d"}]},{"op":"Replace","path":"displayName","value":"Disputes"}]}`, b.ID))
		if err != nil || len(g.Members) != 0 || g.DisplayName != "Disputes" || hasRole(b.ID) {
			t.Fatalf("entra remove: %+v %v", g, err)
		}
		// A member who is not a user of the tenant: refused, nothing changed.
		_, err = f.svc.PatchGroup(ctx, f.h, f.client, g.ID, []byte(`{"Operations":[{"op":"Add","path":"members","value":[{"value":"9999"}]}]}`))
		wantType(t, err, strongroom.EINVALID, "invalidValue", "members")
		// PUT replaces the members.
		g, err = f.svc.ReplaceGroup(ctx, f.h, f.client, g.ID, fmt.Appendf(nil, `{"displayName":"Disputes","members":[{"value":"%d"},{"value":"%d"}]}`, a.ID, b.ID))
		if err != nil || len(g.Members) != 2 || !hasRole(a.ID) {
			t.Fatalf("put: %+v %v", g, err)
		}
		if l, err := f.svc.ListGroups(ctx, f.h, f.client, `displayName eq "disputes"`, 1, 10); err != nil || l.Total != 1 {
			t.Fatalf("filter groups: %+v %v", l, err)
		}
		_, err = f.svc.CreateGroup(ctx, f.h, f.client, []byte(`{"displayName":"DISPUTES"}`))
		wantType(t, err, strongroom.ECONFLICT, "uniqueness", "displayName")
		if evs := f.events("group.member_add"); len(evs) == 0 || evs[0].Actor.Kind != audit.ActorSCIM {
			t.Fatalf("member_add events: %+v", evs)
		}
		if err := f.svc.DeleteGroup(ctx, f.h, f.client, g.ID); err != nil {
			t.Fatal(err)
		}
		if hasRole(a.ID) || hasRole(b.ID) {
			t.Fatal("deleting the group kept the roles it gave")
		}
		if _, err := f.svc.GetGroup(ctx, f.h, f.client, g.ID); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
			t.Fatalf("get deleted group: %v", err)
		}
	})
}
