package store

import (
	"bytes"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A fault is logged once per interval, and the next line says how many
// were not logged.
func TestFaultsLogOncePerInterval(t *testing.T) {
	var logs bytes.Buffer
	f := NewFaults(slog.New(slog.NewTextHandler(&logs, nil)))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.now = func() time.Time { return now }
	full := Classify(syscall.ENOSPC)
	for range 3 {
		f.Note(full)
	}
	if n := strings.Count(logs.String(), "out of storage space"); n != 1 {
		t.Fatalf("%d lines within one interval:\n%s", n, logs.String())
	}
	now = now.Add(time.Minute)
	f.Note(full)
	if n := strings.Count(logs.String(), "out of storage space"); n != 2 || !strings.Contains(logs.String(), "unlogged_since_last=2") {
		t.Fatalf("after the interval:\n%s", logs.String())
	}
	if !f.StorageFull() || f.Refused() != 4 {
		t.Fatalf("full %v, refused %d", f.StorageFull(), f.Refused())
	}
	f.Note(nil)
	f.Note(syscall.EPERM) // not a fault of the machine's
	if f.Refused() != 4 {
		t.Fatalf("refused %d after non-faults", f.Refused())
	}
}
