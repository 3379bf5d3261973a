package jobs

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Figure is one number the runner exposes for Prometheus, read when the
// metrics are scraped: a gauge, or a counter when Counter is set. Name
// has no "strongroom_" prefix (cmd/strongroom hands these to the server
// as server.Gauge).
type Figure struct {
	Name, Help string
	Counter    bool
	Value      func() float64
}

// statsEvery is how often the figures read from the database are renewed.
const statsEvery = time.Minute

// stats are the runner's figures: counts of this process, and counts of
// the queue read from the database now and then (never at scrape time).
type stats struct {
	mu        sync.Mutex
	attempts  map[string]int64 // failed attempts by kind, this process
	counts    Counts
	refreshed time.Time
}

func newStats() stats {
	return stats{attempts: map[string]int64{},
		counts: Counts{ByKind: map[string]map[State]int{}, OldestSuccess: map[string]time.Time{}}}
}

func (s *stats) addKind(kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[kind] += 0
}

func (s *stats) failed(kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[kind]++
}

func (r *Runner) refreshStats(ctx context.Context, force bool) {
	r.stats.mu.Lock()
	due := force || r.q.now().Sub(r.stats.refreshed) >= statsEvery
	r.stats.mu.Unlock()
	if !due {
		return
	}
	c, err := r.q.Count(ctx)
	if err != nil {
		if r.ctx.Err() == nil {
			r.log.Warn("jobs: count jobs for metrics", "err", err)
		}
		return
	}
	r.stats.mu.Lock()
	r.stats.counts, r.stats.refreshed = c, r.q.now()
	r.stats.mu.Unlock()
}

// metricName turns a kind into a part of a metric name: lower-case letters,
// digits and underscores.
func metricName(kind string) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			return c
		case c >= 'A' && c <= 'Z':
			return c + 'a' - 'A'
		}
		return '_'
	}, kind)
}

// Figures lists the runner's figures for every kind registered so far;
// call it after registering. Per kind K:
//
//   - jobs_K_failed_attempts_total: attempts that failed here (refusals included)
//   - jobs_K_failed, jobs_K_dead: jobs failed for good / with every attempt spent, kept in the queue
//   - jobs_K_queued: jobs waiting
//   - jobs_K_schedule_oldest_success_timestamp_seconds: of the kind's
//     schedules, the earliest last success (or creation, for one that never
//     succeeded); 0 without schedules. An alert on its age finds the tenant
//     whose periodic job stopped succeeding.
func (r *Runner) Figures() []Figure {
	var out []Figure
	for _, kind := range r.kinds() {
		k, m := kind, metricName(kind)
		out = append(out,
			Figure{Name: "jobs_" + m + "_failed_attempts_total", Counter: true,
				Help: "Attempts of " + k + " jobs that failed or were refused, on this node.",
				Value: func() float64 {
					r.stats.mu.Lock()
					defer r.stats.mu.Unlock()
					return float64(r.stats.attempts[k])
				}},
			r.stateFigure(k, m, Failed, "failed for good (refused, or not to be retried)"),
			r.stateFigure(k, m, Dead, "whose every attempt failed"),
			r.stateFigure(k, m, Queued, "waiting to run"),
			Figure{Name: "jobs_" + m + "_schedule_oldest_success_timestamp_seconds",
				Help: "Earliest last success among the schedules of " + k + " jobs, as Unix time (0: none).",
				Value: func() float64 {
					r.stats.mu.Lock()
					defer r.stats.mu.Unlock()
					t, ok := r.stats.counts.OldestSuccess[k]
					if !ok {
						return 0
					}
					return float64(t.Unix())
				}})
	}
	return out
}

func (r *Runner) stateFigure(kind, m string, s State, what string) Figure {
	return Figure{Name: "jobs_" + m + "_" + string(s), Help: "Jobs of kind " + kind + " " + what + ".",
		Value: func() float64 {
			r.stats.mu.Lock()
			defer r.stats.mu.Unlock()
			return float64(r.stats.counts.ByKind[kind][s])
		}}
}
