package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"

	"strongroom"
	"strongroom/audit"
	"strongroom/blob"
	"strongroom/store"
	"strongroom/tenancy"
)

type downloaded struct{ keystore bool }

// download copies every part and document file of the backup into tmp,
// hashing as it goes, and fails naming the first that does not match the
// manifest. Nothing of the tenant exists yet.
func (r *Restorer) download(ctx context.Context, t blob.Store, e Entry, m *Manifest, tmp string) (downloaded, error) {
	var got downloaded
	var total, done int64
	for _, p := range m.Parts {
		total += p.Size
	}
	for _, f := range m.Files {
		total += f.Size
	}
	for _, p := range m.Parts {
		err := r.fetch(ctx, t, p.Key, filepath.Join(tmp, p.Name), p.Size, p.SHA256)
		if p.Name == "keystore" && blob.IsAbsent(err) {
			r.log().Warn("the backup's key store part has expired; personal values in the restored audit trail stay sealed", "backup", e.ID)
			continue
		}
		if err != nil {
			return got, partError(e, p.Name+" part ("+p.Key+")", err)
		}
		got.keystore = got.keystore || p.Name == "keystore"
		done += p.Size
		r.progress("download", done, total)
	}
	if err := os.Mkdir(filepath.Join(tmp, "files"), 0o700); err != nil {
		return got, partError(e, "temporary directory", err)
	}
	for _, f := range m.Files {
		if !storedFile.MatchString(f.StorageKey) {
			return got, partError(e, "document file "+abbreviate(f.StorageKey), safe("malformed storage key"))
		}
	}
	var mu sync.Mutex
	err := inParallel(ctx, len(m.Files), fileWorkers, func(ctx context.Context, i int) error {
		f := m.Files[i]
		err := r.fetch(ctx, t, fileObjectKey(e.Tenant, f.SHA256), filepath.Join(tmp, "files", f.StorageKey), f.Size, f.SHA256)
		if err != nil {
			return partError(e, "document file "+f.SHA256[:min(8, len(f.SHA256))]+"…", err)
		}
		mu.Lock()
		done += f.Size
		r.progress("download", done, total)
		mu.Unlock()
		return nil
	})
	return got, err
}

// fileWorkers is how many document files are downloaded (or uploaded and
// read back) at once: one stream leaves a target's latency and the
// hashing of the next file idle; a few keep the disk and both cores busy.
const fileWorkers = 4

// inParallel calls fn for 0…n-1 on up to workers goroutines, and returns
// the first error, after which no new call starts and ctx is cancelled.
func inParallel(ctx context.Context, n, workers int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if first != nil || next >= n {
			return 0, false
		}
		next++
		return next - 1, true
	}
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, ok := take(); ok; i, ok = take() {
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// fetch streams one object into path, checking its size and hash.
func (r *Restorer) fetch(ctx context.Context, t blob.Store, key, path string, size int64, sum string) error {
	rc, err := t.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	create := r.create
	if create == nil {
		create = func(p string) (io.WriteCloser, error) {
			return os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		}
	}
	w, err := create(path)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(rc, size+1))
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return err
	case n != size:
		return errTruncated(n, size)
	case hex.EncodeToString(h.Sum(nil)) != sum:
		return errHash
	}
	return nil
}

func (r *Restorer) log() interface {
	Warn(string, ...any)
	Info(string, ...any)
} {
	if r.Log != nil {
		return r.Log
	}
	return discardLog{}
}

type discardLog struct{}

func (discardLog) Warn(string, ...any) {}
func (discardLog) Info(string, ...any) {}

// loader fills the new tenant from the checked parts in tmp.
type loader struct {
	r        *Restorer
	m        *Manifest
	entry    Entry
	slug     string // the restored tenant's: m.Tenant, or the copy's
	target   string
	tmp      string
	keystore bool
	madeDir  bool
}

func (l *loader) load(ctx context.Context, db *store.DB, dataKey []byte) error {
	ctx = store.WithTimeout(ctx, 0) // an operator's command over a whole tenant
	if err := l.importPart(ctx, db, "data", snapshotImport); err != nil {
		return err
	}
	if l.keystore {
		if err := l.importPart(ctx, db, "keystore", snapshotImportKeys); err != nil {
			return err
		}
	}
	if err := rebuildIndex(ctx, db); err != nil {
		return partError(l.entry, "search index", err)
	}
	if err := l.placeFiles(); err != nil {
		return err
	}
	return l.placeCheckpoints(ctx, db)
}

func (l *loader) importPart(ctx context.Context, db *store.DB, name string,
	imp func(context.Context, *store.DB, io.Reader) (Summary, error)) error {
	f, err := os.Open(filepath.Join(l.tmp, name))
	if err != nil {
		return partError(l.entry, name+" part", err)
	}
	defer f.Close()
	var in io.Reader = f
	if info, err := f.Stat(); err == nil && name == "data" {
		// Progress by the part's bytes read: the rows are not counted
		// beforehand.
		in = &progressReader{r: f, total: info.Size(), report: func(done, total int64) { l.r.progress("database", done, total) }}
	}
	o, err := newOpener(in, l.r.Identities)
	if err != nil {
		return partError(l.entry, name+" part", err)
	}
	defer o.Close()
	if _, err := imp(ctx, db, o); err != nil {
		return partError(l.entry, name+" part", err)
	}
	return nil
}

// placeFiles moves the checked document files into the tenant's
// directory, which checkFree found empty or absent.
func (l *loader) placeFiles() error {
	dir := filepath.Join(l.r.FilesDir, l.slug)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return partError(l.entry, "document files", err)
	}
	l.madeDir = true
	for i, f := range l.m.Files {
		from, to := filepath.Join(l.tmp, "files", f.StorageKey), filepath.Join(dir, f.StorageKey)
		if err := moveFile(from, to); err != nil {
			return partError(l.entry, "document file "+f.SHA256[:8]+"…", err)
		}
		l.r.progress("files", int64(i+1), int64(len(l.m.Files)))
	}
	return syncDir(dir)
}

// moveFile renames, or copies where tmp and the files directory are on
// different file systems.
func moveFile(from, to string) error {
	if err := os.Rename(from, to); err == nil {
		return nil
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

var checkpointName = regexp.MustCompile(`^([0-9]{12})\.checkpoint$`)

// placeCheckpoints writes the checkpoint files of the backup that the
// restored tree covers: files signed after the snapshot was taken (the
// backup copies them after it) name events the snapshot lacks.
func (l *loader) placeCheckpoints(ctx context.Context, db *store.DB) error {
	var head int64
	if err := db.QueryRowContext(ctx, `SELECT size FROM audit_head WHERE id = 1`).Scan(&head); err != nil {
		return partError(l.entry, "data part", fmt.Errorf("no audit tree head: %w", err))
	}
	dir := filepath.Join(l.r.CheckpointDir, l.slug)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return partError(l.entry, "checkpoints part", err)
	}
	f, err := os.Open(filepath.Join(l.tmp, "checkpoints"))
	if err != nil {
		return partError(l.entry, "checkpoints part", err)
	}
	defer f.Close()
	o, err := newOpener(f, l.r.Identities)
	if err != nil {
		return partError(l.entry, "checkpoints part", err)
	}
	defer o.Close()
	tr := tar.NewReader(o)
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			return syncDir(dir)
		} else if err != nil {
			return partError(l.entry, "checkpoints part", err)
		}
		if mt := checkpointName.FindStringSubmatch(hd.Name); mt != nil {
			if n, _ := strconv.ParseInt(mt[1], 10, 64); n > head {
				continue
			}
		} else if hd.Name != "verifier.key" {
			continue
		}
		if err := writeSmall(filepath.Join(dir, hd.Name), io.LimitReader(tr, 1<<20)); err != nil {
			return partError(l.entry, "checkpoint file "+hd.Name, err)
		}
	}
}

func writeSmall(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (l *loader) undo() {
	if l.madeDir {
		os.RemoveAll(filepath.Join(l.r.FilesDir, l.slug))
	}
}

// check compares the loaded tenant with the manifest before it goes
// live: the database's own integrity, the row counts, then the erasure
// hook, then the audit trail (which the hook and the restore event extend).
func (l *loader) check(ctx context.Context, h *tenancy.Handle) error {
	ctx = store.WithTimeout(ctx, 0)
	l.r.progress("checks", 0, 1)
	if err := integrity(ctx, h.DB); err != nil {
		return partError(l.entry, "database", err)
	}
	for _, c := range l.m.Tables {
		var n int64
		if err := h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(c.Name)).Scan(&n); err != nil {
			return partError(l.entry, "table "+c.Name, err)
		}
		if n != c.Rows {
			return partError(l.entry, "table "+c.Name, safe("%d rows, the manifest says %d", n, c.Rows))
		}
	}
	if vkey, _ := h.Audit.VerifierKey(ctx); vkey != l.m.VerifierKey {
		return partError(l.entry, "audit trail", safe("its signing key is not the manifest's"))
	}
	if err := h.Audit.CheckExtends(ctx, l.m.AuditSize, l.m.AuditRoot); err != nil {
		return partError(l.entry, "audit trail", &backupError{msg: err.Error(), cause: err})
	}
	if l.r.AfterLoad != nil {
		if err := l.r.AfterLoad(ctx, h, l.m.Tenant); err != nil {
			return err
		}
	}
	if err := l.recordRestore(ctx, h); err != nil {
		return err
	}
	rep, err := h.Audit.Verify(ctx)
	if err != nil {
		return partError(l.entry, "audit trail", err)
	}
	if !rep.OK() {
		return partError(l.entry, "audit trail", safe("it does not verify (%s)", rep.Problems[0]))
	}
	l.r.progress("checks", 1, 1)
	return nil
}

// recordRestore writes the restore into the tenant's own trail and signs it.
func (l *loader) recordRestore(ctx context.Context, h *tenancy.Handle) error {
	details := map[string]string{"target": l.target, "backup_time": l.m.Time.UTC().Format("2006-01-02T15:04:05Z")}
	if l.slug != l.m.Tenant {
		// The fork: the trail so far is the original's; from here on it
		// is the copy's, and says so.
		details["copy_of"], details["restored_as"] = l.m.Tenant, l.slug
	}
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: audit.Actor{Kind: audit.ActorSystem},
			Action: "tenant.restored", ObjectType: "backup", ObjectID: l.m.ID, Details: details})
		return err
	})
	if err == nil {
		_, err = h.Audit.SignTail(ctx)
	}
	if err != nil {
		return fmt.Errorf("record the restore in the audit trail: %w", err)
	}
	return nil
}

// integrity runs SQLite's own check of the file; PostgreSQL has none
// that reads a whole database, and its pages carry checksums.
func integrity(ctx context.Context, db *store.DB) error {
	if db.Dialect != store.SQLite {
		return nil
	}
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check(1)`).Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return strongroom.Errorf(strongroom.EINVALID, "SQLite's integrity check failed")
	}
	return nil
}

var identPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// quoteIdent admits only plain table names: names come from the signed
// manifest, but a query is no place to trust one.
func quoteIdent(name string) string {
	if !identPattern.MatchString(name) {
		return `"invalid table name"`
	}
	return `"` + name + `"`
}

// safe is an error whose text may be shown.
func safe(format string, args ...any) error { return &backupError{msg: fmt.Sprintf(format, args...)} }

// progressReader reports how much of a file was read.
type progressReader struct {
	r           io.Reader
	done, total int64
	report      func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	p.report(p.done, p.total)
	return n, err
}
