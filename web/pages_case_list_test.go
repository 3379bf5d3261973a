package web

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"strongroom/cases"
)

// TestCaseListPageLinks checks the page links of the case list: the first
// and last pages and two either side of the current one, gaps between,
// the filters kept, and no last page when the count stopped at its cap.
func TestCaseListPageLinks(t *testing.T) {
	q := url.Values{"q": {"energy"}, "sort": {"title"}, "page": {"7"}}
	for _, tc := range []struct {
		name    string
		list    cases.CasePage
		pages   string // page numbers, "…" for a gap, "*" marks the current one
		of      string
		hasNext bool
	}{
		{"middle", cases.CasePage{Total: 1000, Size: 50, Page: 7, More: true}, "1 … 5 6 7* 8 9 … 20", "Page 7 of 20", true},
		{"first", cases.CasePage{Total: 120, Size: 50, Page: 1, More: true}, "1* 2 3", "Page 1 of 3", true},
		{"last", cases.CasePage{Total: 120, Size: 50, Page: 3}, "1 2 3*", "Page 3 of 3", false},
		{"one page", cases.CasePage{Total: 3, Size: 50, Page: 1}, "", "Page 1 of 1", false},
		{"capped", cases.CasePage{Total: 10000, Capped: true, Size: 50, Page: 7, More: true}, "1 … 5 6 7* 8 9", "Page 7 of more than 200", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list := tc.list
			v := &caseListView{List: &list}
			v.pages("/t/firm/cases", q)
			var got []string
			for _, p := range v.Pages {
				switch {
				case p.Gap:
					got = append(got, "…")
				case p.Current:
					got = append(got, strconv.Itoa(p.N)+"*")
				default:
					got = append(got, strconv.Itoa(p.N))
				}
				if !p.Gap && (!strings.Contains(p.Href, "q=energy") || !strings.Contains(p.Href, "sort=title")) {
					t.Errorf("page link %s drops the filter or the order", p.Href)
				}
			}
			if s := strings.Join(got, " "); s != tc.pages || v.PageOf != tc.of || (v.Next != "") != tc.hasNext {
				t.Errorf("pages %q, %q, next %q; want %q, %q, next %v", s, v.PageOf, v.Next, tc.pages, tc.of, tc.hasNext)
			}
			if i := slices.IndexFunc(v.Pages, func(p pageLink) bool { return p.N == 1 }); i >= 0 && strings.Contains(v.Pages[i].Href, "page=") {
				t.Errorf("the first page's link names a page: %s", v.Pages[i].Href)
			}
		})
	}
}
