package drill

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"strongroom/store"
)

// figures are the numbers the metrics show, per tenant and target.
type figures struct {
	mu       sync.Mutex
	lastOK   map[key]time.Time
	duration map[key]time.Duration // of the last drill, whatever its result
	failed   int64
}

type key struct{ tenant, target string }

func (f *figures) init() {
	if f.lastOK == nil {
		f.lastOK, f.duration = map[key]time.Time{}, map[key]time.Duration{}
	}
}

func (f *figures) note(d Drill) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.init()
	k := key{d.Tenant, d.Target}
	f.duration[k] = d.Duration
	if d.OK {
		if end := d.Started.Add(d.Duration); end.After(f.lastOK[k]) {
			f.lastOK[k] = end
		}
	} else {
		f.failed++
	}
}

// LoadFigures reads the figures from the control plane, so that the
// metrics start from what earlier processes did.
func (s *Service) LoadFigures(ctx context.Context) error {
	rows, err := s.Control.DB().QueryContext(ctx, `SELECT tenant_slug, target, started_at, duration_ms, result
		FROM restore_drills ORDER BY started_at, id`)
	if err != nil {
		return fmt.Errorf("read restore drill figures: %w", err)
	}
	defer rows.Close()
	f := &s.figures
	f.mu.Lock()
	f.lastOK, f.duration, f.failed = nil, nil, 0
	f.mu.Unlock()
	for rows.Next() {
		var d Drill
		var started, result string
		var ms int64
		if err := rows.Scan(&d.Tenant, &d.Target, &started, &ms, &result); err != nil {
			return err
		}
		d.Started, _ = store.ParseTime(started)
		d.Duration, d.OK = time.Duration(ms)*time.Millisecond, result == "ok"
		f.note(d)
	}
	return rows.Err()
}

var (
	lastOKDesc = prometheus.NewDesc("strongroom_backup_drill_last_success_timestamp_seconds",
		"Time the last successful restore drill of a tenant on a target finished.", []string{"tenant", "target"}, nil)
	durationDesc = prometheus.NewDesc("strongroom_backup_drill_duration_seconds",
		"How long the last restore drill of a tenant on a target took.", []string{"tenant", "target"}, nil)
	failedDesc = prometheus.NewDesc("strongroom_backup_drills_failed_total",
		"Restore drills that failed.", nil, nil)
	slowDesc = prometheus.NewDesc("strongroom_backup_drill_slow_after_seconds",
		"The restore time past which a drill is alerted on.", nil, nil)
)

// Collector returns the drill figures for the metrics (server.Config's
// Collectors): per tenant and target (its redacted name) the time of the
// last successful drill and the duration of the last one, the failed
// drills in all, and the threshold, so an alert can compare the two.
func (s *Service) Collector() prometheus.Collector { return collector{s} }

type collector struct{ s *Service }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- lastOKDesc
	ch <- durationDesc
	ch <- failedDesc
	ch <- slowDesc
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	f := &c.s.figures
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, t := range f.lastOK {
		ch <- prometheus.MustNewConstMetric(lastOKDesc, prometheus.GaugeValue, float64(t.Unix()), k.tenant, k.target)
	}
	for k, d := range f.duration {
		ch <- prometheus.MustNewConstMetric(durationDesc, prometheus.GaugeValue, d.Seconds(), k.tenant, k.target)
	}
	ch <- prometheus.MustNewConstMetric(failedDesc, prometheus.CounterValue, float64(f.failed))
	ch <- prometheus.MustNewConstMetric(slowDesc, prometheus.GaugeValue, c.s.slowAfter().Seconds())
}
