package audit

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"strongroom/store"
	"strongroom/store/storetest"
)

// Typed text sealed under a record's text subject opens until an erasure
// destroys that key (found by TextMentioning), reads back erased after,
// and the record's next event gets a new key that opens; OpenBodies
// opens exactly what Events does; and the tree still verifies.
func TestTextSubjects(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e, "firm")
		doc := TextSubject("document", "12")
		write := func(title string) {
			t.Helper()
			err := f.db.InTx(ctx, func(tx *store.Tx) error {
				_, err := f.log.Append(ctx, tx, Event{Actor: Actor{Kind: ActorUser, ID: "u1"}, Action: "document.update",
					ObjectType: "document", ObjectID: "12", SubjectID: doc,
					Changes: []Change{{Field: "title", After: title, Personal: true}, {Field: "version", After: 2}}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		write("Statement of Zebulon Marsh")
		write("Statement, revised")
		var found []string
		err := f.db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			found, err = f.log.TextMentioning(ctx, tx, func(s string) bool { return strings.Contains(s, "Zebulon") })
			if err != nil {
				return err
			}
			for _, s := range found {
				if err := f.log.EraseSubject(ctx, tx, s); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || len(found) != 1 || !strings.HasPrefix(found[0], doc+"/") {
			t.Fatalf("mentioning: %v %q", err, found)
		}
		write("Statement, final")

		evs, err := f.log.Events(ctx, 0, 100)
		if err != nil || len(evs) != 3 {
			t.Fatalf("events: %v %d", err, len(evs))
		}
		for i, ev := range evs {
			erased := i < 2 // both sealed under the key destroyed
			if ev.Erased != erased {
				t.Errorf("event %d erased = %v, want %v", ev.Seq, ev.Erased, erased)
			}
			if !erased && ev.Changes[0].After != "Statement, final" {
				t.Errorf("event %d title %v", ev.Seq, ev.Changes[0].After)
			}
			if erased && ev.Changes[0].After != nil {
				t.Errorf("erased event %d still reads %v", ev.Seq, ev.Changes[0].After)
			}
			if ev.Changes[1].After != float64(2) {
				t.Errorf("event %d: the field in clear reads %v", ev.Seq, ev.Changes[1].After)
			}
		}
		if evs[0].SubjectID == evs[2].SubjectID || !strings.HasPrefix(evs[2].SubjectID, doc+"/") {
			t.Errorf("the key after the erasure is the one before: %q %q", evs[0].SubjectID, evs[2].SubjectID)
		}
		var bodies [][]byte
		for _, ev := range evs {
			bodies = append(bodies, f.body(t, ev.Seq))
		}
		opened, err := f.log.OpenBodies(ctx, bodies)
		if err != nil || !reflect.DeepEqual(opened, evs) {
			t.Fatalf("OpenBodies: %v\n%+v\nwant %+v", err, opened, evs)
		}
		f.mustVerify(t)
	})
}
