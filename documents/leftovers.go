package documents

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"strongroom"
	"strongroom/tenancy"
)

// How long what a crash may have left behind is kept when nothing else
// tells whether its upload is still running.
const (
	// orphanGrace is how old a stored file without a record must be before
	// it is removed. An upload of this version holds its file locked until
	// its rows commit, so no running upload can lose its file to a sweep;
	// the grace covers writers that do not lock (a node of an older
	// version during a rolling upgrade, a file system without flock),
	// whose file is last written seconds before its rows commit, and
	// clocks of nodes sharing the directory that disagree by minutes.
	orphanGrace = time.Hour
	// unlockedTempAge is how old a temporary upload that carries no lock
	// (an older version's, or written where locks are missing) must be
	// before it is removed: longer than any upload may last.
	unlockedTempAge = 24 * time.Hour
	// freshTempAge: an empty temporary file younger than this may have just
	// been created, its writer not yet holding the lock.
	freshTempAge = time.Minute
)

// Leftovers counts what a sweep removed.
type Leftovers struct {
	Uploads     int   // temporary uploads of processes that are gone
	UploadBytes int64 // their size
	Files       int   // stored files that no record names
}

// RemoveDeadUploads removes, in every tenant's directory, the temporary
// files of uploads whose process is gone, and logs what it removed. It
// needs no database, so it covers tenants whose database is unavailable
// and directories of tenants that no longer exist; serve runs it at
// start-up. Uploads in flight, in this process or another, are kept.
func (s *Service) RemoveDeadUploads(ctx context.Context) (Leftovers, error) {
	var total Leftovers
	entries, err := os.ReadDir(s.dir)
	if os.IsNotExist(err) {
		return total, nil
	} else if err != nil {
		return total, fmt.Errorf("read document directory: %w", err)
	}
	now := s.Now()
	for _, e := range entries {
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
		if !e.IsDir() || strongroom.ValidateSlug(e.Name()) != nil {
			continue
		}
		n, size, err := s.removeDeadTemps(filepath.Join(s.dir, e.Name()), now)
		if err != nil {
			return total, err
		}
		total.Uploads += n
		total.UploadBytes += size
	}
	if total.Uploads > 0 {
		s.log.Info("removed temporary uploads left by stopped processes", "count", total.Uploads,
			"size", formatSize(total.UploadBytes), "bytes", total.UploadBytes)
	}
	return total, nil
}

// RemoveLeftovers removes, in the tenant's directory, the temporary files
// of uploads whose process is gone and the stored files that no version
// names (a crash between writing a file and committing its rows), once
// they are older than orphanGrace and no upload holds them. A file named by
// a version is never removed, whether the version is old or its document
// deleted and waiting for its purge. It logs what it removed.
func (s *Service) RemoveLeftovers(ctx context.Context, t *tenancy.Handle, now time.Time) (Leftovers, error) {
	var out Leftovers
	dir, err := s.tenantDir(t)
	if err != nil {
		return out, err
	}
	if out.Uploads, out.UploadBytes, err = s.removeDeadTemps(dir, now); err != nil {
		return out, err
	}
	if out.Uploads > 0 {
		s.log.Info("removed temporary uploads left by stopped processes", "tenant", t.Tenant.Slug, "count", out.Uploads,
			"size", formatSize(out.UploadBytes), "bytes", out.UploadBytes)
	}
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return out, nil
	} else if err != nil {
		return out, fmt.Errorf("read document directory: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !storageKeyPattern.MatchString(e.Name()) {
			continue
		}
		removed, err := s.removeOrphan(ctx, t, filepath.Join(dir, e.Name()), now)
		if err != nil {
			return out, err
		}
		if removed {
			out.Files++
		}
	}
	if out.Files > 0 {
		s.log.Warn("removed stored files with no record", "tenant", t.Tenant.Slug, "count", out.Files)
	}
	return out, nil
}

// removeDeadTemps removes the temporary uploads in dir that no live
// upload writes and returns how many and their size.
func (s *Service) removeDeadTemps(dir string, now time.Time) (int, int64, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return 0, 0, nil
	} else if err != nil {
		return 0, 0, fmt.Errorf("read document directory: %w", err)
	}
	n, total := 0, int64(0)
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		if size, ok := s.removeDeadTemp(filepath.Join(dir, e.Name()), now); ok {
			n++
			total += size
		}
	}
	return n, total, nil
}

// removeDeadTemp removes the temporary upload at path unless an upload may
// still be writing it, and reports its size and whether it went. Its lock
// says so when it has one; otherwise only its age does.
func (s *Service) removeDeadTemp(path string, now time.Time) (int64, bool) {
	if s.held(path) {
		return 0, false
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, false // gone meanwhile
	}
	defer f.Close() // after the removal: a dead upload's lock is ours till then
	info, err := f.Stat()
	if err != nil {
		return 0, false
	}
	age := now.Sub(info.ModTime())
	free, err := tryLock(f)
	switch {
	case err != nil || !strings.HasPrefix(filepath.Base(path), lockedTempPrefix):
		if age < unlockedTempAge {
			return 0, false
		}
	case !free:
		return 0, false // a live upload, here or on a peer
	case info.Size() == 0 && age < freshTempAge:
		return 0, false // perhaps created a moment ago, its lock not yet taken
	}
	if err := os.Remove(path); err != nil {
		if !os.IsNotExist(err) {
			s.log.Error("remove temporary upload", "path", path, "err", err)
		}
		return 0, false
	}
	return info.Size(), true
}

// removeOrphan removes the stored file at path when no version names it,
// it is older than orphanGrace and no upload holds it, and reports whether
// it did.
func (s *Service) removeOrphan(ctx context.Context, t *tenancy.Handle, path string, now time.Time) (bool, error) {
	if s.held(path) {
		return false, nil
	}
	info, err := os.Lstat(path)
	if err != nil || now.Sub(info.ModTime()) < orphanGrace {
		return false, nil
	}
	key := filepath.Base(path)
	if named, err := s.named(ctx, t, key); err != nil || named {
		return false, err
	}
	f, err := os.Open(path)
	if err != nil {
		return false, nil
	}
	defer f.Close()
	if free, err := tryLock(f); err == nil && !free {
		return false, nil // an upload about to record it
	}
	// Under the lock no upload can record the file any more; the writer
	// may have recorded it and let go between the first look and the lock.
	if named, err := s.named(ctx, t, key); err != nil || named {
		return false, err
	}
	if err := os.Remove(path); err != nil {
		if !os.IsNotExist(err) {
			s.log.Error("remove document file", "path", path, "err", err)
		}
		return false, nil
	}
	return true, nil
}

// named reports whether a version of any document, deleted or not, names
// the storage key.
func (s *Service) named(ctx context.Context, t *tenancy.Handle, key string) (bool, error) {
	var n int
	if err := t.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM document_versions WHERE storage_key = ?`, key).Scan(&n); err != nil {
		return false, fmt.Errorf("check document file: %w", err)
	}
	return n > 0, nil
}
