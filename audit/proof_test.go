package audit

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"strongroom"
	"strongroom/store"
	"strongroom/store/storetest"
)

func TestProof(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e, "proofs")
		f.appendBatch(t, 299)
		f.checkpoint(t)
		f.appendEach(t, 1) // event 300 is past the checkpoint: Proof signs anew
		ctx := context.Background()

		t.Run("CheckpointFormat", func(t *testing.T) {
			text, err := f.log.LatestCheckpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			v, _ := note.NewVerifier(f.log.vkey)
			n, err := note.Open([]byte(text), note.VerifierList(v))
			if err != nil {
				t.Fatalf("checkpoint does not open as a signed note: %v", err)
			}
			lines := strings.Split(n.Text, "\n")
			if len(lines) != 4 || lines[0] != "strongroom/tenant/proofs" || lines[1] != "299" || len(lines[2]) != 44 {
				t.Fatalf("checkpoint body %q is not origin, size, base64 root", n.Text)
			}
			file, err := os.ReadFile(f.log.checkpointFile(299))
			if err != nil || string(file) != text {
				t.Fatalf("checkpoint file = %q, %v; want the note", file, err)
			}
			if st, _ := os.Stat(f.log.checkpointFile(299)); st.Mode().Perm() != 0o600 {
				t.Errorf("checkpoint file mode %v, want 0600", st.Mode().Perm())
			}
			if st, _ := os.Stat(f.dir); st.Mode().Perm() != 0o700 {
				t.Errorf("checkpoint directory mode %v, want 0700", st.Mode().Perm())
			}
		})
		t.Run("VerifiesOffline", func(t *testing.T) {
			for _, seq := range []int64{1, 2, 150, 256, 257, 299, 300} {
				b, err := f.log.Proof(ctx, seq)
				if err != nil {
					t.Fatalf("proof of %d: %v", seq, err)
				}
				if err := VerifyProofBundle(b, f.log.vkey); err != nil {
					t.Fatalf("proof of %d: %v", seq, err)
				}
			}
		})
		t.Run("AnyChangedEventByteFails", func(t *testing.T) {
			b, err := f.log.Proof(ctx, 257)
			if err != nil {
				t.Fatal(err)
			}
			var pb ProofBundle
			json.Unmarshal(b, &pb)
			for i := range pb.Event {
				changed := pb
				changed.Event = append([]byte(nil), pb.Event...)
				changed.Event[i] ^= 0x01
				cb, _ := json.Marshal(&changed)
				if VerifyProofBundle(cb, f.log.vkey) == nil {
					t.Fatalf("event with byte %d changed still verifies", i)
				}
			}
			for name, mutate := range map[string]func(*ProofBundle){
				"proof hash":  func(p *ProofBundle) { p.Proof[0] = append([]byte(nil), p.Proof[0]...); p.Proof[0][0] ^= 1 },
				"leaf index":  func(p *ProofBundle) { p.LeafIndex++; p.Seq++ },
				"checkpoint":  func(p *ProofBundle) { p.Checkpoint = strings.Replace(p.Checkpoint, "\n300\n", "\n301\n", 1) },
				"proof short": func(p *ProofBundle) { p.Proof = p.Proof[1:] },
			} {
				changed := pb
				changed.Proof = append([][]byte(nil), pb.Proof...)
				mutate(&changed)
				cb, _ := json.Marshal(&changed)
				if VerifyProofBundle(cb, f.log.vkey) == nil {
					t.Errorf("bundle with a changed %s still verifies", name)
				}
			}
		})
		t.Run("OtherTenantsKeyFails", func(t *testing.T) {
			other := newFixture(t, e, "proofs-other")
			b, err := f.log.Proof(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyProofBundle(b, other.log.vkey); err == nil {
				t.Fatal("a bundle verified with another tenant's key")
			}
			// A key with the right name but other key material fails too.
			_, forged, _ := note.GenerateKey(nil, "strongroom/tenant/proofs")
			if err := VerifyProofBundle(b, forged); err == nil {
				t.Fatal("a bundle verified with a forged key of the same name")
			}
		})
		t.Run("UnknownEvent", func(t *testing.T) {
			for _, seq := range []int64{0, 301} {
				if _, err := f.log.Proof(ctx, seq); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
					t.Errorf("proof of %d: %v, want not found", seq, err)
				}
			}
		})
		f.mustVerify(t)
	})
}
