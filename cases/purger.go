package cases

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"strongroom/store"
	"strongroom/tenancy"
)

// Purger purges tenants: one at a time with PurgeTenant, which the server
// runs as an hourly job per tenant (cmd/strongroom, package jobs), or
// every tenant at a fixed interval with Run, for a process without a job
// runner. Run owns its goroutine; Close stops it and waits for a purge in
// progress to finish (or be cancelled).
type Purger struct {
	svc   *Service
	list  func(ctx context.Context) ([]string, error)
	get   func(ctx context.Context, slug string) (*tenancy.Handle, func(), error)
	every time.Duration
	log   *slog.Logger
	// Now is the clock purges are measured against; tests replace it.
	Now func() time.Time
	// Before, when set, runs on each tenant before its cases are purged:
	// package documents' Purge, so that a purged case's documents are gone
	// first (a case is removed only once nothing refers to it).
	Before func(ctx context.Context, t *tenancy.Handle, now time.Time) error

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewPurger returns a purger that every interval lists the tenants to
// purge (list: the active tenants' slugs) and opens each through get (a
// tenancy.Registry's Get).
func NewPurger(svc *Service, list func(context.Context) ([]string, error),
	get func(context.Context, string) (*tenancy.Handle, func(), error), every time.Duration, log *slog.Logger) *Purger {
	ctx, cancel := context.WithCancel(context.Background())
	return &Purger{svc: svc, list: list, get: get, every: every, log: log, Now: time.Now, ctx: ctx, cancel: cancel}
}

// Run starts purging in the background: once at once, then every interval.
func (p *Purger) Run() {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(p.every)
		defer tick.Stop()
		for {
			p.PurgeAll(p.ctx)
			select {
			case <-p.ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// PurgeAll purges every listed tenant once. A tenant that fails is logged
// and skipped; the next run tries it again.
func (p *Purger) PurgeAll(ctx context.Context) {
	slugs, err := p.list(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Error("purge: list tenants", "err", err)
		}
		return
	}
	for _, slug := range slugs {
		if ctx.Err() != nil {
			return
		}
		p.purgeTenant(ctx, slug)
	}
}

// PurgeTimeout bounds one tenant's purge, each of its transactions
// included: a purge removes up to a batch of rows of each kind in one
// transaction, more than a request's database deadline allows, and must
// still end if its database stops answering.
const PurgeTimeout = 5 * time.Minute

func (p *Purger) purgeTenant(ctx context.Context, slug string) {
	ctx, cancel := context.WithTimeout(store.WithTimeout(ctx, PurgeTimeout), PurgeTimeout)
	defer cancel()
	h, release, err := p.get(ctx, slug)
	if err != nil {
		p.log.Error("purge: open tenant", "tenant", slug, "err", err)
		return
	}
	defer release()
	if err := p.PurgeTenant(ctx, h); err != nil {
		p.log.Error("purge failed", "tenant", slug, "err", err)
	}
}

// PurgeTenant purges one tenant now, within PurgeTimeout: Before first,
// then its cases. The cases are purged even when Before failed (what it
// left is tried again next time); the first error is returned, so that
// the hourly job that calls it (cmd/strongroom) is retried.
func (p *Purger) PurgeTenant(ctx context.Context, h *tenancy.Handle) error {
	ctx, cancel := context.WithTimeout(store.WithTimeout(ctx, PurgeTimeout), PurgeTimeout)
	defer cancel()
	slug := h.Tenant.Slug
	now := p.Now()
	var beforeErr error
	if p.Before != nil {
		if beforeErr = p.Before(ctx, h, now); beforeErr != nil {
			p.log.Error("purge: before cases", "tenant", slug, "err", beforeErr)
			beforeErr = fmt.Errorf("purge of %s before its cases: %w", slug, beforeErr)
		}
	}
	report, err := p.svc.Purge(ctx, h, now)
	if err != nil {
		return fmt.Errorf("purge cases of %s: %w", slug, err)
	}
	if len(report) > 0 {
		p.log.Info("purged deleted records", "tenant", slug, "removed", report)
	}
	return beforeErr
}

// Close stops the purger and waits for it.
func (p *Purger) Close() {
	p.cancel()
	p.wg.Wait()
}
