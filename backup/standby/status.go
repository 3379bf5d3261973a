package standby

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"time"

	"strongroom/store"
)

// NotServing is what every address of a standby but its status answers.
const NotServing = "standby: not serving — run `strongroom standby promote`\n"

// Status is what the status page shows.
type Status struct {
	Role    Role          `json:"role"`
	Target  string        `json:"target"`
	Every   string        `json:"every"`
	Now     time.Time     `json:"now"`
	Tenants []TenantState `json:"tenants"`
}

// StatusHandler serves the standby's status at / (HTML) and /status.json,
// /healthz (the process is alive) and nothing else: /readyz and every
// other path, tenant routes included, answer 503 with NotServing and no
// word about any tenant, so a load balancer checking /readyz never sends
// users here before promotion.
func StatusHandler(c *store.Control, target string, every time.Duration, now func() time.Time) http.Handler {
	read := func(ctx context.Context) (Status, error) {
		st := Status{Target: target, Every: every.String(), Now: now().UTC()}
		var err error
		if st.Role, err = ReadRole(ctx, c); err != nil {
			return st, err
		}
		st.Tenants, err = Tenants(ctx, c)
		return st, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		st, err := read(r.Context())
		if err != nil {
			http.Error(w, "The standby's state cannot be read.", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		statusPage.Execute(w, st)
	})
	mux.HandleFunc("GET /status.json", func(w http.ResponseWriter, r *http.Request) {
		st, err := read(r.Context())
		if err != nil {
			http.Error(w, "The standby's state cannot be read.", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(st)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(NotServing))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		mux.ServeHTTP(w, r)
	})
}

var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"age": func(s TenantState, now time.Time) string {
		if s.BackupTime.IsZero() {
			return "—"
		}
		return s.RecoveryPoint(now).Round(time.Second).String()
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Strongroom standby</title></head>
<body>
<h1>Strongroom standby</h1>
<p><strong>standby: not serving — run <code>strongroom standby promote</code></strong></p>
<p>Role: {{.Role}}. Restoring from {{.Target}} every {{.Every}}. Now {{when .Now}}.</p>
<table>
<thead><tr><th>Tenant</th><th>Backup held</th><th>Taken</th><th>Recovery point (age)</th><th>Restored</th><th>Last checked</th><th>Last error</th></tr></thead>
<tbody>
{{- range .Tenants}}
<tr><td>{{.Slug}}</td><td>{{or .BackupID "none yet"}}</td><td>{{when .BackupTime}}</td><td>{{age . $.Now}}</td><td>{{when .RestoredAt}}</td><td>{{when .CheckedAt}}</td><td>{{if .LastError}}{{.LastError}} ({{when .LastErrorAt}}){{end}}</td></tr>
{{- else}}
<tr><td colspan="7">No tenant found on the target yet.</td></tr>
{{- end}}
</tbody></table>
</body></html>
`))
