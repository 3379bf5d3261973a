package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"filippo.io/age"

	"strongroom/blob"
	"strongroom/tenancy"
)

// attempt writes one backup to the targets batch (indexes into Targets),
// sharing the snapshot among them, and returns a copy per target. A copy
// is OK only once every object was read back with the hash it was written
// with and the commit marker is stored.
func (s *Service) attempt(ctx context.Context, h *tenancy.Handle, id string, started time.Time, batch []int) []Copy {
	begin := time.Now()
	targets := make([]blob.Store, len(batch))
	for k, i := range batch {
		targets[k] = s.Targets[i]
	}
	errs := make([]error, len(batch))
	fail := func(err error) []Copy {
		for k := range errs {
			if errs[k] == nil {
				errs[k] = err
			}
		}
		return s.copies(targets, errs, nil, begin)
	}
	m, err := s.prepare(ctx, h, id, started)
	if err != nil {
		return fail(err)
	}
	if err := s.writeParts(ctx, h, m, targets, errs); err != nil {
		return fail(err)
	}
	msg, err := m.sign(h.Audit)
	if err != nil {
		return fail(err)
	}
	sealed, err := sealBytes(msg, s.Recipients)
	if err != nil {
		return fail(err)
	}
	stats := make([]finishStats, len(targets))
	var wg sync.WaitGroup
	for k, t := range targets {
		if errs[k] != nil {
			continue
		}
		wg.Go(func() {
			tctx, dog, stop := watch(ctx, s.stall())
			defer stop()
			stats[k], errs[k] = s.finish(tctx, watched{Store: t, dog: dog}, m, sealed)
			errs[k] = stalled(tctx, errs[k])
		})
	}
	wg.Wait()
	return s.copies(targets, errs, stats, begin)
}

func (s *Service) copies(targets []blob.Store, errs []error, stats []finishStats, begin time.Time) []Copy {
	out := make([]Copy, len(targets))
	for k, t := range targets {
		out[k] = Copy{Target: t.Name(), Duration: time.Since(begin)}
		if errs[k] != nil {
			out[k].Error = safeMessage(errs[k])
			continue
		}
		st := stats[k]
		out[k].OK, out[k].Size, out[k].VerifiedAt = true, st.size, s.now()
		out[k].Uploaded, out[k].Reused = st.uploaded, st.reused
	}
	return out
}

// prepare signs the audit log's tail and starts the manifest with what
// must be read before the snapshot: the signed tree head, the keys.
func (s *Service) prepare(ctx context.Context, h *tenancy.Handle, id string, started time.Time) (*Manifest, error) {
	if _, err := h.Audit.Checkpoint(ctx); err != nil {
		return nil, err
	}
	size, root, err := h.Audit.Head(ctx)
	if err != nil {
		return nil, err
	}
	sealed, vkey, err := h.Audit.SealedSigner(ctx)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Version: manifestVersion, Tenant: h.Tenant.Slug, DisplayName: h.Tenant.DisplayName,
		ID: id, Time: started, AuditSize: size, AuditRoot: root,
		WrappedKey: h.Tenant.WrappedKey, SealedSigner: sealed, VerifierKey: vkey}
	if as := h.SealedAs(); as != h.Tenant.Slug {
		m.SealedAs = as
	}
	return m, nil
}

// writeParts streams the snapshot, the key store and the checkpoint
// files to the targets whose errs entry is still nil, recording each in
// the manifest; a target that fails gets its error in errs.
func (s *Service) writeParts(ctx context.Context, h *tenancy.Handle, m *Manifest, targets []blob.Store, errs []error) error {
	slug := m.Tenant
	var sum, keySum Summary
	parts := []struct {
		name, key string
		produce   func(io.Writer) error
	}{
		{"data", objectKey(slug, m.ID, dataObject), func(w io.Writer) (err error) {
			sum, err = snapshotExport(ctx, h.DB, s.TmpDir, w)
			return err
		}},
		{"keystore", keystoreKey(slug, m.ID), func(w io.Writer) (err error) {
			keySum, err = snapshotExportKeys(ctx, h.DB, w)
			return err
		}},
		{"checkpoints", objectKey(slug, m.ID, checkpointsObject), func(w io.Writer) error {
			return tarCheckpoints(filepath.Join(s.CheckpointDir, slug), w)
		}},
	}
	for _, p := range parts {
		live, idx := liveTargets(targets, errs)
		if len(live) == 0 {
			return nil
		}
		st := fanout(ctx, live, p.key, s.stall(), sealed(p.produce, s.Recipients))
		for j, err := range st.Errs {
			if err != nil {
				errs[idx[j]] = fmt.Errorf("%s part: %w", p.name, err)
			}
		}
		m.Parts = append(m.Parts, Part{Name: p.name, Key: p.key, Size: st.Size, SHA256: st.SHA256})
	}
	m.Engine, m.SchemaVersion, m.SnapshotFormat = sum.Engine, sum.SchemaVersion, sum.Format
	for _, t := range sum.Tables {
		m.Tables = append(m.Tables, Count{Name: t.Name, Rows: t.Rows})
	}
	for _, t := range keySum.Tables {
		m.KeyTables = append(m.KeyTables, Count{Name: t.Name, Rows: t.Rows})
	}
	files, err := s.scanFiles(ctx, slug)
	if err != nil {
		return err
	}
	m.Files = files
	return nil
}

func liveTargets(targets []blob.Store, errs []error) ([]blob.Store, []int) {
	var live []blob.Store
	var idx []int
	for k, t := range targets {
		if errs[k] == nil {
			live, idx = append(live, t), append(idx, k)
		}
	}
	return live, idx
}

// sealed wraps a producer so that what it writes is compressed and
// encrypted on its way out.
func sealed(produce func(io.Writer) error, recipients []age.Recipient) func(io.Writer) error {
	return func(w io.Writer) error {
		sw, err := newSealer(w, recipients)
		if err != nil {
			return err
		}
		if err := produce(sw); err != nil {
			return err
		}
		return sw.Close()
	}
}

func sealBytes(b []byte, recipients []age.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	err := sealed(func(w io.Writer) error { _, err := w.Write(b); return err }, recipients)(&buf)
	return buf.Bytes(), err
}

// storedFile is the name of a document file (documents.storageKeyPattern);
// anything else in the directory (uploads in progress) is not backed up.
var storedFile = regexp.MustCompile(`^[0-9a-f]{32}$`)

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// tarCheckpoints writes the tenant's checkpoint files as a tar stream.
func tarCheckpoints(dir string, w io.Writer) error {
	tw := tar.NewWriter(w)
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("read checkpoint files: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("read checkpoint file %s: %w", e.Name(), err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: e.Name(), Mode: 0o600, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(b); err != nil {
			return err
		}
	}
	return tw.Close()
}

// marker is the commit marker's content, in clear: enough to list
// backups without the identity, nothing secret.
type marker struct {
	ID             string    `json:"id"`
	Tenant         string    `json:"tenant"`
	Time           time.Time `json:"time"`
	ManifestSHA256 string    `json:"manifest_sha256"`
	ManifestSize   int64     `json:"manifest_size"`
	Size           int64     `json:"size"`  // parts and document files together
	Files          int       `json:"files"` // document files
}

type finishStats struct {
	size             int64
	uploaded, reused int
}

// finish completes one target: the document files it lacks, the
// manifest, a read-back of everything this backup wrote, and last the
// commit marker.
func (s *Service) finish(ctx context.Context, t blob.Store, m *Manifest, sealedManifest []byte) (finishStats, error) {
	var st finishStats
	if err := putFileIndex(ctx, t, m); err != nil {
		return st, err
	}
	dir := filepath.Join(s.FilesDir, m.Tenant)
	total := int64(0)
	for _, p := range m.Parts {
		st.size += p.Size
		total += p.Size
	}
	// One listing rather than a request per file: a tenant may have
	// hundreds of thousands, most already there.
	present := map[string]int64{}
	err := t.List(ctx, tenantPrefix(m.Tenant)+"files/", func(info blob.Info) error {
		present[info.Key] = info.Size
		return nil
	})
	if err != nil {
		return st, err
	}
	var send []File
	for _, f := range m.Files {
		total += f.Size
		key := fileObjectKey(m.Tenant, f.SHA256)
		if size, ok := present[key]; ok && size == f.Size {
			st.reused++
			continue
		}
		// Two stored files with the same content are sent once.
		present[key] = f.Size
		send = append(send, f)
	}
	var mu sync.Mutex
	err = inParallel(ctx, len(send), fileWorkers, func(ctx context.Context, i int) error {
		f := send[i]
		if err := putFile(ctx, t, fileObjectKey(m.Tenant, f.SHA256), filepath.Join(dir, f.StorageKey), f); err != nil {
			return err
		}
		mu.Lock()
		st.uploaded++
		st.size += f.Size
		mu.Unlock()
		return nil
	})
	if err != nil {
		if errors.Is(err, errChanged) {
			// A remembered hash was wrong: the next run reads every
			// file again rather than trust the others.
			s.control().ExecContext(ctx, `DELETE FROM backup_file_hashes WHERE tenant_slug = ?`, m.Tenant)
		}
		return st, err
	}
	mkey := objectKey(m.Tenant, m.ID, manifestObject)
	w, err := t.Put(ctx, mkey, bytes.NewReader(sealedManifest))
	if err != nil {
		return st, fmt.Errorf("manifest: %w", err)
	}
	st.size += w.Size
	for _, p := range m.Parts {
		if err := readBack(ctx, t, p.Key, p.Size, p.SHA256); err != nil {
			return st, fmt.Errorf("%s part: %w", p.Name, err)
		}
	}
	if err := readBack(ctx, t, mkey, w.Size, w.SHA256); err != nil {
		return st, fmt.Errorf("manifest: %w", err)
	}
	b, _ := json.Marshal(marker{ID: m.ID, Tenant: m.Tenant, Time: m.Time, ManifestSHA256: w.SHA256,
		ManifestSize: w.Size, Size: total + w.Size, Files: len(m.Files)})
	if _, err := t.Put(ctx, objectKey(m.Tenant, m.ID, markerObject), bytes.NewReader(b)); err != nil {
		return st, fmt.Errorf("commit marker: %w", err)
	}
	return st, nil
}

// errChanged is a document file whose bytes are not the ones expected.
var errChanged = errors.New("document file changed")

// putFile uploads one document file and reads it back.
func putFile(ctx context.Context, t blob.Store, key, path string, f File) error {
	in, err := os.Open(path)
	if err != nil {
		return &backupError{msg: fmt.Sprintf("Document file %s could not be read.", f.StorageKey), cause: err}
	}
	defer in.Close()
	w, err := t.Put(ctx, key, in)
	if err != nil {
		return fmt.Errorf("document file %s: %w", f.StorageKey, err)
	}
	if w.SHA256 != f.SHA256 || w.Size != f.Size {
		t.Delete(ctx, key)
		return &backupError{msg: fmt.Sprintf("Document file %s changed while it was backed up.", f.StorageKey), cause: errChanged}
	}
	if err := readBack(ctx, t, key, f.Size, f.SHA256); err != nil {
		return fmt.Errorf("document file %s: %w", f.StorageKey, err)
	}
	return nil
}

// readBack reads an object whole and checks its size and hash.
func readBack(ctx context.Context, t blob.Store, key string, size int64, sum string) error {
	r, err := t.Get(ctx, key)
	if err != nil {
		return err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return &backupError{msg: "Reading back " + key + " failed.", cause: err}
	}
	if n != size || hex.EncodeToString(h.Sum(nil)) != sum {
		return &backupError{msg: "Reading back " + key + " gave other bytes than were written."}
	}
	return nil
}

// watched is a target whose reads and writes touch a watchdog.
type watched struct {
	blob.Store
	dog *watchdog
}

func (w watched) Put(ctx context.Context, key string, r io.Reader) (blob.Written, error) {
	return w.Store.Put(ctx, key, w.dog.reader(r))
}

func (w watched) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := w.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	w.dog.touch()
	return struct {
		io.Reader
		io.Closer
	}{w.dog.reader(rc), rc}, nil
}

func (w watched) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	return w.Store.List(ctx, prefix, func(i blob.Info) error { w.dog.touch(); return fn(i) })
}
