package main

import (
	"context"
)

// recoverAtStart puts right what a crash of this or another process left:
// temporary uploads of processes that are gone, and for each active tenant
// the audit events not yet signed and the stored files no record names.
// It runs in the background once serve has started: uploads under way
// meanwhile hold their files (package documents), and signing is safe
// beside new events. Every active tenant is opened for it, as the purger
// does: a tenant that is never asked for would otherwise keep its unsigned
// events unsigned. Tenants opened later sign on opening (tenancy.Registry).
// A tenant whose database is unavailable is skipped and named in the log.
func (m *Main) recoverAtStart(ctx context.Context) {
	if _, err := m.svc.Documents.RemoveDeadUploads(ctx); err != nil && ctx.Err() == nil {
		m.Log.Error("start-up: remove temporary uploads", "err", err)
	}
	slugs, err := m.activeTenants(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.Log.Error("start-up: list tenants", "err", err)
		}
		return
	}
	skipped := 0
	for _, slug := range slugs {
		if ctx.Err() != nil {
			return
		}
		if err := m.recoverTenant(ctx, slug); err != nil {
			skipped++
			if ctx.Err() == nil {
				m.Log.Warn("start-up: skipped a tenant; its leftovers are looked at again by the hourly purge", "tenant", slug, "err", err)
			}
		}
	}
	m.Log.Info("start-up recovery done", "tenants", len(slugs), "skipped", skipped)
}

// recoverTenant signs the tenant's unsigned audit events and removes its
// files without a record. Opening the tenant signs (and logs) already;
// signing again is a no-op then, and a retry when that failed.
func (m *Main) recoverTenant(ctx context.Context, slug string) error {
	h, release, err := m.registry.Get(ctx, slug)
	if err != nil {
		return err
	}
	defer release()
	if _, err := h.Audit.SignTail(ctx); err != nil {
		return err
	}
	_, err = m.svc.Documents.RemoveLeftovers(ctx, h, m.svc.Documents.Now())
	return err
}
