//go:build unix

package documents

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on f, held until f is closed or its
// process dies: the mark of an upload in flight.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errBusy
	}
	return err
}

// tryLock reports whether f could be locked, that is whether no live
// upload holds it; an error means that locks cannot tell. flock locks belong to an open file, so a second open in
// the same process conflicts too; the service's own uploads are also
// known without asking (Service.inFlight).
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}
