package standby

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "gocloud.dev/blob/fileblob"

	"strongroom/blob"
	"strongroom/store"
	"strongroom/store/storetest"
)

func control(t *testing.T, e store.Engine) *store.Control {
	t.Helper()
	db, err := e.OpenControl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return store.NewControl(db)
}

// The status page names each tenant's backup and its error; every other
// address, a tenant's above all, answers 503 with one fixed sentence, and
// /readyz too, so that no load balancer sends users to a standby.
func TestStatusPageServesNothingElse(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		c := control(t, e)
		if err := SetRole(ctx, c, RoleStandby, time.Now()); err != nil {
			t.Fatal(err)
		}
		taken := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		if err := putTenantState(ctx, c.DB(), TenantState{Slug: "acme", BackupID: "20260301T120000Z-1a2b3c4d", BackupTime: taken,
			LastError: "Backup x of acme: data part: hash mismatch; nothing was restored."}); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(StatusHandler(c, "file:///target", 5*time.Minute, func() time.Time { return taken.Add(90 * time.Minute) }))
		defer srv.Close()
		code, body := fetch(t, srv.URL+"/")
		for _, want := range []string{"acme", "20260301T120000Z-1a2b3c4d", "1h30m0s", "hash mismatch", "standby: not serving"} {
			if code != 200 || !strings.Contains(body, want) {
				t.Fatalf("status page: %d lacks %q: %s", code, want, body)
			}
		}
		if code, body := fetch(t, srv.URL+"/status.json"); code != 200 || !strings.Contains(body, `"backup_id":"20260301T120000Z-1a2b3c4d"`) {
			t.Fatalf("status.json: %d %s", code, body)
		}
		for _, path := range []string{"/t/acme/login", "/t/acme/api/v1/cases", "/api/v1/t/acme/cases", "/readyz", "/t/nobody/"} {
			code, body := fetch(t, srv.URL+path)
			if code != http.StatusServiceUnavailable || body != NotServing {
				t.Fatalf("%s: %d %q", path, code, body)
			}
		}
		if code, _ := fetch(t, srv.URL+"/healthz"); code != 200 {
			t.Fatalf("healthz: %d", code)
		}
	})
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Serve is refused on a standby and while a promotion is unfinished; the
// standby is refused on a promoted installation and on one with tenants.
func TestRoles(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		c := control(t, e)
		s := &Service{Engine: e, Control: c}
		if err := CheckServe(ctx, c); err != nil {
			t.Fatalf("an ordinary installation: %v", err)
		}
		if err := Become(ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := CheckServe(ctx, c); err == nil || !strings.Contains(err.Error(), "warm standby") {
			t.Fatalf("serve on a standby: %v", err)
		}
		SetRole(ctx, c, RolePromoting, time.Now())
		if err := CheckServe(ctx, c); err == nil {
			t.Fatal("serve during a promotion")
		}
		SetRole(ctx, c, RolePromoted, time.Now())
		if err := CheckServe(ctx, c); err != nil {
			t.Fatalf("serve after promotion: %v", err)
		}
		if err := Become(ctx, s); err == nil || !strings.Contains(err.Error(), "was promoted") {
			t.Fatalf("standby on a promoted installation: %v", err)
		}
	})
}

// A running standby stops within RolePoll of a promotion beginning, and
// promote waits for it to let go of the lock.
func TestRunStopsForPromotion(t *testing.T) {
	ctx := context.Background()
	e := storetest.NewSQLite(t)
	c := control(t, e)
	dir := t.TempDir()
	target, err := blob.Open(ctx, "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	s := &Service{Engine: e, Control: c, DataDir: t.TempDir()}
	if err := Become(ctx, s); err != nil {
		t.Fatal(err)
	}
	RolePoll = 10 * time.Millisecond
	lock, err := TryLock(ctx, s.DataDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(ctx, s.DataDir, 0); err == nil {
		t.Fatal("a second standby took the lock")
	}
	done := make(chan error, 1)
	go func() {
		defer lock.Release()
		done <- s.Run(ctx, target, time.Hour, nil)
	}()
	out, err := Promote(ctx, s, PromoteOptions{DataDir: s.DataDir, StopWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrPromoting) {
		t.Fatalf("run ended with %v", err)
	}
	if r, _ := ReadRole(ctx, c); r != RolePromoted || out == nil {
		t.Fatalf("role %q after promote", r)
	}
}

// A swap stopped after its record was written is finished by Recover: the
// staged directories are moved into place and the row points at the new
// copy; a stage with no record is removed.
func TestRecoverFinishesASwap(t *testing.T) {
	ctx := context.Background()
	e := storetest.NewSQLite(t)
	c := control(t, e)
	root := t.TempDir()
	s := &Service{Engine: e, Control: c, DataDir: filepath.Join(root, "data"), FilesDir: filepath.Join(root, "files"),
		CheckpointDir: filepath.Join(root, "ck"), OpenStageControl: func(ctx context.Context, dir string) (*store.DB, error) {
			return storetest.NewSQLite(t).OpenControl(ctx)
		}}
	st := s.stageOf("a1b2c3")
	for _, d := range []string{filepath.Join(st.files, "acme"), filepath.Join(st.checkpoints, "acme"), filepath.Join(s.FilesDir, "acme"), st.data} {
		os.MkdirAll(d, 0o700)
	}
	os.WriteFile(filepath.Join(st.files, "acme", "new"), []byte("new"), 0o600)
	os.WriteFile(filepath.Join(s.FilesDir, "acme", "old"), []byte("old"), 0o600)
	placement, err := stagingEngine{Engine: e, tag: st.tag}.CreateTenantDB(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	rec := swapRecord{Slug: "acme", Tag: st.tag, DisplayName: "Acme", WrappedKey: []byte("k"), NewPlacement: placement, BackupID: "20260301T120000Z-1a2b3c4d"}
	// Written, then "killed" before anything moved.
	if err := setSetting(ctx, c.DB(), swapPrefix+"acme", mustJSON(rec)); err != nil {
		t.Fatal(err)
	}
	orphan := s.stageOf("dead00")
	os.MkdirAll(orphan.data, 0o700)
	if err := s.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.FilesDir, "acme", "new")); err != nil {
		t.Fatalf("new files not in place: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.FilesDir, "acme", "old")); err == nil {
		t.Fatal("old files still live")
	}
	tn, err := c.FindTenant(ctx, "acme")
	if err != nil || tn.Placement != placement {
		t.Fatalf("tenant row %+v %v", tn, err)
	}
	db, err := e.OpenTenantDB(ctx, "acme", placement)
	if err != nil {
		t.Fatalf("the staged database does not open as acme's: %v", err)
	}
	db.Close()
	for _, d := range []string{st.data, st.files, orphan.data} {
		if _, err := os.Stat(d); err == nil {
			t.Fatalf("%s left", d)
		}
	}
	if states, _ := Tenants(ctx, c); len(states) != 1 || states[0].BackupID != rec.BackupID {
		t.Fatalf("state %+v", states)
	}
}
