package backup

import (
	"context"
	"strings"
	"time"

	"strongroom/backup/retention"
	"strongroom/blob"
)

// PruneOptions are the operator's retention settings for one prune.
type PruneOptions struct {
	Policy retention.Policy
	// Location is the tenant's time zone: days, weeks and months are its.
	Location *time.Location
	// KeystoreKeep is how long key store parts are kept (the newest always).
	KeystoreKeep time.Duration
	// FileGrace is how old an unreferenced document file object must be
	// before it is removed (default a day); see collectFiles.
	FileGrace time.Duration
}

// Pruned is what a prune did on one target.
type Pruned struct {
	Target string
	// Kept maps each backup kept to why; Removed lists the ids removed.
	Kept    map[string]retention.Reason
	Removed []string
	// Keystores counts the key store parts removed, Files the document
	// file objects no backup named any more.
	Keystores, Files int
	// FilesSkipped says why the document files were left alone, if they were.
	FilesSkipped string
}

// Prune applies retention to slug's backups on t: the committed backups
// the policy does not keep are removed (commit marker first, so a backup
// removed halfway is never listed as good, and what is left of it goes
// as an orphan), key store parts past KeystoreKeep are removed (never the
// newest), then what unfinished backups left (Cleanup), then the document
// file objects no remaining backup names.
func (s *Service) Prune(ctx context.Context, t blob.Store, slug string, opt PruneOptions) (Pruned, error) {
	out := Pruned{Target: t.Name()}
	if err := opt.Policy.Check(); err != nil {
		return out, err
	}
	entries, err := List(ctx, t, slug)
	if err != nil {
		return out, err
	}
	now := s.now()
	bs := make([]retention.Backup, len(entries))
	for i, e := range entries {
		bs[i] = retention.Backup{ID: e.ID, At: e.Time}
	}
	keep, remove := opt.Policy.Decide(now, opt.Location, bs)
	out.Kept = keep
	for _, b := range remove {
		if err := s.removeBackup(ctx, t, slug, b.ID); err != nil {
			return out, err
		}
		out.Removed = append(out.Removed, b.ID)
	}
	if out.Keystores, err = s.expireKeystores(ctx, t, slug, now, opt.KeystoreKeep); err != nil {
		return out, err
	}
	if err := s.Cleanup(ctx, t, slug); err != nil {
		return out, err
	}
	if out.Files, out.FilesSkipped, err = s.collectFiles(ctx, t, slug, now, opt.FileGrace); err != nil {
		return out, err
	}
	if len(out.Removed) > 0 || out.Keystores > 0 || out.Files > 0 {
		s.log().Info("pruned backups", "tenant", slug, "target", t.Name(), "backups", len(out.Removed),
			"keystores", out.Keystores, "files", out.Files, "kept", len(keep))
	}
	return out, nil
}

// removeBackup deletes one backup's objects, its commit marker first and
// its key store part last.
func (s *Service) removeBackup(ctx context.Context, t blob.Store, slug, id string) error {
	if err := t.Delete(ctx, objectKey(slug, id, markerObject)); err != nil {
		return err
	}
	var keys []string
	err := t.List(ctx, backupDir(slug, id), func(info blob.Info) error {
		keys = append(keys, info.Key)
		return nil
	})
	if err != nil {
		return err
	}
	keys = append(keys, keystoreKey(slug, id))
	for _, k := range keys {
		if err := t.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// expireKeystores removes key store parts older than keep, never the
// newest: the per-subject keys are what erasing a person deletes, so
// keeping them briefly bounds how long an erased person's values can be
// read from an old backup.
func (s *Service) expireKeystores(ctx context.Context, t blob.Store, slug string, now time.Time, keep time.Duration) (int, error) {
	if keep <= 0 {
		keep = 35 * 24 * time.Hour
	}
	var parts []retention.Backup
	err := t.List(ctx, keystorePrefix(slug), func(info blob.Info) error {
		if id, ok := keystoreID(slug, info.Key); ok {
			at, _ := idTime(id)
			parts = append(parts, retention.Backup{ID: id, At: at})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range retention.Expired(now, keep, parts) {
		if err := t.Delete(ctx, keystoreKey(slug, b.ID)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// probeKey is the object Reachable writes and removes.
const probeKey = "strongroom-probe"

// Reachable reports whether t takes, lists and removes an object: what
// a backup and a prune need of it. For the status page.
func Reachable(ctx context.Context, t blob.Store) error {
	if _, err := t.Put(ctx, probeKey, strings.NewReader(time.Now().UTC().Format(time.RFC3339))); err != nil {
		return err
	}
	if err := t.List(ctx, probeKey, func(blob.Info) error { return nil }); err != nil {
		return err
	}
	return t.Delete(ctx, probeKey)
}
