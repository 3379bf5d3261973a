package witness_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"strongroom/witness"
)

// testLog is a tiny RFC 6962 log signing checkpoints with its own key.
type testLog struct {
	origin string
	signer note.Signer
	vkey   string
	leaves [][]byte
}

func newTestLog(t *testing.T, origin string) *testLog {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &testLog{origin: origin, signer: s, vkey: vkey}
}

func (l *testLog) add(n int, tag string) {
	for i := 0; i < n; i++ {
		l.leaves = append(l.leaves, rfc6962.DefaultHasher.HashLeaf([]byte(fmt.Sprintf("%s-%d", tag, len(l.leaves)))))
	}
}

func root(hs [][]byte) []byte {
	switch len(hs) {
	case 0:
		return rfc6962.DefaultHasher.EmptyRoot()
	case 1:
		return hs[0]
	}
	k := split(len(hs))
	return rfc6962.DefaultHasher.HashChildren(root(hs[:k]), root(hs[k:]))
}

func split(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

// subproof is RFC 6962's SUBPROOF(m, D[n], b).
func subproof(m int, hs [][]byte, b bool) [][]byte {
	n := len(hs)
	if m == n {
		if b {
			return nil
		}
		return [][]byte{root(hs)}
	}
	k := split(n)
	if m <= k {
		return append(subproof(m, hs[:k], b), root(hs[k:]))
	}
	return append(subproof(m-k, hs[k:], false), root(hs[:k]))
}

func (l *testLog) checkpoint(t *testing.T, size int) []byte {
	text := fmt.Sprintf("%s\n%d\n%s\n", l.origin, size, base64.StdEncoding.EncodeToString(root(l.leaves[:size])))
	msg, err := note.Sign(&note.Note{Text: text}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func (l *testLog) proof(old, size int) [][]byte {
	if old == 0 || old == size {
		return nil
	}
	return subproof(old, l.leaves[:size], true)
}

type server struct {
	w      *witness.Witness
	client *witness.Client
	srv    *httptest.Server
}

func start(t *testing.T, skey, state string, logs ...*testLog) *server {
	t.Helper()
	var ls []witness.Log
	for _, l := range logs {
		parsed, err := witness.ParseLogs(strings.NewReader(l.origin + " " + l.vkey + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, parsed...)
	}
	w, err := witness.New(skey, ls, state)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	c, err := witness.NewClient(srv.URL + "=" + w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	return &server{w: w, client: c, srv: srv}
}

func status(err error) int {
	var r *witness.RefusedError
	if errors.As(err, &r) {
		return r.Status
	}
	var c *witness.ConflictError
	if errors.As(err, &c) {
		return 409
	}
	return 0
}

func TestWitnessCosignsAndRefuses(t *testing.T) {
	ctx := context.Background()
	skey, vkey, err := witness.GenerateKey("witness.example")
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "state.json")
	log := newTestLog(t, "strongroom/tenant/acme")
	other := newTestLog(t, "strongroom/tenant/other")
	s := start(t, skey, state, log)
	if s.w.VerifierKey() != vkey {
		t.Fatalf("verifier key %q, GenerateKey said %q", s.w.VerifierKey(), vkey)
	}

	log.add(5, "a")
	cp5 := log.checkpoint(t, 5)
	cosig, err := s.client.AddCheckpoint(ctx, 0, nil, cp5)
	if err != nil {
		t.Fatalf("first checkpoint: %v", err)
	}
	if _, err := witness.OpenCosigned(cp5, cosig, s.client.Verifier); err != nil {
		t.Fatal(err)
	}

	log.add(6, "a")
	cp11 := log.checkpoint(t, 11)
	// Wrong old size: 409 with the witness's size.
	_, err = s.client.AddCheckpoint(ctx, 0, nil, cp11)
	var conflict *witness.ConflictError
	if !errors.As(err, &conflict) || conflict.Size != 5 {
		t.Fatalf("old 0 against a witness at 5: %v, want a conflict at 5", err)
	}
	// A proof that does not hold: 422.
	bad := log.proof(5, 11)
	bad[0] = rfc6962.DefaultHasher.HashLeaf([]byte("forged"))
	if _, err := s.client.AddCheckpoint(ctx, 5, bad, cp11); status(err) != 422 {
		t.Fatalf("bad proof: %v, want 422", err)
	}
	if _, err := s.client.AddCheckpoint(ctx, 5, log.proof(5, 11), cp11); err != nil {
		t.Fatalf("consistent checkpoint: %v", err)
	}

	// A rewritten log: the same first 5 events, others after them.
	fork := &testLog{origin: log.origin, signer: log.signer, vkey: log.vkey, leaves: append([][]byte(nil), log.leaves[:5]...)}
	fork.add(9, "b")
	if _, err := s.client.AddCheckpoint(ctx, 11, fork.proof(11, 14), fork.checkpoint(t, 14)); status(err) != 422 {
		t.Fatalf("rewritten log: %v, want 422", err)
	}
	// Same size, another root (a fork at 11).
	fork11 := &testLog{origin: log.origin, signer: log.signer, vkey: log.vkey, leaves: append([][]byte(nil), log.leaves[:10]...)}
	fork11.add(1, "c")
	if _, err := s.client.AddCheckpoint(ctx, 11, nil, fork11.checkpoint(t, 11)); status(err) != 422 {
		t.Fatalf("fork at the same size: %v, want 422", err)
	}
	// An older checkpoint: refused whatever old size is claimed.
	if _, err := s.client.AddCheckpoint(ctx, 11, nil, cp5); status(err) != 400 {
		t.Fatalf("older checkpoint, old 11: %v, want 400", err)
	}
	if _, err := s.client.AddCheckpoint(ctx, 5, nil, cp5); status(err) != 409 {
		t.Fatalf("older checkpoint, old 5: %v, want 409", err)
	}
	// Unknown log, and a known origin signed with another key.
	other.add(3, "o")
	if _, err := s.client.AddCheckpoint(ctx, 0, nil, other.checkpoint(t, 3)); status(err) != 404 {
		t.Fatalf("unknown log: %v, want 404", err)
	}
	impostor := newTestLog(t, log.origin)
	impostor.leaves = log.leaves
	if _, err := s.client.AddCheckpoint(ctx, 11, nil, impostor.checkpoint(t, 11)); status(err) != 403 {
		t.Fatalf("bad signature: %v, want 403", err)
	}
	if s.w.Size(log.origin) != 11 {
		t.Fatalf("witness size %d after refusals, want 11", s.w.Size(log.origin))
	}

	// Restart: the witness still holds 11 and its root.
	s.srv.Close()
	s2 := start(t, skey, state, log)
	if _, err := s2.client.AddCheckpoint(ctx, 0, nil, cp11); status(err) != 409 {
		t.Fatalf("after restart, old 0: %v, want 409", err)
	}
	if _, err := s2.client.AddCheckpoint(ctx, 11, nil, fork11.checkpoint(t, 11)); status(err) != 422 {
		t.Fatalf("after restart, fork: %v, want 422", err)
	}
	log.add(2, "a")
	if _, err := s2.client.AddCheckpoint(ctx, 11, log.proof(11, 13), log.checkpoint(t, 13)); err != nil {
		t.Fatalf("after restart, consistent: %v", err)
	}
}

func TestCosignatureFromAnotherWitnessIsRejected(t *testing.T) {
	skey, _, _ := witness.GenerateKey("w1.example")
	_, vkey2, _ := witness.GenerateKey("w1.example")
	log := newTestLog(t, "strongroom/tenant/acme")
	s := start(t, skey, filepath.Join(t.TempDir(), "s.json"), log)
	c, err := witness.NewClient(s.srv.URL + "=" + vkey2)
	if err != nil {
		t.Fatal(err)
	}
	log.add(1, "a")
	if _, err := c.AddCheckpoint(context.Background(), 0, nil, log.checkpoint(t, 1)); err == nil {
		t.Fatal("a cosignature by another key was accepted")
	}
}

func TestParseLogs(t *testing.T) {
	l := newTestLog(t, "strongroom/tenant/acme")
	for _, bad := range []string{"strongroom/tenant/acme\n", "other " + l.vkey + "\n", "x notakey\n",
		l.origin + " " + l.vkey + "\n" + l.origin + " " + l.vkey + "\n"} {
		if _, err := witness.ParseLogs(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseLogs(%q) accepted", bad)
		}
	}
	logs, err := witness.ParseLogs(strings.NewReader("# logs\n\n" + l.origin + " " + l.vkey + "\n"))
	if err != nil || len(logs) != 1 {
		t.Fatalf("ParseLogs: %v %v", logs, err)
	}
}
