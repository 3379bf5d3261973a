package dashboards_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"strongroom"
	"strongroom/access"
	"strongroom/dashboards"
	"strongroom/identity"
	"strongroom/store"
)

// TestGroups: administrators manage groups and members; names are unique
// whatever their case; everyone else is refused and changes nothing.
func TestGroups(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		staff := w.user("staff", dashboardsAt(access.EditGrant))
		reader := w.user("reader", map[access.Area]access.Grant{access.Administration: access.ReadGrant})
		nobody := w.user("nobody", dashboardsAt(access.ReadGrant))

		events := len(w.events(""))
		g, err := w.svc.CreateGroup(ctx, w.h, w.admin, dashboards.GroupInput{Name: "Partners", Description: "Equity partners"})
		if err != nil || g.Source != dashboards.SourceLocal || g.Version != 1 {
			t.Fatalf("create: %+v %v", g, err)
		}
		if _, err := w.svc.CreateGroup(ctx, w.h, w.admin, dashboards.GroupInput{Name: "PARTNERS"}); code(err) != strongroom.ECONFLICT || strongroom.ErrorField(err) != "name" {
			t.Errorf("a name in other case: %v", err)
		}
		if _, err := w.svc.CreateGroup(ctx, w.h, w.admin, dashboards.GroupInput{Name: strings.Repeat("g", 101), Description: strings.Repeat("d", 501)}); !slices.Equal(fields(err), []string{"name", "description"}) {
			t.Errorf("long name and description: %v", err)
		}
		for _, p := range []*struct {
			name string
			err  error
		}{
			{"staff creates", func() error {
				_, err := w.svc.CreateGroup(ctx, w.h, staff, dashboards.GroupInput{Name: "Mine"})
				return err
			}()},
			{"admin reader creates", func() error {
				_, err := w.svc.CreateGroup(ctx, w.h, reader, dashboards.GroupInput{Name: "Mine"})
				return err
			}()},
			{"staff renames", func() error {
				_, err := w.svc.UpdateGroup(ctx, w.h, staff, g.ID, dashboards.GroupInput{Name: "Ours", Version: g.Version})
				return err
			}()},
			{"staff adds themselves", w.svc.AddMember(ctx, w.h, staff, g.ID, staff.User.ID)},
			{"staff deletes", w.svc.DeleteGroup(ctx, w.h, staff, g.ID)},
			{"nobody lists", func() error { _, err := w.svc.ListGroups(ctx, w.h, nobody); return err }()},
			{"staff lists members", func() error { _, err := w.svc.Members(ctx, w.h, staff, g.ID); return err }()},
			{"staff lists another's groups", func() error { _, err := w.svc.UserGroups(ctx, w.h, staff, reader.User.ID); return err }()},
		} {
			wantCode(t, p.name, p.err, strongroom.EFORBIDDEN)
		}
		// Those who share dashboards may list the groups to choose from.
		for _, p := range []*identity.Principal{staff, reader} {
			if gs, err := w.svc.ListGroups(ctx, w.h, p); err != nil || len(gs) != 1 || gs[0].Name != "Partners" {
				t.Errorf("user %d lists groups: %+v %v", p.User.ID, gs, err)
			}
		}
		if n := len(w.events("")); n != 1+events {
			t.Errorf("refusals wrote audit events: %d", n-events)
		}

		for _, u := range []int64{staff.User.ID, nobody.User.ID, staff.User.ID} {
			if err := w.svc.AddMember(ctx, w.h, w.admin, g.ID, u); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.svc.AddMember(ctx, w.h, w.admin, g.ID, 9999); code(err) != strongroom.ENOTFOUND || strongroom.ErrorField(err) != "user_id" {
			t.Errorf("an unknown user: %v", err)
		}
		if err := w.svc.AddMember(ctx, w.h, w.admin, 9999, staff.User.ID); code(err) != strongroom.ENOTFOUND {
			t.Errorf("an unknown group: %v", err)
		}
		members, err := w.svc.Members(ctx, w.h, reader, g.ID)
		if err != nil || !slices.Equal(members, []int64{staff.User.ID, nobody.User.ID}) {
			t.Errorf("members: %v %v", members, err)
		}
		if n := len(w.events("group.member_add")); n != 2 {
			t.Errorf("%d group.member_add events, want 2 (adding a member twice changes nothing)", n)
		}
		mine, err := w.svc.UserGroups(ctx, w.h, staff, staff.User.ID)
		if err != nil || len(mine) != 1 || mine[0].Members != 2 {
			t.Errorf("own groups: %+v %v", mine, err)
		}
		if err := w.svc.RemoveMember(ctx, w.h, w.admin, g.ID, nobody.User.ID); err != nil {
			t.Fatal(err)
		}
		if gs, _ := w.svc.UserGroups(ctx, w.h, w.admin, nobody.User.ID); len(gs) != 0 {
			t.Errorf("after removal: %+v", gs)
		}
		up, err := w.svc.UpdateGroup(ctx, w.h, w.admin, g.ID, dashboards.GroupInput{Name: "Partners (equity)", Version: g.Version})
		if err != nil || up.Version != 2 {
			t.Fatalf("rename: %+v %v", up, err)
		}
		if _, err := w.svc.UpdateGroup(ctx, w.h, w.admin, g.ID, dashboards.GroupInput{Name: "Again", Version: g.Version}); code(err) != strongroom.ECONFLICT {
			t.Errorf("stale rename: %v", err)
		}
		if err := w.svc.DeleteGroup(ctx, w.h, w.admin, g.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.GetGroup(ctx, w.h, w.admin, g.ID); code(err) != strongroom.ENOTFOUND {
			t.Errorf("deleted group: %v", err)
		}
	})
}

// TestSSOGroupMembers: a group kept by single sign-on is listed and can be
// shared with, but its members are not edited here.
func TestSSOGroupMembers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		var id int64
		err := w.h.DB.InTx(ctx, func(tx *store.Tx) error {
			return tx.QueryRowContext(ctx, `INSERT INTO user_groups (name, name_key, source, created_at, updated_at)
				VALUES ('Finance (SSO)', 'finance (sso)', 'sso', '', '') RETURNING id`).Scan(&id)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.AddMember(ctx, w.h, w.admin, id, w.admin.User.ID); code(err) != strongroom.ECONFLICT {
			t.Errorf("add to an SSO group: %v", err)
		}
		g, err := w.svc.GetGroup(ctx, w.h, w.admin, id)
		if err != nil || g.Source != dashboards.SourceSSO || g.Members != 0 {
			t.Errorf("sso group: %+v %v", g, err)
		}
	})
}

// TestDeletedOwner: deleting the owner's account keeps a shared dashboard
// for its groups, owned by no one.
func TestDeletedOwner(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		owner := w.user("owner", dashboardsAt(access.EditGrant))
		editor := w.user("editor", dashboardsAt(access.EditGrant))
		g := w.group("Editors", editor)
		d := w.dashboard(owner, "Kept")
		if err := w.svc.Share(ctx, w.h, owner, d.ID, g.ID, dashboards.PermEdit); err != nil {
			t.Fatal(err)
		}
		err := w.h.DB.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, owner.User.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.svc.GetDashboard(ctx, w.h, editor, d.ID)
		if err != nil || got.OwnerID != 0 || !got.CanEdit {
			t.Errorf("after the owner's deletion: %+v %v", got, err)
		}
		if _, err := w.svc.GetDashboard(ctx, w.h, owner, d.ID); code(err) != strongroom.ENOTFOUND {
			t.Errorf("the deleted owner's id: %v", err)
		}
	})
}
