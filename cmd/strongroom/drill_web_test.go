package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"strongroom/backup/drill"
	"strongroom/blob"
	"strongroom/blob/blobtest"
	"strongroom/jobs"
	"strongroom/server"
	"strongroom/store"
	"strongroom/web"
)

// drillWorld is the demo tenant of a running server backed up to a file
// target and a real S3 server, with drills on both: on target 0 one that
// passed; on target 1 one that passed and a newer one, of a damaged
// backup, that failed. web serves the server's routes with the drill
// service as their Backups reader (the same handler as the server's).
type drillWorld struct {
	m       *Main
	drills  *drill.Service
	targets []blob.Store
	s3URL   string
	url     string // https://127.0.0.1:PORT/ of the server with Backups
	failed  drill.Drill
}

func newDrillWorld(t *testing.T, m *Main) *drillWorld {
	t.Helper()
	ctx := store.WithTimeout(context.Background(), 0)
	dir := t.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(dir, "backup.key")
	if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "t0"), 0o700)
	w := &drillWorld{m: m, s3URL: blobtest.S3(t)}
	bc := BackupConfig{Targets: targetList{"file://" + filepath.Join(dir, "t0"), w.s3URL}, Recipients: targetList{id.Recipient().String()}}
	backups, closeTargets, err := newBackupService(ctx, m.app, m.registry, m.Config.Storage, bc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeTargets)
	w.targets = backups.Targets
	if w.drills, err = newDrillService(ctx, m.app, m.registry, m.Config.Storage, w.targets, DrillConfig{Identity: idFile}); err != nil {
		t.Fatal(err)
	}
	if _, err := backups.RunTenant(ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	for i := range w.targets {
		if _, err := w.drills.RunTarget(ctx, "demo", i); err != nil {
			t.Fatal(err)
		}
	}
	res, err := backups.RunTenant(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	damageStored(t, w.targets[1], "tenants/demo/backups/"+res.ID+"/data.sr.age")
	if w.failed, err = w.drills.RunTarget(ctx, "demo", 1); err == nil {
		t.Fatal("a drill of a damaged backup passed")
	}
	w.url = serveDrillStatus(t, m, w.drills)
	return w
}

// damage flips a byte in the middle of an object.
func damageStored(t *testing.T, st blob.Store, key string) {
	t.Helper()
	ctx := context.Background()
	r, err := st.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if _, err := st.Put(ctx, key, strings.NewReader(string(b))); err != nil {
		t.Fatal(err)
	}
}

// serveDrillStatus serves m's routes, with b as their Backups reader, over
// HTTPS with m's certificate, and returns the address.
func serveDrillStatus(t *testing.T, m *Main, b web.BackupStatus) string {
	t.Helper()
	svc := m.svc
	svc.Backups = b
	h, err := web.New(m.registry, svc, m.Log, web.Config{Faults: m.faults})
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(server.Config{Addr: "127.0.0.1:0", DataDir: m.Config.Storage.DataDir, Logger: slog.New(slog.DiscardHandler)}, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s.URL()
}

// secrets are the credential values in a target URL.
func secrets(t *testing.T, raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	if p, ok := u.User.Password(); ok {
		out = append(out, p)
	}
	for k, v := range u.Query() {
		if strings.Contains(strings.ToLower(k), "secret") || strings.Contains(strings.ToLower(k), "key") {
			out = append(out, v...)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no secret found in %s", raw)
	}
	return out
}

// TestBackupsOverHTTPS: Administration → Backups and GET backups show,
// per target by its redacted name, the last backup, the last successful
// drill and the newer failed one, every API exchange checked against the
// API document; no credential of a target appears. A non-administrator
// and another tenant's administrator are refused and learn nothing.
func TestBackupsOverHTTPS(t *testing.T) {
	forEachServer(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		w := newDrillWorld(t, m)
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		staff := (&caseWorld{m: m, admin: admin}).user(t, map[string]string{"cases": "edit", "audit": "read", "administration": "read"}, false)
		ctx := context.Background()
		if _, err := m.app.tenants.Create(ctx, "other", "Other LLP"); err != nil {
			t.Fatal(err)
		}
		outsider := newAPIClient(t, m)
		outsider.base = m.URL() + "api/v1/t/other/"
		outsider.signIn("admin", m.app.adminPassword)
		for _, c := range []*apiClient{admin, staff, outsider} {
			c.base = w.url + "api/v1/t/demo/"
		}
		secret := secrets(t, w.s3URL)
		leaks := func(body string) bool {
			for _, s := range secret {
				if strings.Contains(body, s) {
					return true
				}
			}
			return strings.Contains(body, w.failed.BackupID) || strings.Contains(body, w.targets[0].Name())
		}

		if status, body := staff.do("GET", "backups", nil); status != http.StatusForbidden || leaks(body) {
			t.Errorf("staff GET backups: %d %s", status, body)
		}
		if status, _, body := staff.page("admin/backups"); status != http.StatusForbidden || leaks(body) {
			t.Errorf("staff Backups page: %d", status)
		}
		if status, body := outsider.do("GET", "backups", nil); status != http.StatusUnauthorized || leaks(body) {
			t.Errorf("other tenant's admin GET backups: %d %s", status, body)
		}

		status, body := admin.do("GET", "backups", nil)
		for _, s := range secret {
			if strings.Contains(body, s) {
				t.Fatalf("GET backups shows a credential: %s", body)
			}
		}
		var got struct {
			Targets []struct {
				Target     string
				LastBackup *struct {
					ID, Status string
					Size       int64
				} `json:"last_backup"`
				LastOK *struct {
					BackupID   string `json:"backup_id"`
					Result     string
					DurationMS *int64 `json:"duration_ms"`
				} `json:"last_successful_drill"`
				LastFailed *struct {
					BackupID            string `json:"backup_id"`
					Result, Part, Error string
				} `json:"last_failed_drill"`
			}
		}
		if err := json.Unmarshal([]byte(body), &got); status != 200 || err != nil || len(got.Targets) != 2 {
			t.Fatalf("GET backups: %d %v %s", status, err, body)
		}
		t0, t1 := got.Targets[0], got.Targets[1]
		if t0.Target != w.targets[0].Name() || t1.Target != "s3://strongroom-test" {
			t.Errorf("targets %q %q", t0.Target, t1.Target)
		}
		if t0.LastBackup == nil || t0.LastBackup.Status != "completed" || t0.LastBackup.Size <= 0 ||
			t0.LastOK == nil || t0.LastOK.Result != "ok" || t0.LastOK.DurationMS == nil || t0.LastFailed != nil {
			t.Errorf("target 0: %s", body)
		}
		if t1.LastOK == nil || t1.LastFailed == nil || t1.LastFailed.BackupID != w.failed.BackupID || t1.LastFailed.Result != "failed" ||
			t1.LastFailed.Part != w.failed.Part || !strings.HasPrefix(t1.LastFailed.Part, "data part") || t1.LastFailed.Error == "" {
			t.Errorf("target 1: %s", body)
		}

		status, _, page := admin.page("admin/backups")
		if status != 200 || !strings.Contains(page, `aria-current="page" href="/t/demo/admin/backups"`) ||
			!strings.Contains(page, w.targets[0].Name()) || !strings.Contains(page, "Passed") ||
			!strings.Contains(page, "Failed") || !strings.Contains(page, "at "+w.failed.Part) ||
			!strings.Contains(page, "restored and checked in") {
			t.Fatalf("Backups page: %d %s", status, page)
		}
		for _, s := range secret {
			if strings.Contains(page, s) {
				t.Fatal("the Backups page shows a credential")
			}
		}
		if strings.Contains(page, "style=") || strings.Contains(page, "<script>") {
			t.Error("the Backups page has inline style or script")
		}
	})
}

// TestDrillJob: the job drills the target whose turn it is; a drill that
// fails on what the backup holds, and a tenant that is not there, fail the
// job for good rather than retrying.
func TestDrillJob(t *testing.T) {
	m, _, _ := startServer(t, func(c *ServeConfig) { c.Demo = true })
	w := newDrillWorld(t, m)
	run := drillJob(w.drills)
	ctx := context.Background()
	if err := run(ctx, jobs.Job{Kind: drillKind, Tenant: "demo"}); err != nil {
		t.Fatalf("drill of target 0: %v", err)
	}
	err := run(ctx, jobs.Job{Kind: drillKind, Tenant: "demo"})
	if !jobs.IsPermanent(err) || !strings.Contains(err.Error(), "hash mismatch") {
		t.Fatalf("drill of the damaged backup on target 1: %v", err)
	}
	for _, slug := range []string{"", "ghost"} {
		if err := run(ctx, jobs.Job{Kind: drillKind, Tenant: slug}); !jobs.IsPermanent(err) {
			t.Errorf("job for %q: %v", slug, err)
		}
	}
}
