package browsertest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, vendored by scripts/vendor-frontend for the tests
// only: nothing outside _test files imports this package, so it never
// reaches the product's binary.
//
//go:embed axe/axe.min.js
var axeSource string

// Widths are the viewport widths every page is looked at in: a desk's
// screen and a phone's.
var Widths = []int64{1280, 390}

// Exceptions are the axe rules a page may break, each with the reason it
// is accepted. Empty: none is.
var Exceptions = map[string]string{}

// axeRun checks the page against the WCAG 2.0/2.1 A and AA rules.
const axeRun = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]})
  .then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary)}))))`

type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// Look is how a page is reviewed: at each of Widths it takes a full-page
// screenshot into the test's artifact directory (kept with
// go test -artifacts -outputdir DIR; and by name into $STRONGROOM_SCREENSHOTS
// when that is set), fails if the page is wider than the
// viewport (content cut off or scrolled sideways), and runs axe-core,
// failing on every violation not in Exceptions. It returns the axe result
// as one line for the record ("no violations" or the rule ids).
func Look(tb testing.TB, ctx context.Context, name string) string {
	tb.Helper()
	dir := tb.ArtifactDir()
	var result string
	for _, width := range Widths {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			tb.Fatalf("look %s: viewport: %v", name, err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100 is PNG; less is JPEG
		if err != nil {
			tb.Fatalf("look %s: screenshot: %v", name, err)
		}
		file := filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			tb.Fatal(err)
		}
		tb.Logf("screenshot %s", file)
		if keep := os.Getenv("STRONGROOM_SCREENSHOTS"); keep != "" {
			// A directory of every page by name, for a reviewer to look through.
			if err := os.MkdirAll(keep, 0o755); err != nil {
				tb.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(keep, filepath.Base(file)), png, 0o644); err != nil {
				tb.Fatal(err)
			}
		}

		wide, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
		if err != nil {
			tb.Fatalf("look %s: width: %v", name, err)
		}
		if wide > width {
			tb.Errorf("look %s at %d px: the page is %d px wide; content is cut off or scrolls sideways", name, width, wide)
		}

		if width != Widths[0] {
			continue // the rules do not depend on the width; check once
		}
		result = checkAxe(tb, ctx, name)
	}
	// Leave the viewport as the browser had it.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(Widths[0], 900)); err != nil {
		tb.Fatalf("look %s: viewport: %v", name, err)
	}
	return result
}

func checkAxe(tb testing.TB, ctx context.Context, name string) string {
	tb.Helper()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`))
	if err != nil {
		tb.Fatalf("look %s: %v", name, err)
	}
	if !loaded {
		// Evaluated over DevTools, the script is not subject to the page's
		// Content-Security-Policy, which rightly refuses inline script.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource+"\n;true")); err != nil {
			tb.Fatalf("look %s: load axe-core: %v", name, err)
		}
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("look %s: axe-core: %v", name, err)
	}
	var found []violation
	if err := json.Unmarshal([]byte(raw), &found); err != nil {
		tb.Fatalf("look %s: axe-core result: %v", name, err)
	}
	var ids []string
	for _, v := range found {
		ids = append(ids, v.ID)
		if reason, ok := Exceptions[v.ID]; ok {
			tb.Logf("axe %s: %s accepted: %s", name, v.ID, reason)
			continue
		}
		tb.Errorf("axe %s: %s (%s): %s\n  %s", name, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
	sort.Strings(ids)
	result := "no violations"
	if len(ids) > 0 {
		result = "violations: " + strings.Join(ids, ", ")
	}
	tb.Logf("axe %s: %s", name, result)
	if keep := os.Getenv("STRONGROOM_SCREENSHOTS"); keep != "" {
		// One line a page beside the screenshots: the accessibility record.
		f, err := os.OpenFile(filepath.Join(keep, "axe.txt"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			tb.Fatal(err)
		}
		defer f.Close()
		fmt.Fprintf(f, "%s: %s\n", name, result)
	}
	return result
}
