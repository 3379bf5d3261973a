package standby

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"strongroom"
)

// Lock is held by the running standby (and by promote) on DATA/standby.lock,
// so that one process at a time restores into the installation.
type Lock struct{ f *os.File }

// TryLock takes the lock, waiting up to wait for a holder to let go.
func TryLock(ctx context.Context, dataDir string, wait time.Duration) (*Lock, error) {
	path := filepath.Join(dataDir, "standby.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("standby lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &Lock{f: f}, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			f.Close()
			return nil, strongroom.Errorf(strongroom.ECONFLICT, "Another strongroom standby process is running on %s; stop it first.", dataDir)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Release lets go of the lock.
func (l *Lock) Release() {
	if l != nil && l.f != nil {
		l.f.Close()
	}
}
