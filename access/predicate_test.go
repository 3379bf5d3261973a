package access_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"strongroom/access"
	"strongroom/store"
	"strongroom/store/storetest"
)

// TestPredicateSQL runs the CanSee matrix as SQL on every engine: the rows a
// predicate selects, and the count it allows, must be exactly the records
// CanSee lets the user see. This is what keeps the Go decision and the list
// queries in agreement.
func TestPredicateSQL(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		t.Cleanup(func() { e.Close() })
		ctx := context.Background()
		db := matrixDB(t, e)
		for _, c := range matrix() {
			t.Run(c.name, func(t *testing.T) {
				s := c.subject()
				var want []int64
				for i, rec := range recordClassSets {
					if s.CanSee(c.area, c.need, rec.classes) {
						want = append(want, int64(i+1))
					}
					if s.CanSee(c.area, c.need, rec.classes) != c.want(rec.classes) {
						t.Fatalf("CanSee disagrees with the rule for record %s", rec.name)
					}
				}
				p := s.Predicate(c.area, c.need, "case", "r.id")

				// A list, with an argument before the predicate's.
				rows, err := db.QueryContext(ctx, "SELECT r.id FROM records r WHERE r.id > ? AND "+p.SQL+" ORDER BY r.id",
					append([]any{0}, p.Args...)...)
				if err != nil {
					t.Fatalf("list: %v\n%s", err, p.SQL)
				}
				var got []int64
				for rows.Next() {
					var id int64
					if err := rows.Scan(&id); err != nil {
						t.Fatal(err)
					}
					got = append(got, id)
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				rows.Close()
				if !slices.Equal(got, want) {
					t.Errorf("list = %v, CanSee allows %v\n%s %v", got, want, p.SQL, p.Args)
				}

				// A count.
				var n int
				if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM records r WHERE "+p.SQL, p.Args...).Scan(&n); err != nil {
					t.Fatalf("count: %v", err)
				}
				if n != len(want) {
					t.Errorf("count = %d, CanSee allows %d", n, len(want))
				}
			})
		}
	})
}

// matrixDB makes a tenant database (with the real tenant migrations, so the
// real record_classes table) holding one record per record class set,
// under record type "case", and noise under record type "note" for the same
// ids that the predicate must ignore.
func matrixDB(t *testing.T, e store.Engine) *store.DB {
	t.Helper()
	ctx := context.Background()
	placement, err := e.CreateTenantDB(ctx, "access-matrix")
	if err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	db, err := e.OpenTenantDB(ctx, "access-matrix", placement)
	if err != nil {
		t.Fatalf("open tenant: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.InTx(ctx, func(tx *store.Tx) error {
		// record_classes comes from the tenant migrations; its class_id
		// references security_classes.
		for _, c := range []int64{classA, classB, classC} {
			name := "class " + strconv.FormatInt(c, 10)
			if _, err := tx.ExecContext(ctx, `INSERT INTO security_classes (id, name, name_key) VALUES (?, ?, ?)`, c, name, name); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE records (id BIGINT PRIMARY KEY)`); err != nil {
			return err
		}
		for i, rec := range recordClassSets {
			id := int64(i + 1)
			if _, err := tx.ExecContext(ctx, `INSERT INTO records (id) VALUES (?)`, id); err != nil {
				return err
			}
			for _, c := range rec.classes {
				if _, err := tx.ExecContext(ctx, `INSERT INTO record_classes (record_type, record_id, class_id) VALUES (?, ?, ?)`,
					"case", id, c); err != nil {
					return err
				}
			}
			// Another record type with the same id: classes the user holds on
			// a hidden case, and a class on an unclassified one.
			if _, err := tx.ExecContext(ctx, `INSERT INTO record_classes (record_type, record_id, class_id) VALUES (?, ?, ?), (?, ?, ?)`,
				"note", id, classA, "note", id, classC); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("set up matrix tables: %v", err)
	}
	return db
}

func TestPredicateShape(t *testing.T) {
	edit := []access.Role{{Grants: map[access.Area]access.Grant{access.Cases: access.EditGrant}}}
	t.Run("class ids are bound, never formatted", func(t *testing.T) {
		for _, restricted := range []bool{false, true} {
			s := access.NewSubject(1, restricted, []int64{classB, classA, classA}, edit)
			p := s.Predicate(access.Cases, access.Read, "case", "c.id")
			for _, c := range []int64{classA, classB} {
				if strings.Contains(p.SQL, strconv.FormatInt(c, 10)) {
					t.Errorf("class %d formatted into %q", c, p.SQL)
				}
			}
			if strings.Contains(p.SQL, "'case'") {
				t.Errorf("record type formatted into %q", p.SQL)
			}
			if n := strings.Count(p.SQL, "?"); n != len(p.Args) {
				t.Errorf("%d placeholders, %d args: %s", n, len(p.Args), p.SQL)
			}
			if got := p.Args[len(p.Args)-2:]; !slices.Equal(got, []any{classA, classB}) {
				t.Errorf("class args = %v, want sorted unique", got)
			}
		}
	})
	t.Run("nothing when the area is not allowed", func(t *testing.T) {
		for _, s := range []*access.Subject{
			nil,
			access.NewSubject(1, false, []int64{classA}, nil),
			access.NewSubject(1, false, []int64{classA}, []access.Role{{Grants: map[access.Area]access.Grant{access.Cases: access.ReadGrant}}}),
		} {
			p := s.Predicate(access.Cases, access.Edit, "case", "c.id")
			if p.SQL != "1 = 0" || len(p.Args) != 0 {
				t.Errorf("Predicate = %+v, want 1 = 0", p)
			}
		}
	})
	t.Run("nothing for a restricted user without classes", func(t *testing.T) {
		p := access.NewSubject(1, true, nil, edit).Predicate(access.Cases, access.Read, "case", "c.id")
		if p.SQL != "1 = 0" || len(p.Args) != 0 {
			t.Errorf("Predicate = %+v, want 1 = 0", p)
		}
	})
	t.Run("bad identifiers panic", func(t *testing.T) {
		s := access.NewSubject(1, false, nil, edit)
		for _, tc := range []struct{ recordType, idColumn string }{
			{"", "c.id"},
			{"Case", "c.id"},
			{"case'--", "c.id"},
			{"case type", "c.id"},
			{"case", "id"},
			{"case", ""},
			{"case", "c.id OR 1=1"},
			{"case", "c.id;"},
			{"case", "c.\"id\""},
			{"case", "a.b.c"},
			{"case", "access_rc.id"},
			{"case", "record_classes.id"},
		} {
			t.Run(tc.recordType+"|"+tc.idColumn, func(t *testing.T) {
				defer func() {
					if recover() == nil {
						t.Errorf("Predicate(%q, %q) did not panic", tc.recordType, tc.idColumn)
					}
				}()
				s.Predicate(access.Cases, access.Read, tc.recordType, tc.idColumn)
			})
		}
	})
}
