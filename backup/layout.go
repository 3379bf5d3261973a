package backup

import (
	"crypto/rand"
	"encoding/hex"
	"path"
	"regexp"
	"strings"
	"time"
)

// Where a backup's objects live on a target. Everything of a tenant is
// under tenants/SLUG/:
//
//	backups/ID/data.sr.age         the database snapshot (zstd, then age)
//	backups/ID/checkpoints.tar.age the audit checkpoint files (tar, zstd, age)
//	backups/ID/manifest.age        the signed manifest (zstd, then age)
//	backups/ID/committed           the commit marker, written last, in clear
//	keystore/ID.age                the per-subject audit keys (short retention)
//	files/SHA256                   document files as stored, already encrypted
//
// An ID is the backup's UTC start time and 32 random bits
// (20260102T030405Z-1a2b3c4d), so that keys sort by time. A directory
// without its committed object is not a backup.
const (
	dataObject        = "data.sr.age"
	checkpointsObject = "checkpoints.tar.age"
	manifestObject    = "manifest.age"
	markerObject      = "committed"
)

// idTimeLayout is the time part of a backup id.
const idTimeLayout = "20060102T150405Z"

var idPattern = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$`)

// newID returns a fresh backup id for a backup started at now.
func newID(now time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return now.UTC().Format(idTimeLayout) + "-" + hex.EncodeToString(b[:])
}

// idTime returns when the backup with id started.
func idTime(id string) (time.Time, bool) {
	if !idPattern.MatchString(id) {
		return time.Time{}, false
	}
	t, err := time.Parse(idTimeLayout, id[:len(idTimeLayout)])
	return t, err == nil
}

func tenantPrefix(slug string) string          { return "tenants/" + slug + "/" }
func backupsPrefix(slug string) string         { return tenantPrefix(slug) + "backups/" }
func backupDir(slug, id string) string         { return backupsPrefix(slug) + id + "/" }
func objectKey(slug, id, name string) string   { return backupDir(slug, id) + name }
func keystorePrefix(slug string) string        { return tenantPrefix(slug) + "keystore/" }
func keystoreKey(slug, id string) string       { return keystorePrefix(slug) + id + ".age" }
func fileObjectKey(slug, sha256 string) string { return tenantPrefix(slug) + "files/" + sha256 }

// splitBackupKey returns the backup id and object name of a key under
// backupsPrefix(slug), or ok false.
func splitBackupKey(slug, key string) (id, name string, ok bool) {
	rest, found := strings.CutPrefix(key, backupsPrefix(slug))
	if !found {
		return "", "", false
	}
	id, name, found = strings.Cut(rest, "/")
	if !found || !idPattern.MatchString(id) || strings.Contains(name, "/") {
		return "", "", false
	}
	return id, name, true
}

// keystoreID returns the backup id of a key store object's key.
func keystoreID(slug, key string) (string, bool) {
	rest, found := strings.CutPrefix(key, keystorePrefix(slug))
	if !found {
		return "", false
	}
	id := strings.TrimSuffix(path.Base(rest), ".age")
	return id, idPattern.MatchString(id) && rest == id+".age"
}
