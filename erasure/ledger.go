package erasure

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/store"
	"strongroom/tenancy"
)

// Entry is one line of the erasure ledger: which subject of which tenant
// was erased, and when. It holds no personal data.
type Entry struct {
	Tenant   string    `json:"tenant"`
	Subject  string    `json:"subject"`
	ErasedAt time.Time `json:"erased_at"`
}

// record writes an erasure into the ledger; one already there stays.
func (s *Service) record(ctx context.Context, slug, subject string, at time.Time) error {
	_, err := s.control.ExecContext(ctx, `INSERT INTO erasure_ledger (tenant_slug, subject_id, erased_at) VALUES (?, ?, ?)
		ON CONFLICT (tenant_slug, subject_id) DO NOTHING`, slug, subject, store.FormatTime(at))
	if err != nil {
		return fmt.Errorf("record erasure of %s in %s: %w", subject, slug, err)
	}
	return nil
}

// unrecord takes back an erasure the tenant refused after all.
func (s *Service) unrecord(ctx context.Context, slug, subject string) error {
	_, err := s.control.ExecContext(ctx, `DELETE FROM erasure_ledger WHERE tenant_slug = ? AND subject_id = ?`, slug, subject)
	return err
}

// Ledger returns the erasures of the tenant slug, oldest first: what a
// restore of that tenant passes to Reapply.
func (s *Service) Ledger(ctx context.Context, slug string) ([]Entry, error) {
	rows, err := s.control.QueryContext(ctx, `SELECT subject_id, erased_at FROM erasure_ledger WHERE tenant_slug = ?
		ORDER BY erased_at, subject_id`, slug)
	if err != nil {
		return nil, fmt.Errorf("read erasure ledger of %s: %w", slug, err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e := Entry{Tenant: slug}
		var at string
		if err := rows.Scan(&e.Subject, &at); err != nil {
			return nil, fmt.Errorf("read erasure ledger of %s: %w", slug, err)
		}
		if e.ErasedAt, err = store.ParseTime(at); err != nil {
			return nil, fmt.Errorf("read erasure ledger of %s: %w", slug, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ExportLedger returns the tenant's ledger as JSON lines (one Entry per
// line), for the backup code to copy beside each backup: a server
// restoring from a backup target alone has no control database.
func (s *Service) ExportLedger(ctx context.Context, slug string) ([]byte, error) {
	entries, err := s.Ledger(ctx, slug)
	if err != nil {
		return nil, err
	}
	return EncodeLedger(entries)
}

// EncodeLedger writes entries as JSON lines.
func EncodeLedger(entries []Entry) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, e := range entries {
		if err := enc.Encode(e); err != nil {
			return nil, fmt.Errorf("encode erasure ledger: %w", err)
		}
	}
	return buf.Bytes(), nil
}

// maxLedgerLine bounds one line of a ledger read back.
const maxLedgerLine = 4096

// ParseLedger reads a ledger written by EncodeLedger. A line that is not
// an entry is an error naming its number: a restore must not go ahead on a
// ledger it half understood.
func ParseLedger(r io.Reader) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxLedgerLine)
	var out []Entry
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, strongroom.FieldError("ledger", "Line %d of the erasure ledger is not an entry.", n)
		}
		if _, err := parseSubjectID(e.Subject); err != nil || e.Tenant == "" {
			return nil, strongroom.FieldError("ledger", "Line %d of the erasure ledger names no tenant or subject.", n)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, strongroom.FieldError("ledger", "The erasure ledger cannot be read: %v.", err)
	}
	return out, nil
}

// Import adds entries to the ledger in the control database (a fresh
// server restoring from a backup target's copy); entries already there
// stay as they are.
func (s *Service) Import(ctx context.Context, entries []Entry) error {
	for _, e := range entries {
		if err := s.record(ctx, e.Tenant, e.Subject, e.ErasedAt); err != nil {
			return err
		}
	}
	return nil
}

// Reapply erases again, in the tenant database of h, every subject of
// entries (those of other tenants are refused): a restore calls it after
// loading a backup and before the tenant goes live, so that an older
// backup does not bring an erased person back. A subject with nothing
// left is skipped, so reapplying twice changes nothing the second time.
// Each subject erased again is audited as "subject.erase" by the system,
// with the subject id only.
func Reapply(ctx context.Context, h *tenancy.Handle, entries []Entry) error {
	subjects := make([]Subject, 0, len(entries))
	for _, e := range entries {
		if e.Tenant != h.Tenant.Slug {
			return strongroom.FieldError("ledger", "The erasure ledger holds an entry of another tenant (%s).", e.Tenant)
		}
		subj, err := parseSubjectID(e.Subject)
		if err != nil {
			return err
		}
		subjects = append(subjects, subj)
	}
	again := 0
	for _, subj := range subjects {
		err := h.DB.InTx(ctx, func(tx *store.Tx) error {
			left, err := present(ctx, tx, subj)
			if err != nil || !left {
				return err
			}
			if _, err := wipe(ctx, tx, h, subj); err != nil {
				return err
			}
			again++
			ev := audit.Event{Actor: audit.Actor{Kind: audit.ActorSystem}, Action: "subject.erase",
				ObjectType: subj.Kind, ObjectID: strconv.FormatInt(subj.ID, 10), Details: map[string]string{"reapplied": "true"}}
			_, err = h.Audit.Append(ctx, tx, ev)
			return err
		})
		if err != nil {
			return fmt.Errorf("erase %s again in %s: %w", subj, h.Tenant.Slug, err)
		}
	}
	if again > 0 {
		afterErase(ctx, h, nil)
	}
	return nil
}

// afterErase makes the erased values leave the SQLite file itself, not
// only its live rows: FTS5 keeps a deleted entry's words in its segments
// until they are merged, so the index is optimized; then the WAL, which
// holds the pages as they were, is checkpointed and truncated. With
// secure_delete the freed space is zeroed. PostgreSQL keeps dead rows
// until vacuumed, which autovacuum does on its own schedule. A failure is
// logged, not returned: the erasure itself has committed.
func afterErase(ctx context.Context, h *tenancy.Handle, log *slog.Logger) {
	if h.DB.Dialect != store.SQLite {
		return
	}
	for _, q := range []string{`INSERT INTO search_fts (search_fts) VALUES ('optimize')`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
		if _, err := h.DB.ExecContext(ctx, q); err != nil && log != nil {
			log.WarnContext(ctx, "erasure: compacting the database after an erasure failed", "tenant", h.Tenant.Slug, "err", err)
		}
	}
}
