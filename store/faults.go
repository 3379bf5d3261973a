package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"strongroom"
)

// Faults remembers the faults that requests met. Each kind is logged once
// per interval, with how many were left unlogged, rather than once per
// request: a full disk or a database that is down would otherwise flood
// the log. A full disk is also remembered until a write succeeds again, so
// that readiness and metrics can tell it.
type Faults struct {
	// Interval separates two log lines about one fault; default a minute.
	Interval time.Duration
	// Dirs are where Check tries a small write once a write found no
	// space: the data and document directories.
	Dirs []string

	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	full    bool
	refused uint64 // writes refused for want of space
	logged  map[string]*logged
}

type logged struct {
	at         time.Time
	suppressed int
}

// NewFaults returns a Faults that logs to log and probes dirs for space.
func NewFaults(log *slog.Logger, dirs ...string) *Faults {
	return &Faults{Dirs: dirs, log: log, now: time.Now, logged: map[string]*logged{}}
}

// Note records err if it is a fault (EUNAVAILABLE or ESTORAGE) and logs it
// unless one like it was logged within the interval. It is safe on a nil
// *Faults and ignores anything else.
func (f *Faults) Note(err error) {
	code := strongroom.ErrorCode(err)
	if f == nil || (code != strongroom.EUNAVAILABLE && code != strongroom.ESTORAGE) {
		return
	}
	// A full disk is one fault however many tenants meet it; a database
	// that does not answer is one per database.
	key := code
	var fl *fault
	if errors.As(err, &fl) && code == strongroom.EUNAVAILABLE {
		key += " " + fl.where
	}
	f.mu.Lock()
	if code == strongroom.ESTORAGE {
		f.full = true
		f.refused++
	}
	l := f.logged[key]
	if l == nil {
		l = &logged{}
		f.logged[key] = l
	}
	if !l.at.IsZero() && f.now().Sub(l.at) < cmp.Or(f.Interval, time.Minute) {
		l.suppressed++
		f.mu.Unlock()
		return
	}
	suppressed := l.suppressed
	l.at, l.suppressed = f.now(), 0
	f.mu.Unlock()

	msg := "database unavailable"
	if code == strongroom.ESTORAGE {
		msg = "out of storage space: writes are refused"
	}
	f.log.Error(msg, "err", err, "unlogged_since_last", suppressed)
}

// StorageFull reports whether a write found no space and none has been
// found since (by Check).
func (f *Faults) StorageFull() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.full
}

// Refused is how many writes were refused for want of space.
func (f *Faults) Refused() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

// probeSize is what Check writes: enough to need new blocks on any file
// system, little enough to cost nothing.
const probeSize = 64 << 10

// Check is for readiness: once a write found no space it tries a small
// write in each of Dirs, and answers ESTORAGE while one still finds none.
func (f *Faults) Check(ctx context.Context) error {
	if !f.StorageFull() {
		return nil
	}
	for _, dir := range f.Dirs {
		// Only want of space counts: a directory not made yet, say, is
		// not this check's business.
		if err := probe(dir); err != nil && faultCode(err, nil) == strongroom.ESTORAGE {
			return newFault(strongroom.ESTORAGE, MsgStorageFull, dir, err)
		}
	}
	f.mu.Lock()
	f.full = false
	f.mu.Unlock()
	f.log.Info("storage space is available again")
	return nil
}

func probe(dir string) error {
	tmp, err := os.CreateTemp(dir, ".space-check-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := tmp.Write(make([]byte, probeSize)); err != nil {
		return fmt.Errorf("write space probe: %w", err)
	}
	return tmp.Sync()
}
