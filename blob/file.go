package blob

import (
	"errors"
	"net/url"
	"os"
	"strings"
	"syscall"
)

// fileDefaults sets the fileblob options that make a directory behave like
// the other stores, unless the URL chooses otherwise:
//
//   - no_tmp_dir: an object is written to KEY.<hex>.tmp beside where it
//     will live and renamed into place when whole. The default, a file in
//     os.TempDir, fails with "invalid cross-device link" as soon as the
//     target is another mount (a backup disk, an NFS share) and fills
//     /tmp, often memory, with every object written. Beside it, the rename
//     is atomic and stays on the target's own disk. List hides these
//     files, and checkKey keeps any key from looking like one.
//   - metadata=skip: no KEY.attrs file beside each object. Strongroom keeps
//     no metadata in the store, and the attributes file of an overwritten
//     object is rewritten before the rename, so a failed overwrite would
//     leave the old object with its attributes gone.
//
// create_dir is left off on purpose: a target directory that is missing
// (an unmounted disk, a typo) must be an error, not a new directory on the
// wrong disk.
func fileDefaults(u *url.URL) {
	q := u.Query()
	if _, ok := q["no_tmp_dir"]; !ok {
		q.Set("no_tmp_dir", "true")
	}
	if _, ok := q["metadata"]; !ok {
		q.Set("metadata", "skip")
	}
	u.RawQuery = q.Encode()
}

// isTemp reports whether a listed key of a directory store is one of
// fileblob's temporary files: a write in progress, or one stranded by a
// crash.
func isTemp(key string) bool { return strings.HasSuffix(key, ".tmp") }

// syncDir makes a rename in dir durable, so that an object a Put reported
// written survives a power cut. Not every file system can sync a
// directory; where it cannot, there is nothing more to do.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !os.IsPermission(err) {
		return err
	}
	return nil
}
