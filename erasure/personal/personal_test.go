package personal_test

import (
	"context"
	"testing"

	"strongroom/audit"
	"strongroom/erasure/personal"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/storetest"
)

// TestSharesTheAuditKey: fields sealed here and personal values the audit
// log seals for the same subject use one key, whichever made it first, so
// that erasing the subject in the audit log (EraseSubject) also erases
// the fields; another subject's key does not open them.
func TestSharesTheAuditKey(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		t.Cleanup(func() { e.Close() })
		h, _ := seedtest.Tenant(t, e)
		ctx := context.Background()
		fields := map[string]string{"name": "Ada Lovelace"}
		for _, first := range []string{"personal", "audit"} {
			subject := personal.Contact(map[string]int64{"personal": 1, "audit": 2}[first])
			var sealed []byte
			err := h.DB.InTx(ctx, func(tx *store.Tx) error {
				ev := audit.Event{Actor: audit.Actor{Kind: audit.ActorSystem}, Action: "test.personal", SubjectID: subject,
					Personal: map[string]string{"name": "Ada Lovelace"}}
				var err error
				if first == "audit" {
					if _, err = h.Audit.Append(ctx, tx, ev); err != nil {
						return err
					}
				}
				if sealed, err = personal.Seal(ctx, tx, h, subject, "contacts", fields); err != nil {
					return err
				}
				if first == "personal" {
					_, err = h.Audit.Append(ctx, tx, ev)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var keys int
			var sealedKey []byte
			if err := h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_subject_keys WHERE subject_id = ?`, subject).Scan(&keys); err != nil || keys != 1 {
				t.Fatalf("%s first: %d keys of %s (%v)", first, keys, subject, err)
			}
			if err := h.DB.QueryRowContext(ctx, `SELECT sealed_key FROM audit_subject_keys WHERE subject_id = ?`, subject).Scan(&sealedKey); err != nil {
				t.Fatal(err)
			}
			got, erased, err := personal.Open(h, subject, "contacts", sealedKey, sealed, "name")
			if err != nil || erased || got["name"] != "Ada Lovelace" {
				t.Fatalf("%s first: opens to %v %v %v", first, got, erased, err)
			}
			if _, _, err := personal.Open(h, subject, "users", sealedKey, sealed, "name"); err == nil {
				t.Errorf("%s first: fields sealed for contacts open as a user's", first)
			}
			evs, err := h.Audit.Events(ctx, 0, 1_000_000)
			if err != nil {
				t.Fatal(err)
			}
			last := evs[len(evs)-1]
			if last.Personal["name"] != "Ada Lovelace" || last.Erased {
				t.Fatalf("%s first: the audit log does not open its value: %+v", first, last)
			}
			if err := h.DB.InTx(ctx, func(tx *store.Tx) error { return h.Audit.EraseSubject(ctx, tx, subject) }); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := personal.LookupKey(ctx, h.DB, h, subject); ok || err != nil {
				t.Fatalf("%s first: key still there after EraseSubject (%v)", first, err)
			}
			got, erased, err = personal.Open(h, subject, "contacts", nil, sealed, "name")
			if err != nil || !erased || got["name"] != personal.Erased {
				t.Errorf("%s first: erased fields read %v %v %v", first, got, erased, err)
			}
		}
		// Another subject's key does not open the fields.
		var other []byte
		must := func(err error) {
			if err != nil {
				t.Helper()
				t.Fatal(err)
			}
		}
		var sealed []byte
		must(h.DB.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if sealed, err = personal.Seal(ctx, tx, h, personal.User(7), "users", fields); err != nil {
				return err
			}
			_, err = personal.Seal(ctx, tx, h, personal.User(8), "users", fields)
			return err
		}))
		must(h.DB.QueryRowContext(ctx, `SELECT sealed_key FROM audit_subject_keys WHERE subject_id = ?`, personal.User(8)).Scan(&other))
		if _, _, err := personal.Open(h, personal.User(7), "users", other, sealed, "name"); err == nil {
			t.Error("user 8's key opens user 7's fields")
		}
	})
}
