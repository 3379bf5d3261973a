package audit

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"strongroom/keys"
	"strongroom/store"
)

// fixture is one tenant database with its audit log.
type fixture struct {
	e    store.Engine
	db   *store.DB
	log  *Log
	key  []byte
	slug string
	dir  string // checkpoint directory
}

func newFixture(t testing.TB, e store.Engine, slug string) *fixture {
	t.Helper()
	ctx := context.Background()
	placement, err := e.CreateTenantDB(ctx, slug)
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	db, err := e.OpenTenantDB(ctx, slug, placement)
	if err != nil {
		t.Fatalf("open tenant %s: %v", slug, err)
	}
	t.Cleanup(func() { db.Close() })
	key, err := keys.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{e: e, db: db, key: key, slug: slug, dir: filepath.Join(t.TempDir(), "checkpoints", slug)}
	f.log = f.open(t)
	return f
}

// open opens (another) Log on the fixture's database and directory.
func (f *fixture) open(t testing.TB) *Log {
	t.Helper()
	l, err := Open(context.Background(), f.db, f.slug, f.key, f.dir)
	if err != nil {
		t.Fatalf("open audit log: %v", err)
	}
	return l
}

func sampleEvent(i int) Event {
	return Event{
		Actor:      Actor{Kind: ActorUser, ID: "u" + strconv.Itoa(i%7)},
		SourceIP:   "203.0.113." + strconv.Itoa(i%250),
		Action:     "case.update",
		ObjectType: "case",
		ObjectID:   strconv.Itoa(1000 + i),
		Changes:    []Change{{Field: "title", Before: fmt.Sprintf("Old <%d> & \"q\"", i), After: fmt.Sprintf("New %d\n", i)}},
		Details:    map[string]string{"via": "web"},
	}
}

// appendEach appends n sample events, each in a transaction of its own.
func (f *fixture) appendEach(t testing.TB, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		err := f.db.InTx(ctx, func(tx *store.Tx) error {
			_, err := f.log.Append(ctx, tx, sampleEvent(i))
			return err
		})
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

// appendBatch appends n sample events in one transaction.
func (f *fixture) appendBatch(t testing.TB, n int) {
	t.Helper()
	ctx := context.Background()
	es := make([]Event, n)
	for i := range es {
		es[i] = sampleEvent(i)
	}
	err := f.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := f.log.AppendBatch(ctx, tx, es)
		return err
	})
	if err != nil {
		t.Fatalf("append batch: %v", err)
	}
}

func (f *fixture) checkpoint(t testing.TB) string {
	t.Helper()
	n, err := f.log.Checkpoint(context.Background())
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	return n
}

func (f *fixture) verify(t testing.TB) *Report {
	t.Helper()
	rep, err := f.log.Verify(context.Background())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

func (f *fixture) mustVerify(t testing.TB) *Report {
	t.Helper()
	rep := f.verify(t)
	if !rep.OK() {
		t.Fatalf("verify: %+v", rep)
	}
	return rep
}

func (f *fixture) exec(t testing.TB, query string, args ...any) {
	t.Helper()
	if _, err := f.db.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// unguard removes the append-only guards so a test can play the attacker
// with raw SQL. On SQLite the triggers are dropped; on PostgreSQL they are
// disabled (ALTER TABLE … DISABLE TRIGGER USER), which the application's
// role can do today because it owns the tables: revoking that is the
// deployment's job, outside this package.
func (f *fixture) unguard(t testing.TB) {
	t.Helper()
	tables := []string{"audit_events", "audit_tree_nodes", "audit_checkpoints", "audit_signer", "audit_head"}
	if f.db.Dialect == store.Postgres {
		for _, tb := range tables {
			f.exec(t, "ALTER TABLE "+tb+" DISABLE TRIGGER USER")
		}
		return
	}
	for _, tr := range []string{"audit_events_no_update", "audit_events_no_delete", "audit_tree_nodes_no_update",
		"audit_tree_nodes_no_delete", "audit_checkpoints_no_update", "audit_checkpoints_no_delete",
		"audit_signer_no_update", "audit_signer_no_delete", "audit_head_no_delete"} {
		f.exec(t, "DROP TRIGGER "+tr)
	}
}

// body returns the stored bytes of event seq.
func (f *fixture) body(t testing.TB, seq int64) []byte {
	t.Helper()
	var b []byte
	if err := f.db.QueryRowContext(context.Background(), `SELECT body FROM audit_events WHERE seq = ?`, seq).Scan(&b); err != nil {
		t.Fatalf("read event %d: %v", seq, err)
	}
	return b
}

// craftRow builds a well-formed row for seq, as an attacker who knows the
// format would: correct header, columns and leaf hash.
func (f *fixture) craftRow(t testing.TB, seq int64, at time.Time) *row {
	t.Helper()
	r := &row{seq: seq, at: store.FormatTime(at), actorKind: ActorSystem, action: "case.delete", objectType: "case", objectID: "1"}
	body, err := encodeBody(r, &storedTail{})
	if err != nil {
		t.Fatal(err)
	}
	r.body, r.leafHash = body, f.log.hasher.HashLeaf(body)
	return r
}

func (f *fixture) insertRow(t testing.TB, r *row) {
	t.Helper()
	f.exec(t, `INSERT INTO audit_events (`+eventColumns+`) VALUES `+eventPlaceholders,
		r.seq, r.at, r.actorKind, r.actorID, r.sourceIP, r.action, r.objectType, r.objectID, r.subjectID, r.body, r.leafHash)
}

// rebuildHead recomputes the tree head from the stored leaf hashes, as an
// attacker covering their tracks inside the database would.
func (f *fixture) rebuildHead(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	rows, err := f.db.QueryContext(ctx, `SELECT leaf_hash FROM audit_events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	rng := compactFactory.NewEmptyRange(0)
	for rows.Next() {
		var h []byte
		rows.Scan(&h)
		rng.Append(h, nil)
	}
	rows.Close()
	root, _ := rng.GetRootHash(nil)
	f.exec(t, `UPDATE audit_head SET size = ?, root = ?, frontier = ? WHERE id = 1`, int64(rng.End()), root, encodeFrontier(rng))
}

func expectBad(t *testing.T, rep *Report, seq int64) {
	t.Helper()
	if rep.OK() {
		t.Fatalf("tampering not detected: %+v", rep)
	}
	if rep.FirstBadSeq != seq {
		t.Fatalf("first bad event = %d, want %d; problems: %q", rep.FirstBadSeq, seq, rep.Problems)
	}
	t.Logf("detected: %q", rep.Problems)
}
