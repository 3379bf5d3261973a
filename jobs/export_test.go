package jobs

import "time"

// SetFault makes stage names of s's transactions fail with what f returns.
func SetFault(s *Store, f func(stage string) error) { s.fault = f }

// Phase exposes a schedule's phase, in seconds.
var Phase = phase

// Heartbeat renews r's leases once, as its background loop does.
func Heartbeat(r *Runner) { r.heartbeat(r.ctx) }

// SetReportTimeout shortens the time allowed to record an outcome, for a
// test of a handler that outlasts it; the returned func puts it back.
func SetReportTimeout(d time.Duration) (restore func()) {
	old := reportTimeout
	reportTimeout = d
	return func() { reportTimeout = old }
}
