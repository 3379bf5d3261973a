package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// eval runs a script in the page and returns its value.
func eval[T any](b *browser, script string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](script))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v\npage:\n%s", script, err, b.body())
	}
	return v
}

// click follows a link or button and waits for the page it leads to.
func (b *browser) click(css string) { b.submit(css) }

// TestBrowserSearchPage is the search page in headless Chromium: a
// document whose text holds markup is found, its snippet holds the word
// searched, marked, with the markup shown as text (no element made of
// it); a facet narrows the results and shows as a chip that removes the
// filter again; the results sort by date.
func TestBrowserSearchPage(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := fullDemoBrowser(t)
	b.firstSignIn("/t/demo/search", "admin", adminTemp, "harbour quill lantern meadow 7310")

	b.open("/t/demo/search")
	b.look("search-empty")

	// A document whose text is hostile, with the searched word far into it.
	content := strings.Repeat("Preliminary matters of no interest to anyone. ", 120) +
		`<script>alert("owned")</script><img src=x onerror=alert(1)> the numbatquill survey & findings.` + "\n"
	file := filepath.Join(t.TempDir(), "hostile.txt")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	b.open("/t/demo/cases")
	first := eval[string](b, `document.querySelector("main td a[href*='/cases/']").getAttribute("href")`)
	b.open(first + "/documents/new")
	b.fill("title", "Survey numbatquill notes")
	b.do(chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}))
	b.submit("main form button[type=submit]")

	b.open("/t/demo/search")
	b.fill("q", "numbatquill")
	b.submit("form[role=search] button[type=submit]")
	b.wantText("1 result")
	if n := eval[int](b, `document.querySelectorAll("main script, main img, .snippet *:not(mark)").length`); n != 0 {
		t.Fatalf("the document's markup made %d elements of the page", n)
	}
	snippet := eval[string](b, `document.querySelector(".snippet").textContent`)
	if !strings.Contains(snippet, `<script>alert("owned")</script><img src=x onerror=alert(1)> the numbatquill survey`) {
		t.Fatalf("snippet %q", snippet)
	}
	if marks := eval[[]string](b, `[...document.querySelectorAll(".hits mark")].map(m => m.textContent)`); len(marks) != 2 ||
		marks[0] != "numbatquill" || marks[1] != "numbatquill" {
		t.Fatalf("marked %q, want the word in the title and the snippet", marks)
	}
	b.look("search-hostile")

	// A broad search: facets in the side panel, a chip for a facet chosen.
	b.open("/t/demo/search?q=agreement")
	b.wantText("Narrow the results")
	if n := eval[int](b, `document.querySelectorAll(".hits li").length`); n == 0 {
		t.Fatal("no hits for agreement")
	}
	if n := eval[int](b, `[...document.querySelectorAll(".hits li")].filter(li => !li.querySelector("mark")).length`); n != 0 {
		t.Errorf("%d hits show the searched word nowhere", n)
	}
	b.look("search-results")
	b.click(`a.facet[href*="type=note"]`)
	b.wantText("Type: Note")
	if n := eval[int](b, `[...document.querySelectorAll(".hits .badge")].filter(e => e.textContent != "Note").length`); n != 0 {
		t.Fatalf("%d hits not notes after the Note facet", n)
	}
	b.look("search-chip")
	b.click(`a.chip`)
	if n := eval[int](b, `document.querySelectorAll("a.chip").length`); n != 0 {
		t.Fatalf("the chip's link kept %d filters", n)
	}
	loc := eval[string](b, `location.search`)
	if strings.Contains(loc, "type=") || !strings.Contains(loc, "q=agreement") {
		t.Fatalf("after removing the chip: %s", loc)
	}

	// Newest case first.
	b.click(`.sort-links a[href*="sort=date"]`)
	opened := eval[[]string](b, `[...document.querySelectorAll(".hits li")].map(li => li.dataset.opened || "")`)
	for i := 1; i < len(opened); i++ {
		if opened[i] > opened[i-1] {
			t.Fatalf("sorted by date, %s comes after %s", opened[i], opened[i-1])
		}
	}
	if eval[string](b, `document.querySelector(".sort-links [aria-current]").textContent`) != "Newest case first" {
		t.Fatal("the date order is not shown as the current one")
	}
	b.look("search-by-date")
}

// TestBrowserReportRange is the reports in headless Chromium: every report
// has a date range (the last 12 months unless chosen), the financial
// report by month is newest first with its rows paged and counted, its
// chart covers the range chosen with a caption above it and labelled
// axes, and a bad date is refused naming the field.
func TestBrowserReportRange(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := fullDemoBrowser(t)
	b.firstSignIn("/t/demo/reports", "admin", adminTemp, "copper willow beacon thistle 4482")
	b.open("/t/demo/reports")
	b.look("reports")

	b.open("/t/demo/reports/financial?by=month")
	from, to := eval[string](b, `document.getElementById("from").value`), eval[string](b, `document.getElementById("to").value`)
	if from == "" || to == "" || from >= to {
		t.Fatalf("default range %q to %q", from, to)
	}
	b.wantText("Totals in")
	b.look("report-financial-month")

	// The whole history: paged, newest first, every month in the chart.
	b.open("/t/demo/reports/financial?by=month&from=2000-01-01&to=" + to)
	b.wantText("Rows 1–50 of ")
	months := eval[[]string](b, `[...document.querySelectorAll("main table:last-of-type tbody tr td:first-child")].map(td => td.textContent)`)
	for i := 1; i < len(months); i++ {
		if months[i] > months[i-1] {
			t.Fatalf("month %s after %s: not newest first", months[i], months[i-1])
		}
	}
	caption := eval[string](b, `document.querySelector("figure.chart figcaption").textContent`)
	if !strings.Contains(caption, "2000") || !strings.Contains(caption, " to ") || !strings.Contains(caption, to[:4]) {
		t.Fatalf("chart caption %q does not state the range", caption)
	}
	if first := eval[string](b, `document.querySelector("figure.chart").firstElementChild.tagName`); first != "FIGCAPTION" {
		t.Fatalf("the chart's caption is not above it: %s first", first)
	}
	if axes := eval[[]string](b, `[...document.querySelectorAll("figure.chart svg text[font-weight='600']")].map(e => e.textContent)`); len(axes) < 2 {
		t.Fatalf("chart axes titled %q", axes)
	}
	if right := eval[string](b, `getComputedStyle(document.querySelector("main td.num")).textAlign`); right != "right" {
		t.Fatalf("totals aligned %s", right)
	}
	b.look("report-financial-history")
	b.click(`a[rel=next]`)
	b.wantText("Rows 51–")
	b.click(`a[rel=prev]`)
	b.wantText("Rows 1–50 of ")

	// Grouped by currency, the currency is named once per row.
	b.open("/t/demo/reports/financial?by=currency")
	if n := eval[int](b, `document.querySelectorAll("main table").length`); n != 1 {
		t.Fatalf("by currency: %d tables", n)
	}
	b.look("report-financial-currency")

	b.open("/t/demo/reports/cases")
	b.look("report-cases")
	b.open("/t/demo/reports/deadlines")
	b.look("report-deadlines")

	// A bad date names its field and shows no figures.
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+"/t/demo/reports/financial?from=2025-02-30&to="+to))
	if err != nil || resp.Status != 400 {
		t.Fatalf("a bad date: %v %v", resp, err)
	}
	b.wantText("Enter a calendar date as YYYY-MM-DD")
	if n := eval[int](b, `document.querySelectorAll("#from.is-invalid[aria-describedby~=from-error]").length`); n != 1 {
		t.Fatal("the bad date is not marked on its field")
	}
	b.look("report-bad-date")
}

// TestBrowserAuditPage looks at the audit trail: it fits a desk's screen
// without scrolling sideways, and names people and cases as people read
// them.
func TestBrowserAuditPage(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := fullDemoBrowser(t)
	b.firstSignIn("/t/demo/audit", "admin", adminTemp, "ember quartz saddle violet 9025")
	b.open("/t/demo/cases")
	b.open(eval[string](b, `document.querySelector("main td a[href*='/cases/']").getAttribute("href")`))
	b.open("/t/demo/audit")
	b.look("audit")
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 1280 {
		t.Fatalf("the audit trail is %d px wide at 1280", w)
	}
	body := b.body()
	for _, raw := range []string{"user 1", "case 1\t", "display_name"} {
		if strings.Contains(body, raw) {
			t.Errorf("the trail shows %q", raw)
		}
	}
	b.open("/t/demo/audit/events/1")
	b.look("audit-event")
	b.open("/t/demo/audit/records/user/1")
	b.wantText("History of User Administrator")
	b.look("audit-history")
}
