package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// The operator's drill: back a tenant up to two targets, drill it (the
// first target, then the second in turn, then one named), and see that
// nothing is left in the data directory and the live tenant still
// verifies. A missing tenant and a missing identity are refused.
func TestBackupDrillCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	st := []string{"--data-dir", data, "--master-key-file", filepath.Join(dir, "master.key")}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(dir, "backup.key")
	if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t1, t2 := "file://"+filepath.Join(dir, "t1"), "file://"+filepath.Join(dir, "t2")
	os.MkdirAll(filepath.Join(dir, "t1"), 0o700)
	os.MkdirAll(filepath.Join(dir, "t2"), 0o700)
	targets := append([]string{"--backup-target", t1, "--backup-target", t2}, st...)
	mustCLI(t, append([]string{"tenant", "create", "acme", "--name", "Acme LLP"}, st...)...)
	mustCLI(t, append([]string{"backup", "run", "acme", "--backup-recipient", id.Recipient().String()}, targets...)...)

	failCLI(t, "backup-identity: Name the age identity file", append([]string{"backup", "drill", "acme"}, targets...)...)
	drill := append([]string{"backup", "drill", "--backup-identity", idFile}, targets...)
	for _, want := range []string{t1, t2} {
		out := mustCLI(t, append(drill, "acme")...)
		if !strings.Contains(out, "Restore drill of acme on "+want) || !strings.Contains(out, "restored and checked in") {
			t.Fatalf("drill: %s", out)
		}
	}
	out := mustCLI(t, append(drill, "acme", "--target", t2)...)
	if !strings.Contains(out, "on "+t2) {
		t.Fatalf("drill --target: %s", out)
	}
	failCLI(t, `No tenant "ghost"`, append(drill, "ghost")...)
	entries, _ := os.ReadDir(data)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left in the data directory: %s", e.Name())
		}
	}
	operatorSignedIn(t, st...)
	operatorGranted(t, "acme", st...)
	mustCLI(t, append([]string{"audit", "verify", "acme"}, st...)...)
	if out := mustCLI(t, append([]string{"tenant", "list"}, st...)...); !strings.Contains(out, "acme  Acme LLP  active") {
		t.Fatalf("tenant list: %s", out)
	}
}
