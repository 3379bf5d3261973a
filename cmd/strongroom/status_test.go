package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"strongroom"
	"strongroom/backup"
	"strongroom/blob"
	"strongroom/jobs"
	"strongroom/store/storetest"
)

// serveWithBackups starts serve over s with the given backup settings.
func serveWithBackups(t *testing.T, s []string, bc BackupServeConfig, log io.Writer) (*Main, error) {
	t.Helper()
	m := &Main{Stdout: io.Discard, Log: slog.New(slog.NewTextHandler(log, nil)), Config: ServeConfig{
		Addr: "127.0.0.1:0", HTTPAddr: "", IdleClose: time.Minute,
		Storage: StorageConfig{DataDir: s[1], MasterKeyFile: s[3]}, Backup: bc,
	}}
	if len(s) > 5 {
		m.Config.Storage.Database = s[5]
	}
	if err := m.Run(context.Background()); err != nil {
		return nil, err
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	<-m.recovered
	return m, nil
}

// serve backs every active tenant up on the job runner, prunes and copies
// the erasure ledger; the labelled metrics and the status page show the
// targets (one of them unreachable), each tenant's latest copy, the
// schedules and the failed jobs.
func TestServeRunsBackups(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			s := storage(t)
			if engine == "postgres" {
				s = append(s, "--database", storetest.PostgresDSN(t))
			}
			mustCLI(t, append([]string{"tenant", "create", "firm"}, s...)...)
			mustCLI(t, append([]string{"tenant", "create", "idle"}, s...)...)
			mustCLI(t, append([]string{"tenant", "disable", "idle"}, s...)...)
			id, _ := age.GenerateX25519Identity()
			good := filepath.Join(t.TempDir(), "good")
			if err := os.MkdirAll(good, 0o700); err != nil {
				t.Fatal(err)
			}
			gone := filepath.Join(t.TempDir(), "gone")
			os.MkdirAll(gone, 0o700)
			bc := BackupServeConfig{BackupConfig: BackupConfig{Targets: targetList{"file://" + good, "file://" + gone},
				Recipients: targetList{id.Recipient().String()}}}
			m, err := serveWithBackups(t, s, bc, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.runner.RunDue(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := scheduleNames(t, m, "firm"); !strings.Contains(got, "backup/firm") || !strings.Contains(got, "backup-prune/firm") ||
				!strings.Contains(got, "backup-ledger/firm") {
				t.Fatalf("schedules: %q", got)
			}
			m.backups.svc.Attempts, m.backups.svc.Backoff = 2, 10*time.Millisecond
			// The second target goes away: a file where its directory was.
			os.RemoveAll(gone)
			if err := os.WriteFile(gone, []byte("not a directory"), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			ids := map[string]int64{}
			for _, kind := range []string{backupKind, pruneBackupsKind, ledgerKind} {
				if ids[kind], err = m.queue.Enqueue(ctx, jobs.Job{Kind: kind, Tenant: "firm", MaxAttempts: 1}); err != nil {
					t.Fatal(err)
				}
				waitFor(t, func() bool { return finished(t, m, ids[kind]) })
			}
			if j, _ := m.queue.Get(ctx, ids[backupKind]); j.State != jobs.Done {
				t.Fatalf("backup job: %s %q", j.State, j.LastError)
			}
			st, err := blob.Open(ctx, "file://"+good)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			l, err := backup.List(ctx, st, "firm")
			if err != nil || len(l) != 1 {
				t.Fatalf("backups on the target: %v %+v", err, l)
			}
			if _, err := backup.ReadLedger(ctx, st, "firm", []age.Identity{id}); err != nil {
				t.Fatalf("the erasure ledger is not on the target: %v", err)
			}
			bad, err := m.queue.Enqueue(ctx, jobs.Job{Kind: backupKind, Tenant: "idle", MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { return finished(t, m, bad) })

			// The disabled tenant's backups are pruned by the installation's job.
			pd, err := m.queue.Enqueue(ctx, jobs.Job{Kind: pruneDisabledKind, MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { return finished(t, m, pd) })
			if j, _ := m.queue.Get(ctx, pd); j.State != jobs.Done {
				t.Fatalf("prune of disabled tenants: %s %q", j.State, j.LastError)
			}
			metrics := gather(t, m)
			if v := metrics[`strongroom_backup_target_info{target="1",target_url="file://`+gone+`"}`]; v != 1 {
				t.Fatalf("target info: %v", metrics)
			}
			if metrics[`strongroom_backup_last_success_timestamp_seconds{target="0"}`] == 0 ||
				metrics[`strongroom_backup_last_success_timestamp_seconds{target="1"}`] != 0 ||
				metrics[`strongroom_backup_failures_total{target="1"}`] == 0 ||
				metrics[`strongroom_backup_stale_tenants{target="0"}`] != 0 {
				t.Fatalf("backup figures: %v", metrics)
			}

			page := statusHTML(t, m)
			for _, want := range []string{"file://" + good, "file://" + gone, "NO: ", "firm", "completed", "failed",
				"backup-prune/firm", "backup-prune-disabled", l[0].ID, `Tenant &#34;idle&#34; is disabled`} {
				if !strings.Contains(page, want) {
					t.Errorf("the status page lacks %q", want)
				}
			}
			if strings.Contains(page, "<script") || strings.Contains(page, "style") {
				t.Error("the status page has script or style")
			}
		})
	}
}

// Targets without recipients refuse to start; no targets run without
// backups, said in the log, the metrics and on the status page.
func TestServeBackupSettings(t *testing.T) {
	s := storage(t)
	mustCLI(t, append([]string{"tenant", "create", "firm"}, s...)...)
	_, err := serveWithBackups(t, s, BackupServeConfig{BackupConfig: BackupConfig{Targets: targetList{"file://" + t.TempDir()}}}, io.Discard)
	if strongroom.ErrorField(err) != "backup-recipient" || !strings.Contains(strongroom.ErrorMessage(err), "no age recipient") {
		t.Fatalf("targets without recipients: %v", err)
	}
	for _, c := range []struct {
		bc    BackupServeConfig
		field string
	}{
		{BackupServeConfig{Every: time.Minute}, "backup-every"},
		{BackupServeConfig{KeepMonths: 14, KeepDays: 1}, "backup-keep-months"},
		{BackupServeConfig{KeepHours: -1, KeepMonths: 1}, "backup-keep-hours"},
		{BackupServeConfig{KeystoreKeepDays: -3}, "keystore-keep-days"},
	} {
		if _, err := serveWithBackups(t, s, c.bc, io.Discard); strongroom.ErrorField(err) != c.field {
			t.Errorf("%+v: %v, want an error naming %s", c.bc, err, c.field)
		}
	}
	var log bytes.Buffer
	m, err := serveWithBackups(t, s, BackupServeConfig{}, &log)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(log.String(), "backups are off") != 1 {
		t.Fatalf("log: %s", log.String())
	}
	if _, err := m.runner.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := scheduleNames(t, m, "firm"); strings.Contains(got, "backup") || !strings.Contains(got, "purge/firm") {
		t.Fatalf("backup schedules without targets: %q", got)
	}
	if !strings.Contains(statusHTML(t, m), "Backups are off") {
		t.Fatal("the status page does not say backups are off")
	}
	if gather(t, m)["strongroom_backup_enabled"] != 0 {
		t.Fatal("metrics say backups are on")
	}
}

func statusHTML(t *testing.T, m *Main) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.statusPage().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/status", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("status page: %d %s", rec.Code, rec.Header())
	}
	return rec.Body.String()
}

// gather reads the backup collector's series as name{labels} → value.
func gather(t *testing.T, m *Main) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m.backupCollectors()...)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, mt := range f.Metric {
			key := f.GetName()
			if len(mt.Label) > 0 {
				var parts []string
				for _, l := range mt.Label {
					parts = append(parts, l.GetName()+`="`+l.GetValue()+`"`)
				}
				key += "{" + strings.Join(parts, ",") + "}"
			}
			out[key] = value(mt)
		}
	}
	return out
}

func value(m *dto.Metric) float64 {
	if m.Gauge != nil {
		return m.Gauge.GetValue()
	}
	return m.Counter.GetValue()
}

// serve with backup targets and the backup identity drills every tenant on
// a schedule of its own; without the identity it makes no drill schedule.
func TestServeSchedulesDrills(t *testing.T) {
	for _, withIdentity := range []bool{true, false} {
		t.Run(fmt.Sprint("identity=", withIdentity), func(t *testing.T) {
			s := storage(t)
			mustCLI(t, append([]string{"tenant", "create", "firm"}, s...)...)
			id, _ := age.GenerateX25519Identity()
			idFile := filepath.Join(t.TempDir(), "backup.key")
			if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			m := &Main{Stdout: io.Discard, Log: slog.New(slog.DiscardHandler), Config: ServeConfig{
				Addr: "127.0.0.1:0", HTTPAddr: "", IdleClose: time.Minute,
				Storage: StorageConfig{DataDir: s[1], MasterKeyFile: s[3]},
				Backup: BackupServeConfig{BackupConfig: BackupConfig{Targets: targetList{"file://" + t.TempDir()},
					Recipients: targetList{id.Recipient().String()}}},
				Drill: DrillConfig{Every: DefaultDrillEvery, SlowAfter: time.Minute},
			}}
			m.Config.Backup = m.Config.Backup.withDefaults()
			if withIdentity {
				m.Config.Drill.Identity = idFile
			}
			if err := m.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { m.Close(context.Background()) })
			<-m.recovered
			if _, err := m.runner.RunDue(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := scheduleNames(t, m, "firm")
			if !strings.Contains(got, "backup/firm") || strings.Contains(got, "drill/firm") != withIdentity {
				t.Fatalf("schedules with identity %v: %q", withIdentity, got)
			}
			if m.svc.Backups == nil {
				t.Fatal("the Backups page has nothing to read")
			}
		})
	}
}
