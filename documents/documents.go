// Package documents holds the files of a case: uploads streamed to storage
// outside the database, encrypted at rest, with title, description,
// security classes and a history of versions.
//
// Each file version is encrypted with a key of its own (DARE 2.0,
// AES-256-GCM, streaming, github.com/minio/sio). That key is kept only
// sealed by the tenant's data key, bound to the tenant and the file's
// storage key, in document_versions.wrapped_key: neither a copy of the
// database nor a copy of the files alone reveals a document. Files are
// named by a random storage key, never by anything a user sent.
//
// A file is written (and synced) before the rows that name it are
// committed; when the transaction fails the file is removed. The writer
// holds a lock on the file from its first byte until its rows commit, so
// that files a crash left behind (a temporary upload, a file without rows)
// can be told from uploads in flight here or on a peer sharing the
// directory: serve removes them at start-up and Purge every hour.
//
// Authorization goes through package access by way of cases.Visible and
// cases.Predicate: a document the caller may not see answers exactly like
// a missing one.
package documents

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"strongroom"
	"strongroom/cases"
	"strongroom/tenancy"
)

// Limits of what a document holds.
const (
	// DefaultMaxUpload is the upload size limit of a tenant that set none.
	DefaultMaxUpload int64 = 100 << 20
	maxTitle               = 300
	maxDescription         = 10000
	// purgeAfter is how long a deleted document can still be restored by an
	// operator before Purge removes it and its files for good.
	purgeAfter = 30 * 24 * time.Hour
)

// Service runs document operations on the tenant a request names.
type Service struct {
	dir string
	log *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time
	// ExtractTimeout bounds the text extraction of one PDF.
	ExtractTimeout time.Duration
	// UploadCeiling is the operator's maximum upload limit: no tenant's
	// limit is above it (0: DefaultUploadCeiling).
	UploadCeiling int64

	// inFlight holds the paths of the files this service's uploads are
	// writing or have written but not yet recorded: sweeps leave them
	// alone without asking the file system.
	mu       sync.Mutex
	inFlight map[string]bool
}

// New returns the documents service keeping files under filesDir, one
// directory per tenant.
func New(filesDir string, log *slog.Logger) *Service {
	return &Service{dir: filesDir, log: log, Now: time.Now, ExtractTimeout: 10 * time.Second,
		inFlight: map[string]bool{}}
}

// Document is a document as its readers see it.
type Document struct {
	ID          int64
	CaseID      int64
	Title       string
	Description string
	// Classes are the effective security classes; OwnClasses says whether
	// they are the document's own or its case's.
	Classes    []int64
	OwnClasses bool
	// Current is the current file version.
	Current   FileVersion
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version is the optimistic-concurrency version of the document's
	// record, sent back with every change; file versions are Current.Number.
	Version int
}

// FileVersion is one uploaded file of a document.
type FileVersion struct {
	Number      int
	Filename    string // sanitised; for the download's name only
	ContentType string // sniffed from the content, never the client's word
	Size        int64
	SHA256      string // hex, of the plaintext
	CreatedAt   time.Time
	CreatedBy   int64
}

// Input is a new document's fields.
type Input struct {
	Title       string // empty: the file's name
	Description string
	// Classes are the document's own security classes; none: it inherits
	// its case's.
	Classes []int64
}

// Edit changes a document's fields.
type Edit struct {
	Title       string
	Description string
	// Classes replaces the document's own classes when not nil; an empty
	// list makes it inherit its case's classes again.
	Classes *[]int64
	Version int
}

// Class is a security class by name, for forms and pages.
type Class struct {
	ID   int64
	Name string
}

// errNotFound is the answer for a missing or hidden document.
func errNotFound() error { return cases.ErrNotFound(cases.TypeDocument) }

// errConflict is the answer to a change sent with a stale version.
func errConflict() error {
	return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "version",
		Message: "Someone else changed this document since you opened it. Reload and make your change again."}
}

// errDamaged is what a caller sees when a stored file fails to decrypt or
// check: the detail goes to the log only.
func errDamaged() error {
	return strongroom.Errorf(strongroom.EINTERNAL,
		"This file could not be read: it is damaged or was changed outside Strongroom. The error has been logged for the administrator.")
}

// tenantDir is the directory of a tenant's files.
func (s *Service) tenantDir(t *tenancy.Handle) (string, error) {
	// The slug was validated when the tenant was made; checking again keeps
	// a path out of the file system should that ever change.
	if err := strongroom.ValidateSlug(t.Tenant.Slug); err != nil {
		return "", fmt.Errorf("tenant slug %q: %w", t.Tenant.Slug, err)
	}
	return filepath.Join(s.dir, t.Tenant.Slug), nil
}
