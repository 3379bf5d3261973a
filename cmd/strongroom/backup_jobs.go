package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"sync"
	"time"

	"strongroom"
	"strongroom/backup"
	"strongroom/backup/retention"
	"strongroom/jobs"
	"strongroom/store"
	"strongroom/tenancy"
)

// The backup kinds serve runs per active tenant when it has targets.
const (
	// backupKind backs the tenant up to every target, every --backup-every.
	backupKind = "backup.run"
	// pruneBackupsKind applies retention on every target, daily.
	pruneBackupsKind = "backup.prune"
	// ledgerKind copies the tenant's erasure ledger to every target when
	// it changed, hourly: an erasure reaches the targets within the hour
	// even between backups (the erasure service has no hook to call).
	ledgerKind = "backup.ledger"
	// pruneDisabledKind applies retention, daily, to the backups of the
	// disabled tenants, which have no schedules of their own. They are
	// not backed up while disabled: nothing can change their data then,
	// and the newest backup of each target is never pruned.
	pruneDisabledKind = "backup.prune_disabled"
)

// BackupServeConfig is what serve is told about backups: where they go
// and to whom (BackupConfig), how often, and how long they are kept.
type BackupServeConfig struct {
	BackupConfig
	Every                                      time.Duration
	KeepHours, KeepDays, KeepWeeks, KeepMonths int
	KeystoreKeepDays                           int
}

func (c *BackupServeConfig) register(fs *flag.FlagSet) {
	c.BackupConfig.register(fs)
	durationFlag(fs, &c.Every, "backup-every", 4*time.Hour, "back every tenant up this often (each tenant at its own point of the interval)")
	intFlag(fs, &c.KeepHours, "backup-keep-hours", 48, "keep every backup of the last this many hours")
	intFlag(fs, &c.KeepDays, "backup-keep-days", 7, "then the newest backup of each of the last this many days (the tenant's time zone)")
	intFlag(fs, &c.KeepWeeks, "backup-keep-weeks", 5, "then the newest of each of the last this many weeks")
	intFlag(fs, &c.KeepMonths, "backup-keep-months", 13, "then the newest of each of the last this many months (at most 13)")
	intFlag(fs, &c.KeystoreKeepDays, "keystore-keep-days", 35,
		"keep the backups' audit key store (what erasing a person deletes) this many days, the newest always")
}

func (c BackupServeConfig) policy() retention.Policy {
	return retention.Policy{KeepAll: time.Duration(c.KeepHours) * time.Hour, Days: c.KeepDays, Weeks: c.KeepWeeks, Months: c.KeepMonths}
}

// check refuses settings that cannot work, before anything is opened.
func (c BackupServeConfig) check() error {
	if c.Every < 10*time.Minute || c.Every > 7*24*time.Hour {
		return strongroom.FieldError("backup-every", "Back up between every 10 minutes and every 7 days.")
	}
	if c.KeepHours < 0 || c.KeepHours > 31*24 {
		return strongroom.FieldError("backup-keep-hours", "Keep every backup for between 0 and 744 hours.")
	}
	if c.KeystoreKeepDays < 1 || c.KeystoreKeepDays > 400 {
		return strongroom.FieldError("keystore-keep-days", "Keep the key store for between 1 and 400 days.")
	}
	if len(c.Targets) > 0 && len(c.Recipients) == 0 && c.RecipientsFile == "" {
		return strongroom.FieldError("backup-recipient", "Backup targets are set (--backup-target) but no age recipient to encrypt the backups to: give --backup-recipient or --backup-recipients-file, or no target to run without backups.")
	}
	return c.policy().Check()
}

// withDefaults fills in the settings a caller that did not parse flags
// left zero (the interval, the whole retention policy, the key store's).
func (c BackupServeConfig) withDefaults() BackupServeConfig {
	if c.Every == 0 {
		c.Every = 4 * time.Hour
	}
	if c.KeepHours == 0 && c.KeepDays == 0 && c.KeepWeeks == 0 && c.KeepMonths == 0 {
		p := retention.Default
		c.KeepHours, c.KeepDays, c.KeepWeeks, c.KeepMonths = int(p.KeepAll/time.Hour), p.Days, p.Weeks, p.Months
	}
	if c.KeystoreKeepDays == 0 {
		c.KeystoreKeepDays = 35
	}
	return c
}

func (c BackupServeConfig) keystoreKeep() time.Duration {
	return time.Duration(c.KeystoreKeepDays) * 24 * time.Hour
}

// backupJobs is serve's state for backups: nil service means backups off.
type backupJobs struct {
	svc          *backup.Service
	closeTargets func()
	// locks keeps a tenant's backup and its prune apart within this
	// process: a prune must not remove a file a backup is reusing.
	locks sync.Map // slug → *sync.Mutex
	// ledgers is the hash of the ledger last written per tenant.
	mu      sync.Mutex
	ledgers map[string][32]byte
}

func (b *backupJobs) lock(slug string) func() {
	v, _ := b.locks.LoadOrStore(slug, new(sync.Mutex))
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// openBackups opens the targets serve backs up to, or logs once that
// backups are off when there are none.
func (m *Main) openBackups(ctx context.Context) error {
	c := m.Config.Backup
	m.backups = &backupJobs{ledgers: map[string][32]byte{}}
	if len(c.Targets) == 0 {
		m.Log.Warn("backups are off: no --backup-target is configured")
		return nil
	}
	svc, closeTargets, err := newBackupService(ctx, m.app, m.registry, m.Config.Storage, c.BackupConfig)
	if err != nil {
		return err
	}
	svc.KeystoreRetention = c.keystoreKeep()
	svc.Ledger = m.svc.Erasure.ExportLedger
	m.backups.svc, m.backups.closeTargets = svc, closeTargets
	m.Log.Info("backups on", "targets", len(svc.Targets), "every", c.Every.String())
	return nil
}

// registerBackupJobs registers the backup kinds and their per-tenant
// schedules, when there are targets.
func (m *Main) registerBackupJobs() {
	if m.backups == nil || m.backups.svc == nil {
		return
	}
	every := m.Config.Backup.Every
	m.runner.Register(backupKind, m.backupJob, jobs.KindOptions{MaxAttempts: 2, Timeout: 12 * time.Hour, Backoff: 10 * time.Minute})
	m.runner.EachTenant(jobs.Schedule{Name: "backup", Kind: backupKind, Every: every, Jitter: every})
	m.runner.Register(pruneBackupsKind, m.tenantJob(m.pruneBackupsJob), jobs.KindOptions{MaxAttempts: 3, Timeout: 2 * time.Hour, Backoff: 15 * time.Minute})
	m.runner.EachTenant(jobs.Schedule{Name: "backup-prune", Kind: pruneBackupsKind, Every: 24 * time.Hour, Jitter: 24 * time.Hour})
	m.runner.Register(ledgerKind, m.ledgerJob, jobs.KindOptions{MaxAttempts: 3, Timeout: 10 * time.Minute, Backoff: 5 * time.Minute})
	m.runner.EachTenant(jobs.Schedule{Name: "backup-ledger", Kind: ledgerKind, Every: time.Hour, Jitter: time.Hour})
	m.runner.Register(pruneDisabledKind, m.pruneDisabledJob, jobs.KindOptions{Installation: true, MaxAttempts: 3, Timeout: 4 * time.Hour, Backoff: 15 * time.Minute})
	sc := jobs.Schedule{Name: "backup-prune-disabled", Kind: pruneDisabledKind, Every: 24 * time.Hour, Jitter: time.Hour}
	if err := m.queue.Schedule(context.Background(), sc); err != nil {
		m.Log.Error("schedule the prune of disabled tenants' backups", "err", err)
	}
}

// pruneDisabledJob prunes the backups of every disabled tenant, in UTC:
// a disabled tenant's database, where its time zone is, is not opened.
func (m *Main) pruneDisabledJob(ctx context.Context, _ jobs.Job) error {
	ts, err := m.app.tenants.List(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range ts {
		if t.Status != strongroom.TenantDisabled {
			continue
		}
		unlock := m.backups.lock(t.Slug)
		_, err := pruneTargets(ctx, m.backups.svc, t.Slug, backup.PruneOptions{
			Policy: m.Config.Backup.policy(), Location: time.UTC, KeystoreKeep: m.Config.Backup.keystoreKeep()})
		unlock()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.Slug, err))
		}
	}
	return errors.Join(errs...)
}

// backupJob backs the job's tenant up to every target. The backup
// service opens the tenant through the registry itself.
func (m *Main) backupJob(ctx context.Context, j jobs.Job) error {
	if j.Tenant == "" {
		return jobs.Permanent(strongroom.Errorf(strongroom.EINVALID, "The job names no tenant."))
	}
	defer m.backups.lock(j.Tenant)()
	// A whole tenant is read in one pass: not bounded like a request.
	res, err := m.backups.svc.RunTenant(store.WithTimeout(ctx, 0), j.Tenant)
	if err == nil && res.Status == "partial" {
		m.Log.Warn("backup reached only some targets", "tenant", j.Tenant, "backup", res.ID)
	}
	m.backups.noteLedger(j.Tenant, nil) // RunTenant wrote it: let the hourly job compare afresh
	return err
}

// pruneBackupsJob applies retention to the tenant's backups on every
// target it reaches; one it does not is pruned on a later day. It fails
// only when no target could be pruned.
func (m *Main) pruneBackupsJob(ctx context.Context, h *tenancy.Handle, _ jobs.Job) error {
	loc := time.UTC
	if f, err := m.svc.Identity.Formatting(ctx, h); err == nil {
		if l, err := time.LoadLocation(f.TimeZone); err == nil {
			loc = l
		}
	}
	defer m.backups.lock(h.Tenant.Slug)()
	_, err := pruneTargets(ctx, m.backups.svc, h.Tenant.Slug, backup.PruneOptions{
		Policy: m.Config.Backup.policy(), Location: loc, KeystoreKeep: m.Config.Backup.keystoreKeep()})
	return err
}

// pruneTargets prunes slug on every target of svc, logging a target that
// failed; the error is returned when every target failed.
func pruneTargets(ctx context.Context, svc *backup.Service, slug string, opt backup.PruneOptions) ([]backup.Pruned, error) {
	var out []backup.Pruned
	var errs []error
	for _, t := range svc.Targets {
		p, err := svc.Prune(ctx, t, slug, opt)
		if err != nil {
			svc.Log.Warn("prune backups", "tenant", slug, "target", t.Name(), "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", t.Name(), err))
			continue
		}
		if p.FilesSkipped != "" {
			svc.Log.Info("document files not collected", "tenant", slug, "target", t.Name(), "why", p.FilesSkipped)
		}
		out = append(out, p)
	}
	if len(errs) == len(svc.Targets) && len(errs) > 0 {
		return out, errors.Join(errs...)
	}
	return out, nil
}

// ledgerJob copies the tenant's erasure ledger to every target when it
// differs from the one this process last wrote.
func (m *Main) ledgerJob(ctx context.Context, j jobs.Job) error {
	if j.Tenant == "" {
		return jobs.Permanent(strongroom.Errorf(strongroom.EINVALID, "The job names no tenant."))
	}
	ledger, err := m.svc.Erasure.ExportLedger(ctx, j.Tenant)
	if err != nil {
		return err
	}
	if !m.backups.noteLedger(j.Tenant, ledger) {
		return nil
	}
	var failed []error
	for _, err := range m.backups.svc.WriteLedger(ctx, j.Tenant, ledger) {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		m.backups.noteLedger(j.Tenant, nil) // try every target again next time
		return errors.Join(failed...)
	}
	return nil
}

// noteLedger records ledger as the last written for slug (nil: forget it)
// and reports whether it differs from the one recorded before.
func (b *backupJobs) noteLedger(slug string, ledger []byte) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ledger == nil {
		delete(b.ledgers, slug)
		return true
	}
	sum := sha256.Sum256(ledger)
	old, ok := b.ledgers[slug]
	b.ledgers[slug] = sum
	return !ok || !bytes.Equal(old[:], sum[:])
}
