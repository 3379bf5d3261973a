package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"strongroom"
	"strongroom/audit"
	"strongroom/blob"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/tenancy"
)

// Restorer brings a tenant back from one target onto this server.
type Restorer struct {
	Tenants    *tenancy.Service
	Keeper     keys.Keeper
	Identities []age.Identity
	// FilesDir and CheckpointDir are the server's (the tenant's files go
	// to FilesDir/SLUG, its checkpoints to CheckpointDir/SLUG); TmpDir is
	// where parts are downloaded and checked first, on the data disk.
	FilesDir, CheckpointDir, TmpDir string
	// SchemaVersion is the newest tenant schema this binary knows; a
	// backup of a newer one is refused before anything is written.
	SchemaVersion int
	// AfterLoad runs on the loaded tenant before it goes live, after its
	// rows were counted against the manifest: erasures recorded since the
	// backup are re-applied there. A failure undoes the restore.
	// from is the tenant the backup is of: h's own slug, or the original's
	// when h is a copy restored under another slug.
	AfterLoad func(ctx context.Context, h *tenancy.Handle, from string) error
	// Progress, when set, hears how far each stage is (bytes or items).
	Progress func(stage string, done, total int64)
	Log      *slog.Logger

	// create opens a file to write; tests inject a full disk here.
	create func(path string) (io.WriteCloser, error)
}

// RestoreOptions chooses the backup: by id, else the newest taken at or
// before At, else the newest.
type RestoreOptions struct {
	Slug     string
	BackupID string
	At       time.Time
	// As restores the tenant beside its original under this slug (empty:
	// under its own). The copy keeps sealing as the original (see
	// tenancy.Handle.SealedAs); DisplayName, when set, names it.
	As          string
	DisplayName string
}

// dest is the slug the restored tenant gets.
func (o RestoreOptions) dest() string {
	if o.As != "" {
		return o.As
	}
	return o.Slug
}

// Restored describes a finished restore.
type Restored struct {
	Tenant *strongroom.Tenant
	Backup Entry
	Files  int
	// KeystoreMissing is set when the backup's key store part had expired:
	// personal values in the restored audit trail stay sealed.
	KeystoreMissing bool
}

func (r *Restorer) progress(stage string, done, total int64) {
	if r.Progress != nil {
		r.Progress(stage, done, total)
	}
}

// Restore finds the backup on t, proves and checks its manifest and every
// part before writing anything, then creates the tenant all or nothing.
func (r *Restorer) Restore(ctx context.Context, t blob.Store, opt RestoreOptions) (*Restored, error) {
	slug := opt.dest()
	if err := r.checkFree(ctx, slug); err != nil {
		return nil, err
	}
	if opt.DisplayName != "" {
		if err := strongroom.ValidateDisplayName(opt.DisplayName); err != nil {
			return nil, err
		}
	}
	r.removeStale()
	entry, err := pick(ctx, t, opt)
	if err != nil {
		return nil, err
	}
	m, err := r.openManifest(ctx, t, entry)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(r.TmpDir, ".restore-")
	if err != nil {
		return nil, partError(entry, "temporary directory", err)
	}
	defer os.RemoveAll(tmp)
	got, err := r.download(ctx, t, entry, m, tmp)
	if err != nil {
		return nil, err
	}
	out := &Restored{Backup: entry, Files: len(m.Files), KeystoreMissing: !got.keystore}
	l := &loader{r: r, m: m, entry: entry, slug: slug, target: t.Name(), tmp: tmp, keystore: got.keystore}
	plan := tenancy.RestorePlan{
		Slug: slug, DisplayName: copyName(m.DisplayName, slug != m.Tenant), WrappedKey: m.WrappedKey,
		Load: l.load, Check: l.check, Undo: l.undo,
	}
	if opt.DisplayName != "" {
		plan.DisplayName = opt.DisplayName
	}
	if as := m.sealedAs(); as != slug {
		plan.SealedAs = as
	}
	out.Tenant, err = r.Tenants.Restore(ctx, plan)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// copyName is the display name of a tenant restored beside its original:
// the original's, marked as a copy, so that the two are told apart in
// every list.
func copyName(name string, isCopy bool) string {
	if !isCopy {
		return name
	}
	const mark = " (copy)"
	if r := []rune(name); len(r)+len([]rune(mark)) > strongroom.MaxDisplayNameLength {
		name = string(r[:max(0, strongroom.MaxDisplayNameLength-len([]rune(mark)))])
	}
	return name + mark
}

// removeStale removes what restores killed midway left in TmpDir a day
// or more ago (a restore in progress is younger).
func (r *Restorer) removeStale() {
	entries, _ := os.ReadDir(r.TmpDir)
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !e.IsDir() || !strings.HasPrefix(e.Name(), ".restore-") || time.Since(info.ModTime()) < 24*time.Hour {
			continue
		}
		if err := os.RemoveAll(filepath.Join(r.TmpDir, e.Name())); err == nil {
			r.log().Info("removed what a stopped restore left", "dir", e.Name())
		}
	}
}

// checkFree refuses a slug that is taken or whose directories hold files.
func (r *Restorer) checkFree(ctx context.Context, slug string) error {
	if err := strongroom.ValidateSlug(slug); err != nil {
		return err
	}
	if _, err := r.Tenants.Show(ctx, slug); err == nil {
		return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "slug",
			Message: fmt.Sprintf("A tenant %q already exists on this server; restore beside it under another name or remove it first.", slug)}
	} else if strongroom.ErrorCode(err) != strongroom.ENOTFOUND {
		return err
	}
	for _, d := range []struct{ what, dir string }{{"document files", r.FilesDir}, {"audit checkpoints", r.CheckpointDir}} {
		entries, err := os.ReadDir(filepath.Join(d.dir, slug))
		if err == nil && len(entries) > 0 {
			return strongroom.Errorf(strongroom.ECONFLICT, "The directory for %s of %q (%s) is not empty; remove what a former tenant left there first.",
				d.what, slug, filepath.Join(d.dir, slug))
		}
	}
	return nil
}

func pick(ctx context.Context, t blob.Store, opt RestoreOptions) (Entry, error) {
	entries, err := List(ctx, t, opt.Slug)
	if err != nil {
		return Entry{}, err
	}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		switch {
		case opt.BackupID != "":
			if e.ID == opt.BackupID {
				return e, nil
			}
		case !opt.At.IsZero():
			if !e.Time.After(opt.At) {
				return e, nil
			}
		default:
			return e, nil
		}
	}
	what := "no committed backup"
	if opt.BackupID != "" {
		what = "no committed backup " + opt.BackupID
	} else if !opt.At.IsZero() {
		what = "no committed backup taken at or before " + opt.At.UTC().Format(time.RFC3339)
	}
	return Entry{}, strongroom.Errorf(strongroom.ENOTFOUND, "%s has %s of tenant %q.", t.Name(), what, opt.Slug)
}

// openManifest reads the manifest, proves the key that must have signed
// it and checks the signature. The chain: the master key (which only
// this installation has) unwraps the data key; the data key opens the
// sealed signing key, whose binding names the slug; the verifier key is
// proven to be that key's public half; the manifest verifies with it; the
// manifest's hashes then vouch for every part. A manifest signed by
// another tenant's key, or by any key not sealed with this tenant's data
// key, fails one of these steps.
func (r *Restorer) openManifest(ctx context.Context, t blob.Store, e Entry) (*Manifest, error) {
	refuse := func(format string, args ...any) error {
		return strongroom.Errorf(strongroom.EINVALID, "Backup %s of %s on %s: the manifest %s.", e.ID, e.Tenant, t.Name(), fmt.Sprintf(format, args...))
	}
	raw, err := fetchSmall(ctx, t, objectKey(e.Tenant, e.ID, manifestObject), e.marker.ManifestSize, e.marker.ManifestSHA256)
	if err != nil {
		return nil, partError(e, "manifest", err)
	}
	o, err := newOpener(bytes.NewReader(raw), r.Identities)
	if err != nil {
		return nil, refuse("%v", err)
	}
	msg, err := io.ReadAll(io.LimitReader(o, 1<<30))
	o.Close()
	if err != nil {
		return nil, refuse("is damaged")
	}
	claimed, err := readUnverified(msg)
	if err != nil {
		return nil, refuse("is not readable: %v", err)
	}
	if claimed.Tenant != e.Tenant || claimed.ID != e.ID {
		return nil, refuse("is of backup %s of tenant %q, not this one", claimed.ID, claimed.Tenant)
	}
	dataKey, err := r.Keeper.Unwrap(ctx, claimed.WrappedKey)
	if err != nil {
		return nil, refuse("holds a data key this server's master key does not open")
	}
	defer clear(dataKey)
	if err := audit.ProveVerifierKey(claimed.sealedAs(), dataKey, claimed.SealedSigner, claimed.VerifierKey); err != nil {
		return nil, refuse("names a signing key that is not the tenant's: %v", err)
	}
	m, err := verifyManifest(msg, claimed.VerifierKey)
	if err != nil {
		return nil, refuse("is not signed by the tenant: %v", err)
	}
	if m.SchemaVersion > r.SchemaVersion && r.SchemaVersion > 0 {
		return nil, refuse("is of schema version %d; this version of Strongroom knows up to %d: restore with a newer Strongroom", m.SchemaVersion, r.SchemaVersion)
	}
	if m.SnapshotFormat > snapshotFormat {
		return nil, refuse("has snapshot format %d; this version of Strongroom reads up to %d", m.SnapshotFormat, snapshotFormat)
	}
	seen := map[string]bool{}
	for _, p := range m.Parts {
		if !partNames[p.Name] || seen[p.Name] {
			return nil, refuse("names an unknown or repeated part %q", abbreviate(p.Name))
		}
		seen[p.Name] = true
	}
	if !seen["data"] || !seen["checkpoints"] {
		return nil, refuse("lacks the data or checkpoints part")
	}
	return m, nil
}

// partNames are the parts a backup has; each is downloaded to a file of
// that name.
var partNames = map[string]bool{"data": true, "keystore": true, "checkpoints": true}

// fetchSmall reads a small object whole, checking its size and hash.
func fetchSmall(ctx context.Context, t blob.Store, key string, size int64, sum string) ([]byte, error) {
	rc, err := t.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, size+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != size {
		return nil, errTruncated(int64(len(b)), size)
	}
	if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != sum {
		return nil, errHash
	}
	return b, nil
}

var errHash = &backupError{msg: "hash mismatch"}

func errTruncated(got, want int64) error {
	if got < want {
		return &backupError{msg: fmt.Sprintf("truncated (%d of %d bytes)", got, want)}
	}
	return &backupError{msg: fmt.Sprintf("longer than recorded (%d bytes)", want)}
}

// partError names the part at fault in a message for the operator,
// keeping the kind of fault: a full disk stays ESTORAGE, a target that
// does not answer EUNAVAILABLE; anything else is the backup's fault. The
// cause goes to the log, not into the message.
func partError(e Entry, part string, err error) error {
	cause := err
	err = store.Classify(err)
	code := strongroom.ErrorCode(err)
	why := "it could not be read or loaded (the cause is logged)"
	var se *strongroom.Error
	var be *backupError
	if errors.As(err, &se) {
		why = strings.TrimSuffix(se.Message, ".")
	} else if errors.As(err, &be) {
		why = be.msg
	}
	switch code {
	case strongroom.ESTORAGE:
		why = "the disk is full"
	case strongroom.EUNAVAILABLE, strongroom.ENOTFOUND:
	default:
		code = strongroom.EINVALID
	}
	safe := &strongroom.Error{Code: code,
		Message: fmt.Sprintf("Backup %s of %s: %s: %s; nothing was restored.", e.ID, e.Tenant, part, why)}
	return fmt.Errorf("%w (cause: %v)", safe, cause)
}
