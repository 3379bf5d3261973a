package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"sync"
	"time"

	"strongroom/blob"
)

// streamed is one part written to several targets from one stream.
type streamed struct {
	SHA256 string
	Size   int64
	// Errs holds, per target, why its copy failed (nil: written, and the
	// target saw the same bytes).
	Errs []error
}

// errAllFailed stops a producer once no target takes its bytes any more.
var errAllFailed = errors.New("every target failed")

// fanout streams what produce writes into the object key on every target
// at once, so that a part is made once (one snapshot, one encryption) for
// all of them and never held whole in memory or on disk. A target whose
// write fails drops out and the others go on; when produce fails, every
// write is aborted and leaves no object.
func fanout(ctx context.Context, targets []blob.Store, key string, stall time.Duration, produce func(io.Writer) error) streamed {
	n := len(targets)
	out := streamed{Errs: make([]error, n)}
	fw := &fanWriter{pipes: make([]*io.PipeWriter, n), dead: make([]error, n), dogs: make([]*watchdog, n)}
	written := make([]blob.Written, n)
	var wg sync.WaitGroup
	for i, t := range targets {
		pr, pw := io.Pipe()
		fw.pipes[i] = pw
		// A target waits while the producer makes bytes or another
		// target takes them; only bytes handed to it and not taken count.
		tctx, dog, stop := watch(ctx, stall)
		dog.wait(true)
		fw.dogs[i] = dog
		wg.Go(func() {
			defer stop()
			w, err := t.Put(tctx, key, dog.reader(pr))
			err = stalled(tctx, err)
			if err == nil {
				err = io.EOF // nothing more is read: a late write fails
			}
			pr.CloseWithError(err)
			written[i], out.Errs[i] = w, nilIfEOF(err)
		})
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(h, fw)}
	perr := produce(cw)
	for i, pw := range fw.pipes {
		fw.dogs[i].wait(false) // what remains (the upload's end) is the target's
		if perr != nil {
			pw.CloseWithError(perr)
		} else {
			pw.Close()
		}
	}
	wg.Wait()
	out.SHA256, out.Size = hex.EncodeToString(h.Sum(nil)), cw.n
	for i := range targets {
		switch {
		case out.Errs[i] != nil:
		case perr != nil:
			out.Errs[i] = perr
		case fw.dead[i] != nil:
			out.Errs[i] = fw.dead[i]
		case written[i].SHA256 != out.SHA256 || written[i].Size != out.Size:
			out.Errs[i] = &backupError{msg: "The target stored other bytes than were sent (" + key + ")."}
		}
	}
	return out
}

func nilIfEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// fanWriter writes to every pipe still taking bytes.
type fanWriter struct {
	pipes []*io.PipeWriter
	dead  []error
	dogs  []*watchdog
}

func (f *fanWriter) Write(p []byte) (int, error) {
	live := 0
	for i, pw := range f.pipes {
		if f.dead[i] != nil {
			continue
		}
		f.dogs[i].wait(false)
		_, err := pw.Write(p)
		f.dogs[i].wait(true)
		if err != nil {
			f.dead[i] = err
			continue
		}
		live++
	}
	if live == 0 {
		return 0, errAllFailed
	}
	return len(p), nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
