package widgets_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"strongroom/charts"
	"strongroom/dashboards"
	"strongroom/format"
	"strongroom/store"
	"strongroom/store/storetest"
)

// A dashboard's figures are cached per access: two viewers whose classes
// differ, drawing the same widgets back to back within the cache's TTL
// (the clock does not move), each get their own figures, in either
// order; a third with the same access as the first shares its entries.
func TestCachedPanelsNeverCrossAccess(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		f := newFixture(t, e)
		ws := []dashboards.Widget{
			widget(dashboards.KindKPI, "case:open", dashboards.Options{}),
			widget(dashboards.KindKPI, "case:billed", dashboards.Options{}),
		}
		o := charts.Options{Format: format.Must("en-US", "UTC", "USD")}
		draw := func(id int64, classes ...int64) []string {
			t.Helper()
			pns, err := f.r.Panels(context.Background(), f.h, reader(id, false, classes, readAll), ws, o)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, pn := range pns {
				if pn.Problem != "" {
					t.Fatalf("viewer %d: %s", id, pn.Problem)
				}
				out = append(out, string(pn.Chart))
			}
			return out
		}
		check := func(who string, got []string, open, billed string) {
			t.Helper()
			if !strings.Contains(got[0], ">"+open+"<") || !strings.Contains(got[1], billed) {
				t.Errorf("%s: want %s open cases and %s billed, got %q and %q", who, open, billed, label(got[0]), label(got[1]))
			}
		}
		cache := f.r.Metrics.Cache()
		for _, secretFirst := range []bool{true, false} {
			cache.Invalidate(f.h.Tenant.Slug)
			if secretFirst {
				check("holder of Secret, first", draw(60, f.secretID), "3", "$600")
				check("no Secret, after", draw(61), "2", "$300")
			} else {
				check("no Secret, first", draw(61), "2", "$300")
				check("holder of Secret, after", draw(60, f.secretID), "3", "$600")
			}
			held := cache.Len()
			if held == 0 {
				t.Fatal("nothing was cached: the test proves nothing")
			}
			// Same access, another user: served from the same entries.
			check("another holder of Secret", draw(62, f.secretID), "3", "$600")
			if cache.Len() != held {
				t.Errorf("a viewer with the same access added entries: %d, then %d", held, cache.Len())
			}
		}
	})
}

// label is a chart's figure in words (its aria-label).
func label(svg string) string {
	if m := regexp.MustCompile(`aria-label="([^"]*)"`).FindStringSubmatch(svg); m != nil {
		return m[1]
	}
	return svg
}
