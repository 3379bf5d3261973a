// Package jobstest helps tests drive a jobs.Runner: a clock moved by hand
// (give its Now to jobs.Store.Now) and a way to run what is due until
// nothing is.
package jobstest

import (
	"context"
	"sync"
	"testing"
	"time"

	"strongroom/jobs"
)

// Clock is a fake clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time; pass it as jobs.Store.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Drain runs r's due work (jobs.Runner.RunDue) until a pass runs no job,
// and returns how many ran; an error fails t. A job that keeps failing
// waits for its backoff, so Drain ends without moving the clock.
func Drain(t testing.TB, r *jobs.Runner) int {
	t.Helper()
	total := 0
	for {
		n, err := r.RunDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}
