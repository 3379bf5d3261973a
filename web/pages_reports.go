package web

import (
	"math"
	"math/big"
	"net/http"
	"strconv"

	"strongroom"
	"strongroom/access"
	"strongroom/format"
	"strongroom/identity"
	"strongroom/reports"
	"strongroom/tenancy"
)

// reportLink is an entry of the reports index.
type reportLink struct {
	Name, Title, About string
}

var reportLinks = []reportLink{
	{reports.CasesReport, "Cases by status and practice group", "How many cases each practice group has open, pending, closed and archived."},
	{reports.FinancialReport, "Financial totals", "Fees, expenses, invoices, payments and settlements by kind, month, case or currency — each currency on its own."},
	{reports.DeadlinesReport, "Open deadlines", "Deadlines not yet met, soonest first, and how many are overdue."},
}

func (h *Handler) reportsPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.Subject.Require(access.Reports, access.Read); err != nil {
		return err
	}
	v := newView(r, t, p)
	var links []reportLink
	for _, l := range reportLinks {
		area := access.Cases
		if l.Name == reports.FinancialReport {
			area = access.Financial
		}
		if p.Subject.Allowed(area, access.Read) {
			links = append(links, l)
		}
	}
	v.Page = links
	return h.render(w, http.StatusOK, "reports", v)
}

// reportView is a report page: its chart(s) and its data.
type reportView struct {
	Name    string
	Title   string
	CSV     string // the export link
	Charts  []chart
	Report  any
	By      string
	Options []option // groupings of the financial report
	// Table is the report as the page's table shows it (at most maxRows
	// rows; Rows says how many the report has).
	Table []tableRow
	Rows  int
}

// tableRow is a line of a report's table: cells of exact text, and a link
// for the first one when it names something the user may open. Cells from
// NumFrom on (when above zero) are figures, set right-aligned.
type tableRow struct {
	Head    string
	URL     string
	Cells   []string
	Class   string
	NumFrom int
}

// maxRows bounds the rows a report page shows; the CSV has every row.
const maxRows = 200

func (h *Handler) reportPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	ctx := r.Context()
	v := newView(r, t, p)
	name := r.PathValue("name")
	page := &reportView{Name: name, CSV: v.Path("reports/" + name + "/csv")}
	for _, l := range reportLinks {
		if l.Name == name {
			page.Title = l.Title
		}
	}
	switch name {
	case reports.CasesReport:
		rep, err := h.svc.Reports.Cases(ctx, t, p)
		if err != nil {
			return err
		}
		page.Report, page.Charts, page.Table = rep, []chart{casesChart(rep)}, casesTable(rep)
	case reports.FinancialReport:
		rep, err := h.svc.Reports.Financial(ctx, t, p, r.URL.Query().Get("by"))
		if err != nil {
			return err
		}
		page.Report, page.By, page.Rows = rep, rep.By, len(rep.Rows)
		page.Table, err = financialTable(v, h.formatter(t), rep)
		if err != nil {
			return err
		}
		page.CSV += "?by=" + rep.By
		for _, g := range reports.Groupings() {
			page.Options = append(page.Options, option{Value: g, Label: g, Checked: g == rep.By})
		}
		if page.Charts, err = financialCharts(h.formatter(t), rep); err != nil {
			return err
		}
	case reports.DeadlinesReport:
		rep, err := h.svc.Reports.Deadlines(ctx, t, p, defaultDeadlines)
		if err != nil {
			return err
		}
		bars := make([]chartValue, len(rep.Buckets))
		for i, b := range rep.Buckets {
			bars[i] = chartValue{Label: b.Label, Value: big.NewInt(int64(b.Count)), Text: strconv.Itoa(b.Count)}
		}
		page.Report, page.Charts = rep, []chart{barChart("Open deadlines by when they are due", bars)}
	default:
		return strongroom.Errorf(strongroom.ENOTFOUND, "No such report.")
	}
	v.Page = page
	return h.render(w, http.StatusOK, "report", v)
}

// casesTable is one row per practice group: its cases by status, and all.
func casesTable(rep *reports.Cases) []tableRow {
	var out []tableRow
	for _, g := range rep.Groups {
		row := tableRow{Head: groupLabel(g.Label)}
		for _, st := range rep.Statuses {
			row.Cells = append(row.Cells, strconv.Itoa(countOf(rep.Rows, g.Label, st.Label)))
		}
		out = append(out, tableRow{Head: row.Head, Cells: append(row.Cells, strconv.Itoa(g.Count))})
	}
	return out
}

// financialTable is the first maxRows rows of the financial report, with
// counts and totals written by the tenant's formatter.
func financialTable(v view, f *format.Formatter, rep *reports.Financial) ([]tableRow, error) {
	var out []tableRow
	for i, r := range rep.Rows {
		if i == maxRows {
			break
		}
		total, err := f.Money(r.Total.String(), r.Currency)
		if err != nil {
			return nil, err
		}
		row := tableRow{Head: r.Key, Cells: []string{r.Currency, f.Number(int64(r.Count)), total}}
		if rep.By == reports.ByCase {
			row.Cells = append([]string{r.Label}, row.Cells...)
			if r.CaseID != 0 {
				row.URL = v.Path("cases/" + strconv.FormatInt(r.CaseID, 10))
			}
		}
		row.NumFrom = len(row.Cells) - 2
		out = append(out, row)
	}
	return out, nil
}

// A chart is drawn on the server as inline SVG: presentation attributes
// only (fill=, font-size=), no style, so the strict CSP holds and the page
// needs no script. Lengths are floats, but only for drawing: every number
// shown is the report's exact text.
type chart struct {
	Title         string
	Width, Height int
	Rows          []chartRow
	Legend        []legendItem
	ZeroX         float64 // where the zero line is drawn
	LegendY       int
}

type chartRow struct {
	Label            string
	TextY            float64
	Segments         []segment
	ValueText        string
	ValueX           float64
	ValueAnchor      string
	LabelX           float64
	SegmentY, BarHgt float64
}

type segment struct {
	X, W float64
	Fill string
	Tip  string
}

type legendItem struct {
	X     int
	Fill  string
	Label string
}

// chartValue is one bar: an exact value (for proportions) and its text.
type chartValue struct {
	Label string
	Value *big.Int
	Text  string
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 720
	labelWidth  = 220
	valueWidth  = 110
	rowHeight   = 24
	barHeight   = 16
	chartTop    = 8
	maxBars     = 25
	legendSpace = 28
)

// palette colours the statuses (and bars), dark enough for white space
// around them to read well.
var palette = []string{"#0b5cad", "#e08a00", "#2e7d32", "#6b6f76", "#8e24aa", "#b3261e"}

// barChart draws one horizontal bar per value, from a zero line that
// leaves room for negative values.
func barChart(title string, values []chartValue) chart {
	if len(values) > maxBars {
		values = values[:maxBars]
	}
	minV, maxV := new(big.Int), new(big.Int)
	for _, v := range values {
		if v.Value.Cmp(minV) < 0 {
			minV = v.Value
		}
		if v.Value.Cmp(maxV) > 0 {
			maxV = v.Value
		}
	}
	span := new(big.Int).Sub(maxV, minV)
	if span.Sign() == 0 {
		span = big.NewInt(1)
	}
	area := float64(chartWidth - labelWidth - valueWidth)
	scale := func(n *big.Int) float64 {
		f, _ := new(big.Rat).SetFrac(n, span).Float64()
		return round1(f * area)
	}
	zero := float64(labelWidth) + scale(new(big.Int).Neg(minV))
	c := chart{Title: title, Width: chartWidth, Height: chartTop*2 + rowHeight*max(1, len(values)), ZeroX: zero}
	for i, v := range values {
		y := float64(chartTop + i*rowHeight)
		w := scale(new(big.Int).Abs(v.Value))
		x := zero
		anchor, vx := "start", zero+w+4
		if v.Value.Sign() < 0 {
			x = zero - w
			anchor, vx = "end", x-4
			if vx < labelWidth+valueWidth/2 {
				anchor, vx = "start", zero+4
			}
		}
		c.Rows = append(c.Rows, chartRow{Label: short(v.Label), LabelX: labelWidth - 8, TextY: y + 12, SegmentY: y, BarHgt: barHeight,
			Segments:  []segment{{X: x, W: max(w, 1), Fill: palette[0], Tip: v.Label + ": " + v.Text}},
			ValueText: v.Text, ValueX: vx, ValueAnchor: anchor})
	}
	return c
}

// casesChart stacks each practice group's cases by status.
func casesChart(rep *reports.Cases) chart {
	groups := rep.Groups
	if len(groups) > maxBars {
		groups = groups[:maxBars]
	}
	most := 1
	for _, g := range groups {
		most = max(most, g.Count)
	}
	area := float64(chartWidth - labelWidth - valueWidth)
	c := chart{Title: "Cases by practice group and status", Width: chartWidth, ZeroX: labelWidth}
	colour := map[string]string{}
	for i, s := range rep.Statuses {
		colour[s.Label] = palette[i%len(palette)]
		c.Legend = append(c.Legend, legendItem{X: labelWidth + i*120, Fill: colour[s.Label], Label: s.Label})
	}
	for i, g := range groups {
		y := float64(chartTop + i*rowHeight)
		row := chartRow{Label: short(groupLabel(g.Label)), LabelX: labelWidth - 8, TextY: y + 12, SegmentY: y, BarHgt: barHeight,
			ValueText: strconv.Itoa(g.Count), ValueAnchor: "start"}
		x := float64(labelWidth)
		for _, s := range rep.Statuses {
			n := countOf(rep.Rows, g.Label, s.Label)
			if n == 0 {
				continue
			}
			w := round1(float64(n) / float64(most) * area)
			row.Segments = append(row.Segments, segment{X: x, W: w, Fill: colour[s.Label],
				Tip: groupLabel(g.Label) + ", " + s.Label + ": " + strconv.Itoa(n)})
			x += w
		}
		row.ValueX = x + 4
		c.Rows = append(c.Rows, row)
	}
	c.LegendY = chartTop + rowHeight*max(1, len(groups)) + 12
	c.Height = c.LegendY + legendSpace
	return c
}

func countOf(rows []reports.StatusGroup, group, status string) int {
	for _, r := range rows {
		if r.PracticeGroup == group && r.Status == status {
			return r.Count
		}
	}
	return 0
}

// round1 rounds a length to a tenth of a unit: finer is invisible.
func round1(x float64) float64 { return math.Round(x*10) / 10 }

// short cuts a label to fit beside its bar.
func short(s string) string {
	r := []rune(s)
	if len(r) <= 34 {
		return s
	}
	return string(r[:33]) + "…"
}

func groupLabel(g string) string {
	if g == "" {
		return "(no practice group)"
	}
	return g
}

// financialCharts draws one chart per currency (the three with the most
// records): currencies are never added together.
func financialCharts(f *format.Formatter, rep *reports.Financial) ([]chart, error) {
	var out []chart
	for i, tot := range rep.Totals {
		if i == 3 {
			break
		}
		var values []chartValue
		for _, row := range rep.Rows {
			if row.Currency != tot.Currency {
				continue
			}
			label := row.Key
			if rep.By == reports.ByCase {
				label = row.Key + " " + row.Label
			}
			text, err := f.Money(row.Total.String(), row.Currency)
			if err != nil {
				return nil, err
			}
			values = append(values, chartValue{Label: label, Value: row.Total.E4(), Text: text})
		}
		out = append(out, barChart("Totals in "+tot.Currency+" by "+rep.By, values))
	}
	return out, nil
}
