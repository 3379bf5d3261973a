package drill

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"strongroom"
	"strongroom/backup"
	"strongroom/store"
	"strongroom/store/storetest"
)

// TestDrillGoodBackup: a drill of a good backup restores it in a scratch
// location, records ok with its duration, writes backup.drill in the live
// tenant, leaves nothing behind and changes nothing of the live tenant.
func TestDrillGoodBackup(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		w := newWorld(t, e, 1)
		res := w.backup()
		before := w.liveState()
		d, err := w.drills.Run(ctx, "firm")
		if err != nil {
			t.Fatalf("drill: %v\n%s", err, w.log)
		}
		if !d.OK || d.BackupID != res.ID || d.Duration <= 0 || d.Bytes <= 0 || d.Part != "" || d.Target != w.targets[0].Name() {
			t.Fatalf("drill %+v, want ok of %s", d, res.ID)
		}
		w.noScratch()
		if after := w.liveState(); after != before {
			t.Errorf("the live tenant changed:\n%s\nwas\n%s", after, before)
		}
		st, err := w.drills.Status(ctx, "firm")
		if err != nil {
			t.Fatal(err)
		}
		if len(st) != 1 || st[0].LastOK == nil || st[0].LastOK.BackupID != res.ID || st[0].LastOK.Duration != d.Duration.Truncate(time.Millisecond) ||
			st[0].LastFailed != nil || st[0].LastBackup == nil || st[0].LastBackup.ID != res.ID || st[0].LastBackup.Status != "completed" {
			t.Fatalf("status %+v", st)
		}
		evs := w.drillEvents()
		if len(evs) != 1 || evs[0]["result"] != "ok" || evs[0]["duration_ms"] == "" || evs[0]["target"] != d.Target {
			t.Fatalf("audit events %v", evs)
		}
		c := w.drills.Collector()
		if n := testutil.CollectAndCount(c, "strongroom_backup_drill_last_success_timestamp_seconds"); n != 1 {
			t.Errorf("last success series: %d", n)
		}
		if v := testutil.ToFloat64(filterFailed{c}); v != 0 {
			t.Errorf("failed total %v", v)
		}
	})
}

// TestDrillCorruptBackup: a drill of a backup whose data part was damaged
// fails, records the failing part and the safe message, alerts, counts the
// failure, and leaves no scratch directory or database. The status shows
// the failure beside the older success.
func TestDrillCorruptBackup(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		w := newWorld(t, e, 1)
		w.backup()
		if _, err := w.drills.Run(ctx, "firm"); err != nil {
			t.Fatal(err)
		}
		bad := w.backup()
		w.corrupt(bad.ID)
		before := w.liveState()
		d, err := w.drills.Run(ctx, "firm")
		if err == nil || d.OK {
			t.Fatalf("drill of a corrupted backup passed: %+v\n%s", d, w.log)
		}
		if d.BackupID != bad.ID || d.Part != "data part" || !strings.Contains(d.Error, "hash") {
			t.Fatalf("drill %+v", d)
		}
		if strings.Contains(err.Error(), "cause") || strings.Contains(d.Error, w.dirs[0]+"/") {
			t.Errorf("unsafe message: %v", err)
		}
		w.noScratch()
		if after := w.liveState(); after != before {
			t.Errorf("the live tenant changed:\n%s\nwas\n%s", after, before)
		}
		if !strings.Contains(w.log.String(), "level=ERROR msg=\"restore drill failed\"") {
			t.Errorf("no error logged: %s", w.log)
		}
		st, err := w.drills.Status(ctx, "firm")
		if err != nil {
			t.Fatal(err)
		}
		if st[0].LastOK == nil || st[0].LastFailed == nil || st[0].LastFailed.BackupID != bad.ID ||
			st[0].LastFailed.Part != d.Part || st[0].LastFailed.Error != d.Error {
			t.Fatalf("status %+v", st[0])
		}
		evs := w.drillEvents()
		if len(evs) != 2 || evs[1]["result"] != "failed" || evs[1]["part"] != d.Part {
			t.Fatalf("audit events %v", evs)
		}
		if v := testutil.ToFloat64(filterFailed{w.drills.Collector()}); v != 1 {
			t.Errorf("failed total %v", v)
		}
		// A new process starts from the recorded figures.
		fresh := &Service{Control: w.control, Targets: w.targets}
		if err := fresh.LoadFigures(ctx); err != nil {
			t.Fatal(err)
		}
		if v := testutil.ToFloat64(filterFailed{fresh.Collector()}); v != 1 {
			t.Errorf("loaded failed total %v", v)
		}
	})
}

// TestDrillRefusesTenant: a drill of a tenant that is missing or disabled
// fails closed: nothing is restored, recorded or left behind.
func TestDrillRefusesTenant(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, storetest.NewSQLite(t), 1)
	w.backup()
	if err := w.tenants.Disable(ctx, "firm"); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"firm", "ghost", "../x"} {
		if d, err := w.drills.Run(ctx, slug); err == nil || d.BackupID != "" {
			t.Errorf("drill of %s: %+v %v", slug, d, err)
		}
		if _, err := w.drills.RunTarget(ctx, slug, 0); err == nil {
			t.Errorf("drill of %s on target 0 ran", slug)
		}
	}
	var n int
	if err := w.control.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM restore_drills`).Scan(&n); err != nil || n != 0 {
		t.Errorf("drills recorded: %d %v", n, err)
	}
	w.noScratch()
}

// TestDrillTargetsInTurn: each drill takes the target drilled longest ago.
func TestDrillTargetsInTurn(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, storetest.NewSQLite(t), 2)
	w.backup()
	clock := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	w.drills.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	var got []string
	for range 3 {
		d, err := w.drills.Run(ctx, "firm")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d.Target)
	}
	want := []string{w.targets[0].Name(), w.targets[1].Name(), w.targets[0].Name()}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("targets %v, want %v", got, want)
	}
	if _, err := w.drills.RunTarget(ctx, "firm", 2); strongroom.ErrorCode(err) != strongroom.EINVALID {
		t.Errorf("a third target: %v", err)
	}
	// Without the backup identity nothing is drilled, nor recorded.
	w.drills.Identities = nil
	var e *strongroom.Error
	if _, err := w.drills.Run(ctx, "firm"); !errors.As(err, &e) || e.Field != "backup-identity" {
		t.Errorf("drill without the identity: %v", err)
	}
	var n int
	if err := w.control.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM restore_drills`).Scan(&n); err != nil || n != 3 {
		t.Errorf("drills recorded: %d %v", n, err)
	}
}

// TestDrillSlow: a drill that passes but takes longer than SlowAfter is
// alerted on and marked slow in its audit event.
func TestDrillSlow(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, storetest.NewSQLite(t), 1)
	w.backup()
	clock := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	w.drills.Now = func() time.Time { clock = clock.Add(10 * time.Minute); return clock }
	w.drills.SlowAfter = 5 * time.Minute
	d, err := w.drills.Run(ctx, "firm")
	if err != nil || !d.OK || !d.Slow {
		t.Fatalf("drill %+v %v", d, err)
	}
	if !strings.Contains(w.log.String(), "restore drill slower than allowed") {
		t.Errorf("no alert: %s", w.log)
	}
	if evs := w.drillEvents(); len(evs) != 1 || evs[0]["slow"] != "true" {
		t.Errorf("audit events %v", evs)
	}
}

// liveState describes what a drill must not change: the tenant's control
// row, its backups' records, its document and checkpoint files.
func (w *world) liveState() string {
	w.t.Helper()
	ctx := context.Background()
	tn, err := w.control.FindTenant(ctx, "firm")
	if err != nil {
		w.t.Fatal(err)
	}
	var backups int
	if err := w.control.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM backups`).Scan(&backups); err != nil {
		w.t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tenant %+v\nbackups %d\n", *tn, backups)
	for _, dir := range []string{w.files, w.checks} {
		filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				fmt.Fprintf(&b, "%s %d %s\n", path, info.Size(), info.ModTime())
			}
			return nil
		})
	}
	return b.String()
}

// filterFailed is the failed-drills counter of a collector alone.
type filterFailed struct {
	c interface {
		Collect(chan<- prometheus.Metric)
	}
}

func (f filterFailed) Describe(ch chan<- *prometheus.Desc) { ch <- failedDesc }

func (f filterFailed) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric, 100)
	go func() { f.c.Collect(all); close(all) }()
	for m := range all {
		if m.Desc() == failedDesc {
			ch <- m
		}
	}
}

// TestNewestEntry: of two backups taken in one second, the later one is
// drilled, whichever its random id bits make it listed first.
func TestNewestEntry(t *testing.T) {
	at := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	entries := []backup.Entry{
		{ID: "20260301T030000Z-00000001", Time: at.Add(800 * time.Millisecond)},
		{ID: "20260301T030000Z-ffffffff", Time: at.Add(100 * time.Millisecond)},
	}
	if got := newestEntry(entries); got.ID != entries[0].ID {
		t.Fatalf("newest %s", got.ID)
	}
}
