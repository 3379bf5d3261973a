package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestBrowserTrustReport looks at Administration → Trust report in a real
// Chromium: each promise with its evidence and the offline instructions,
// and a checkpoint downloaded from the page given back as a file.
func TestBrowserTrustReport(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := demoBrowser(t)
	b.firstSignIn("/t/demo/", "admin", adminTemp, "cobalt meadow lantern frigate 5120")
	b.open("/t/demo/admin/trust")
	b.wantText("Nothing in the audit trail was changed or removed")
	b.wantText("Check this report yourself")
	b.look("admin-trust")

	cp, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`fetch("/t/demo/admin/trust/checkpoint.txt").then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "checkpoint.txt")
	if err := os.WriteFile(file, []byte(cp), 0o600); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.SetUploadFiles(chromedp.ID("checkpoint_file"), []string{file}))
	b.submit("#check-checkpoint")
	b.wantText("Verified")
	b.wantText("extends the uploaded checkpoint")
	b.look("admin-trust-checkpoint-checked")
}
