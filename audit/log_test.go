package audit

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom"
	"strongroom/store"
	"strongroom/store/storetest"
)

func TestLog(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		t.Run("AppendAndRead", func(t *testing.T) { testAppendAndRead(t, e) })
		t.Run("RollbackLeavesNoEventAndNoGap", func(t *testing.T) { testRollback(t, e) })
		t.Run("InvalidEventRefused", func(t *testing.T) { testInvalid(t, e) })
		t.Run("ConcurrentWritersGetGapFreeSeqs", func(t *testing.T) { testConcurrent(t, e) })
		t.Run("BatchAcrossStoredTreeLevels", func(t *testing.T) { testBatch(t, e) })
		t.Run("DatabaseRefusesUpdateAndDelete", func(t *testing.T) { testAppendOnly(t, e) })
		t.Run("UnknownUserNameNotStored", func(t *testing.T) { testUnknownUser(t, e) })
		t.Run("EraseSubjectKeepsTreeValid", func(t *testing.T) { testErase(t, e) })
		t.Run("SigningKeySharedAcrossOpens", func(t *testing.T) { testSignerShared(t, e) })
		t.Run("CheckpointerLoop", func(t *testing.T) { testCheckpointer(t, e) })
	})
}

func testAppendAndRead(t *testing.T, e store.Engine) {
	f := newFixture(t, e, "read")
	ctx := context.Background()
	at := time.Date(2026, 3, 4, 5, 6, 7, 891234000, time.FixedZone("X", 3600))
	f.log.now = func() time.Time { return at }
	f.appendEach(t, 3)
	f.log.now = func() time.Time { return at.Add(-time.Hour) } // the clock steps back
	f.appendEach(t, 1)
	evs, err := f.log.Events(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 {
		t.Fatalf("got %d events, want 4", len(evs))
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Errorf("event %d has seq %d", i, ev.Seq)
		}
		if !ev.Time.Equal(at.Truncate(time.Microsecond)) || ev.Time.Location() != time.UTC {
			t.Errorf("event %d time = %v, want %v in UTC (never earlier than the one before)", i, ev.Time, at)
		}
	}
	want := sampleEvent(1)
	got := evs[1]
	if got.Actor != want.Actor || got.SourceIP != want.SourceIP || got.Action != want.Action ||
		got.ObjectType != want.ObjectType || got.ObjectID != want.ObjectID || got.Details["via"] != "web" {
		t.Errorf("read back %+v, want %+v", got, want)
	}
	if len(got.Changes) != 1 || got.Changes[0].Before != want.Changes[0].Before || got.Changes[0].After != want.Changes[0].After {
		t.Errorf("changes = %+v, want %+v", got.Changes, want.Changes)
	}
	// The stored bytes are what the tree hashes; they must parse back alone.
	parsed, err := ParseEvent(f.body(t, 2))
	if err != nil || parsed.ObjectID != want.ObjectID {
		t.Fatalf("ParseEvent = %+v, %v", parsed, err)
	}
	if rep := f.mustVerify(t); rep.Events != 4 {
		t.Fatalf("verified %d events, want 4", rep.Events)
	}
}

func testRollback(t *testing.T, e store.Engine) {
	f := newFixture(t, e, "rollback")
	ctx := context.Background()
	f.appendEach(t, 2)
	boom := errors.New("the change failed")
	err := f.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := f.log.Append(ctx, tx, sampleEvent(9)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want the change's error", err)
	}
	if evs, _ := f.log.Events(ctx, 0, 10); len(evs) != 2 {
		t.Fatalf("%d events after a rollback, want 2", len(evs))
	}
	var seq int64
	err = f.db.InTx(ctx, func(tx *store.Tx) (err error) {
		seq, err = f.log.Append(ctx, tx, sampleEvent(3))
		return err
	})
	if err != nil || seq != 3 {
		t.Fatalf("next append = %d, %v; want 3 (no gap)", seq, err)
	}
	f.checkpoint(t)
	f.mustVerify(t)
}

func testInvalid(t *testing.T, e store.Engine) {
	f := newFixture(t, e, "invalid")
	ctx := context.Background()
	for name, ev := range map[string]Event{
		"actor":   {Actor: Actor{Kind: "robot"}, Action: "x"},
		"action":  {Actor: Actor{Kind: ActorSystem}},
		"subject": {Actor: Actor{Kind: ActorSystem}, Action: "x", Personal: map[string]string{"email": "a@b"}},
	} {
		err := f.db.InTx(ctx, func(tx *store.Tx) error { _, err := f.log.Append(ctx, tx, ev); return err })
		if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != name {
			t.Errorf("%s: got %v, want invalid %s", name, err, name)
		}
	}
}

func testConcurrent(t *testing.T, e store.Engine) {
	f := newFixture(t, e, "concurrent")
	const writers, each = 6, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := 0; i < each; i++ {
				err := f.db.InTx(ctx, func(tx *store.Tx) error { _, err := f.log.Append(ctx, tx, sampleEvent(i)); return err })
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// Checkpoints signed while writers run must all verify afterwards.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 5; i++ {
			if _, err := f.log.Checkpoint(context.Background()); err != nil {
				errs <- err
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	wg.Wait()
	<-done
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	f.checkpoint(t)
	if rep := f.mustVerify(t); rep.Events != writers*each {
		t.Fatalf("verified %d events, want %d", rep.Events, writers*each)
	}
}

func testBatch(t *testing.T, e store.Engine) {
	f := newFixture(t, e, "batch")
	f.appendBatch(t, 700) // crosses two level-8 blocks and an insert chunk
	f.appendEach(t, 3)
	f.checkpoint(t)
	var nodes int
	f.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_tree_nodes`).Scan(&nodes)
	if nodes != 2 {
		t.Errorf("%d stored tree nodes, want 2 (level 8, indices 0 and 1)", nodes)
	}
	if rep := f.mustVerify(t); rep.Events != 703 {
		t.Fatalf("verified %d events", rep.Events)
	}
}

func testAppendOnly(t *testing.T, e store.Engine) {
	f := newFixture(t, e, "guarded")
	f.appendEach(t, 3)
	f.checkpoint(t)
	ctx := context.Background()
	for _, q := range []string{
		`UPDATE audit_events SET action = 'x' WHERE seq = 2`,
		`DELETE FROM audit_events WHERE seq = 3`,
		`DELETE FROM audit_events`,
		`UPDATE audit_checkpoints SET note = 'x'`,
		`DELETE FROM audit_checkpoints`,
		`DELETE FROM audit_signer`,
		`DELETE FROM audit_head`,
	} {
		if _, err := f.db.ExecContext(ctx, q); err == nil {
			t.Errorf("%s: the database allowed it", q)
		} else if !strings.Contains(err.Error(), "audit") {
			t.Errorf("%s: refused for another reason: %v", q, err)
		}
	}
	if e.Dialect() == store.Postgres {
		if _, err := f.db.ExecContext(ctx, `TRUNCATE audit_events CASCADE`); err == nil {
			t.Error("TRUNCATE audit_events: the database allowed it")
		}
	}
	f.mustVerify(t)
}

func testUnknownUser(t *testing.T, e store.Engine) {
	f := newFixture(t, e, "unknown-user")
	ctx := context.Background()
	const name = "Alice.Smith@Example.com"
	ev := f.log.FailedLoginUnknownUser("198.51.100.7", name)
	err := f.db.InTx(ctx, func(tx *store.Tx) error { _, err := f.log.Append(ctx, tx, ev); return err })
	if err != nil {
		t.Fatal(err)
	}
	body := f.body(t, 1)
	for _, part := range []string{"alice", "smith", "example"} {
		if bytes.Contains(bytes.ToLower(body), []byte(part)) {
			t.Fatalf("stored event contains %q: %s", part, body)
		}
	}
	if !bytes.Contains(body, []byte("198.51.100.7")) || !bytes.Contains(body, []byte(f.log.HashName(name))) {
		t.Fatalf("stored event lacks the IP or the name hash: %s", body)
	}
	if f.log.HashName(" alice.smith@example.com") != f.log.HashName(name) {
		t.Error("the same name typed differently hashes differently")
	}
	other := newFixture(t, e, "unknown-other")
	if other.log.HashName(name) == f.log.HashName(name) {
		t.Error("two tenants hash a name alike: the hash is not keyed per tenant")
	}
}

func testErase(t *testing.T, e store.Engine) {
	f := newFixture(t, e, "erase")
	ctx := context.Background()
	f.appendEach(t, 2)
	ev := Event{Actor: Actor{Kind: ActorUser, ID: "u1"}, Action: "contact.update", ObjectType: "contact", ObjectID: "c9",
		SubjectID: "person-9", Personal: map[string]string{"name": "Jane Roe"},
		Changes: []Change{{Field: "email", Before: "jane@old.example", After: "jane@new.example", Personal: true},
			{Field: "status", Before: "lead", After: "client"}}}
	err := f.db.InTx(ctx, func(tx *store.Tx) error { _, err := f.log.Append(ctx, tx, ev); return err })
	if err != nil {
		t.Fatal(err)
	}
	f.appendEach(t, 2)
	f.checkpoint(t)
	bundle, err := f.log.Proof(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	body := f.body(t, 3)
	if bytes.Contains(body, []byte("Jane")) || bytes.Contains(body, []byte("jane@")) {
		t.Fatalf("personal values stored in clear: %s", body)
	}
	evs, _ := f.log.Events(ctx, 2, 1)
	if evs[0].Personal["name"] != "Jane Roe" || evs[0].Changes[0].After != "jane@new.example" || evs[0].Erased {
		t.Fatalf("before erasure: %+v", evs[0])
	}
	err = f.db.InTx(ctx, func(tx *store.Tx) error {
		if err := f.log.EraseSubject(ctx, tx, "person-9"); err != nil {
			return err
		}
		_, err := f.log.Append(ctx, tx, Event{Actor: Actor{Kind: ActorUser, ID: "admin"}, Action: "person.erase",
			ObjectType: "person", ObjectID: "person-9"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	evs, _ = f.log.Events(ctx, 2, 1)
	if !evs[0].Erased || evs[0].Personal != nil || evs[0].Changes[0].After != nil || evs[0].Changes[1].After != "client" {
		t.Fatalf("after erasure: %+v", evs[0])
	}
	if !bytes.Equal(f.body(t, 3), body) {
		t.Fatal("erasure changed the stored event")
	}
	f.checkpoint(t)
	f.mustVerify(t)
	if err := VerifyProofBundle(bundle, f.log.vkey); err != nil {
		t.Fatalf("a proof made before the erasure no longer verifies: %v", err)
	}
}

func testSignerShared(t *testing.T, e store.Engine) {
	f := newFixture(t, e, "signer")
	second := f.open(t)
	if second.vkey != f.log.vkey {
		t.Fatal("a second Open made another signing key")
	}
	if !strings.HasPrefix(f.log.vkey, "strongroom/tenant/signer+") {
		t.Fatalf("verifier key %q does not name the tenant's origin", f.log.vkey)
	}
	if _, err := Open(context.Background(), f.db, f.slug, make([]byte, 32), f.dir); err == nil {
		t.Fatal("Open with the wrong data key succeeded")
	}
}

func testCheckpointer(t *testing.T, e store.Engine) {
	f := newFixture(t, e, "ticker")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.log.RunCheckpointer(ctx, 10*time.Millisecond) }()
	f.appendEach(t, 5)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var size int64
		f.db.QueryRowContext(context.Background(), `SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints`).Scan(&size)
		if size == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint of the five events within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	f.mustVerify(t)
}
