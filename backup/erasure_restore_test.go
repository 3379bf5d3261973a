package backup

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"

	"strongroom/audit"
	"strongroom/backup/retention"
	"strongroom/blob"
	"strongroom/cases"
	"strongroom/documents"
	"strongroom/erasure"
	"strongroom/erasure/personal"
	"strongroom/search"
	"strongroom/snapshot"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// What is planted about the person to erase.
var erasedValues = []string{"Zebulon Quixote-Marsh", "zebulon.qm@example.org", "+44 20 7946 0123"}

// plantedPerson is the contact and the document naming them.
type plantedPerson struct {
	caseID, partID, docID int64
	subject               erasure.Subject
}

func plantPerson(t *testing.T, s *server, h *tenancy.Handle) plantedPerson {
	t.Helper()
	ctx, p := context.Background(), s.admin(h)
	cs := cases.New(discard)
	c, err := cs.CreateCase(ctx, h, p, cases.CaseInput{Title: "Harbour lease", Client: "Port Trust"})
	if err != nil {
		t.Fatal(err)
	}
	part, err := cs.CreateContact(ctx, h, p, c.ID, cases.ContactInput{Kind: "person", Name: erasedValues[0],
		Email: erasedValues[1], Phone: erasedValues[2], Role: "witness"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := documents.New(s.files, discard).Create(ctx, h, p, c.ID, documents.Input{Title: "Statement of " + erasedValues[0],
		Description: "Sent from " + erasedValues[1]}, documents.Upload{Filename: "statement.txt", Body: strings.NewReader("A statement.")})
	if err != nil {
		t.Fatal(err)
	}
	return plantedPerson{caseID: c.ID, partID: part.ID, docID: d.ID, subject: erasure.Subject{Kind: erasure.KindContact, ID: part.Contact.ID}}
}

// readableValues lists where the tenant still shows a planted value:
// its contacts, search, document metadata and audit trail.
func readableValues(t *testing.T, s *server, slug string, pp plantedPerson) []string {
	t.Helper()
	ctx := context.Background()
	h, release := s.handle(slug)
	defer release()
	p := s.admin(h)
	var seen []string
	look := func(where string, texts ...string) {
		for _, text := range texts {
			for _, v := range erasedValues {
				if strings.Contains(strings.ToLower(text), strings.ToLower(v)) {
					seen = append(seen, where+": "+v)
				}
			}
		}
	}
	cs := cases.New(discard)
	list, _, err := cs.ListContacts(ctx, h, p, pp.caseID, cases.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		look("contacts", r.Contact.Name, r.Contact.Email, r.Contact.Phone)
	}
	// The trail first: the searches below are themselves recorded.
	evs, err := h.Audit.Events(ctx, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		look("audit "+e.Action, eventTexts(e)...)
	}
	for _, q := range []string{"Zebulon", "Quixote", "zebulon.qm@example.org"} {
		res, err := search.New().Search(ctx, h, p, search.Query{Q: q})
		if err != nil {
			t.Fatal(err)
		}
		for _, hit := range res.Hits {
			look("search "+q, hit.Title, hit.Snippet)
		}
	}
	d, err := documents.New(s.files, discard).Get(ctx, h, p, pp.docID)
	if err != nil {
		t.Fatal(err)
	}
	look("document", d.Title, d.Description)
	return seen
}

func eventTexts(e audit.Event) []string {
	out := []string{e.ObjectID}
	for _, c := range e.Changes {
		out = append(out, fmt.Sprint(c.Before), fmt.Sprint(c.After))
	}
	for k, v := range e.Details {
		out = append(out, k, v)
	}
	for k, v := range e.Personal {
		out = append(out, k, v)
	}
	return out
}

// A person erased after a backup was taken does not come back when that
// backup is restored onto a fresh server (new control database, the same
// master key and backup identity, the target alone): the target's copy
// of the erasure ledger is applied before the tenant goes live, and
// imported. Then, once the key store parts older than the retention are
// pruned, the old backup's data part, read directly, holds the person's
// sealed fields and no key any backup still holds opens them.
func TestErasedPersonStaysErasedInBackups(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		src := newServer(t, e, "")
		src.tenant("firm", 1)
		h, release := src.handle("firm")
		pp := plantPerson(t, src, h)
		release()
		k := newAgeKeys(t)
		dir := t.TempDir()
		target := openTarget(t, dir)
		er := erasure.New(src.control.DB(), discard)
		svc := src.backups(k, target)
		svc.Ledger = er.ExportLedger
		var clock atomic.Int64
		clock.Store(time.Now().UnixNano())
		svc.Now = func() time.Time { return time.Unix(0, clock.Load()) }
		before, err := svc.RunTenant(ctx, "firm")
		if err != nil {
			t.Fatal(err)
		}
		if seen := readableValues(t, src, "firm", pp); len(seen) == 0 {
			t.Fatal("the planted values are not readable before the erasure (the test looks in the wrong places)")
		}
		h, release = src.handle("firm")
		if _, err := er.Erase(ctx, h, src.admin(h), pp.subject); err != nil {
			t.Fatal(err)
		}
		release()
		// What the hourly ledger job does after an erasure.
		ledger, err := er.ExportLedger(ctx, "firm")
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range svc.WriteLedger(ctx, "firm", ledger) {
			if err != nil {
				t.Fatal(err)
			}
		}

		t.Run("restore", func(t *testing.T) {
			dst := newServer(t, freshEngine(t, e), src.keyPath)
			fresh := openTarget(t, dir)
			r := dst.restorer(k)
			r.AfterLoad = ReapplyLedger(erasure.New(dst.control.DB(), discard), fresh, []age.Identity{k.id})
			out, err := r.Restore(ctx, fresh, RestoreOptions{Slug: "firm", BackupID: before.ID})
			if err != nil {
				t.Fatal(err)
			}
			if out.KeystoreMissing {
				t.Fatal("the backup's key store is missing: the test would pass without the ledger")
			}
			if seen := readableValues(t, dst, "firm", pp); len(seen) > 0 {
				t.Fatalf("erased values readable after the restore: %v", seen)
			}
			imported, err := erasure.New(dst.control.DB(), discard).Ledger(ctx, "firm")
			if err != nil || len(imported) != 1 || imported[0].Subject != ledgerSubject(pp) {
				t.Fatalf("ledger imported: %v %+v", err, imported)
			}
			dst.verifyAudit("firm")
		})

		t.Run("old snapshot", func(t *testing.T) {
			clock.Add(int64(24 * time.Hour))
			if _, err := svc.RunTenant(ctx, "firm"); err != nil { // after the erasure: the newest key store lacks the key
				t.Fatal(err)
			}
			subject := personal.Contact(pp.subject.ID)
			sealed := sealedContact(t, k, target, before.ID, pp.subject.ID)
			th := scratchHandle(t, src, "firm")
			keysBefore := keystoreRows(t, k, target, "firm")
			if key, ok := keysBefore[subject]; !ok {
				t.Fatal("the key store of the old backup lacks the person's key (the test proves nothing)")
			} else if f, erased, err := personal.Open(th, subject, "contacts", key, sealed, personal.ContactFields...); err != nil || erased || f["name"] != erasedValues[0] {
				t.Fatalf("the old key store does not open the fields: %v %v %v", err, erased, f)
			}
			clock.Add(int64(36 * 24 * time.Hour))
			opt := PruneOptions{Policy: retention.Default, KeystoreKeep: 35 * 24 * time.Hour}
			if _, err := svc.Prune(ctx, target, "firm", opt); err != nil {
				t.Fatal(err)
			}
			left := keystoreRows(t, k, target, "firm")
			if len(left) == 0 {
				t.Fatal("no key store is left to try")
			}
			for name, key := range left {
				if name == subject {
					t.Fatalf("a key store still holds the erased person's key")
				}
				for _, as := range []string{subject, name} {
					if f, erased, err := personal.Open(th, as, "contacts", key, sealed, personal.ContactFields...); err == nil && !erased {
						t.Fatalf("the key of %s opens the erased fields as %s: %v", name, as, f)
					}
				}
			}
			if f, erased, _ := personal.Open(th, subject, "contacts", nil, sealed, personal.ContactFields...); !erased || f["name"] == erasedValues[0] {
				t.Fatalf("without a key the fields read %v", f)
			}
		})
	})
}

func ledgerSubject(pp plantedPerson) string { return personal.Contact(pp.subject.ID) }

// openPart decrypts one part of a backup with the backup identity and
// loads it (data or key store) into a scratch SQLite tenant database.
func openPart(t *testing.T, k ageKeys, target blob.Store, key string, load func(context.Context, *store.DB, *opener) error) *store.DB {
	t.Helper()
	ctx := context.Background()
	e := storetest.NewSQLite(t)
	p, err := e.CreateTenantDB(ctx, "scratch")
	if err != nil {
		t.Fatal(err)
	}
	db, err := e.OpenTenantDB(ctx, "scratch", p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r, err := target.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	o, err := newOpener(r, []age.Identity{k.id})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if err := load(ctx, db, o); err != nil {
		t.Fatal(err)
	}
	return db
}

// sealedContact reads the contact's sealed fields from the data part of
// backup id, as the snapshot stream holds them.
func sealedContact(t *testing.T, k ageKeys, target blob.Store, id string, contact int64) []byte {
	t.Helper()
	db := openPart(t, k, target, objectKey("firm", id, dataObject), func(ctx context.Context, db *store.DB, o *opener) error {
		_, err := snapshot.Import(ctx, db, o)
		return err
	})
	var sealed []byte
	if err := db.QueryRowContext(context.Background(), `SELECT sealed FROM contacts WHERE id = ?`, contact).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if len(sealed) == 0 || strings.Contains(string(sealed), "Zebulon") {
		t.Fatalf("the snapshot holds the contact unsealed: %q", sealed)
	}
	return sealed
}

// keystoreRows reads every subject key of every key store part left on
// the target: subject → key as stored (sealed by the data key).
func keystoreRows(t *testing.T, k ageKeys, target blob.Store, slug string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	var keys []string
	if err := target.List(ctx, keystorePrefix(slug), func(info blob.Info) error {
		keys = append(keys, info.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, key := range keys {
		db := openPart(t, k, target, key, func(ctx context.Context, db *store.DB, o *opener) error {
			_, err := snapshot.ImportKeys(ctx, db, o)
			return err
		})
		rows, err := db.QueryContext(ctx, `SELECT subject_id, sealed_key FROM audit_subject_keys`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			var b []byte
			if err := rows.Scan(&s, &b); err != nil {
				t.Fatal(err)
			}
			out[s] = b
		}
		rows.Close()
	}
	return out
}

// scratchHandle is a handle carrying the tenant's data key, to open
// sealed values with: the key comes from the master key, which a server
// restoring has.
func scratchHandle(t *testing.T, s *server, slug string) *tenancy.Handle {
	t.Helper()
	h, release := s.handle(slug)
	t.Cleanup(release)
	return h
}
