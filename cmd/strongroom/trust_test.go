package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"strongroom/trust"
)

// TestTrustReportOverHTTPS: administrators read, download and check the
// trust report; it verifies offline with the pinned key alone; anyone else
// is refused.
func TestTrustReportOverHTTPS(t *testing.T) {
	forEachServer(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		temp := admin.must("POST", "users", map[string]any{"username": "clerk", "display_name": "Clerk"})["temporary_password"].(string)
		clerk := newAPIClient(t, m)
		clerk.signIn("clerk", temp)

		key := strings.TrimSpace(mustCLI(t, append([]string{"audit", "key", "demo"}, storageFlags(m)...)...))
		status, body := admin.csPage("GET", "admin/trust")
		if status != 200 || !strings.Contains(body, "Nothing in the audit trail was changed") || !strings.Contains(body, `id="verifier-key">strongroom/tenant/demo`) || !strings.Contains(body, strings.Split(key, "+")[1]) {
			t.Fatalf("admin page: %d %.400s", status, body)
		}
		if status, body := admin.csPage("GET", "admin/trust/checkpoint.txt"); status != 200 || !strings.HasPrefix(body, "strongroom/tenant/demo\n") {
			t.Fatalf("checkpoint download: %d %.200s", status, body)
		}
		_, old := admin.csPage("GET", "admin/trust/checkpoint.txt")
		admin.must("POST", "users", map[string]any{"username": "para", "display_name": "Para"})

		status, signed := admin.do("GET", "trust-report", nil)
		if status != 200 {
			t.Fatalf("API: %d %s", status, signed)
		}
		v, err := trust.Verify([]byte(signed), key, nil)
		if err != nil {
			t.Fatalf("offline verification of the API's report: %v", err)
		}
		if !v.Report.Audit.Verified || v.Report.Tenant != "demo" {
			t.Fatalf("report: %+v", v.Report.Audit)
		}
		file := filepath.Join(t.TempDir(), "r.json")
		os.WriteFile(file, []byte(signed), 0o600)
		if out := mustCLI(t, "verify", "--offline", file, "--key", key); !strings.Contains(out, "signature verified") {
			t.Fatalf("verify --offline: %s", out)
		}

		// The checkpoint kept earlier verifies; a forged one does not.
		status, body = admin.pageForm("admin/trust", url.Values{"checkpoint": {old}})
		if status != 200 || !strings.Contains(body, "extends the uploaded checkpoint") {
			t.Fatalf("older checkpoint: %d %.300s", status, body)
		}
		forged := strings.Replace(old, "\n\n", "\nextra\n\n", 1)
		status, body = admin.pageForm("admin/trust", url.Values{"checkpoint": {forged}})
		if status != 200 || !strings.Contains(body, "not signed with this tenant") {
			t.Fatalf("forged checkpoint: %d %.300s", status, body)
		}
		if status, body := admin.pageForm("admin/trust", url.Values{"checkpoint": {""}}); status != 400 || !strings.Contains(body, "checkpoint-error") {
			t.Fatalf("empty checkpoint: %d %.300s", status, body)
		}

		// Not an administrator: refused everywhere.
		for _, p := range []string{"admin/trust", "admin/trust/report.json", "admin/trust/checkpoint.txt"} {
			if status, _ := clerk.csPage("GET", p); status != 403 && status != 404 {
				t.Errorf("clerk GET %s: %d", p, status)
			}
		}
		if status, _ := clerk.do("GET", "trust-report", nil); status != 403 && status != 404 {
			t.Errorf("clerk API: %d", status)
		}
		if _, audit := admin.do("GET", "audit/events?limit=100", nil); !strings.Contains(audit, "trust.report") {
			t.Errorf("trust.report is not in the audit trail: %.300s", audit)
		}
	})
}
