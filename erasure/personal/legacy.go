package personal

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"weak"

	"strongroom/store"
	"strongroom/tenancy"
)

// ContactFields and UserFields are the personal fields sealed per table,
// in the order the plaintext columns of rows written before sealing hold
// them ("notes" has no column: it was never stored in clear).
var (
	ContactFields = []string{"name", "email", "phone", "address", "notes"}
	UserFields    = []string{"display_name", "email"}
)

// legacy is one table whose rows may still hold personal fields in clear.
type legacy struct {
	table   string
	subject func(int64) string
	columns []string // plaintext columns, in Fields order
}

var legacyTables = []legacy{
	{"contacts", Contact, []string{"name", "email", "phone", "address"}},
	{"users", User, []string{"display_name", "email"}},
}

// sealedDBs remembers the databases already swept in this process, weakly:
// a closed and collected handle leaves no entry behind.
var sealedDBs sync.Map // weak.Pointer[store.DB] → struct{}

// EnsureSealed seals, once per opened database, the personal fields of rows
// written before they were sealed at rest (a tenant created by an older
// Strongroom). It must be called outside any transaction of h. Reads
// understand unsealed rows too, so a failure here loses nothing: it is
// tried again on the next call.
func EnsureSealed(ctx context.Context, h *tenancy.Handle) error {
	key := weak.Make(h.DB)
	if _, done := sealedDBs.Load(key); done {
		return nil
	}
	if err := SealLegacy(ctx, h); err != nil {
		return err
	}
	if _, loaded := sealedDBs.LoadOrStore(key, struct{}{}); !loaded {
		runtime.AddCleanup(h.DB, func(k weak.Pointer[store.DB]) { sealedDBs.Delete(k) }, key)
	}
	return nil
}

// SealLegacy seals every row still holding personal fields in clear and
// blanks the plaintext columns; it returns nothing to do quickly when there
// are none. Each table is one transaction: a row is never half sealed.
func SealLegacy(ctx context.Context, h *tenancy.Handle) error {
	for _, l := range legacyTables {
		if err := h.DB.InTx(ctx, func(tx *store.Tx) error { return l.seal(ctx, tx, h) }); err != nil {
			return fmt.Errorf("seal personal fields of %s: %w", l.table, err)
		}
	}
	return nil
}

func (l legacy) seal(ctx context.Context, tx *store.Tx, h *tenancy.Handle) error {
	type plain struct {
		id     int64
		values []string
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, `+join(l.columns)+` FROM `+l.table+` WHERE sealed IS NULL ORDER BY id`)
	if err != nil {
		return err
	}
	var todo []plain
	for rows.Next() {
		p := plain{values: make([]string, len(l.columns))}
		dest := []any{&p.id}
		for i := range p.values {
			dest = append(dest, &p.values[i])
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	blank := ""
	for _, c := range l.columns {
		blank += ", " + c + " = ''"
	}
	for _, p := range todo {
		fields := map[string]string{}
		for i, c := range l.columns {
			fields[c] = p.values[i]
		}
		sealed, err := Seal(ctx, tx, h, l.subject(p.id), l.table, fields)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+l.table+` SET sealed = ?`+blank+` WHERE id = ?`, sealed, p.id); err != nil {
			return err
		}
	}
	return nil
}

func join(cols []string) string {
	out := ""
	for i, c := range cols {
		if i > 0 {
			out += ", "
		}
		out += c
	}
	return out
}
