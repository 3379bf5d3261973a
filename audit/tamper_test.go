package audit

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"strongroom/store"
	"strongroom/store/storetest"
)

// TestTamper plays an attacker with raw SQL on the tenant database (after
// removing the append-only guards, see unguard) and checks that Verify
// names the first bad event. Each log has 300 events, so the first 256
// form a stored level-8 subtree, with checkpoints at 100, 200 and 300.
func TestTamper(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		setup := func(t *testing.T, slug string) *fixture {
			f := newFixture(t, e, slug)
			for i := 0; i < 3; i++ {
				f.appendBatch(t, 100)
				f.checkpoint(t)
			}
			f.mustVerify(t)
			f.unguard(t)
			return f
		}
		t.Run("Changed", func(t *testing.T) {
			f := setup(t, "t-changed")
			b := bytes.Replace(f.body(t, 120), []byte("case.update"), []byte("case.view__"), 1)
			f.exec(t, `UPDATE audit_events SET body = ? WHERE seq = 120`, b)
			expectBad(t, f.verify(t), 120)
		})
		t.Run("ChangedWithLeafHashRecomputed", func(t *testing.T) {
			// The row is self-consistent; the signed checkpoints still
			// know better, and so does the stored subtree of 1–256.
			f := setup(t, "t-rehashed")
			b := bytes.Replace(f.body(t, 150), []byte(`"via":"web"`), []byte(`"via":"api"`), 1)
			f.exec(t, `UPDATE audit_events SET body = ?, leaf_hash = ? WHERE seq = 150`, b, f.log.hasher.HashLeaf(b))
			rep := f.verify(t)
			expectBad(t, rep, 101) // after checkpoint 100, which still matched
			if !strings.Contains(rep.Problems[0], "101–200") {
				t.Errorf("problem does not place the change between the checkpoints: %q", rep.Problems)
			}
		})
		t.Run("ColumnEdited", func(t *testing.T) {
			f := setup(t, "t-column")
			f.exec(t, `UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = 42`)
			expectBad(t, f.verify(t), 42)
		})
		t.Run("Deleted", func(t *testing.T) {
			f := setup(t, "t-deleted")
			f.exec(t, `DELETE FROM audit_events WHERE seq = 77`)
			expectBad(t, f.verify(t), 77)
		})
		t.Run("DeletedAndRenumbered", func(t *testing.T) {
			f := setup(t, "t-renumbered")
			f.exec(t, `DELETE FROM audit_events WHERE seq = 77`)
			// In two steps, so no engine trips over its own primary key.
			f.exec(t, `UPDATE audit_events SET seq = -seq WHERE seq > 77`)
			f.exec(t, `UPDATE audit_events SET seq = -seq - 1 WHERE seq < 0`)
			f.rebuildHead(t)
			expectBad(t, f.verify(t), 77)
		})
		t.Run("DeletedAtTheEnd", func(t *testing.T) {
			f := setup(t, "t-tail")
			f.exec(t, `DELETE FROM audit_events WHERE seq = 300`)
			expectBad(t, f.verify(t), 300)
		})
		t.Run("Inserted", func(t *testing.T) {
			f := setup(t, "t-inserted")
			f.exec(t, `UPDATE audit_events SET seq = -seq WHERE seq >= 200`)
			f.exec(t, `UPDATE audit_events SET seq = -seq + 1 WHERE seq < 0`)
			var at string
			f.db.QueryRowContext(context.Background(), `SELECT at FROM audit_events WHERE seq = 199`).Scan(&at)
			when, _ := store.ParseTime(at)
			f.insertRow(t, f.craftRow(t, 200, when))
			f.rebuildHead(t)
			expectBad(t, f.verify(t), 200)
		})
		t.Run("AddedPastTheHead", func(t *testing.T) {
			f := setup(t, "t-added")
			f.insertRow(t, f.craftRow(t, 301, time.Now()))
			expectBad(t, f.verify(t), 301)
		})
		t.Run("Reordered", func(t *testing.T) {
			f := setup(t, "t-reordered")
			f.exec(t, `UPDATE audit_events SET seq = -1 WHERE seq = 5`)
			f.exec(t, `UPDATE audit_events SET seq = 5 WHERE seq = 6`)
			f.exec(t, `UPDATE audit_events SET seq = 6 WHERE seq = -1`)
			expectBad(t, f.verify(t), 5)
		})
		t.Run("CheckpointSignaturesForged", func(t *testing.T) {
			f := setup(t, "t-forged-sig")
			// Change one character of the signature in the database
			// copy of checkpoint 200 (always to a different one: a swap
			// of two equal characters would change nothing) and
			// overwrite the file of checkpoint 100.
			var msg string
			f.db.QueryRowContext(context.Background(), `SELECT note FROM audit_checkpoints WHERE size = 200`).Scan(&msg)
			i := strings.LastIndex(msg, " ") + 6
			other := "A"
			if msg[i] == 'A' {
				other = "B"
			}
			forged := msg[:i] + other + msg[i+1:]
			f.exec(t, `UPDATE audit_checkpoints SET note = ? WHERE size = 200`, forged)
			if err := os.WriteFile(f.log.checkpointFile(100), []byte("strongroom/tenant/t-forged-sig\n100\nAAAA\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			rep := f.verify(t)
			all := strings.Join(rep.Problems, "\n")
			if rep.OK() || rep.FirstBadSeq != 0 || !strings.Contains(all, "database checkpoint 200") ||
				!strings.Contains(all, "000000000100.checkpoint") {
				t.Fatalf("forged signatures: %+v", rep)
			}
			t.Logf("detected: %q", rep.Problems)
		})
		t.Run("RewrittenDatabaseCaughtByCheckpointFile", func(t *testing.T) { testRewritten(t, setup(t, "t-rewritten")) })
		t.Run("SigningKeyReplaced", func(t *testing.T) {
			f := setup(t, "t-resigned")
			// An attacker without the old key makes a new one and
			// re-signs the database's own checkpoints.
			f.exec(t, `DELETE FROM audit_signer`)
			f.exec(t, `DELETE FROM audit_checkpoints`)
			f.log = f.open(t)
			// Signing over the existing file for size 300 is refused.
			if _, err := f.log.Checkpoint(context.Background()); err == nil {
				t.Fatal("a different checkpoint for an existing file's size was accepted")
			}
			rep := f.verify(t)
			if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "checkpoint file") ||
				!strings.Contains(strings.Join(rep.Problems, "\n"), "pinned") {
				t.Fatalf("a new signing key went unnoticed: %+v", rep)
			}
		})
		t.Run("ForkedHeadNotSigned", func(t *testing.T) {
			f := setup(t, "t-forked")
			// The writers' compact range is damaged: new events would
			// hang off a tree that never was.
			var frontier []byte
			f.db.QueryRowContext(context.Background(), `SELECT frontier FROM audit_head`).Scan(&frontier)
			f.exec(t, `UPDATE audit_head SET frontier = ?`, bytes.Repeat([]byte{7}, len(frontier)))
			f.appendEach(t, 1)
			if _, err := f.log.Checkpoint(context.Background()); err == nil {
				t.Fatal("signed a tree that does not extend the last checkpoint")
			}
		})
	})
}

// testRewritten rewrites the database and its tree together: an event is
// changed, its leaf hash, the stored subtrees and the head recomputed, and
// the database's checkpoints removed. Inside the database everything now
// agrees; only the checkpoint files outside it can tell.
func testRewritten(t *testing.T, f *fixture) {
	b := bytes.Replace(f.body(t, 10), []byte(`"ip":"203.0.113.9"`), []byte(`"ip":"192.0.2.1"`), 1)
	f.exec(t, `UPDATE audit_events SET body = ?, leaf_hash = ?, source_ip = '192.0.2.1' WHERE seq = 10`, b, f.log.hasher.HashLeaf(b))
	f.exec(t, `DELETE FROM audit_tree_nodes`)
	f.exec(t, `DELETE FROM audit_checkpoints`)
	f.rebuildHead(t)
	// Rebuild the stored subtree too, as a thorough attacker would.
	ctx := context.Background()
	rows, _ := f.db.QueryContext(ctx, `SELECT leaf_hash FROM audit_events WHERE seq <= 256 ORDER BY seq`)
	rng := compactFactory.NewEmptyRange(0)
	for rows.Next() {
		var h []byte
		rows.Scan(&h)
		rng.Append(h, nil)
	}
	rows.Close()
	root, _ := rng.GetRootHash(nil)
	f.exec(t, `INSERT INTO audit_tree_nodes (level, idx, hash) VALUES (8, 0, ?)`, root)

	// Pointed at an empty checkpoint directory, the rewritten database
	// passes: it is the files that catch it.
	blind, err := Open(ctx, f.db, f.slug, f.key, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := blind.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("without the files: %+v, %v (the rewrite should look clean)", rep, err)
	}
	rep := f.verify(t)
	expectBad(t, rep, 1)
	if !strings.Contains(rep.Problems[0], "checkpoint file") {
		t.Fatalf("not caught by a checkpoint file: %q", rep.Problems)
	}
}
