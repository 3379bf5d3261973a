// Package personal seals a data subject's personal fields at rest under
// that subject's key: the same key the audit log seals the subject's
// personal values under (one row of audit_subject_keys, itself sealed by
// the tenant data key). Deleting that one row makes the fields, and every
// audit value about the subject, unreadable at once, in the live database
// and in every backup of it that lacks the key table.
package personal

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"strongroom"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/tenancy"
)

// Erased is how a personal value reads once its subject's key is gone.
const Erased = "[erased]"

// Tombstone is what the sealed column of an erased person's row holds: one
// byte, never a sealed value, so the row reads erased whatever keys exist.
var Tombstone = []byte{0}

// Contact and User name the subjects personal values are about, in the
// audit log's convention ("contact:12", "user:3").
func Contact(id int64) string { return "contact:" + strconv.FormatInt(id, 10) }

// User names a user account as a data subject.
func User(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// Querier is a database handle or a transaction.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *store.Row
}

// subjectAAD must stay byte for byte what package audit binds a subject
// key to: both packages read and write the same rows.
func subjectAAD(slug, subject string) []byte {
	return []byte("strongroom audit subject key " + slug + "\n" + subject)
}

// fieldsAAD binds sealed fields to their tenant, subject and table, so
// a blob moved to another row does not open.
func fieldsAAD(slug, subject, table string) []byte {
	return []byte("strongroom personal fields " + slug + "\n" + subject + "\n" + table)
}

// Key returns the subject's key, creating it in tx when there is none.
// The caller clears it when done.
func Key(ctx context.Context, tx *store.Tx, h *tenancy.Handle, subject string) ([]byte, error) {
	k, ok, err := LookupKey(ctx, tx, h, subject)
	if err != nil || ok {
		return k, err
	}
	k, err = keys.NewDataKey()
	if err != nil {
		return nil, err
	}
	sealed, err := keys.Seal(h.DataKey(), k, subjectAAD(h.SealedAs(), subject))
	if err != nil {
		return nil, fmt.Errorf("seal key of %s: %w", subject, err)
	}
	// Another writer may have made the key first (PostgreSQL): theirs wins.
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_subject_keys (subject_id, sealed_key, created_at) VALUES (?, ?, ?)
		ON CONFLICT (subject_id) DO NOTHING`, subject, sealed, store.FormatTime(time.Now()))
	if err != nil {
		return nil, fmt.Errorf("store key of %s: %w", subject, err)
	}
	clear(k)
	k, ok, err = LookupKey(ctx, tx, h, subject)
	if err == nil && !ok {
		err = fmt.Errorf("key of %s vanished while it was made", subject)
	}
	return k, err
}

// LookupKey returns the subject's key, or ok false when it has none (never
// made, or erased).
func LookupKey(ctx context.Context, q Querier, h *tenancy.Handle, subject string) (key []byte, ok bool, err error) {
	var sealed []byte
	err = q.QueryRowContext(ctx, `SELECT sealed_key FROM audit_subject_keys WHERE subject_id = ?`, subject).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("read key of %s: %w", subject, err)
	}
	k, err := OpenKey(h, subject, sealed)
	return k, err == nil, err
}

// OpenKey opens a subject key as stored (for a query that joined
// audit_subject_keys itself).
func OpenKey(h *tenancy.Handle, subject string, sealed []byte) ([]byte, error) {
	k, err := keys.OpenSealed(h.DataKey(), sealed, subjectAAD(h.SealedAs(), subject))
	if err != nil {
		return nil, strongroom.Errorf(strongroom.EINTERNAL, "The key of %s does not open.", subject)
	}
	return k, nil
}

// Seal seals fields under the subject's key (made in tx if needed) for a
// row of table.
func Seal(ctx context.Context, tx *store.Tx, h *tenancy.Handle, subject, table string, fields map[string]string) ([]byte, error) {
	k, err := Key(ctx, tx, h, subject)
	if err != nil {
		return nil, err
	}
	defer clear(k)
	return SealWith(h, k, subject, table, fields)
}

// SealWith seals fields under an already opened subject key.
func SealWith(h *tenancy.Handle, key []byte, subject, table string, fields map[string]string) ([]byte, error) {
	plain, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encode fields of %s: %w", subject, err)
	}
	defer clear(plain)
	out, err := keys.Seal(key, plain, fieldsAAD(h.SealedAs(), subject, table))
	if err != nil {
		return nil, fmt.Errorf("seal fields of %s: %w", subject, err)
	}
	return out, nil
}

// Open opens fields sealed for a row of table, given the subject key as
// stored (sealedKey; nil when the subject has no key any more). A subject
// whose key is gone reads erased: every field is Erased and erased is true.
func Open(h *tenancy.Handle, subject, table string, sealedKey, sealed []byte, names ...string) (fields map[string]string, erased bool, err error) {
	if sealedKey == nil || bytes.Equal(sealed, Tombstone) {
		return ErasedFields(names...), true, nil
	}
	k, err := OpenKey(h, subject, sealedKey)
	if err != nil {
		return nil, false, err
	}
	defer clear(k)
	plain, err := keys.OpenSealed(k, sealed, fieldsAAD(h.SealedAs(), subject, table))
	if err != nil {
		return nil, false, strongroom.Errorf(strongroom.EINTERNAL, "The personal fields of %s do not open.", subject)
	}
	defer clear(plain)
	fields = map[string]string{}
	if err := json.Unmarshal(plain, &fields); err != nil {
		return nil, false, fmt.Errorf("decode fields of %s: %w", subject, err)
	}
	return fields, false, nil
}

// ErasedFields maps each name to Erased.
func ErasedFields(names ...string) map[string]string {
	out := make(map[string]string, len(names))
	for _, n := range names {
		out[n] = Erased
	}
	return out
}
