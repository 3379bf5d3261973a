package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"strongroom"
	"strongroom/blob"
)

// Entry is one committed backup found on a target.
type Entry struct {
	ID     string
	Tenant string
	Time   time.Time
	Size   int64
	Files  int
	marker marker
}

// List returns the committed backups of slug on t, oldest first. It reads
// only the target (the commit markers), so it works on a fresh server
// and without the backup identity. Directories without a marker are
// unfinished and left out.
func List(ctx context.Context, t blob.Store, slug string) ([]Entry, error) {
	if err := strongroom.ValidateSlug(slug); err != nil {
		return nil, err
	}
	var ids []string
	err := t.List(ctx, backupsPrefix(slug), func(info blob.Info) error {
		if id, name, ok := splitBackupKey(slug, info.Key); ok && name == markerObject {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, id := range ids {
		mk, err := readMarker(ctx, t, slug, id)
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{ID: id, Tenant: slug, Time: mk.Time, Size: mk.Size, Files: mk.Files, marker: mk})
	}
	// By the time each marker records, then id: ids name the second a
	// backup started, and two started in one second sort by chance.
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func readMarker(ctx context.Context, t blob.Store, slug, id string) (marker, error) {
	var mk marker
	r, err := t.Get(ctx, objectKey(slug, id, markerObject))
	if err != nil {
		return mk, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		return mk, fmt.Errorf("read commit marker of backup %s: %w", id, err)
	}
	if json.Unmarshal(b, &mk) != nil || mk.ID != id || mk.Tenant != slug {
		return mk, strongroom.Errorf(strongroom.EINVALID, "The commit marker of backup %s on %s is damaged.", id, t.Name())
	}
	return mk, nil
}

// Cleanup removes from t what unfinished backups of slug left (objects of
// a backup directory without a commit marker, and key store parts whose
// backup was never committed) once older than OrphanAge, and key store
// parts older than KeystoreRetention but the newest committed one.
func (s *Service) Cleanup(ctx context.Context, t blob.Store, slug string) error {
	orphanAge := s.orphanAge()
	retention := s.KeystoreRetention
	if retention <= 0 {
		retention = 35 * 24 * time.Hour
	}
	now := s.now()
	type dir struct {
		committed bool
		newest    time.Time
		keys      []string
	}
	dirs := map[string]*dir{}
	err := t.List(ctx, backupsPrefix(slug), func(info blob.Info) error {
		id, name, ok := splitBackupKey(slug, info.Key)
		if !ok {
			return nil
		}
		d := dirs[id]
		if d == nil {
			d = &dir{}
			dirs[id] = d
		}
		d.committed = d.committed || name == markerObject
		d.keys = append(d.keys, info.Key)
		if info.ModTime.After(d.newest) {
			d.newest = info.ModTime
		}
		return nil
	})
	if err != nil {
		return err
	}
	var doomed []string
	for _, d := range dirs {
		if !d.committed && now.Sub(d.newest) > orphanAge {
			doomed = append(doomed, d.keys...)
		}
	}
	// The newest committed backup's key store part stays whatever its
	// age, as retention keeps that backup whatever its age.
	var parts []blob.Info
	newest := ""
	err = t.List(ctx, keystorePrefix(slug), func(info blob.Info) error {
		if id, ok := keystoreID(slug, info.Key); ok {
			parts = append(parts, info)
			if d := dirs[id]; d != nil && d.committed && id > newest {
				newest = id
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, info := range parts {
		id, _ := keystoreID(slug, info.Key)
		started, _ := idTime(id)
		d := dirs[id]
		orphan := (d == nil || !d.committed) && now.Sub(info.ModTime) > orphanAge
		if orphan || (now.Sub(started) > retention && id != newest) {
			doomed = append(doomed, info.Key)
		}
	}
	for _, key := range doomed {
		if err := t.Delete(ctx, key); err != nil {
			return err
		}
	}
	if len(doomed) > 0 {
		s.log().Info("removed objects of unfinished or expired backups", "tenant", slug, "target", t.Name(), "objects", len(doomed))
	}
	return nil
}

func (s *Service) orphanAge() time.Duration {
	if s.OrphanAge > 0 {
		return s.OrphanAge
	}
	return 24 * time.Hour
}
