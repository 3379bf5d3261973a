package trust

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestVulnScanSection(t *testing.T) {
	if v, n := vulnScan(""); v != nil || n != "This build was not scanned for known vulnerabilities." {
		t.Fatalf("empty: %v %q", v, n)
	}
	enc := base64.StdEncoding.EncodeToString([]byte(`{"tool":"govulncheck v1.1.4","database":"golang.org/x/vulndb@v0.0.0-20261201","scanned_at":"2026-12-01T10:00:00Z","reachable":["GO-2026-0001"],"result":"vulnerable"}`))
	v, n := vulnScan(enc)
	if v == nil || v.Result != "vulnerable" || !strings.Contains(n, "GO-2026-0001") {
		t.Fatalf("vulnerable: %+v %q", v, n)
	}
	clean := base64.StdEncoding.EncodeToString([]byte(`{"tool":"govulncheck v1.1.4","database":"golang.org/x/vulndb@x","scanned_at":"2026-12-01T10:00:00Z","reachable":[],"result":"clean"}`))
	if v, n := vulnScan(clean); v == nil || !strings.Contains(n, "no known vulnerability") {
		t.Fatalf("clean: %+v %q", v, n)
	}
	for _, bad := range []string{"%%%", base64.StdEncoding.EncodeToString([]byte(`{"result":"fine"}`))} {
		if v, n := vulnScan(bad); v != nil || !strings.Contains(n, "not scanned") {
			t.Fatalf("bad %q: %+v %q", bad, v, n)
		}
	}
}
