package home_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/home"
	"strongroom/identity"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

var discard = slog.New(slog.DiscardHandler)

// world is one tenant with classes A and B, a lawyer responsible for a
// case of each kind (no class, A, B), and the cases' deadlines.
type world struct {
	t              *testing.T
	h              *tenancy.Handle
	cases          *cases.Service
	home           *home.Service
	admin          *identity.Principal
	classA, classB int64
	lawyer         int64
	now            time.Time
}

func newWorld(t *testing.T, e store.Engine) *world {
	t.Helper()
	h, _ := seedtest.Tenant(t, e) // the tenant as `tenant create` makes it
	w := &world{t: t, h: h, cases: cases.New(discard), home: home.New(), now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	w.home.Now = func() time.Time { return w.now }
	w.cases.Now = w.home.Now
	w.classA = w.insert(`INSERT INTO security_classes (name, name_key) VALUES ('Class A', 'class a') RETURNING id`)
	w.classB = w.insert(`INSERT INTO security_classes (name, name_key) VALUES ('Class B', 'class b') RETURNING id`)
	w.admin = principal(1, false, []int64{w.classA, w.classB})
	w.lawyer = w.user("lawyer")
	return w
}

func principal(id int64, restricted bool, classes []int64) *identity.Principal {
	g := map[access.Area]access.Grant{}
	for _, a := range access.Areas() {
		g[a] = access.EditGrant
	}
	return &identity.Principal{User: &identity.User{ID: id, Username: "u"}, IP: "192.0.2.7",
		Subject: access.NewSubject(id, restricted, classes, []access.Role{{Name: "r", Grants: g}})}
}

func (w *world) insert(query string, args ...any) int64 {
	w.t.Helper()
	var id int64
	err := w.h.DB.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRowContext(context.Background(), query, args...).Scan(&id)
	})
	if err != nil {
		w.t.Fatalf("%s: %v", query, err)
	}
	return id
}

func (w *world) user(name string) int64 {
	now := store.FormatTime(w.now)
	return w.insert(`INSERT INTO users (username, username_key, display_name, status, password_hash, password_temporary,
		password_changed_at, created_at, updated_at) VALUES (?, ?, ?, 'active', 'x', 0, ?, ?, ?) RETURNING id`, name, name, name, now, now, now)
}

func (w *world) newCase(title string, responsible []int64, classes ...int64) *cases.Case {
	w.t.Helper()
	c, err := w.cases.CreateCase(context.Background(), w.h, w.admin, cases.CaseInput{Title: title, Responsible: responsible, Classes: classes})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) deadline(caseID int64, title, due string) {
	w.t.Helper()
	if _, err := w.cases.CreateEvent(context.Background(), w.h, w.admin, caseID, cases.EventInput{Kind: "deadline", Title: title, DueOn: due}); err != nil {
		w.t.Fatal(err)
	}
}

func titles(cs []home.Case) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Title)
	}
	return out
}

// The start page's lists hold the user's own open cases and their
// deadlines, overdue first, and the cases they opened, newest first; each
// only as far as the user may read it: a case of a class the user does
// not hold is in no list and no count, whatever the user's part in it.
func TestStartPageLists(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		t.Cleanup(func() { e.Close() })
		w := newWorld(t, e)
		ctx := context.Background()
		me := []int64{w.lawyer}
		plain := w.newCase("Plain matter", me)
		inA := w.newCase("Matter in A", me, w.classA)
		inB := w.newCase("Matter in B", me, w.classB)
		w.newCase("Someone else's matter", nil)
		closed := w.newCase("Closed matter", me)
		in := closed.Input()
		in.Status, in.ClosedOn = cases.StatusClosed, "2026-03-10"
		if _, err := w.cases.UpdateCase(ctx, w.h, w.admin, closed.ID, in); err != nil {
			t.Fatal(err)
		}
		w.deadline(plain.ID, "Reply brief", "2026-03-20")
		w.deadline(plain.ID, "Disclosure", "2026-03-01")  // overdue
		w.deadline(inA.ID, "Expert report", "2026-03-05") // overdue
		w.deadline(inB.ID, "Hidden filing", "2026-02-01")

		// Staff holding class A: the plain case and A, never B.
		staffA := principal(w.lawyer, false, []int64{w.classA})
		mine, total, err := w.home.MyCases(ctx, w.h, staffA, 10)
		if got := titles(mine); err != nil || total != 2 || !slices.Equal(sorted(got), []string{"Matter in A", "Plain matter"}) {
			t.Fatalf("my cases = %v (%d), %v", got, total, err)
		}
		ds, err := w.home.MyDeadlines(ctx, w.h, staffA, "2026-03-10", 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds.Items {
			got = append(got, d.Title)
			if d.Overdue != (d.DueOn < "2026-03-10") {
				t.Errorf("%s overdue = %v", d.Title, d.Overdue)
			}
		}
		if !slices.Equal(got, []string{"Disclosure", "Expert report", "Reply brief"}) || ds.Total != 3 || ds.Overdue != 2 {
			t.Fatalf("deadlines = %v (%d, %d overdue)", got, ds.Total, ds.Overdue)
		}
		if one, total, err := w.home.MyCases(ctx, w.h, staffA, 1); err != nil || len(one) != 1 || total != 2 {
			t.Fatalf("my cases, one asked for: %v (%d), %v", titles(one), total, err)
		}

		// Recently viewed: newest first, a hidden case never, and a view
		// of a case that is hidden from the viewer is not recorded.
		for _, c := range []*cases.Case{plain, inA} {
			w.now = w.now.Add(time.Minute)
			if err := w.home.RecordView(ctx, w.h, staffA, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.home.RecordView(ctx, w.h, staffA, inB.ID); err == nil {
			t.Fatal("a view of a hidden case was recorded")
		}
		// A view recorded while the user held B (here: written directly)
		// is not shown once they no longer may read the case.
		if _, err := w.h.DB.ExecContext(ctx, `INSERT INTO case_views (user_id, case_id, viewed_at) VALUES (?, ?, ?)`,
			w.lawyer, inB.ID, store.FormatTime(w.now.Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		recent, err := w.home.RecentlyViewed(ctx, w.h, staffA, 10)
		if got := titles(recent); err != nil || !slices.Equal(got, []string{"Matter in A", "Plain matter"}) {
			t.Fatalf("recently viewed = %v, %v", got, err)
		}
		if !recent[0].ViewedAt.Equal(w.now) {
			t.Errorf("viewed at %v, want %v", recent[0].ViewedAt, w.now)
		}
		// Opening a case again moves it to the top.
		w.now = w.now.Add(time.Minute)
		if err := w.home.RecordView(ctx, w.h, staffA, plain.ID); err != nil {
			t.Fatal(err)
		}
		if recent, _ := w.home.RecentlyViewed(ctx, w.h, staffA, 10); !slices.Equal(titles(recent), []string{"Plain matter", "Matter in A"}) {
			t.Fatalf("after reopening: %v", titles(recent))
		}

		// A restricted user holding B sees only B, in every list.
		counselB := principal(w.lawyer, true, []int64{w.classB})
		if mine, total, _ := w.home.MyCases(ctx, w.h, counselB, 10); total != 1 || titles(mine)[0] != "Matter in B" {
			t.Fatalf("counsel B's cases = %v (%d)", titles(mine), total)
		}
		if ds, _ := w.home.MyDeadlines(ctx, w.h, counselB, "2026-03-10", 10); ds.Total != 1 || ds.Items[0].Title != "Hidden filing" {
			t.Fatalf("counsel B's deadlines = %+v", ds)
		}
		if recent, _ := w.home.RecentlyViewed(ctx, w.h, counselB, 10); !slices.Equal(titles(recent), []string{"Matter in B"}) {
			t.Fatalf("counsel B's recent = %v", titles(recent))
		}
		// A restricted user with no class, or a user without the cases
		// area, sees nothing at all.
		for _, p := range []*identity.Principal{principal(w.lawyer, true, nil), noCases(w.lawyer)} {
			mine, total, _ := w.home.MyCases(ctx, w.h, p, 10)
			ds, _ := w.home.MyDeadlines(ctx, w.h, p, "2026-03-10", 10)
			recent, _ := w.home.RecentlyViewed(ctx, w.h, p, 10)
			if len(mine)+total+len(ds.Items)+ds.Total+len(recent) != 0 {
				t.Fatalf("a user who may read no case sees %v %d %+v %v", titles(mine), total, ds, titles(recent))
			}
		}
	})
}

func noCases(id int64) *identity.Principal {
	return &identity.Principal{User: &identity.User{ID: id}, Subject: access.NewSubject(id, false, nil,
		[]access.Role{{Name: "r", Grants: map[access.Area]access.Grant{access.Financial: access.EditGrant}}})}
}

// Only the newest home.KeepViews views of a user are kept.
func TestRecentlyViewedKeepsTheNewest(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		t.Cleanup(func() { e.Close() })
		w := newWorld(t, e)
		ctx := context.Background()
		other := w.user("other")
		var ids []int64
		for i := 0; i < home.KeepViews+5; i++ {
			ids = append(ids, w.newCase("Case "+string(rune('a'+i)), nil).ID)
		}
		me, them := principal(w.lawyer, false, nil), principal(other, false, nil)
		for _, id := range ids {
			w.now = w.now.Add(time.Second)
			if err := w.home.RecordView(ctx, w.h, me, id); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.home.RecordView(ctx, w.h, them, ids[0]); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := w.h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_views WHERE user_id = ?`, w.lawyer).Scan(&n); err != nil || n != home.KeepViews {
			t.Fatalf("%d views kept, %v; want %d", n, err, home.KeepViews)
		}
		recent, err := w.home.RecentlyViewed(ctx, w.h, me, 100)
		if err != nil || len(recent) != home.KeepViews || recent[0].ID != ids[len(ids)-1] || recent[len(recent)-1].ID != ids[5] {
			t.Fatalf("recent = %d cases from %d, %v", len(recent), recent[0].ID, err)
		}
		if theirs, _ := w.home.RecentlyViewed(ctx, w.h, them, 100); len(theirs) != 1 || theirs[0].ID != ids[0] {
			t.Fatalf("another user's views were trimmed: %v", titles(theirs))
		}
	})
}

func sorted(s []string) []string { slices.Sort(s); return s }
