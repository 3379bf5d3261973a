package main

import (
	"testing"

	"strongroom/internal/browsertest"
)

// TestBrowserTrustReport looks at Administration → Trust report in a real
// Chromium: each promise with its evidence and the offline instructions.
func TestBrowserTrustReport(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := demoBrowser(t)
	b.firstSignIn("/t/demo/", "admin", adminTemp, "cobalt meadow lantern frigate 5120")
	b.open("/t/demo/admin/trust")
	b.wantText("Nothing in the audit trail was changed or removed")
	b.wantText("Check this report yourself")
	b.look("admin-trust")
}
