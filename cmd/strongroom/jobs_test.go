package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/jobs"
	"strongroom/store/storetest"
)

// serve keeps an hourly purge schedule (and, on SQLite, a statistics one)
// per active tenant on the job runner, for tenants made before it started
// and after; a purge job runs through the registry for its own tenant, and
// one for a disabled tenant is refused.
func TestServeRunsPurgeJobs(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			s := storage(t)
			if engine == "postgres" {
				s = append(s, "--database", storetest.PostgresDSN(t))
			}
			for _, slug := range []string{"firm", "idle"} {
				mustCLI(t, append([]string{"tenant", "create", slug}, s...)...)
			}
			mustCLI(t, append([]string{"tenant", "disable", "idle"}, s...)...)
			m := &Main{Stdout: io.Discard, Log: slog.New(slog.DiscardHandler), Config: ServeConfig{
				Addr: "127.0.0.1:0", IdleClose: time.Minute,
				Storage: StorageConfig{DataDir: s[1], MasterKeyFile: s[3]},
			}}
			if engine == "postgres" {
				m.Config.Storage.Database = s[5]
			}
			if err := m.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer m.Close(context.Background())
			<-m.recovered
			ctx := context.Background()
			if _, err := m.runner.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			want := "integrations/firm provider-access/firm purge/firm"
			if engine == "sqlite" {
				want = "integrations/firm optimize/firm provider-access/firm purge/firm"
			}
			if got := scheduleNames(t, m, ""); got != want {
				t.Fatalf("schedules %q, want %q", got, want)
			}

			// A tenant made while serving gets its schedule at the next sync.
			mustCLI(t, append([]string{"tenant", "create", "late"}, s...)...)
			if _, err := m.runner.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			if got := scheduleNames(t, m, "late"); !strings.Contains(got, "purge/late") {
				t.Fatalf("schedules of the new tenant: %q", got)
			}

			firm, err := m.queue.Enqueue(ctx, jobs.Job{Kind: purgeKind, Tenant: "firm"})
			if err != nil {
				t.Fatal(err)
			}
			idle, err := m.queue.Enqueue(ctx, jobs.Job{Kind: purgeKind, Tenant: "idle"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.queue.Enqueue(ctx, jobs.Job{Kind: purgeKind}); strongroom.ErrorField(err) != "tenant" {
				t.Fatalf("a purge naming no tenant: %v", err)
			}
			waitFor(t, func() bool { return finished(t, m, firm) && finished(t, m, idle) })
			if j, _ := m.queue.Get(ctx, firm); j.State != jobs.Done {
				t.Fatalf("purge of firm: %s, %q", j.State, j.LastError)
			}
			if j, _ := m.queue.Get(ctx, idle); j.State != jobs.Failed || j.LastError != `Tenant "idle" is disabled; the job was not run.` {
				t.Fatalf("purge of a disabled tenant: %s, %q", j.State, j.LastError)
			}

			var out, errs bytes.Buffer
			if err := runJobs(ctx, append([]string{"list", "--tenant", "idle"}, storageFlags(m)...), &out, &errs); err != nil {
				t.Fatal(err, errs.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if f := strings.Fields(lines[len(lines)-1]); len(lines) != 2 || f[1] != "cases.purge" || f[2] != "idle" || f[3] != "failed" ||
				!strings.Contains(lines[1], "is disabled") {
				t.Fatalf("jobs list --tenant idle:\n%s", out.String())
			}
			gauges := map[string]bool{}
			for _, g := range m.gauges() {
				gauges[g.Name] = true
			}
			if !gauges["jobs_cases_purge_failed"] || !gauges["jobs_cases_purge_schedule_oldest_success_timestamp_seconds"] {
				t.Fatalf("metrics lack the purge's figures: %v", gauges)
			}
		})
	}
}

func scheduleNames(t *testing.T, m *Main, tenant string) string {
	t.Helper()
	list, err := m.queue.Schedules(context.Background(), jobs.ScheduleFilter{Tenant: tenant})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list {
		if s.Tenant != "" {
			names = append(names, s.Name)
		}
	}
	return strings.Join(names, " ")
}

func finished(t *testing.T, m *Main, id int64) bool {
	j, err := m.queue.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j.State != jobs.Queued && j.State != jobs.Running
}

func TestJobsCommandChecksItsFlags(t *testing.T) {
	s := storage(t)
	for _, c := range []struct {
		args  []string
		field string
	}{
		{[]string{"list", "--tenant", "Not A Slug"}, "tenant"},
		{[]string{"list", "--state", "sleeping"}, "state"},
		{[]string{"list", "--limit", "0"}, "limit"},
	} {
		err := runJobs(context.Background(), append(c.args, s...), io.Discard, io.Discard)
		if strongroom.ErrorField(err) != c.field {
			t.Errorf("%v: %v, want an error naming %s", c.args, err, c.field)
		}
	}
	if err := runJobs(context.Background(), []string{"run"}, io.Discard, io.Discard); err != errUsage {
		t.Errorf("unknown subcommand: %v", err)
	}
}
