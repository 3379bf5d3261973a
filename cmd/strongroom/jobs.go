package main

import (
	"context"
	"fmt"
	"time"

	"strongroom"
	"strongroom/cases"
	"strongroom/jobs"
	"strongroom/server"
	"strongroom/store"
	"strongroom/tenancy"
)

// The kinds of background job serve runs, and the per-tenant templates
// that schedule them.
const (
	// purgeKind removes for good what was deleted more than 30 days ago
	// (documents first, then cases and their records), hourly per tenant.
	purgeKind = "cases.purge"
	// optimizeKind refreshes a SQLite tenant database's planner statistics
	// every six hours while it is open.
	optimizeKind = "tenancy.optimize"
)

// newRunner makes the job runner over the control database and registers
// the kinds serve runs. Others register theirs on m.runner before Run
// starts it (after the start-up recovery).
func (m *Main) newRunner() {
	m.queue = jobs.NewStore(m.app.db)
	m.runner = jobs.NewRunner(m.queue, jobs.Config{Log: m.Log})
	m.runner.Register(purgeKind, m.tenantJob(m.purgeJob), jobs.KindOptions{
		MaxAttempts: 3, Timeout: cases.PurgeTimeout + time.Minute, Backoff: time.Minute, MaxBackoff: 20 * time.Minute,
	})
	m.runner.EachTenant(jobs.Schedule{Name: "purge", Kind: purgeKind, Every: time.Hour, Jitter: time.Hour})
	if m.app.engine.Dialect() == store.SQLite {
		// PostgreSQL's autovacuum keeps its own statistics.
		m.runner.Register(optimizeKind, m.optimizeJob, jobs.KindOptions{MaxAttempts: 2, Timeout: 10 * time.Minute})
		m.runner.EachTenant(jobs.Schedule{Name: "optimize", Kind: optimizeKind, Every: tenancy.OptimizeEvery, Jitter: tenancy.OptimizeEvery})
	}
	m.registerReextract()
	m.registerBackupJobs()
	m.registerIntegrationJobs()
	m.registerGrantJobs()
	if m.drills != nil {
		m.registerDrills(m.drills, m.Config.Drill)
	}
}

// tenantJob gives fn the handle of the job's tenant, opened through the
// registry: the tenant the job names and no other. The runner refused the
// job already if that tenant is missing or disabled; the registry says so
// again if it became so since.
func (m *Main) tenantJob(fn func(ctx context.Context, h *tenancy.Handle, j jobs.Job) error) jobs.Handler {
	return func(ctx context.Context, j jobs.Job) error {
		if j.Tenant == "" {
			return jobs.Permanent(strongroom.Errorf(strongroom.EINVALID, "The job names no tenant."))
		}
		h, release, err := m.registry.Get(ctx, j.Tenant)
		if err != nil {
			return err
		}
		defer release()
		if h.Tenant.Slug != j.Tenant {
			return jobs.Permanent(fmt.Errorf("job for %q was handed tenant %q", j.Tenant, h.Tenant.Slug))
		}
		return fn(ctx, h, j)
	}
}

func (m *Main) purgeJob(ctx context.Context, h *tenancy.Handle, _ jobs.Job) error {
	return m.purger.PurgeTenant(ctx, h)
}

// optimizeJob refreshes the statistics of the job's tenant if its database
// is open; a closed one is not opened for it, since opening refreshes them.
func (m *Main) optimizeJob(ctx context.Context, j jobs.Job) error {
	_, err := m.registry.OptimizeOpen(ctx, j.Tenant)
	return err
}

// jobGauges are the runner's figures, for the metrics.
func (m *Main) jobGauges() []server.Gauge {
	var out []server.Gauge
	for _, f := range m.runner.Figures() {
		out = append(out, server.Gauge{Name: f.Name, Help: f.Help, Counter: f.Counter, Value: f.Value})
	}
	return out
}
