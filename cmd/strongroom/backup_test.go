package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"
)

// The operator's path: back a tenant up to two targets, list the backups
// from a target, and restore the tenant onto a fresh installation that has
// only the master key file and the backup identity.
func TestBackupAndRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "master.key")
	src := []string{"--data-dir", filepath.Join(dir, "one"), "--master-key-file", key}
	dst := []string{"--data-dir", filepath.Join(dir, "two"), "--master-key-file", key}
	operatorSignedIn(t, dst...)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	escrow, _ := age.GenerateX25519Identity()
	idFile := filepath.Join(dir, "backup.key")
	if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	recFile := filepath.Join(dir, "recipients.txt")
	os.WriteFile(recFile, []byte("# escrow, kept offline\n"+escrow.Recipient().String()+"\n"), 0o600)
	t1, t2 := "file://"+filepath.Join(dir, "t1"), "file://"+filepath.Join(dir, "t2")
	os.MkdirAll(filepath.Join(dir, "t1"), 0o700)
	os.MkdirAll(filepath.Join(dir, "t2"), 0o700)
	targets := []string{"--backup-target", t1, "--backup-target", t2}

	mustCLI(t, append([]string{"tenant", "create", "acme", "--name", "Acme LLP"}, src...)...)
	failCLI(t, "backup-recipient: Name at least one age recipient", append(append([]string{"backup", "run", "acme"}, src...), targets...)...)
	out := mustCLI(t, append(append([]string{"backup", "run", "acme", "--backup-recipient", id.Recipient().String(),
		"--backup-recipients-file", recFile}, src...), targets...)...)
	if strings.Count(out, "verified") != 2 {
		t.Fatalf("backup run: %s", out)
	}
	backupID := regexp.MustCompile(`[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}`).FindString(out)
	out = mustCLI(t, "backup", "list", "acme", "--target", t2)
	if !strings.Contains(out, backupID) {
		t.Fatalf("backup list: %s", out)
	}

	failCLI(t, "backup-identity: Name the age identity file", append([]string{"restore", "acme", "--from", t2}, dst...)...)
	code, out, errs := cli(t, append([]string{"restore", "acme", "--from", t2, "--backup-identity", idFile}, dst...)...)
	if code != 0 || !strings.Contains(out, "Restored tenant acme (Acme LLP) from backup "+backupID) {
		t.Fatalf("restore: exit %d, %q %q", code, out, errs)
	}
	if !strings.Contains(errs, "Downloading and checking") {
		t.Fatalf("no progress shown: %q", errs)
	}
	if out := mustCLI(t, append([]string{"tenant", "list"}, dst...)...); !strings.Contains(out, "acme  Acme LLP  active") {
		t.Fatalf("tenant list after restore: %s", out)
	}
	operatorGranted(t, "acme", dst...)
	mustCLI(t, append([]string{"audit", "verify", "acme"}, dst...)...)
	failCLI(t, `A tenant "acme" already exists`, append([]string{"restore", "acme", "--from", t2, "--backup-identity", idFile}, dst...)...)
	failCLI(t, "as: ", append([]string{"restore", "acme", "--from", t2, "--backup-identity", idFile, "--as", "Not A Slug"}, dst...)...)
	out = mustCLI(t, append([]string{"restore", "acme", "--from", t2, "--backup-identity", idFile, "--as", "acme-copy"}, dst...)...)
	if !strings.Contains(out, "Restored tenant acme-copy (Acme LLP (copy)) as a copy of acme from backup "+backupID) {
		t.Fatalf("restore --as: %s", out)
	}
	if out := mustCLI(t, append([]string{"tenant", "list"}, dst...)...); !regexp.MustCompile(`acme-copy +Acme LLP \(copy\) +active`).MatchString(out) ||
		!regexp.MustCompile(`acme +Acme LLP +active`).MatchString(out) {
		t.Fatalf("tenant list after restore --as: %s", out)
	}
	operatorGranted(t, "acme-copy", dst...)
	mustCLI(t, append([]string{"audit", "verify", "acme-copy"}, dst...)...)
	failCLI(t, "no committed backup taken at or before", append([]string{"restore", "other", "--from", t1, "--backup-identity", idFile,
		"--at", "2001-01-01"}, dst...)...)
}
