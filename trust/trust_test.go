package trust_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"strongroom/audit"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/trust"
	"strongroom/witness"
)

type fixture struct {
	log  *audit.Log
	db   *store.DB
	vkey string
}

func newFixture(t *testing.T, e store.Engine) *fixture {
	ctx := context.Background()
	placement, err := e.CreateTenantDB(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	db, err := e.OpenTenantDB(ctx, "acme", placement)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	key, _ := keys.NewDataKey()
	l, err := audit.Open(ctx, db, "acme", key, filepath.Join(t.TempDir(), "cp"))
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := l.VerifierKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{log: l, db: db, vkey: vkey}
}

func (f *fixture) append(t *testing.T, evs ...audit.Event) {
	ctx := context.Background()
	err := f.db.InTx(ctx, func(tx *store.Tx) error {
		for _, e := range evs {
			if _, err := f.log.Append(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func userEvent(i int) audit.Event {
	return audit.Event{Actor: audit.Actor{Kind: audit.ActorUser, ID: "u1"}, Action: "case.update", ObjectType: "case", ObjectID: fmt.Sprint(i)}
}

// mutations returns copies of doc with each leaf value changed in turn.
func mutations(v any, set func(any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			mutations(c, func(n any) { x[k] = n; set(x); x[k] = c })
		}
	case []any:
		for i, c := range x {
			mutations(c, func(n any) { x[i] = n; set(x); x[i] = c })
		}
	case string:
		set(x + "x")
	case float64:
		set(x + 1)
	case bool:
		set(!x)
	case nil:
		set("x")
	}
}

func TestReportVerifiesOfflineAndFailsAfterAnyChange(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		// A witness on loopback cosigns the checkpoint.
		logs, _ := witness.ParseLogs(strings.NewReader(audit.Origin("acme") + " " + f.vkey + "\n"))
		skey, wkey, _ := witness.GenerateKey("w1.example")
		w, err := witness.New(skey, logs, filepath.Join(t.TempDir(), "w.json"))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(w.Handler())
		defer srv.Close()
		c, _ := witness.NewClient(srv.URL + "=" + wkey)
		f.log.SetWitnesses([]*witness.Client{c})

		f.append(t, userEvent(1), userEvent(2))
		old, err := f.log.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.append(t,
			audit.Event{Actor: audit.Actor{Kind: audit.ActorOperator, ID: "jane"}, Action: "operator.data_read", ObjectType: "tenant", ObjectID: "acme",
				Details: map[string]string{"reason": "ticket 42"}},
			audit.Event{Actor: audit.Actor{Kind: audit.ActorSystem}, Action: "grant.created", Details: map[string]string{"hours": "4"}},
			userEvent(3))
		if _, err := f.log.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if err := f.log.SubmitToWitnesses(ctx); err != nil {
			t.Fatal(err)
		}
		r, err := trust.Build(ctx, "acme", f.log, trust.Inputs{Since: time.Now().Add(-time.Hour), Checkpoint: []byte(old),
			TLS:      trust.TLSSection{Mode: "files", MinVersion: "TLS 1.2", CipherSuites: []string{"TLS_AES_128_GCM_SHA256"}},
			Policies: []trust.Setting{{Area: "Two-factor", Name: "required", Value: "yes"}}})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Audit.Verified || r.Audit.TreeSize != 5 || len(r.Audit.Cosignatures) != 1 {
			t.Fatalf("audit section: %+v", r.Audit)
		}
		if len(r.OperatorAccess.Events) != 2 || r.OperatorAccess.Events[0].Action != "operator.data_read" {
			t.Fatalf("operator access: %+v", r.OperatorAccess)
		}
		if r.Consistency == nil || !r.Consistency.Verified {
			t.Fatalf("consistency with the older checkpoint: %+v", r.Consistency)
		}
		if r.Build.ScanNote != "This build was not scanned for known vulnerabilities." {
			t.Fatalf("scan note: %q", r.Build.ScanNote)
		}
		signed, err := trust.Sign(r, f.log)
		if err != nil {
			t.Fatal(err)
		}
		v, err := trust.Verify(signed, f.vkey, []string{wkey})
		if err != nil {
			t.Fatalf("offline verification: %v", err)
		}
		if len(v.Witnessed) != 1 || len(v.Problems) != 0 {
			t.Fatalf("witnesses: %+v", v)
		}
		// Another tenant's key, another witness's key.
		_, other, _ := note.GenerateKey(nil, audit.Origin("acme"))
		if _, err := trust.Verify(signed, other, nil); err == nil {
			t.Fatal("verified with another key")
		}
		_, wkey2, _ := witness.GenerateKey("w1.example")
		if v, err := trust.Verify(signed, f.vkey, []string{wkey2}); err != nil || len(v.Problems) != 1 {
			t.Fatalf("another witness key: %+v %v", v, err)
		}

		// Every field changed in turn.
		var doc map[string]any
		if err := json.Unmarshal(signed, &doc); err != nil {
			t.Fatal(err)
		}
		n := 0
		mutations(doc, func(any) {
			n++
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := trust.Verify(b, f.vkey, nil); err == nil {
				t.Errorf("a report changed at mutation %d still verifies: %s", n, b)
			}
		})
		if n < 40 {
			t.Fatalf("only %d fields mutated", n)
		}
		// Unchanged, re-encoded: still verifies.
		b, _ := json.Marshal(doc)
		if _, err := trust.Verify(b, f.vkey, nil); err != nil {
			t.Fatalf("re-encoded report: %v", err)
		}
	})
}

func TestUploadedCheckpointForgedFails(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		f := newFixture(t, e)
		f.append(t, userEvent(1), userEvent(2), userEvent(3))
		cur, err := f.log.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The same body signed with another key of the same name.
		skey, _, _ := note.GenerateKey(nil, audit.Origin("acme"))
		s, _ := note.NewSigner(skey)
		body := strings.SplitN(cur, "\n\n", 2)[0] + "\n"
		forged, _ := note.Sign(&note.Note{Text: strings.Replace(body, "\n3\n", "\n2\n", 1)}, s)
		if c := trust.CheckConsistency(ctx, f.log, f.vkey, forged, cur); c.Verified || !strings.Contains(c.Result, "not signed") {
			t.Fatalf("forged checkpoint: %+v", c)
		}
		// The tenant's own checkpoint with its root changed.
		tampered := strings.Replace(cur, strings.Split(cur, "\n")[2], base64Root(), 1)
		if c := trust.CheckConsistency(ctx, f.log, f.vkey, []byte(tampered), cur); c.Verified {
			t.Fatalf("tampered checkpoint: %+v", c)
		}
		if c := trust.CheckConsistency(ctx, f.log, f.vkey, []byte(cur), cur); !c.Verified {
			t.Fatalf("the current checkpoint: %+v", c)
		}
	})
}

func base64Root() string { return "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" }
