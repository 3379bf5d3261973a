package backup

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"sort"
	"time"

	"strongroom/blob"
)

// filesObject lists, in clear, the SHA-256 of every document file object a
// backup names, one a line. It tells the prune which files/SHA256 objects
// are still wanted without the backup identity (the manifest is
// encrypted); it shows nothing the object keys of files/ do not.
const filesObject = "files.lst"

var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// putFileIndex writes the backup's file index. finish calls it first,
// before it looks at which files the target has: a prune that lists the
// indexes after that sees every file this backup may reuse.
func putFileIndex(ctx context.Context, t blob.Store, m *Manifest) error {
	seen := map[string]bool{}
	var b bytes.Buffer
	for _, f := range m.Files {
		if !seen[f.SHA256] {
			seen[f.SHA256] = true
			b.WriteString(f.SHA256 + "\n")
		}
	}
	if _, err := t.Put(ctx, objectKey(m.Tenant, m.ID, filesObject), &b); err != nil {
		return fmt.Errorf("file index: %w", err)
	}
	return nil
}

// backupDirState is what the prune knows of one backup directory.
type backupDirState struct {
	committed, indexed bool
	newest             time.Time
}

// collectFiles removes the files/SHA256 objects of slug on t that no
// backup's index names and that are older than grace (default a day),
// returning how many went, or why it removed nothing.
//
// A backup being written uploads the files it lacks before it is
// committed, and reuses those already there: an upload younger than the
// grace is never removed, and no file is removed at all while any
// backup directory of the tenant younger than OrphanAge is uncommitted,
// since that backup may be about to reuse a file no index names yet
// (its index is written before it looks at the files; a backup started
// during the few seconds of the removal itself is the one case left,
// which serve closes by never pruning a tenant while backing it up).
func (s *Service) collectFiles(ctx context.Context, t blob.Store, slug string, now time.Time, grace time.Duration) (int, string, error) {
	if grace <= 0 {
		grace = 24 * time.Hour
	}
	dirs, err := s.backupDirs(ctx, t, slug)
	if err != nil {
		return 0, "", err
	}
	wanted := map[string]bool{}
	ids := make([]string, 0, len(dirs))
	for id := range dirs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		d := dirs[id]
		if !d.committed && now.Sub(d.newest) <= s.orphanAge() {
			return 0, "a backup is being written", nil
		}
		if d.committed && !d.indexed {
			return 0, "backup " + id + " has no file index (written by an older version); files stay until it is pruned", nil
		}
		if d.indexed {
			if err := readFileIndex(ctx, t, slug, id, wanted); err != nil {
				return 0, "", err
			}
		}
	}
	var doomed []string
	err = t.List(ctx, tenantPrefix(slug)+"files/", func(info blob.Info) error {
		name := info.Key[len(tenantPrefix(slug)+"files/"):]
		if sha256Pattern.MatchString(name) && !wanted[name] && now.Sub(info.ModTime) > grace {
			doomed = append(doomed, info.Key)
		}
		return nil
	})
	if err != nil {
		return 0, "", err
	}
	for i, key := range doomed {
		if err := t.Delete(ctx, key); err != nil {
			return i, "", err
		}
	}
	return len(doomed), "", nil
}

func (s *Service) backupDirs(ctx context.Context, t blob.Store, slug string) (map[string]*backupDirState, error) {
	dirs := map[string]*backupDirState{}
	err := t.List(ctx, backupsPrefix(slug), func(info blob.Info) error {
		id, name, ok := splitBackupKey(slug, info.Key)
		if !ok {
			return nil
		}
		d := dirs[id]
		if d == nil {
			d = &backupDirState{}
			dirs[id] = d
		}
		d.committed = d.committed || name == markerObject
		d.indexed = d.indexed || name == filesObject
		if info.ModTime.After(d.newest) {
			d.newest = info.ModTime
		}
		return nil
	})
	return dirs, err
}

// readFileIndex adds the hashes backup id names to wanted.
func readFileIndex(ctx context.Context, t blob.Store, slug, id string, wanted map[string]bool) error {
	r, err := t.Get(ctx, objectKey(slug, id, filesObject))
	if err != nil {
		return fmt.Errorf("file index of backup %s: %w", id, err)
	}
	defer r.Close()
	sc := bufio.NewScanner(io.LimitReader(r, 1<<30))
	for sc.Scan() {
		line := sc.Text()
		if !sha256Pattern.MatchString(line) {
			return fmt.Errorf("file index of backup %s is damaged", id)
		}
		wanted[line] = true
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("file index of backup %s: %w", id, err)
	}
	return nil
}
