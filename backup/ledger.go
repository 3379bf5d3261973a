package backup

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"filippo.io/age"

	"strongroom"
	"strongroom/blob"
	"strongroom/erasure"
	"strongroom/tenancy"
)

// ledgerObject is the tenant's erasure ledger on a target
// (tenants/SLUG/erasures.age): JSON lines, zstd, then age, overwritten
// whenever it is written. A server restoring from the target alone reads
// it to erase again whoever was erased after the backup was taken.
const ledgerObject = "erasures.age"

// maxLedger bounds the ledger read back: it holds ids and times only.
const maxLedger = 64 << 20

func ledgerKey(slug string) string { return tenantPrefix(slug) + ledgerObject }

// WriteLedger stores ledger (erasure.ExportLedger's JSON lines) for slug on
// every target, encrypted to the recipients. It returns the error of each
// target, nil where it was written.
func (s *Service) WriteLedger(ctx context.Context, slug string, ledger []byte) []error {
	errs := make([]error, len(s.Targets))
	sealed, err := sealBytes(ledger, s.Recipients)
	for i, t := range s.Targets {
		if err != nil {
			errs[i] = err
			continue
		}
		if _, err := t.Put(ctx, ledgerKey(slug), bytes.NewReader(sealed)); err != nil {
			errs[i] = fmt.Errorf("erasure ledger of %s on %s: %w", slug, t.Name(), err)
		}
	}
	return errs
}

// writeLedger copies the ledger beside the backup, when the service has
// one; a failure is logged: the backup itself stands.
func (s *Service) writeLedger(ctx context.Context, slug string) {
	if s.Ledger == nil {
		return
	}
	ledger, err := s.Ledger(ctx, slug)
	if err != nil {
		s.log().Error("read erasure ledger", "tenant", slug, "err", err)
		return
	}
	for _, err := range s.WriteLedger(ctx, slug, ledger) {
		if err != nil {
			s.log().Warn("write erasure ledger", "tenant", slug, "err", err)
		}
	}
}

// ReadLedger returns the erasure ledger of slug stored on t, opened with
// identities; ENOTFOUND when the target holds none.
func ReadLedger(ctx context.Context, t blob.Store, slug string, identities []age.Identity) ([]byte, error) {
	if err := strongroom.ValidateSlug(slug); err != nil {
		return nil, err
	}
	r, err := t.Get(ctx, ledgerKey(slug))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	o, err := newOpener(io.LimitReader(r, maxLedger), identities)
	if err != nil {
		return nil, strongroom.Errorf(strongroom.EINVALID, "The erasure ledger of %s on %s cannot be opened with the backup identity.", slug, t.Name())
	}
	defer o.Close()
	b, err := io.ReadAll(io.LimitReader(o, maxLedger))
	if err != nil {
		return nil, strongroom.Errorf(strongroom.EINVALID, "The erasure ledger of %s on %s is damaged.", slug, t.Name())
	}
	return b, nil
}

// ReapplyLedger is a Restorer's AfterLoad: the erasures of the tenant the
// backup is of (from) are erased again before it goes live, from the
// control database's ledger when it knows that tenant's, else from the
// target's copy; on a fresh server that copy is imported, so that later
// restores know it too. With no target (t nil) only the control database's
// ledger is applied. A copy restored under another slug gets the
// original's erasures, and they become its own ledger's: the copy holds
// the same people.
func ReapplyLedger(es *erasure.Service, t blob.Store, ids []age.Identity) func(ctx context.Context, h *tenancy.Handle, from string) error {
	return func(ctx context.Context, h *tenancy.Handle, from string) error {
		entries, err := es.Ledger(ctx, from)
		if err != nil {
			return err
		}
		imported := false
		if len(entries) == 0 && t != nil { // t nil: a drill asks the live ledger only
			b, err := ReadLedger(ctx, t, from, ids)
			switch {
			case strongroom.ErrorCode(err) == strongroom.ENOTFOUND:
			case err != nil:
				return err
			default:
				if entries, err = erasure.ParseLedger(bytes.NewReader(b)); err != nil {
					return err
				}
				imported = true
			}
		}
		if len(entries) == 0 {
			return nil
		}
		for i, e := range entries {
			if e.Tenant != from {
				return strongroom.FieldError("ledger", "The erasure ledger of %s holds an entry of another tenant (%s).", from, e.Tenant)
			}
			entries[i].Tenant = h.Tenant.Slug
		}
		if err := erasure.Reapply(ctx, h, entries); err != nil {
			return err
		}
		if imported || from != h.Tenant.Slug {
			// Only once Reapply accepted them: a copy's own ledger, or a
			// fresh server's.
			return es.Import(ctx, entries)
		}
		return nil
	}
}
