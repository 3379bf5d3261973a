package audit

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"strongroom/store"
	"strongroom/store/sqlite"
	"strongroom/store/storetest"
)

// killChildEnv tells a re-executed test binary to be the appender that
// TestSIGKILL kills: it holds "DATADIR|PLACEMENT|HEXKEY|CHECKPOINTDIR".
const killChildEnv = "STRONGROOM_AUDIT_KILL_CHILD"

// TestSIGKILL appends in a child process, printing each committed sequence
// number, kills it with SIGKILL mid-stream, and checks that every
// acknowledged event survived and the log verifies. SQLite only: it is the
// engine whose durability lives in this process's file handling.
func TestSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	e := storetest.NewSQLite(t)
	f := newFixture(t, e, "killed")
	f.appendEach(t, 3)
	f.checkpoint(t)
	placement := e.Placement(f.slug)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSIGKILLChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+strings.Join([]string{e.DataDir(), placement, hex.EncodeToString(f.key), f.dir}, "|"))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []int64
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for len(acked) < 200 && sc.Scan() {
		if seq, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			n, _ := strconv.ParseInt(seq, 10, 64)
			acked = append(acked, n)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(acked) < 200 {
		t.Fatalf("child acknowledged only %d events before it ended", len(acked))
	}

	db, err := e.OpenTenantDB(context.Background(), f.slug, placement)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := Open(context.Background(), db, f.slug, f.key, f.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range acked {
		var n int
		db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_events WHERE seq = ?`, seq).Scan(&n)
		if n != 1 {
			t.Fatalf("acknowledged event %d is gone after SIGKILL", seq)
		}
	}
	if _, err := l.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	rep, err := l.Verify(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("verify after SIGKILL: %+v, %v", rep, err)
	}
	t.Logf("%d acknowledged, %d events in the log, %d checkpoints", len(acked), rep.Events, rep.Checkpoints)
}

// TestSIGKILLChild is the appender TestSIGKILL runs and kills. It appends
// until killed, signing a checkpoint now and then so that a kill can land
// in the middle of one too.
func TestSIGKILLChild(t *testing.T) {
	spec := os.Getenv(killChildEnv)
	if spec == "" {
		t.Skip("run by TestSIGKILL")
	}
	parts := strings.Split(spec, "|")
	key, _ := hex.DecodeString(parts[2])
	e, err := sqlite.New(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := e.OpenTenantDB(ctx, "killed", parts[1])
	if err != nil {
		t.Fatal(err)
	}
	l, err := Open(ctx, db, "killed", key, parts[3])
	if err != nil {
		t.Fatal(err)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		var seq int64
		err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			seq, err = l.Append(ctx, tx, sampleEvent(i))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// Printed only after the commit returned: an acknowledgement.
		fmt.Fprintf(out, "acked %d\n", seq)
		out.Flush()
		if i%50 == 0 {
			if _, err := l.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
}
