package audit

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/witness"
)

// startWitness runs a real witness on loopback that cosigns f's log.
func startWitness(t *testing.T, f *fixture, name, state string) (*witness.Witness, *witness.Client, *httptest.Server) {
	t.Helper()
	vkey, err := f.log.VerifierKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	logs, err := witness.ParseLogs(strings.NewReader(Origin(f.slug) + " " + vkey + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	skey, _, err := witness.GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New(skey, logs, state)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	c, err := witness.NewClient(srv.URL + "=" + w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	return w, c, srv
}

func TestCheckpointsAreCosignedByWitnesses(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e, "acme")
		w, c, _ := startWitness(t, f, "w1.example", filepath.Join(t.TempDir(), "w1.json"))
		f.log.SetWitnesses([]*witness.Client{c})

		f.appendEach(t, 3)
		f.checkpoint(t)
		if err := f.log.SubmitToWitnesses(ctx); err != nil {
			t.Fatalf("submit: %v", err)
		}
		f.appendEach(t, 4)
		f.checkpoint(t)
		if err := f.log.SubmitToWitnesses(ctx); err != nil {
			t.Fatalf("submit with a proof: %v", err)
		}
		if w.Size(Origin(f.slug)) != 7 {
			t.Fatalf("witness holds %d, want 7", w.Size(Origin(f.slug)))
		}
		cp, cs, err := f.log.LatestWitnessed(ctx)
		if err != nil || len(cs) != 1 || cs[0].Size != 7 {
			t.Fatalf("LatestWitnessed: %v %+v", err, cs)
		}
		if _, err := witness.OpenCosigned([]byte(cp), []byte(cs[0].Cosignature), c.Verifier); err != nil {
			t.Fatal(err)
		}

		// The tenant database forgets what the witness holds (a restore of
		// an older backup): the witness answers 409 and the log resends
		// with the proof from the witness's size.
		f.exec(t, `DELETE FROM witness_state`)
		f.appendEach(t, 2)
		f.checkpoint(t)
		if err := f.log.SubmitToWitnesses(ctx); err != nil {
			t.Fatalf("submit after 409: %v", err)
		}
		if w.Size(Origin(f.slug)) != 9 {
			t.Fatalf("witness holds %d after 409, want 9", w.Size(Origin(f.slug)))
		}
	})
}

func TestWitnessDownNeverBlocksTheLog(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e, "acme")
		_, c, srv := startWitness(t, f, "w1.example", filepath.Join(t.TempDir(), "w1.json"))
		srv.Close()
		f.log.SetWitnesses([]*witness.Client{c})
		f.appendEach(t, 2)
		f.checkpoint(t)
		if err := f.log.SubmitToWitnesses(ctx); err == nil {
			t.Fatal("a witness that is down reported no error")
		}
		f.appendEach(t, 1)
		if cp := f.checkpoint(t); !strings.Contains(cp, "\n3\n") {
			t.Fatalf("the log stopped signing with its witness down: %q", cp)
		}
	})
}

func TestCheckpointerSubmitsToWitnesses(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e, "acme")
		w, c, _ := startWitness(t, f, "w1.example", filepath.Join(t.TempDir(), "w1.json"))
		f.log.SetWitnesses([]*witness.Client{c})
		f.appendEach(t, 4)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); f.log.RunCheckpointer(ctx, 20*time.Millisecond) }()
		deadline := time.Now().Add(10 * time.Second)
		for w.Size(Origin(f.slug)) != 4 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		f.appendEach(t, 1)
		cancel()
		<-done
		// The final checkpoint at shutdown is cosigned too.
		if w.Size(Origin(f.slug)) != 5 {
			t.Fatalf("witness holds %d, want 5", w.Size(Origin(f.slug)))
		}
	})
}
