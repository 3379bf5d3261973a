package documents

import (
	"errors"
	"fmt"
	"os"
)

// An upload's file is locked (flock, exclusive) from the moment it is
// created until the rows that name it commit or it is removed; the lock
// goes with the process, so a file that can be locked belongs to no live
// upload. flock locks belong to an open file and are honoured across the
// nodes sharing a network file system that supports them (NFSv4 does). The
// service also remembers its own files in flight, so that its own sweeps
// never open them: on file systems that emulate flock with POSIX locks,
// closing any descriptor of a file drops its process's lock.

// errBusy is a lock held elsewhere.
var errBusy = errors.New("document file is locked by another upload")

// hold marks paths as in flight in this service.
func (s *Service) hold(paths ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range paths {
		s.inFlight[p] = true
	}
}

// unhold ends hold.
func (s *Service) unhold(paths ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range paths {
		delete(s.inFlight, p)
	}
}

// held reports whether path is one of this service's files in flight.
func (s *Service) held(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight[path]
}

// createTemp makes a temporary upload file in dir, locked and held. A
// sweep that happens to be looking at the new, empty file keeps it (see
// removeDeadTemp) but may hold its lock for a moment: then another name
// is tried.
func (s *Service) createTemp(dir string) (*os.File, error) {
	for attempt := 0; ; attempt++ {
		f, err := os.CreateTemp(dir, lockedTempPrefix+"*")
		if err != nil {
			return nil, fmt.Errorf("create document file: %w", err)
		}
		s.hold(f.Name())
		err = lockFile(f)
		if err == nil {
			return f, nil
		}
		s.removeFile(f.Name())
		f.Close()
		s.unhold(f.Name())
		if !errors.Is(err, errBusy) {
			// No locks here (a file system without flock): the upload goes
			// on, and sweeps judge its file by age alone.
			s.log.Warn("cannot lock upload files; abandoned ones are removed by age only", "err", err)
			return s.createUnlocked(dir)
		}
		if attempt == 2 {
			return nil, fmt.Errorf("lock document file: %w", err)
		}
	}
}

// createUnlocked makes a temporary upload file that carries no lock.
func (s *Service) createUnlocked(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, lockedTempPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("create document file: %w", err)
	}
	s.hold(f.Name())
	return f, nil
}

// release ends the upload's hold on its file: its rows are committed, or
// the file is gone.
func (st *staged) release(s *Service) {
	if err := st.file.Close(); err != nil {
		s.log.Warn("close document file", "err", err)
	}
	s.unhold(st.temp, st.path)
}
