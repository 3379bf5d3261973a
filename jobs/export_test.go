package jobs

// SetFault makes stage names of s's transactions fail with what f returns.
func SetFault(s *Store, f func(stage string) error) { s.fault = f }

// Phase exposes a schedule's phase, in seconds.
var Phase = phase

// Heartbeat renews r's leases once, as its background loop does.
func Heartbeat(r *Runner) { r.heartbeat(r.ctx) }
