package personal

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"
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

// sweeps remembers, weakly, the sweep of each database opened in this
// process: a closed and collected handle leaves no entry behind.
var sweeps sync.Map // weak.Pointer[store.DB] → *sweep

// sweep is the sealing of one database's rows written in clear.
type sweep struct {
	mu      sync.Mutex
	running bool
	done    chan struct{} // closed once every row is sealed
	retryAt time.Time     // after a failure, when to try again
}

// sweepRetry is how long a failed sweep waits before it is tried again.
const sweepRetry = time.Minute

// sweepTimeout bounds one sweep, which seals in batches of short
// transactions; what it leaves is sealed by the next.
const sweepTimeout = 10 * time.Minute

// EnsureSealed starts, once per opened database, the sealing of rows that
// hold personal fields in clear (a tenant written by an older Strongroom):
// in the background, in batches, so that the request that starts it waits
// for none of it. Reads understand unsealed rows meanwhile, so nothing
// depends on its progress. The channel is closed when every row is sealed.
func EnsureSealed(ctx context.Context, h *tenancy.Handle) <-chan struct{} {
	key := weak.Make(h.DB)
	v, loaded := sweeps.LoadOrStore(key, &sweep{done: make(chan struct{})})
	sw := v.(*sweep)
	if !loaded {
		runtime.AddCleanup(h.DB, func(k weak.Pointer[store.DB]) { sweeps.Delete(k) }, key)
	}
	sw.mu.Lock()
	defer sw.mu.Unlock()
	select {
	case <-sw.done:
		return sw.done
	default:
	}
	if sw.running || time.Now().Before(sw.retryAt) {
		return sw.done
	}
	sw.running = true
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), sweepTimeout)
	go func() {
		defer cancel()
		err := SealLegacy(bg, h)
		sw.mu.Lock()
		defer sw.mu.Unlock()
		sw.running = false
		if err != nil {
			sw.retryAt = time.Now().Add(sweepRetry)
			slog.WarnContext(bg, "sealing personal fields written in clear failed; they are read as they are and sealed later",
				"tenant", h.Tenant.Slug, "err", err)
			return
		}
		close(sw.done)
	}()
	return sw.done
}

// sealBatch is how many rows one transaction of SealLegacy seals.
const sealBatch = 200

// SealLegacy seals every row still holding personal fields in clear and
// empties its plaintext columns, a batch of rows per transaction (a row is
// never half sealed), until none is left.
func SealLegacy(ctx context.Context, h *tenancy.Handle) error {
	for _, l := range legacyTables {
		for {
			var n int
			err := h.DB.InTx(ctx, func(tx *store.Tx) error {
				var err error
				n, err = l.seal(ctx, tx, h)
				return err
			})
			if err != nil {
				return fmt.Errorf("seal personal fields of %s: %w", l.table, err)
			}
			if n < sealBatch {
				break
			}
		}
	}
	return nil
}

// seal seals a batch of rows of the table and returns how many it read.
// On PostgreSQL the rows are locked first, so that an erasure or an edit
// running at the same time waits rather than being overwritten; the
// update also skips a row sealed (or erased) meanwhile.
func (l legacy) seal(ctx context.Context, tx *store.Tx, h *tenancy.Handle) (int, error) {
	type plain struct {
		id     int64
		values []string
	}
	q := `SELECT id, ` + join(l.columns) + ` FROM ` + l.table + ` WHERE sealed IS NULL ORDER BY id LIMIT ?`
	if tx.Dialect == store.Postgres {
		q += ` FOR UPDATE`
	}
	rows, err := tx.QueryContext(ctx, q, sealBatch)
	if err != nil {
		return 0, err
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
			return 0, err
		}
		todo = append(todo, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
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
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+l.table+` SET sealed = ?`+blank+` WHERE id = ? AND sealed IS NULL`, sealed, p.id); err != nil {
			return 0, err
		}
	}
	return len(todo), nil
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
