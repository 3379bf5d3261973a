package backup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"strongroom/store"
)

// fileHash is a remembered hash of a stored document file.
type fileHash struct {
	size     int64
	modified string
	sha256   string
}

// hashes returns the remembered hashes of a tenant's files.
func (s *Service) hashes(ctx context.Context, slug string) (map[string]fileHash, error) {
	rows, err := s.control().QueryContext(ctx, `SELECT storage_key, size, modified, sha256 FROM backup_file_hashes WHERE tenant_slug = ?`, slug)
	if err != nil {
		return nil, fmt.Errorf("read document file hashes of %s: %w", slug, err)
	}
	defer rows.Close()
	out := map[string]fileHash{}
	for rows.Next() {
		var key string
		var h fileHash
		if err := rows.Scan(&key, &h.size, &h.modified, &h.sha256); err != nil {
			return nil, err
		}
		out[key] = h
	}
	return out, rows.Err()
}

// scanFiles lists and hashes every stored document file of a tenant,
// reading only the files whose hash it does not remember, and remembers
// the new ones (forgetting files that are gone). Stored files are written
// once under a fresh name and never changed, so a file read now is the
// one any version in the snapshot names.
func (s *Service) scanFiles(ctx context.Context, slug string) ([]File, error) {
	known, err := s.hashes(ctx, slug)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(s.FilesDir, slug)
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("read document files: %w", err)
	}
	var out []File
	fresh := map[string]fileHash{}
	for _, e := range entries {
		if !e.Type().IsRegular() || !storedFile.MatchString(e.Name()) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		info, err := e.Info()
		if os.IsNotExist(err) {
			continue // purged meanwhile
		} else if err != nil {
			return nil, fmt.Errorf("read document file %s: %w", e.Name(), err)
		}
		mod := info.ModTime().UTC().Format(time.RFC3339Nano)
		h, ok := known[e.Name()]
		if !ok || h.size != info.Size() || h.modified != mod {
			sum, size, err := hashFile(filepath.Join(dir, e.Name()))
			if os.IsNotExist(err) {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("read document file %s: %w", e.Name(), err)
			}
			h = fileHash{size: size, modified: mod, sha256: sum}
			fresh[e.Name()] = h
		}
		delete(known, e.Name())
		out = append(out, File{StorageKey: e.Name(), Size: h.size, SHA256: h.sha256})
	}
	return out, s.remember(ctx, slug, fresh, known)
}

// remember stores new hashes and forgets those of files gone.
func (s *Service) remember(ctx context.Context, slug string, fresh, gone map[string]fileHash) error {
	if len(fresh) == 0 && len(gone) == 0 {
		return nil
	}
	err := s.control().InTx(ctx, func(tx *store.Tx) error {
		for key := range gone {
			if _, err := tx.ExecContext(ctx, `DELETE FROM backup_file_hashes WHERE tenant_slug = ? AND storage_key = ?`, slug, key); err != nil {
				return err
			}
		}
		for key, h := range fresh {
			if _, err := tx.ExecContext(ctx, `INSERT INTO backup_file_hashes (tenant_slug, storage_key, size, modified, sha256) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (tenant_slug, storage_key) DO UPDATE SET size = excluded.size, modified = excluded.modified, sha256 = excluded.sha256`,
				slug, key, h.size, h.modified, h.sha256); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remember document file hashes of %s: %w", slug, err)
	}
	return nil
}
