package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestBrowserCaseList works the demo firm's case list in a real headless
// Chromium: the count, sorting by a column header both ways, filtering by
// words and a practice group, removing a filter, paging, the empty state
// and the export link; each state is looked at (screenshots at a desk's
// and a phone's width, no sideways overflow, axe-core).
func TestBrowserCaseList(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp, stdout, pin := seededDemoBrowser(t)
	b.firstSignIn("/t/demo/cases", "admin", adminTemp, "quartz pelican harbour lantern 7315")

	b.open("/t/demo/cases")
	b.wantText("2,000 cases")
	b.wantText("Page 1 of 40")
	b.look("cases-list")

	// Sort by title: the header says so (aria-sort), and a second click
	// turns the order round.
	b.submit(`#case-list thead a[href*="sort=title"]`)
	b.wantAttr(`#case-list th[aria-sort]`, "aria-sort", "ascending")
	first := b.cell(1, 2)
	b.submit(`#case-list th[aria-sort] a`)
	b.wantAttr(`#case-list th[aria-sort]`, "aria-sort", "descending")
	if last := b.cell(1, 2); strings.ToLower(last) < strings.ToLower(first) {
		t.Fatalf("descending by title starts with %q, ascending with %q", last, first)
	}
	b.look("cases-sorted")

	// Filter by a practice group chosen from the list and a word.
	b.do(chromedp.SetValue(chromedp.ID("practice_group"), "Corporate"))
	b.fill("q", "holdings")
	b.submit("#apply-filters")
	b.wantText("Practice group: Corporate")
	b.wantText("Contains “holdings”")
	if n := b.count(`#case-list tbody tr`); n == 0 {
		t.Fatalf("no Corporate cases about holdings:\n%s", b.body())
	}
	b.wantAttr(`#case-list th[aria-sort]`, "aria-sort", "descending") // the order is kept
	b.look("cases-filtered")

	// Remove one filter by its chip; then page on.
	b.submit(`a[aria-label="Remove the filter Contains “holdings”"]`)
	b.wantText("Practice group: Corporate")
	if strings.Contains(b.body(), "Contains “holdings”") {
		t.Fatal("the removed filter is still shown")
	}
	b.submit("#next-page")
	b.wantText("Page 2 of")
	b.wantPath("/t/demo/cases")
	b.look("cases-page-2")
	if href := b.attr("#export-csv", "href"); !strings.Contains(href, "practice_group=Corporate") || !strings.Contains(href, "sort=title") {
		t.Fatalf("export link %q does not keep the filter and the order", href)
	}

	// Nothing matches: say so, and offer the way back.
	b.open("/t/demo/cases?q=zzqxj-nothing")
	b.wantText("No cases match these filters.")
	b.look("cases-empty")
	b.submit("#no-cases a.btn")
	b.wantText("2,000 cases")

	// Local counsel see their firm's cases only: the count, the pages and
	// the practice groups offered are theirs, and no staff filter is shown.
	t.Run("Restricted", func(t *testing.T) {
		c := &browser{t: t, ctx: browsertest.NewContext(t, browsertest.Pin(pin)), base: b.base}
		c.firstSignIn("/t/demo/cases", "sam.smith", demoPassword(t, stdout, "sam.smith"), "walnut harbour cobalt lantern 4471")
		c.open("/t/demo/cases")
		c.wantText("100 cases")
		c.wantText("Page 1 of 2")
		if n := c.count("#responsible, #mine"); n != 0 {
			t.Fatalf("restricted user offered %d staff filters", n)
		}
		if n := c.count("#practice_group option"); n != 2 { // Any, Litigation
			t.Fatalf("restricted user offered %d practice-group choices, want Any and Litigation", n)
		}
		c.look("cases-restricted")
	})
}

// demoPassword returns the temporary password the demo printed for user.
func demoPassword(t *testing.T, stdout, user string) string {
	t.Helper()
	for _, line := range strings.Split(stdout, "\n") {
		// "  https://…/t/demo/login  USER  PASSWORD  ROLE  ABOUT"
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == user {
				return f[i+1]
			}
		}
	}
	t.Fatalf("no password printed for %s:\n%s", user, stdout)
	return ""
}

// TestBrowserCasePage looks at a case's page with its documents, its
// history tab, the documents of the case and a document, and deletes a
// case through the page that says what goes with it.
func TestBrowserCasePage(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := demoBrowser(t)
	b.firstSignIn("/t/demo/cases/new", "admin", adminTemp, "orchid tramline basalt meadow 2209")

	b.open("/t/demo/cases/new")
	b.fill("title", "Harbour Energy v. Coastline Pipelines")
	b.fill("client", "Harbour Energy")
	b.fill("practice_group", "Energy")
	b.submit("main form button[type=submit]")
	casePath := b.path()
	b.wantText("No documents yet.")
	b.look("case-empty")

	file := filepath.Join(t.TempDir(), "survey.txt")
	if err := os.WriteFile(file, []byte("Pipeline survey of the harbour approaches.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.submit("#upload-document")
	b.fill("title", "Pipeline survey")
	b.do(chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}))
	b.submit("main form button[type=submit]")
	b.wantText("Cases")
	if got := b.attr(`nav[aria-label="Breadcrumb"] li:nth-child(2) a`, "href"); got != casePath {
		t.Fatalf("the document's breadcrumbs lead to %q, not its case %s", got, casePath)
	}
	b.look("document")
	b.open(casePath + "/notes/new")
	b.fill("title", "Strategy")
	b.fill("body", "Settle early.")
	b.submit("#save-record")

	b.open(casePath)
	b.wantText("Pipeline survey")
	b.wantText("Administrator") // uploaded by, and responsible names come from display names
	b.look("case")
	b.submit("#history-tab")
	b.wantText("Case created")
	b.wantText("Document created")
	b.wantText("Note created")
	b.look("case-history")
	b.open(casePath + "/documents")
	b.look("case-documents")

	// Deleting the case: the page says what goes; Cancel keeps it.
	b.open(casePath)
	b.submit("#delete-case")
	b.wantText("1 document and 1 note will be deleted with it.")
	b.look("case-delete")
	b.submit("#cancel")
	b.wantPath(casePath)
	b.submit("#delete-case")
	b.submit("#confirm-delete")
	b.wantPath("/t/demo/cases")
	b.wantText("The case has been deleted.")
}

// wantAttr fails unless the element has the attribute value.
func (b *browser) wantAttr(css, name, want string) {
	b.t.Helper()
	if got := b.attr(css, name); got != want {
		b.t.Fatalf("%s %s=%q, want %q\npage:\n%s", css, name, got, want, b.body())
	}
}

// attr returns an attribute of the first element css selects.
func (b *browser) attr(css, name string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector(`+jsString(css)+`) || {getAttribute: () => ""}).getAttribute(`+jsString(name)+`) || ""`))
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// count counts the elements css selects.
func (b *browser) count(css string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(css)+`).length`))
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

// cell returns the text of a cell of the case list (1-based row, column).
func (b *browser) cell(row, col int) string {
	b.t.Helper()
	css := "#case-list tbody tr:nth-child(" + strconv.Itoa(row) + ") td:nth-child(" + strconv.Itoa(col) + ")"
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector(`+jsString(css)+`).innerText`))
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimSpace(s)
}

func jsString(s string) string {
	return "`" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "`", "\\`") + "`"
}

// seededDemoBrowser is demoBrowser with the demo's sample data: its 2,000
// cases and their records, and its users (their temporary passwords are
// in stdout). pin pins further browsers to the server's certificate.
func seededDemoBrowser(t *testing.T) (b *browser, adminTemp, stdout, pin string) {
	t.Helper()
	m, _, out := startServer(t, func(c *ServeConfig) { c.Demo, c.DemoEmpty = true, false })
	adminTemp = printedAdminPassword(t, out.String())
	pin = browsertest.SPKIPin(readCertificate(t, filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem")))
	u, err := url.Parse(m.URL())
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: browsertest.NewContext(t, browsertest.Pin(pin)), base: "https://localhost:" + u.Port()}, adminTemp, out.String(), pin
}
