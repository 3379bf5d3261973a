package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestBrowserCases is the case-management walk in headless Chromium: an
// administrator creates a case, uploads a document to it, finds the
// document by a word of its text through search, and downloads it.
func TestBrowserCases(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := demoBrowser(t)

	// Sign in; the temporary password must be changed first.
	b.firstSignIn("/t/demo/cases/new", "admin", adminTemp, "saffron glacier ledger orchard 2041")

	// Create a case.
	b.open("/t/demo/cases/new")
	b.fill("title", "Riverside Farms v. Quarry Holdings")
	b.fill("client", "Riverside Farms")
	b.fill("practice_group", "Environmental")
	b.submit("main form button[type=submit]")
	casePath := b.path()
	if !strings.HasPrefix(casePath, "/t/demo/cases/") {
		t.Fatalf("after creating the case: at %s\n%s", casePath, b.body())
	}
	b.wantText("Riverside Farms v. Quarry Holdings")

	// Upload a text document whose content holds a word found nowhere else.
	content := "Memorandum on groundwater rights.\nThe aquifer survey (ref. zephyrquartz) shows drawdown.\n"
	file := filepath.Join(t.TempDir(), "memo.txt")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	b.open(casePath + "/documents/new")
	b.fill("title", "Groundwater memorandum")
	b.do(chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}))
	b.submit("main form button[type=submit]")
	docPath := b.path()
	if !strings.HasPrefix(docPath, "/t/demo/documents/") {
		t.Fatalf("after the upload: at %s\n%s", docPath, b.body())
	}
	b.wantText("Groundwater memorandum")

	// Find it by a word of its text.
	b.open("/t/demo/search?q=zephyrquartz")
	b.wantText("Groundwater memorandum")

	// Download it: the bytes are the uploaded ones, sent as an attachment.
	type download struct {
		Body, Disposition, Sniff string
	}
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[download](`fetch(`+"`"+docPath+"/download`"+`).then(async r => ({
		Body: await r.text(),
		Disposition: r.headers.get("Content-Disposition") || "",
		Sniff: r.headers.get("X-Content-Type-Options") || "",
	}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if got.Body != content || !strings.HasPrefix(got.Disposition, "attachment") || got.Sniff != "nosniff" {
		t.Fatalf("download: %+v", got)
	}
}

// path returns the path of the page the browser shows.
func (b *browser) path() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatal(err)
	}
	return u.Path
}
