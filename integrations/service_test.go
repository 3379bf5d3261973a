package integrations_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"strongroom"
	"strongroom/integrations"
)

// apiServer answers {"items": [{"v": 5, "kind": "a"}, {"v": 6, "kind": "b"}]}
// to a bearer token "tok-good", and 503 while failing is set.
func apiServer(t *testing.T, failing *atomic.Bool) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing != nil && failing.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok-good" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"items": [{"v": 5, "kind": "a"}, {"v": 6, "kind": "b"}]}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func input(srv *httptest.Server, name string) integrations.Input {
	return integrations.Input{Name: name, Label: "Label " + name, Enabled: true, Secret: secret("tok-good"),
		Connector: integrations.Connector{URL: srv.URL + "/items", Items: "items[*]", Value: "v",
			Dims: map[string]string{"kind": "kind"}, Metric: "test.value", Auth: integrations.Auth{Kind: integrations.AuthBearer}}}
}

func testCRUD(t *testing.T, f *fixture) {
	ctx := context.Background()
	srv := apiServer(t, nil)
	n := len(f.events())
	it := f.create(input(srv, "crm"))
	if it.ID == 0 || !it.CredentialsSet || it.Credentials() != "set" || it.Interval != integrations.DefaultInterval || !it.NextRunAt.Equal(f.clock.Now()) {
		t.Fatalf("created: %+v", it)
	}
	list, err := f.svc.List(ctx, f.h, f.reader)
	if err != nil || len(list) != 1 || list[0].Name != "crm" {
		t.Fatalf("list: %v %v", list, err)
	}
	in := input(srv, "crm")
	in.Label, in.Secret, in.Version, in.Interval = "CRM pipeline", nil, it.Version, 2*time.Hour
	up, err := f.svc.Update(ctx, f.h, f.admin, it.ID, in)
	if err != nil || up.Label != "CRM pipeline" || up.Version != it.Version+1 || !up.CredentialsSet || up.Interval != 2*time.Hour {
		t.Fatalf("update: %+v %v", up, err)
	}
	if _, err := f.svc.Create(ctx, f.h, f.admin, input(srv, "crm")); strongroom.ErrorField(err) != "name" {
		t.Fatalf("a second crm: %v", err)
	}
	if err := f.svc.Delete(ctx, f.h, f.admin, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Get(ctx, f.h, f.reader, it.ID); strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
		t.Fatalf("deleted: %v", err)
	}
	var actions []string
	for _, e := range f.eventsSince(n) {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "integration.create integration.update integration.delete" {
		t.Fatalf("events: %s", got)
	}
}

func testValidation(t *testing.T, f *fixture) {
	ctx := context.Background()
	n := len(f.events())
	in := integrations.Input{Name: "Bad Name", Label: "", Interval: time.Minute, Connector: integrations.Connector{URL: "http://api.example.com", Value: "", Metric: "m",
		Auth: integrations.Auth{Kind: integrations.AuthBearer}}}
	_, err := f.svc.Create(ctx, f.h, f.admin, in)
	fields := map[string]bool{}
	for _, p := range strongroom.ErrorProblems(err) {
		fields[p.Field] = true
	}
	for _, want := range []string{"name", "label", "interval", "config.url", "config.value"} {
		if !fields[want] {
			t.Errorf("no problem for %s: %v", want, err)
		}
	}
	srv := apiServer(t, nil)
	noSecret := input(srv, "x")
	noSecret.Secret = nil
	if _, err := f.svc.Create(ctx, f.h, f.admin, noSecret); strongroom.ErrorField(err) != "secret" {
		t.Errorf("no credential: %v", err)
	}
	list, _ := f.svc.List(ctx, f.h, f.admin)
	if len(list) != 0 || len(f.events()) != n {
		t.Errorf("a refused input changed something: %d integrations, %d events", len(list), len(f.events())-n)
	}
}

func testAuthorization(t *testing.T, f *fixture) {
	ctx := context.Background()
	srv := apiServer(t, nil)
	it := f.create(input(srv, "crm"))
	nobody := principal(3, nil)
	if _, err := f.svc.List(ctx, f.h, nobody); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
		t.Errorf("list without administration: %v", err)
	}
	if _, err := f.svc.Create(ctx, f.h, f.reader, input(srv, "y")); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
		t.Errorf("create with read: %v", err)
	}
	if _, err := f.svc.Update(ctx, f.h, f.reader, it.ID, input(srv, "crm")); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
		t.Errorf("update with read: %v", err)
	}
	if err := f.svc.Delete(ctx, f.h, f.reader, it.ID); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
		t.Errorf("delete with read: %v", err)
	}
	if _, err := f.svc.Test(ctx, f.h, f.reader, it.ID); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
		t.Errorf("test with read: %v", err)
	}
}

func testPlainHTTP(t *testing.T, f *fixture) {
	ctx := context.Background()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"items": [{"v": 1}]}`)
	}))
	t.Cleanup(plain.Close)
	in := input(plain, "legacy")
	if _, err := f.svc.Create(ctx, f.h, f.admin, in); strongroom.ErrorField(err) != "config.url" {
		t.Fatalf("http:// without allow_http: %v", err)
	}
	n := len(f.events())
	in.AllowHTTP = true
	it := f.create(in)
	if !it.AllowHTTP {
		t.Fatal("allow_http is not shown")
	}
	evs := f.eventsSince(n)
	if len(evs) != 2 || evs[1].Action != "integration.allow_http" || evs[1].Actor.ID != "1" {
		t.Fatalf("allow_http not audited: %+v", evs)
	}
	in.AllowHTTP, in.Version, in.Secret = false, it.Version, nil
	if _, err := f.svc.Update(ctx, f.h, f.admin, it.ID, in); strongroom.ErrorField(err) != "config.url" {
		t.Fatalf("forbidding http on an http URL: %v", err)
	}
}

func testPullAndBackoff(t *testing.T, f *fixture) {
	ctx := context.Background()
	var failing atomic.Bool
	srv := apiServer(t, &failing)
	f.trust(srv)
	it := f.create(input(srv, "crm"))
	if err := f.svc.Pull(ctx, f.h, it.ID); err != nil {
		t.Fatal(err)
	}
	if len(f.sink.points) != 2 || f.sink.points[1].Value != 6 || f.sink.points[1].Dims["kind"] != "b" {
		t.Fatalf("sink: %+v", f.sink.points)
	}
	got, _ := f.svc.Get(ctx, f.h, f.admin, it.ID)
	start := f.clock.Now()
	if !got.LastSuccessAt.Equal(start) || got.Failures != 0 || !got.NextRunAt.Equal(start.Add(time.Hour)) || got.LastError != "" {
		t.Fatalf("after success: %+v", got)
	}
	failing.Store(true)
	n := len(f.events())
	for i, wait := range []time.Duration{2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 16 * time.Hour, 24 * time.Hour, 24 * time.Hour} {
		f.clock.Add(time.Minute)
		if err := f.svc.Pull(ctx, f.h, it.ID); err == nil {
			t.Fatal("a failing pull succeeded")
		}
		got, _ = f.svc.Get(ctx, f.h, f.admin, it.ID)
		if got.Failures != i+1 || !got.NextRunAt.Equal(f.clock.Now().Add(wait)) || !strings.Contains(got.LastError, "503") ||
			!got.LastSuccessAt.Equal(start) || !got.LastRunAt.Equal(f.clock.Now()) {
			t.Fatalf("failure %d: %+v", i+1, got)
		}
	}
	evs := f.eventsSince(n)
	if len(evs) != 6 || evs[0].Action != "integration.pull_failed" || evs[0].Actor.Kind != "system" || evs[5].Details["failures"] != "6" {
		t.Fatalf("pull_failed events: %+v", evs)
	}
	failing.Store(false)
	if err := f.svc.Pull(ctx, f.h, it.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = f.svc.Get(ctx, f.h, f.admin, it.ID)
	if got.Failures != 0 || got.LastError != "" {
		t.Fatalf("after recovery: %+v", got)
	}
	// A Sink that cannot store is a failed pull too.
	f.sink.fail = fmt.Errorf("disk on fire")
	if err := f.svc.Pull(ctx, f.h, it.ID); err == nil {
		t.Fatal("a pull whose values were not stored succeeded")
	}
	got, _ = f.svc.Get(ctx, f.h, f.admin, it.ID)
	if got.Failures != 1 || strings.Contains(got.LastError, "fire") {
		t.Fatalf("sink failure: %+v", got)
	}
	// Without a Sink, a pull still runs and records its success.
	f.svc.Sink = nil
	if err := f.svc.Pull(ctx, f.h, it.ID); err != nil {
		t.Fatal(err)
	}
}

func testPullDue(t *testing.T, f *fixture) {
	ctx := context.Background()
	srv := apiServer(t, nil)
	f.trust(srv)
	a := f.create(input(srv, "a"))
	b := f.create(input(srv, "b"))
	paused := input(srv, "c")
	paused.Enabled = false
	f.create(paused)
	broken := input(srv, "d")
	broken.Secret = secret("tok-bad")
	f.create(broken)
	pulled, failed, err := f.svc.PullDue(ctx, f.h)
	if err != nil || pulled != 3 || failed != 1 {
		t.Fatalf("first: %d pulled, %d failed, %v", pulled, failed, err)
	}
	if pulled, _, _ := f.svc.PullDue(ctx, f.h); pulled != 0 {
		t.Fatalf("pulled %d again at once", pulled)
	}
	f.clock.Add(time.Hour)
	pulled, failed, err = f.svc.PullDue(ctx, f.h)
	if err != nil || pulled != 2 || failed != 0 {
		t.Fatalf("an hour later: %d pulled, %d failed, %v (the failed one waits two hours)", pulled, failed, err)
	}
	_, _ = a, b
}

func testTestWritesNothing(t *testing.T, f *fixture) {
	ctx := context.Background()
	srv := apiServer(t, nil)
	f.trust(srv)
	it := f.create(input(srv, "crm"))
	pts, err := f.svc.Test(ctx, f.h, f.admin, it.ID)
	if err != nil || len(pts) != 2 || pts[0].Value != 5 {
		t.Fatalf("test: %v %v", pts, err)
	}
	got, _ := f.svc.Get(ctx, f.h, f.admin, it.ID)
	if len(f.sink.points) != 0 || !got.LastRunAt.IsZero() || got.Version != it.Version {
		t.Fatalf("the test wrote: %d points, %+v", len(f.sink.points), got)
	}
	if last := f.events()[len(f.events())-1]; last.Action != "integration.test" || last.Details["result"] != "ok" {
		t.Fatalf("test event: %+v", last)
	}
}

func testStaleVersion(t *testing.T, f *fixture) {
	ctx := context.Background()
	srv := apiServer(t, nil)
	it := f.create(input(srv, "crm"))
	in := input(srv, "crm")
	in.Version, in.Label = it.Version, "First"
	if _, err := f.svc.Update(ctx, f.h, f.admin, it.ID, in); err != nil {
		t.Fatal(err)
	}
	in.Label = "Second"
	if _, err := f.svc.Update(ctx, f.h, f.admin, it.ID, in); strongroom.ErrorCode(err) != strongroom.ECONFLICT {
		t.Fatalf("stale update: %v", err)
	}
	got, _ := f.svc.Get(ctx, f.h, f.admin, it.ID)
	if got.Label != "First" {
		t.Fatalf("label %q", got.Label)
	}
}

func testPreset(t *testing.T, f *fixture) {
	ctx := context.Background()
	in := integrations.Input{Name: "xero", Label: "Receivables", Preset: "xero-receivables", Enabled: true, Secret: secret("cs"),
		Connector: integrations.Connector{Auth: integrations.Auth{ClientID: "CLIENT"}}}
	it, err := f.svc.Create(ctx, f.h, f.admin, in)
	if err != nil {
		t.Fatal(err)
	}
	if it.Connector.URL != "https://api.xero.com/api.xro/2.0/Invoices" || it.Connector.Auth.ClientID != "CLIENT" || it.Connector.Auth.Kind != integrations.AuthOAuth2 {
		t.Fatalf("preset not applied: %+v", it.Connector)
	}
	in.Connector.Auth.ClientID = ""
	in.Name = "xero2"
	if _, err := f.svc.Create(ctx, f.h, f.admin, in); strongroom.ErrorField(err) != "config.auth.client_id" {
		t.Fatalf("preset without its client id: %v", err)
	}
}
