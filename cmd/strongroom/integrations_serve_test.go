package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/jobs"
)

func TestIntegrationAllowCIDRFlag(t *testing.T) {
	var m Main
	if err := m.ParseFlags([]string{"--integration-allow-cidr", "10.1.0.0/16", "--integration-allow-cidr", "192.168.7.9"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got := m.Config.Integrations.AllowCIDRs.String(); got != "10.1.0.0/16,192.168.7.9/32" {
		t.Fatalf("allowed %q", got)
	}
	var bad Main
	err := bad.ParseFlags([]string{"--integration-allow-cidr", "10.1.0.0/99"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "integration-allow-cidr") {
		t.Fatalf("a bad CIDR: %v", err)
	}
}

// serve pulls every tenant's due integrations by a job per tenant.
func TestServePullsIntegrations(t *testing.T) {
	s := storage(t)
	mustCLI(t, append([]string{"tenant", "create", "firm"}, s...)...)
	m := &Main{Stdout: io.Discard, Log: slog.New(slog.DiscardHandler), Config: ServeConfig{
		Addr: "127.0.0.1:0", IdleClose: time.Minute,
		Storage: StorageConfig{DataDir: s[1], MasterKeyFile: s[3]},
	}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	<-m.recovered
	ctx := context.Background()
	if _, err := m.runner.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := scheduleNames(t, m, "firm"); !strings.Contains(got, "integrations/firm") {
		t.Fatalf("schedules %q", got)
	}
	id, err := m.queue.Enqueue(ctx, jobs.Job{Kind: integrationsPullKind, Tenant: "firm"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.queue.Enqueue(ctx, jobs.Job{Kind: integrationsPullKind}); strongroom.ErrorField(err) != "tenant" {
		t.Fatalf("a pull naming no tenant: %v", err)
	}
	waitFor(t, func() bool { return finished(t, m, id) })
	if j, _ := m.queue.Get(ctx, id); j.State != jobs.Done {
		t.Fatalf("pull of firm: %s, %q", j.State, j.LastError)
	}
}
