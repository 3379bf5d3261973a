package netpolicy

import (
	"context"
	"fmt"
	"net/netip"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// querier is a tenant database or a transaction of it.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*store.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *store.Row
}

func read(ctx context.Context, q querier) (*Policy, error) {
	var p Policy
	var updated string
	if err := q.QueryRowContext(ctx, `SELECT version, updated_at FROM ip_allowlist_state WHERE id = 1`).Scan(&p.Version, &updated); err != nil {
		return nil, fmt.Errorf("read the IP allowlist: %w", err)
	}
	if updated != "" {
		t, err := store.ParseTime(updated)
		if err != nil {
			return nil, err
		}
		p.UpdatedAt = t
	}
	rows, err := q.QueryContext(ctx, `SELECT cidr, label FROM ip_allowlist ORDER BY position`)
	if err != nil {
		return nil, fmt.Errorf("read the IP allowlist: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cidr string
		var e Entry
		if err := rows.Scan(&cidr, &e.Label); err != nil {
			return nil, err
		}
		if e.Prefix, err = netip.ParsePrefix(cidr); err != nil {
			return nil, fmt.Errorf("read the IP allowlist: %w", err)
		}
		p.Entries = append(p.Entries, e)
	}
	return &p, rows.Err()
}

// Update replaces the tenant's list, if it is still at in.Version. A
// non-empty list that leaves out the administrator's own address (p.IP) is
// refused unless in.ConfirmLockout: saving it would end their access on
// the next request.
func (s *Service) Update(ctx context.Context, h *tenancy.Handle, p *identity.Principal, in Input) (*Policy, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	entries, err := Check(in.Entries)
	if err != nil {
		return nil, err
	}
	if in.Version <= 0 {
		return nil, strongroom.FieldError("version", "Send the version of the IP allowlist you are editing.")
	}
	if len(entries) > 0 && !in.ConfirmLockout {
		own, _ := netip.ParseAddr(p.IP)
		if !contains(entries, own) {
			shown := p.IP
			if shown == "" {
				shown = "not known"
			}
			return nil, strongroom.FieldError("entries", "Your own address (%s) is not in this list: saving it would lock you out at once. Add your address, or confirm that you mean to lock yourself out.", shown)
		}
	}
	err = s.replace(ctx, h, p.AuditActor(), p.IP, "netpolicy.update", in.Version, entries)
	if err != nil {
		return nil, err
	}
	return read(ctx, h.DB)
}

// Clear empties the tenant's list (every address allowed again), as done
// by the operator named: their escape hatch when the tenant's
// administrators have locked themselves out. The event is in the tenant's
// audit trail.
func (s *Service) Clear(ctx context.Context, h *tenancy.Handle, operator string) (*Policy, error) {
	if operator == "" {
		return nil, strongroom.FieldError("operator", "Name the operator clearing the IP allowlist.")
	}
	err := s.replace(ctx, h, audit.Actor{Kind: audit.ActorOperator, ID: operator}, "", "netpolicy.clear", 0, nil)
	if err != nil {
		return nil, err
	}
	return read(ctx, h.DB)
}

// replace writes entries in place of the list, moving the version on, in
// one transaction with its audit event. version 0 takes whatever version
// is stored (the operator's clear); otherwise a list changed since is
// refused. An unchanged list writes nothing.
func (s *Service) replace(ctx context.Context, h *tenancy.Handle, actor audit.Actor, ip, action string, version int, entries []Entry) error {
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		before, err := read(ctx, tx)
		if err != nil {
			return err
		}
		if version != 0 && before.Version != version {
			return errStale()
		}
		if Format(before.Entries) == Format(entries) {
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE ip_allowlist_state SET version = version + 1, updated_at = ? WHERE id = 1 AND version = ?`,
			store.FormatTime(s.Now()), before.Version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return errStale()
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM ip_allowlist`); err != nil {
			return err
		}
		for i, e := range entries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO ip_allowlist (position, cidr, label) VALUES (?, ?, ?)`, i+1, e.Prefix.String(), e.Label); err != nil {
				return err
			}
		}
		_, err = h.Audit.Append(ctx, tx, audit.Event{Actor: actor, SourceIP: ip, Action: action, ObjectType: "ip_allowlist",
			Changes: []audit.Change{{Field: "entries", Before: Format(before.Entries), After: Format(entries)}}})
		return err
	})
	if err != nil {
		return err
	}
	s.forget(h.Tenant.Slug)
	return nil
}

// RecordRefused writes a netpolicy.refused event for ip into the tenant's
// audit trail, at most once per address and RefusalEvery. A failure to
// write is logged, never shown: the answer to the refused request is the
// same either way.
func (s *Service) RecordRefused(ctx context.Context, h *tenancy.Handle, ip netip.Addr) {
	if !s.dueRefusal(h.Tenant.Slug, ip) {
		return
	}
	addr := ""
	if ip.IsValid() {
		addr = ip.String()
	}
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: audit.Actor{Kind: audit.ActorAnonymous}, SourceIP: addr,
			Action: "netpolicy.refused", ObjectType: "ip_allowlist"})
		return err
	})
	if err != nil {
		s.log.Error("audit a request refused by the IP allowlist", "tenant", h.Tenant.Slug, "err", err)
	}
}

// maxRefusals bounds the rate limit's memory; past it, entries older than
// RefusalEvery are dropped, and if all are recent no more are written until
// some age.
const maxRefusals = 10000

func (s *Service) dueRefusal(slug string, ip netip.Addr) bool {
	now := s.Now()
	if ip.Is6() && !ip.Is4In6() {
		// One holder of an IPv6 network has all of its /64 to vary from.
		ip = netip.PrefixFrom(ip.WithZone(""), 64).Masked().Addr()
	}
	key := refusal{tenant: slug, ip: ip}
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.refused[key]; ok && now.Sub(last) < RefusalEvery && !now.Before(last) {
		return false
	}
	if len(s.refused) >= maxRefusals {
		for k, at := range s.refused {
			if now.Sub(at) >= RefusalEvery {
				delete(s.refused, k)
			}
		}
		if len(s.refused) >= maxRefusals {
			return false // a flood from many addresses: the trail already holds its start
		}
	}
	s.refused[key] = now
	return true
}
