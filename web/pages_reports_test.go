package web

import (
	"math/big"
	"net/url"
	"slices"
	"strings"
	"testing"

	"strongroom"
	"strongroom/reports"
)

// TestReportPager checks the rows a page of a report's table covers, its
// links (keeping the query) and the refusal of a page past the last.
func TestReportPager(t *testing.T) {
	v := view{Here: "/t/acme/reports/financial"}
	q := url.Values{"by": {"month"}, "from": {"2020-01-01"}}
	for _, c := range []struct {
		n, total, first, last int
		prev, next            bool
	}{
		{1, 0, 0, 0, false, false},
		{1, 50, 1, 50, false, false},
		{1, 271, 1, 50, false, true},
		{2, 271, 51, 100, true, true},
		{6, 271, 251, 271, true, false},
	} {
		pg, err := newPager(v, q, c.n, c.total)
		if err != nil || pg.First != c.first || pg.Last != c.last || (pg.Prev != "") != c.prev || (pg.Next != "") != c.next {
			t.Errorf("page %d of %d rows: %+v %v", c.n, c.total, pg, err)
		}
		if pg.Next != "" && (!strings.HasPrefix(pg.Next, v.Here+"?") || !strings.Contains(pg.Next, "by=month") || !strings.Contains(pg.Next, "from=2020-01-01")) {
			t.Errorf("next link %s loses the query", pg.Next)
		}
	}
	if _, err := newPager(v, q, 7, 271); strongroom.ErrorField(err) != "page" {
		t.Errorf("page 7 of 271 rows: %v", err)
	}
	if _, err := pageNumber(url.Values{"page": {"0"}}); strongroom.ErrorField(err) != "page" {
		t.Errorf("page 0: %v", err)
	}
}

// TestReportRangeDefault checks that a report page without dates covers
// its default, and that given dates (even one) replace it.
func TestReportRangeDefault(t *testing.T) {
	def := reports.Range{From: "2025-12-02", To: "2026-12-01"}
	for _, c := range []struct {
		q    url.Values
		want reports.Range
	}{
		{url.Values{}, def},
		{url.Values{"from": {"2020-01-01"}, "to": {""}}, reports.Range{From: "2020-01-01"}},
		{url.Values{"to": {"2021-01-31"}}, reports.Range{To: "2021-01-31"}},
		{url.Values{"from": {""}, "to": {""}}, reports.Range{}},
	} {
		if got, err := reportRange(c.q, def); err != nil || got != c.want {
			t.Errorf("%v: %+v %v, want %+v", c.q, got, err, c.want)
		}
	}
	if _, err := reportRange(url.Values{"from": {"2021-02-29"}}, def); strongroom.ErrorField(err) != "from" {
		t.Errorf("2021-02-29: %v", err)
	}
}

// TestMonthChart checks that a chart by month runs over every month of the
// range, oldest first, with months without records at zero, and that its
// labels stand at steps people count in.
func TestMonthChart(t *testing.T) {
	v := func(m string, n int64) chartValue { return chartValue{Label: m, Value: big.NewInt(n), Text: m} }
	got := everyMonth([]chartValue{v("2025-03", 5), v("2025-05", -2)}, reports.Range{From: "2025-01-10", To: "2025-06-30"}, "0")
	var months []string
	for _, c := range got {
		months = append(months, c.Label+"="+c.Value.String())
	}
	if want := []string{"2025-01=0", "2025-02=0", "2025-03=5", "2025-04=0", "2025-05=-2", "2025-06=0"}; !slices.Equal(months, want) {
		t.Fatalf("months %v, want %v", months, want)
	}
	c := columnChart("c", "Totals", "Month", "Total (USD)", "$0.00", got)
	if len(c.Rows) != 6 || c.Rows[2].H <= c.Rows[4].H || c.Axis.Title != "Total (USD)" || c.LabelAxis != "Month" || c.Note != "" {
		t.Fatalf("chart %+v", c)
	}
	for _, s := range []struct{ n, step int }{{12, 1}, {13, 2}, {36, 3}, {72, 6}, {144, 12}, {324, 60}} {
		if got := labelStep(s.n); got != s.step {
			t.Errorf("labelStep(%d) = %d, want %d", s.n, got, s.step)
		}
	}
	if monthLabel("2024-01", 12) != "2024" || monthLabel("2024-02", 12) != "" || monthLabel("2024-04", 3) != "2024-04" {
		t.Error("month labels")
	}
}
