package main

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"strongroom/backup"
	"strongroom/erasure"
)

// openDrills makes the restore drills of serve over the backup targets
// openBackups opened, and hands them to the Backups page and API. Without
// targets there is nothing to drill or to show.
func (m *Main) openDrills(ctx context.Context) error {
	b := m.backups
	if b == nil || b.svc == nil {
		return nil
	}
	d, err := newDrillService(ctx, m.app, m.registry, m.Config.Storage, b.svc.Targets, m.Config.Drill)
	if err != nil {
		return err
	}
	// A drill restores exactly as a real restore does: erasures are
	// re-applied from the control database's ledger before the checks.
	d.AfterLoad = backup.ReapplyLedger(erasure.New(m.app.db, m.Log), nil, d.Identities)
	m.drills = d
	m.svc.Backups = d
	return nil
}

// drillCollectors are the drills' figures for the metrics, if any.
func (m *Main) drillCollectors() []prometheus.Collector {
	if m.drills == nil {
		return nil
	}
	return []prometheus.Collector{m.drills.Collector()}
}
