package main

import (
	"context"
	"html/template"
	"net/http"
	"sync"
	"time"

	"strongroom/backup"
	"strongroom/jobs"
)

// The operator's status page, served at /status on --metrics-addr only:
// plain HTML tables, no script and no style, so that it needs no CSP
// exception and reads the same in any browser or in curl.
var statusTemplate = template.Must(template.New("status").Funcs(template.FuncMap{"when": statusTime}).Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Strongroom status</title></head>
<body>
<h1>Strongroom status</h1>
<p>As of {{when .Now}} (UTC).</p>
<h2>Backup targets</h2>
{{if not .BackupsOn}}<p>Backups are off: no backup target is configured (--backup-target).</p>
{{else}}<table>
<caption>Every {{.Every}}; kept by the retention policy, key store {{.KeystoreDays}} days</caption>
<thead><tr><th scope="col">#</th><th scope="col">Target</th><th scope="col">Reachable</th><th scope="col">Last verified copy</th><th scope="col">Failed attempts</th></tr></thead>
<tbody>{{range .Targets}}<tr><td>{{.Index}}</td><td>{{.Name}}</td><td>{{if .Reachable}}yes{{else}}NO: {{.Problem}}{{end}}</td><td>{{when .LastSuccess}}</td><td>{{.Failures}}</td></tr>
{{end}}</tbody>
</table>
<h2>Tenants' backups</h2>
<table>
<thead><tr><th scope="col">Tenant</th><th scope="col">Status</th><th scope="col">Target</th><th scope="col">Latest backup</th><th scope="col">Started</th><th scope="col">State</th><th scope="col">Last verified copy</th></tr></thead>
<tbody>{{range .Tenants}}{{$t := .}}{{range .Copies}}<tr><td>{{$t.Slug}}</td><td>{{$t.Status}}</td><td>{{.Target}}</td><td>{{if .Backup}}{{.Backup}}{{else}}none yet{{end}}</td><td>{{when .Started}}</td><td>{{.State}}{{if .Error}}: {{.Error}}{{end}}</td><td>{{when .LastVerified}}</td></tr>
{{end}}{{end}}</tbody>
</table>
{{end}}
<h2>Schedules</h2>
<table>
<thead><tr><th scope="col">Schedule</th><th scope="col">Kind</th><th scope="col">Tenant</th><th scope="col">Every</th><th scope="col">Last run</th><th scope="col">Its state</th><th scope="col">Last success</th><th scope="col">Next run</th></tr></thead>
<tbody>{{range .Schedules}}<tr><td>{{.Name}}</td><td>{{.Kind}}</td><td>{{.Tenant}}</td><td>{{.Every}}</td><td>{{when .LastRunAt}}</td><td>{{.LastState}}</td><td>{{when .LastSuccessAt}}</td><td>{{when .NextRunAt}}</td></tr>
{{end}}</tbody>
</table>
<h2>Failed jobs</h2>
{{if .Failed}}<table>
<thead><tr><th scope="col">Job</th><th scope="col">Kind</th><th scope="col">Tenant</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Finished</th><th scope="col">Error</th></tr></thead>
<tbody>{{range .Failed}}<tr><td>{{.ID}}</td><td>{{.Kind}}</td><td>{{.Tenant}}</td><td>{{.State}}</td><td>{{.Attempts}}</td><td>{{when .FinishedAt}}</td><td>{{.LastError}}</td></tr>
{{end}}</tbody>
</table>{{else}}<p>No failed jobs.</p>{{end}}
{{range .Problems}}<p>Could not read: {{.}}</p>
{{end}}</body>
</html>
`))

func statusTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

type statusTarget struct {
	backup.TargetStat
	Reachable bool
	Problem   string
}

type statusTenant struct {
	Slug, Status string
	Copies       []tenantCopy
}

type statusView struct {
	Now          time.Time
	BackupsOn    bool
	Every        time.Duration
	KeystoreDays int
	Targets      []statusTarget
	Tenants      []statusTenant
	Schedules    []jobs.Schedule
	Failed       []jobs.Job
	Problems     []string
}

// statusPage is the handler of /status.
func (m *Main) statusPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
		defer cancel()
		v := m.statusView(ctx)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		if err := statusTemplate.Execute(w, v); err != nil {
			m.Log.Warn("status page", "err", err)
		}
	})
}

func (m *Main) statusView(ctx context.Context) statusView {
	v := statusView{Now: time.Now(), Every: m.Config.Backup.Every, KeystoreDays: m.Config.Backup.KeystoreKeepDays}
	problem := func(what string, err error) {
		v.Problems = append(v.Problems, what+": "+describe(err))
	}
	if b := m.backups; b != nil && b.svc != nil {
		v.BackupsOn = true
		v.Targets = probeTargets(ctx, b.svc)
		if err := m.statusTenants(ctx, &v); err != nil {
			problem("tenants' backups", err)
		}
	}
	var err error
	if v.Schedules, err = m.queue.Schedules(ctx, jobs.ScheduleFilter{}); err != nil {
		problem("schedules", err)
	}
	for _, st := range []jobs.State{jobs.Failed, jobs.Dead} {
		js, err := m.queue.List(ctx, jobs.Filter{State: st, Limit: 100})
		if err != nil {
			problem("failed jobs", err)
			break
		}
		v.Failed = append(v.Failed, js...)
	}
	return v
}

// probeTargets lists a little of every target at once, each bounded.
func probeTargets(ctx context.Context, svc *backup.Service) []statusTarget {
	stats := svc.TargetStats()
	out := make([]statusTarget, len(stats))
	var wg sync.WaitGroup
	for i, s := range stats {
		out[i].TargetStat = s
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := backup.Reachable(pctx, svc.Targets[i]); err != nil {
				out[i].Problem = describe(err)
				return
			}
			out[i].Reachable = true
		})
	}
	wg.Wait()
	return out
}

// statusTenants fills in each tenant's latest copy per target.
func (m *Main) statusTenants(ctx context.Context, v *statusView) error {
	ts, err := m.app.tenants.List(ctx)
	if err != nil {
		return err
	}
	copies, err := latestCopies(ctx, m.app.db)
	if err != nil {
		return err
	}
	byKey := map[[2]string]tenantCopy{}
	for _, c := range copies {
		byKey[[2]string{c.Tenant, c.Target}] = c
	}
	for _, t := range ts {
		st := statusTenant{Slug: t.Slug, Status: string(t.Status)}
		for _, tg := range v.Targets {
			c, ok := byKey[[2]string{t.Slug, tg.Name}]
			if !ok {
				c = tenantCopy{Tenant: t.Slug, Target: tg.Name}
			}
			st.Copies = append(st.Copies, c)
		}
		v.Tenants = append(v.Tenants, st)
	}
	return nil
}
