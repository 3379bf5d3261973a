package main

import (
	"strings"
	"testing"
)

func TestBenchBackupHidesCredentials(t *testing.T) {
	args := redact([]string{"--target", "s3://b?endpoint=http://x&access_key_id=AK1&secret_access_key=SECRET", "file:///srv/b"})
	joined := strings.Join(args, " ")
	if strings.Contains(joined, "SECRET") || strings.Contains(joined, "AK1") {
		t.Fatalf("credentials shown: %s", joined)
	}
	if args[1] != "s3://b" || args[2] != "file:///srv/b" {
		t.Fatalf("redact = %q", args)
	}
}

func TestBenchBackupWithDatabase(t *testing.T) {
	cases := map[string]string{
		"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable": "postgres://postgres@127.0.0.1:5432/other?sslmode=disable",
		"postgres://u:p@h/db": "postgres://u:p@h/other",
		"postgres://u@h:5432": "postgres://u@h:5432/other",
	}
	for in, want := range cases {
		got, err := withDatabase(in, "other")
		if err != nil || got != want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := withDatabase("not a url", "x"); err == nil {
		t.Error("a string without a scheme was taken as a URL")
	}
}

func TestBenchBackupPairsLikeStores(t *testing.T) {
	if storeKind("s3://bucket") != storeKind("s3:http://127.0.0.1:9000/restic") {
		t.Error("an S3 target and an S3 repository are not paired")
	}
	if storeKind("file:///srv/b") != storeKind("/srv/restic") || storeKind("file:///srv/b") == storeKind("s3://b") {
		t.Error("a directory is paired with the wrong kind")
	}
}

func TestBenchBackupRefusesBadFlags(t *testing.T) {
	var out, errOut strings.Builder
	err := runBenchBackup(t.Context(), []string{"acme", "--work", t.TempDir()}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "target") {
		t.Fatalf("no --target: %v", err)
	}
	err = runBenchBackup(t.Context(), []string{"acme", "--target", "file:///x", "--runs", "0", "--work", t.TempDir()}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "runs") {
		t.Fatalf("--runs 0: %v", err)
	}
}
