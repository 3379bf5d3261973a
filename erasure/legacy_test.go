package erasure_test

import (
	"fmt"
	"testing"
	"time"

	"strongroom/cases"
	"strongroom/erasure"
	"strongroom/erasure/personal"
	"strongroom/store"
	"strongroom/store/storetest"
)

// TestSealsRowsWrittenBefore: a tenant whose database was written by a
// Strongroom that stored personal fields in clear (schema version 8) is
// migrated when opened, which cannot seal (SQL has no key), and its rows
// are sealed at first use; the values still read, the plaintext is gone
// from the rows (and, on SQLite, from the file), and the person can be
// erased like any other.
func TestSealsRowsWrittenBefore(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		t.Cleanup(func() { e.Close() })
		f := newFixture(t, e)
		f.downgrade()
		now := "2026-01-05T10:00:00.000000000Z"
		caseID := f.insert(`INSERT INTO cases (number, title, status, opened_on, created_at, updated_at)
			VALUES ('2025-00001', 'Old matter', 'open', '2025-01-05', ?, ?) RETURNING id`, now, now)
		contactID := f.insert(`INSERT INTO contacts (kind, name, email, phone, address, created_at, updated_at)
			VALUES ('person', 'Old Person', 'old.person@example.com', '+44 1632 960999', '1 Former Street', ?, ?) RETURNING id`, now, now)
		partID := f.insert(`INSERT INTO case_contacts (case_id, contact_id, role, created_at, updated_at)
			VALUES (?, ?, 'client', ?, ?) RETURNING id`, caseID, contactID, now, now)
		f.insert(`INSERT INTO search_index (record_type, record_id, case_id, title, body) VALUES ('contact', ?, ?, 'Old Person', 'client')
			RETURNING record_id`, partID, caseID)
		userID := f.insert(`INSERT INTO users (username, username_key, display_name, email, status, restricted, password_hash,
			password_temporary, password_changed_at, created_at, updated_at)
			VALUES ('olduser', 'olduser', 'Old User', 'old.user@example.com', 'disabled', 0, 'x', 0, ?, ?, ?) RETURNING id`, now, now, now)

		// More rows than one batch of the sweep seals.
		must(t, f.h.DB.InTx(f.ctx, func(tx *store.Tx) error {
			for i := range 450 {
				if _, err := tx.ExecContext(f.ctx, `INSERT INTO contacts (kind, name, email, created_at, updated_at)
					VALUES ('organisation', ?, 'office@example.com', ?, ?)`, fmt.Sprintf("Old Firm %d", i), now, now); err != nil {
					return err
				}
			}
			return nil
		}))

		// Opened by this Strongroom: migrated, not yet sealed.
		f.release()
		f.reg.Close()
		f.reopen()
		if n := f.count(`SELECT COUNT(*) FROM contacts WHERE sealed IS NULL`); n != 451 {
			t.Fatalf("%d contacts unsealed after the migration, want 451", n)
		}
		list, _, err := f.cases.ListContacts(f.ctx, f.h, f.admin, caseID, cases.ListOptions{})
		must(t, err)
		if len(list) != 1 || list[0].Contact.Email != "old.person@example.com" || list[0].Contact.Name != "Old Person" {
			t.Fatalf("old contact reads %+v", list)
		}
		// The first read started the sealing in the background.
		select {
		case <-personal.EnsureSealed(f.ctx, f.h):
		case <-time.After(time.Minute):
			t.Fatal("the rows written in clear were not sealed within a minute")
		}
		for _, table := range []string{"contacts", "users"} {
			if n := f.count(`SELECT COUNT(*) FROM ` + table + ` WHERE sealed IS NULL`); n != 0 {
				t.Errorf("%d rows of %s still unsealed", n, table)
			}
		}
		if n := f.count(`SELECT COUNT(*) FROM contacts WHERE name <> '' OR email <> '' OR phone <> '' OR address <> ''`); n != 0 {
			t.Errorf("%d contacts keep plaintext", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM users WHERE display_name <> '' OR email <> ''`); n != 0 {
			t.Errorf("%d users keep plaintext", n)
		}
		u, err := f.ids.GetUser(f.ctx, f.h, f.admin, userID)
		must(t, err)
		if u.DisplayName != "Old User" || u.Email != "old.user@example.com" {
			t.Errorf("old user reads %+v", u)
		}
		// The name stays in the search entry (it is what a search finds)
		// until erased; the other values were only in the row.
		f.fileClean(f.h, "old.person@example.com", "1632 960999", "Former Street", "old.user@example.com")
		for _, s := range []erasure.Subject{{Kind: erasure.KindContact, ID: contactID}, {Kind: erasure.KindUser, ID: userID}} {
			if _, err := f.er.Erase(f.ctx, f.h, f.admin, s); err != nil {
				t.Fatalf("erase %s: %v", s, err)
			}
		}
		f.fileClean(f.h, "Old Person", "old.person@example.com", "Old User")
		if u, _ := f.ids.GetUser(f.ctx, f.h, f.admin, userID); u == nil || u.DisplayName != personal.Erased {
			t.Errorf("erased old user reads %+v", u)
		}
	})
}

// downgrade turns the tenant database back into what schema version 8
// left: personal fields in clear columns, no sealed column. SQLite cannot
// drop a column its triggers' schema is re-checked against, so there the
// column stays and the rows are written with it NULL: the state migration
// 0009 leaves an older database in.
func (f *fixture) downgrade() {
	f.t.Helper()
	if f.h.DB.Dialect != store.Postgres {
		return
	}
	for _, q := range []string{
		`DROP INDEX contacts_unsealed`, `DROP INDEX users_unsealed`,
		`ALTER TABLE contacts DROP COLUMN sealed`, `ALTER TABLE users DROP COLUMN sealed`,
		`UPDATE users SET display_name = 'Ada Admin'`,
		`DELETE FROM schema_migrations WHERE version = 9`,
	} {
		if _, err := f.h.DB.ExecContext(f.ctx, q); err != nil {
			f.t.Fatalf("%s: %v", q, err)
		}
	}
}

func (f *fixture) insert(query string, args ...any) int64 {
	f.t.Helper()
	var id int64
	err := f.h.DB.InTx(f.ctx, func(tx *store.Tx) error { return tx.QueryRowContext(f.ctx, query, args...).Scan(&id) })
	if err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return id
}
