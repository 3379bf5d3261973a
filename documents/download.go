package documents

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/minio/sio"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Download is an authorized, checked and audited file version, ready to be
// streamed once. Close it when done.
type Download struct {
	Document *Document
	Version  FileVersion
	file     *os.File
	key      []byte
}

// WriteTo streams the decrypted file to w. The file was checked whole
// before the download was allowed, so an error here means the file changed
// underneath or w failed: the caller must abort the response, not end it
// as if complete.
func (d *Download) WriteTo(w io.Writer) (int64, error) {
	n, err := sio.Decrypt(w, d.file, sioConfig(d.key))
	if err == nil && n != d.Version.Size {
		err = errors.New("document file changed while being sent")
	}
	return n, err
}

// Close releases the file.
func (d *Download) Close() error {
	clear(d.key)
	return d.file.Close()
}

// Download prepares version number (0: the current one) of a document the
// caller may read. The file is decrypted and checked against its recorded
// size and hash before anything is released, so a damaged or altered file
// fails cleanly (EINTERNAL, detail logged) instead of half-way through a
// response. The download is audited in a transaction of its own, before a
// byte is sent.
func (s *Service) Download(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, number int) (*Download, error) {
	doc, err := s.Get(ctx, t, p, id)
	if err != nil {
		return nil, err
	}
	if number == 0 {
		number = doc.Current.Number
	}
	v, storageKey, wrapped, err := readVersion(ctx, t.DB, id, number)
	if err != nil {
		return nil, err
	}
	d, err := s.openChecked(t, storageKey, wrapped, v)
	if err != nil {
		s.log.Error("document file failed its check", "tenant", t.Tenant.Slug, "document", id, "version", number, "err", err)
		return nil, errDamaged()
	}
	d.Document = doc
	err = t.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := t.Audit.Append(ctx, tx, audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: "document.download",
			ObjectType: "document", ObjectID: strconv.FormatInt(id, 10),
			Details: map[string]string{"version": strconv.Itoa(number), "sha256": v.SHA256}})
		return err
	})
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// readVersion reads one file version with what opening it takes.
func readVersion(ctx context.Context, q *store.DB, id int64, number int) (FileVersion, string, []byte, error) {
	v := FileVersion{Number: number}
	var created, storageKey string
	var wrapped []byte
	err := q.QueryRowContext(ctx, `SELECT filename, content_type, size_bytes, sha256, created_at, created_by, storage_key, wrapped_key
		FROM document_versions WHERE document_id = ? AND number = ?`, id, number).
		Scan(&v.Filename, &v.ContentType, &v.Size, &v.SHA256, &created, &v.CreatedBy, &storageKey, &wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return v, "", nil, strongroom.Errorf(strongroom.ENOTFOUND, "This document has no version %d.", number)
	} else if err != nil {
		return v, "", nil, fmt.Errorf("read version %d of document %d: %w", number, id, err)
	}
	if v.CreatedAt, err = store.ParseTime(created); err != nil {
		return v, "", nil, err
	}
	return v, storageKey, wrapped, nil
}

// openChecked opens a stored file, unwraps its key and decrypts it whole
// once, comparing size and SHA-256 with the record; it returns the file
// rewound for streaming.
func (s *Service) openChecked(t *tenancy.Handle, storageKey string, wrapped []byte, v FileVersion) (*Download, error) {
	dir, err := s.tenantDir(t)
	if err != nil {
		return nil, err
	}
	path, err := filePath(dir, storageKey)
	if err != nil {
		return nil, err
	}
	key, err := unwrapKey(t, storageKey, wrapped)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		clear(key)
		return nil, fmt.Errorf("open document file: %w", err)
	}
	d := &Download{Version: v, file: f, key: key}
	sum := sha256.New()
	n, err := sio.Decrypt(sum, f, sioConfig(key))
	switch {
	case err != nil:
		err = fmt.Errorf("decrypt: %w", err)
	case n != v.Size:
		err = fmt.Errorf("decrypted %d bytes, recorded %d", n, v.Size)
	case hex.EncodeToString(sum.Sum(nil)) != v.SHA256:
		err = errors.New("SHA-256 differs from the recorded one")
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}
