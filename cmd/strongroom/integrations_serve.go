package main

import (
	"context"
	"flag"
	"net/netip"
	"strings"
	"time"

	"strongroom"
	"strongroom/integrations"
	"strongroom/jobs"
	"strongroom/tenancy"
)

// integrationsPullKind pulls a tenant's due integrations; a schedule per
// active tenant makes one every integrations.PullEvery.
const integrationsPullKind = "integrations.pull"

// IntegrationConfig is what serve is told about integrations: the
// networks, refused by default, that their requests may reach.
type IntegrationConfig struct {
	AllowCIDRs prefixList
}

func (c *IntegrationConfig) register(fs *flag.FlagSet) {
	fs.Var(&c.AllowCIDRs, "integration-allow-cidr",
		"a network (CIDR) integrations may reach although it is private, loopback or link-local, e.g. an API on the firm's own network; repeat for several")
}

// prefixList is a repeatable CIDR flag, checked as it is given.
type prefixList []netip.Prefix

func (l *prefixList) String() string {
	var out []string
	for _, p := range *l {
		out = append(out, p.String())
	}
	return strings.Join(out, ",")
}

func (l *prefixList) Set(s string) error {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		if a, aerr := netip.ParseAddr(strings.TrimSpace(s)); aerr == nil {
			p, err = netip.PrefixFrom(a, a.BitLen()), nil
		}
	}
	if err != nil {
		return strongroom.FieldError("integration-allow-cidr", "%q is neither a CIDR prefix nor an IP address.", s)
	}
	*l = append(*l, p.Masked())
	return nil
}

// newIntegrations makes the integrations service of the pages and the
// pull job; what pulls produce is kept as metric points by the same
// metrics service the pages read (so its cache is cleared).
func (m *Main) newIntegrations() *integrations.Service {
	return integrations.New(integrations.Policy{Allow: m.Config.Integrations.AllowCIDRs}, metricsSink{m: m.svc.Metrics, changed: m.metricsChanged}, m.Log)
}

// registerIntegrationJobs registers the pull on the runner.
func (m *Main) registerIntegrationJobs() {
	svc := m.svc.Integrations
	m.runner.Register(integrationsPullKind, m.tenantJob(func(ctx context.Context, h *tenancy.Handle, _ jobs.Job) error {
		pulled, failed, err := svc.PullDue(ctx, h)
		if pulled > 0 {
			m.Log.Info("integrations pulled", "tenant", h.Tenant.Slug, "pulled", pulled, "failed", failed)
		}
		return err
	}), jobs.KindOptions{MaxAttempts: 2, Timeout: 10 * time.Minute, Backoff: time.Minute, MaxBackoff: 5 * time.Minute})
	m.runner.EachTenant(jobs.Schedule{Name: "integrations", Kind: integrationsPullKind, Every: integrations.PullEvery, Jitter: integrations.PullEvery})
}
