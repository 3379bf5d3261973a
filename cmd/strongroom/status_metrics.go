package main

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"strongroom"
	"strongroom/backup"
)

// backupCollector exposes the backup figures per target, labelled by the
// target's position (target="0") so that a URL change does not start a
// new series; strongroom_backup_target_info maps it to the redacted URL.
type backupCollector struct {
	m *Main
}

var (
	backupInfoDesc = prometheus.NewDesc("strongroom_backup_target_info",
		"A backup target: its position (target) and its URL without credentials (target_url).", []string{"target", "target_url"}, nil)
	backupLastDesc = prometheus.NewDesc("strongroom_backup_last_success_timestamp_seconds",
		"Time of the last verified backup copy on the target (0: never).", []string{"target"}, nil)
	backupFailDesc = prometheus.NewDesc("strongroom_backup_failures_total",
		"Failed attempts to write a backup copy to the target.", []string{"target"}, nil)
	backupStaleDesc = prometheus.NewDesc("strongroom_backup_stale_tenants",
		"Active tenants whose last verified copy on the target is older than twice --backup-every (or who have none and are older than that).", []string{"target"}, nil)
	backupEnabledDesc = prometheus.NewDesc("strongroom_backup_enabled",
		"1 when backup targets are configured, 0 when backups are off.", nil, nil)
)

// backupCollectors are the labelled backup figures for the metrics.
func (m *Main) backupCollectors() []prometheus.Collector {
	return []prometheus.Collector{backupCollector{m: m}}
}

func (c backupCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{backupInfoDesc, backupLastDesc, backupFailDesc, backupStaleDesc, backupEnabledDesc} {
		ch <- d
	}
}

func (c backupCollector) Collect(ch chan<- prometheus.Metric) {
	b := c.m.backups
	if b == nil || b.svc == nil {
		ch <- prometheus.MustNewConstMetric(backupEnabledDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(backupEnabledDesc, prometheus.GaugeValue, 1)
	stats := b.svc.TargetStats()
	stale, staleErr := c.m.staleTenants(context.Background(), stats, time.Now())
	for _, s := range stats {
		label := strconv.Itoa(s.Index)
		ch <- prometheus.MustNewConstMetric(backupInfoDesc, prometheus.GaugeValue, 1, label, s.Name)
		last := 0.0
		if !s.LastSuccess.IsZero() {
			last = float64(s.LastSuccess.Unix())
		}
		ch <- prometheus.MustNewConstMetric(backupLastDesc, prometheus.GaugeValue, last, label)
		ch <- prometheus.MustNewConstMetric(backupFailDesc, prometheus.CounterValue, float64(s.Failures), label)
		if staleErr == nil {
			ch <- prometheus.MustNewConstMetric(backupStaleDesc, prometheus.GaugeValue, float64(stale[s.Name]), label)
		}
	}
}

// staleTenants counts, per target name, the active tenants whose last
// verified copy there is older than twice the backup interval; a tenant
// with none counts once it is itself older than that.
func (m *Main) staleTenants(ctx context.Context, stats []backup.TargetStat, now time.Time) (map[string]int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ts, err := m.app.tenants.List(ctx)
	if err != nil {
		return nil, err
	}
	copies, err := latestCopies(ctx, m.app.db)
	if err != nil {
		return nil, err
	}
	last := map[[2]string]time.Time{}
	for _, c := range copies {
		last[[2]string{c.Tenant, c.Target}] = c.LastVerified
	}
	limit := 2 * m.Config.Backup.Every
	out := map[string]int{}
	for _, t := range ts {
		if t.Status != strongroom.TenantActive {
			continue
		}
		for _, s := range stats {
			at, ok := last[[2]string{t.Slug, s.Name}]
			if !ok || at.IsZero() {
				at = t.CreatedAt
			}
			if now.Sub(at) > limit {
				out[s.Name]++
			}
		}
	}
	return out, nil
}
