package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"strongroom/audit"
)

// manifestVersion is the format of the manifest; a reader refuses newer.
const manifestVersion = 1

// manifestHeader starts the signed note's text, so that a manifest can
// never be taken for an audit checkpoint signed by the same key.
const manifestHeader = "strongroom backup manifest v1\n"

// Manifest describes one backup and is signed with the tenant's audit
// signing key. It holds no secret in clear: the data key is wrapped by the
// master key, the signing key sealed by the data key.
type Manifest struct {
	Version        int       `json:"version"`
	Tenant         string    `json:"tenant"`
	DisplayName    string    `json:"display_name"`
	ID             string    `json:"id"`
	Time           time.Time `json:"time"`
	Engine         string    `json:"engine"`
	SchemaVersion  int       `json:"schema_version"`
	SnapshotFormat int       `json:"snapshot_format"`
	Tables         []Count   `json:"tables"`
	KeyTables      []Count   `json:"key_tables,omitempty"`
	// AuditSize and AuditRoot are the audit tree head signed just before
	// the snapshot was taken; the restored log must extend it.
	AuditSize uint64 `json:"audit_tree_size"`
	AuditRoot []byte `json:"audit_tree_root"`
	// WrappedKey is the tenant's data key wrapped by the master key.
	WrappedKey []byte `json:"wrapped_data_key"`
	// SealedSigner is the audit signing key as the tenant stores it
	// (sealed with the data key, bound to the slug); VerifierKey is its
	// public half. Restore proves the one is the other's before trusting
	// either.
	SealedSigner []byte `json:"sealed_signer"`
	VerifierKey  string `json:"verifier_key"`
	// SealedAs names the tenant whose slug the signing key and every
	// sealed value are bound to, when it is not Tenant: a copy restored
	// beside its original under another slug (tenancy.Handle.SealedAs).
	SealedAs string `json:"sealed_as,omitempty"`
	Parts    []Part `json:"parts"`
	Files    []File `json:"files"`
}

// sealedAs returns the slug the backup's sealed values are bound to.
func (m *Manifest) sealedAs() string {
	if m.SealedAs != "" {
		return m.SealedAs
	}
	return m.Tenant
}

// Count is the number of rows of a table in the snapshot.
type Count struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
}

// Part is one object of the backup: its key on the target and the size
// and SHA-256 of its bytes as stored there.
type Part struct {
	Name   string `json:"name"` // data, checkpoints, keystore
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// File is one document file: its storage key in the tenant's files
// directory, and its size and SHA-256 (its object is files/SHA256).
type File struct {
	StorageKey string `json:"storage_key"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
}

// sign returns the manifest as a note signed by the tenant's log.
func (m *Manifest) sign(log *audit.Log) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return log.SignNote(manifestHeader + string(b) + "\n")
}

// readUnverified parses a signed manifest without checking its signature:
// restore reads what the manifest claims, proves the key that must have
// signed it, and only then checks the signature (verifyManifest).
func readUnverified(msg []byte) (*Manifest, error) {
	text, err := audit.UnverifiedNoteText(msg)
	if err != nil {
		return nil, fmt.Errorf("the manifest is not a signed manifest: %w", err)
	}
	return parseManifest(text)
}

func parseManifest(text string) (*Manifest, error) {
	body, ok := strings.CutPrefix(text, manifestHeader)
	if !ok {
		return nil, errors.New("the manifest is not a Strongroom backup manifest")
	}
	var m Manifest
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return nil, errors.New("the manifest is malformed")
	}
	if m.Version > manifestVersion || m.Version < 1 {
		return nil, fmt.Errorf("the manifest has format %d; this version of Strongroom reads up to %d", m.Version, manifestVersion)
	}
	return &m, nil
}

// verifyManifest checks msg's signature with the proven verifier key and
// that the signed text is the manifest already read.
func verifyManifest(msg []byte, verifierKey string) (*Manifest, error) {
	text, err := audit.OpenNote(msg, verifierKey)
	if err != nil {
		return nil, err
	}
	return parseManifest(text)
}
