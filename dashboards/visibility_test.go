package dashboards_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/dashboards"
	"strongroom/identity"
)

// actors are the users of the authorization matrix: who they are to a
// dashboard that owner made and shared with viewGroup (view) and
// editGroup (edit).
type actors struct {
	owner, ownerLost           *identity.Principal // ownerLost: the owner, after losing the dashboards area
	viewer, viewerEditor       *identity.Principal // in viewGroup; dashboards read / edit
	editor, editorReadOnly     *identity.Principal // in editGroup; dashboards edit / read
	lostArea                   *identity.Principal // in both groups, no dashboards area at all
	nonMember, admin           *identity.Principal // dashboards edit, in no group it is shared with; admin edits every area
	viewGroupID, editGroupID   int64
	unrelatedGroupID, otherUID int64
}

func (w *world) actors() *actors {
	a := &actors{}
	a.owner = w.user("owner", dashboardsAt(access.EditGrant))
	a.ownerLost = with(a.owner, dashboardsAt(access.NoGrant))
	a.viewer = w.user("viewer", dashboardsAt(access.ReadGrant))
	a.viewerEditor = w.user("viewer-editor", dashboardsAt(access.EditGrant))
	a.editor = w.user("editor", dashboardsAt(access.EditGrant))
	a.editorReadOnly = w.user("editor-ro", dashboardsAt(access.ReadGrant))
	a.lostArea = w.user("lost", dashboardsAt(access.NoGrant))
	a.nonMember = w.user("outsider", dashboardsAt(access.EditGrant))
	a.admin = w.admin
	a.viewGroupID = w.group("Viewers", a.viewer, a.viewerEditor, a.lostArea).ID
	a.editGroupID = w.group("Editors", a.editor, a.editorReadOnly, a.lostArea).ID
	a.unrelatedGroupID = w.group("Unrelated", a.nonMember, a.admin).ID
	return a
}

// shared makes the matrix's dashboard: one widget, shared with both groups.
func (w *world) shared(a *actors) *dashboards.Dashboard {
	w.t.Helper()
	ctx := context.Background()
	d := w.dashboard(a.owner, "Pipeline")
	if _, err := w.svc.AddWidget(ctx, w.h, a.owner, d.ID, kpi("Open pipeline")); err != nil {
		w.t.Fatal(err)
	}
	for _, s := range []struct {
		g int64
		p dashboards.Permission
	}{{a.viewGroupID, dashboards.PermView}, {a.editGroupID, dashboards.PermEdit}} {
		if err := w.svc.Share(ctx, w.h, a.owner, d.ID, s.g, s.p); err != nil {
			w.t.Fatal(err)
		}
	}
	d, err := w.svc.GetDashboard(ctx, w.h, a.owner, d.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

// What each actor gets: ok, or the code of the refusal.
const ok = ""

type expect struct {
	read, edit, duplicate string
}

func (a *actors) table() []struct {
	name string
	p    *identity.Principal
	want expect
} {
	nf, fb := strongroom.ENOTFOUND, strongroom.EFORBIDDEN
	return []struct {
		name string
		p    *identity.Principal
		want expect
	}{
		{"owner", a.owner, expect{ok, ok, ok}},
		{"owner without the dashboards area", a.ownerLost, expect{nf, nf, nf}},
		{"member with view", a.viewer, expect{ok, fb, fb}},
		{"member with view, dashboards edit", a.viewerEditor, expect{ok, fb, ok}},
		{"member with edit", a.editor, expect{ok, ok, ok}},
		{"member with edit, dashboards read", a.editorReadOnly, expect{ok, fb, fb}},
		{"member who lost the dashboards area", a.lostArea, expect{nf, nf, nf}},
		{"non-member", a.nonMember, expect{nf, nf, nf}},
		{"administrator, not a member", a.admin, expect{nf, nf, nf}},
	}
}

// editOps are every operation that changes a dashboard.
var editOps = []struct {
	name string
	run  func(w *world, p *identity.Principal, d *dashboards.Dashboard, a *actors) error
}{
	{"rename", func(w *world, p *identity.Principal, d *dashboards.Dashboard, a *actors) error {
		_, err := w.svc.UpdateDashboard(context.Background(), w.h, p, d.ID, dashboards.DashboardInput{Name: "Renamed", Version: d.Version})
		return err
	}},
	{"add widget", func(w *world, p *identity.Principal, d *dashboards.Dashboard, a *actors) error {
		_, err := w.svc.AddWidget(context.Background(), w.h, p, d.ID, kpi("Another"))
		return err
	}},
	{"update widget", func(w *world, p *identity.Principal, d *dashboards.Dashboard, a *actors) error {
		in := kpi("Changed")
		in.Version = d.Widgets[0].Version
		_, err := w.svc.UpdateWidget(context.Background(), w.h, p, d.ID, d.Widgets[0].ID, in)
		return err
	}},
	{"remove widget", func(w *world, p *identity.Principal, d *dashboards.Dashboard, a *actors) error {
		return w.svc.RemoveWidget(context.Background(), w.h, p, d.ID, d.Widgets[0].ID)
	}},
	{"reorder widgets", func(w *world, p *identity.Principal, d *dashboards.Dashboard, a *actors) error {
		_, err := w.svc.ReorderWidgets(context.Background(), w.h, p, d.ID, []int64{d.Widgets[0].ID}, d.Version)
		return err
	}},
	{"share", func(w *world, p *identity.Principal, d *dashboards.Dashboard, a *actors) error {
		return w.svc.Share(context.Background(), w.h, p, d.ID, a.unrelatedGroupID, dashboards.PermView)
	}},
	{"unshare", func(w *world, p *identity.Principal, d *dashboards.Dashboard, a *actors) error {
		return w.svc.Unshare(context.Background(), w.h, p, d.ID, a.viewGroupID)
	}},
	{"delete", func(w *world, p *identity.Principal, d *dashboards.Dashboard, a *actors) error {
		return w.svc.DeleteDashboard(context.Background(), w.h, p, d.ID, dashboards.Deletion{Version: d.Version, Confirmed: true})
	}},
}

// TestReadPaths checks every read path (one dashboard, the list) for every
// actor: a dashboard the actor may not see is not found and not listed.
func TestReadPaths(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		a := w.actors()
		d := w.shared(a)
		for _, tc := range a.table() {
			got, err := w.svc.GetDashboard(ctx, w.h, tc.p, d.ID)
			wantCode(t, tc.name+": get", err, tc.want.read)
			if tc.want.read != ok && got != nil {
				t.Errorf("%s: a refused get returned the dashboard", tc.name)
			}
			if tc.want.read == ok && (got == nil || len(got.Widgets) != 1 || got.Name != "Pipeline") {
				t.Errorf("%s: get %+v", tc.name, got)
			}
			list, err := w.svc.ListDashboards(ctx, w.h, tc.p)
			listed := slices.ContainsFunc(list, func(x dashboards.Dashboard) bool { return x.ID == d.ID })
			switch {
			case !tc.p.Subject.Allowed(access.Dashboards, access.Read):
				wantCode(t, tc.name+": list", err, strongroom.EFORBIDDEN)
			case err != nil:
				t.Errorf("%s: list: %v", tc.name, err)
			case listed != (tc.want.read == ok):
				t.Errorf("%s: listed %v, want %v", tc.name, listed, tc.want.read == ok)
			}
		}
		// Shares are shown only to those who may change them.
		for _, tc := range []struct {
			p    *identity.Principal
			want int
		}{{a.owner, 2}, {a.editor, 2}, {a.viewer, 0}, {a.editorReadOnly, 0}} {
			got, err := w.svc.GetDashboard(ctx, w.h, tc.p, d.ID)
			if err != nil || len(got.Shares) != tc.want {
				t.Errorf("user %d sees %d shares (%v), want %d", tc.p.User.ID, len(got.Shares), err, tc.want)
			}
		}
		// Permissions as each sees them.
		for p, want := range map[*identity.Principal]dashboards.Permission{a.owner: dashboards.PermOwner, a.editor: dashboards.PermEdit,
			a.viewer: dashboards.PermView, a.editorReadOnly: dashboards.PermEdit} {
			got, _ := w.svc.GetDashboard(ctx, w.h, p, d.ID)
			if got.Permission != want || got.CanEdit != (p == a.owner || p == a.editor) {
				t.Errorf("user %d: permission %q can edit %v", p.User.ID, got.Permission, got.CanEdit)
			}
		}
		// A missing dashboard answers exactly like a hidden one.
		_, hidden := w.svc.GetDashboard(ctx, w.h, a.nonMember, d.ID)
		_, missing := w.svc.GetDashboard(ctx, w.h, a.nonMember, d.ID+1000)
		if hidden.Error() != missing.Error() {
			t.Errorf("hidden %q, missing %q", hidden, missing)
		}
	})
}

// TestEditPaths runs every change as every actor on a fresh dashboard: a
// refusal is not found for those who may not see it, forbidden for those
// who may only view, and changes nothing.
func TestEditPaths(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		a := w.actors()
		for _, op := range editOps {
			for _, tc := range a.table() {
				d := w.shared(a)
				w.now = w.now.Add(time.Second)
				events := len(w.events(""))
				err := op.run(w, tc.p, d, a)
				wantCode(t, op.name+" by "+tc.name, err, tc.want.edit)
				if err == nil {
					continue
				}
				after, gerr := w.svc.GetDashboard(ctx, w.h, a.owner, d.ID)
				if gerr != nil || after.Version != d.Version || after.Name != d.Name || len(after.Widgets) != 1 ||
					after.Widgets[0].Title != d.Widgets[0].Title || len(after.Shares) != 2 || !after.UpdatedAt.Equal(d.UpdatedAt) {
					t.Errorf("%s by %s was refused but changed the dashboard: %+v %v", op.name, tc.name, after, gerr)
				}
				if n := len(w.events("")); n != events {
					t.Errorf("%s by %s was refused but wrote %d audit events", op.name, tc.name, n-events)
				}
			}
		}
		for _, tc := range a.table() {
			d := w.shared(a)
			cp, err := w.svc.DuplicateDashboard(ctx, w.h, tc.p, d.ID, "")
			wantCode(t, "duplicate by "+tc.name, err, tc.want.duplicate)
			if err == nil && (cp.OwnerID != tc.p.User.ID || len(cp.Widgets) != 1 || len(cp.Shares) != 0 || cp.Name != "Copy of Pipeline") {
				t.Errorf("duplicate by %s: %+v", tc.name, cp)
			}
		}
		if err := w.svc.Share(ctx, w.h, a.owner, w.shared(a).ID, a.viewGroupID, "admin"); code(err) != strongroom.EINVALID {
			t.Errorf("share with an unknown permission: %v", err)
		}
	})
}

// TestOtherTenant: a dashboard of one tenant is not found in another, for
// the same user id, on every read path.
func TestOtherTenant(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		a := w.actors()
		d := w.shared(a)
		other := w.otherTenant()
		for _, p := range []*identity.Principal{a.owner, a.editor, a.viewer} {
			if _, err := w.svc.GetDashboard(ctx, other, p, d.ID); code(err) != strongroom.ENOTFOUND {
				t.Errorf("user %d in the other tenant: %v", p.User.ID, err)
			}
			if list, err := w.svc.ListDashboards(ctx, other, p); err != nil || len(list) != 0 {
				t.Errorf("user %d lists %d dashboards in the other tenant (%v)", p.User.ID, len(list), err)
			}
			if _, err := w.svc.UpdateDashboard(ctx, other, p, d.ID, dashboards.DashboardInput{Name: "X", Version: d.Version}); code(err) != strongroom.ENOTFOUND {
				t.Errorf("user %d edits in the other tenant: %v", p.User.ID, err)
			}
		}
	})
}

// TestAccessFollowsMembership: leaving a group, an unshare or a deleted
// group ends what it gave at once.
func TestAccessFollowsMembership(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		a := w.actors()
		d := w.shared(a)
		if err := w.svc.RemoveMember(ctx, w.h, w.admin, a.editGroupID, a.editor.User.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.GetDashboard(ctx, w.h, a.editor, d.ID); code(err) != strongroom.ENOTFOUND {
			t.Errorf("after leaving the group: %v", err)
		}
		if err := w.svc.Unshare(ctx, w.h, a.owner, d.ID, a.viewGroupID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.GetDashboard(ctx, w.h, a.viewer, d.ID); code(err) != strongroom.ENOTFOUND {
			t.Errorf("after the unshare: %v", err)
		}
		if err := w.svc.DeleteGroup(ctx, w.h, w.admin, a.editGroupID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.GetDashboard(ctx, w.h, a.editorReadOnly, d.ID); code(err) != strongroom.ENOTFOUND {
			t.Errorf("after the group's deletion: %v", err)
		}
		got, err := w.svc.GetDashboard(ctx, w.h, a.owner, d.ID)
		if err != nil || len(got.Shares) != 0 {
			t.Errorf("owner: %v %+v", err, got)
		}
		// An administrator who joins a group sees what it was shared with:
		// that is the consequence of managing groups, and it is audited.
		if err := w.svc.Share(ctx, w.h, a.owner, d.ID, a.unrelatedGroupID, dashboards.PermView); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.GetDashboard(ctx, w.h, a.admin, d.ID); err != nil {
			t.Errorf("administrator in a shared group: %v", err)
		}
	})
}
