package main

import (
	"context"
	"time"

	"strongroom/grants"
	"strongroom/jobs"
	"strongroom/tenancy"
)

// grantsSweepKind writes operators' requests nobody answered within
// grants.PendingFor as expired, and grants past their end as ended, in
// each tenant's trail.
const grantsSweepKind = "provider_access_sweep"

// grantsService is access by the service provider, with break-glass
// e-mail through --smtp-url when it is set.
func (m *Main) grantsService() (*grants.Service, error) {
	s := grants.New(m.app.db, m.registry, m.Log)
	s.Identity = m.app.identity
	if m.Config.SMTPURL != "" {
		mail, err := grants.NewSMTP(m.Config.SMTPURL, m.Config.SMTPFrom)
		if err != nil {
			return nil, err
		}
		s.Mail = mail
	}
	return s, nil
}

// registerGrantJobs sweeps each tenant's access grants every five minutes;
// between sweeps, pages and checks see the lapse at once (to the second).
func (m *Main) registerGrantJobs() {
	m.runner.Register(grantsSweepKind, m.tenantJob(func(ctx context.Context, h *tenancy.Handle, _ jobs.Job) error {
		if m.svc.Grants == nil {
			return nil
		}
		return m.svc.Grants.SweepTenant(ctx, h)
	}), jobs.KindOptions{MaxAttempts: 3, Timeout: time.Minute, Backoff: time.Minute, MaxBackoff: 10 * time.Minute})
	m.runner.EachTenant(jobs.Schedule{Name: "provider-access", Kind: grantsSweepKind, Every: 5 * time.Minute, Jitter: 5 * time.Minute})
}
