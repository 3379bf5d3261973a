//go:build !unix

package documents

import (
	"errors"
	"os"
)

var errNoLocks = errors.New("file locks are not supported on this platform")

// lockFile does nothing where flock is missing.
func lockFile(*os.File) error { return nil }

// tryLock cannot tell a live upload from a dead one here: temporary files
// are then removed only by age.
func tryLock(*os.File) (bool, error) { return false, errNoLocks }
