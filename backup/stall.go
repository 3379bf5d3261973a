package backup

import (
	"context"
	"io"
	"sync/atomic"
	"time"
)

// A target that stops answering must not hold a run up for ever: each
// target's work runs under a watchdog that cancels it once no byte has
// moved for Service.Stall (default two minutes). Time with bytes moving
// is not bounded, so a large file on a slow link still gets through.

// errStalled is the cause of a target's cancelled work.
var errStalled = &backupError{msg: "The target stopped answering."}

func (s *Service) stall() time.Duration {
	if s.Stall > 0 {
		return s.Stall
	}
	return 2 * time.Minute
}

// watchdog cancels its context once touch has not been called for stall
// while the target has work in hand (not waiting, see wait).
type watchdog struct {
	last    atomic.Int64
	waiting atomic.Bool
}

// wait marks the target as waiting for bytes to send (not its fault) or,
// with false, as having work in hand again.
func (w *watchdog) wait(waiting bool) {
	w.touch()
	w.waiting.Store(waiting)
}

func watch(ctx context.Context, stall time.Duration) (context.Context, *watchdog, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watchdog{}
	w.touch()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(max(stall/4, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if !w.waiting.Load() && time.Since(time.Unix(0, w.last.Load())) > stall {
					cancel(errStalled)
					return
				}
			}
		}
	}()
	return ctx, w, func() { close(done); cancel(nil) }
}

func (w *watchdog) touch() { w.last.Store(time.Now().UnixNano()) }

// reader touches the watchdog with every read.
func (w *watchdog) reader(r io.Reader) io.Reader { return &touchReader{r: r, w: w} }

type touchReader struct {
	r io.Reader
	w *watchdog
}

func (t *touchReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.w.touch()
	return n, err
}

// stalled returns errStalled when ctx was cancelled by its watchdog, so
// the failure says what happened; other errors pass as they are.
func stalled(ctx context.Context, err error) error {
	if err != nil && context.Cause(ctx) == errStalled {
		return errStalled
	}
	return err
}
