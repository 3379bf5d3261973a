package web

import (
	"math"
	"math/big"
	"strconv"
	"time"

	"strongroom/charts"
	"strongroom/reports"
)

// A chart is drawn on the server as inline SVG: presentation attributes
// only (fill=, font-size=), no style, so the strict CSP holds and the page
// needs no script. Lengths are floats, but only for drawing: every number
// shown is the report's exact text. Each chart is a figure whose caption
// comes first and names it (aria-labelledby), so a caption is never read
// as belonging to the chart after it.
type chart struct {
	ID            string // of its caption
	Title         string
	Note          string // what the chart leaves out, if anything
	Columns       bool   // a column chart (time runs left to right); else bars
	Width, Height int
	Rows          []chartRow
	Legend        []legendItem
	ZeroX         float64 // where the zero line is drawn (bars)
	LegendY       int
	// Axes: the value axis's line, ticks and title, and the title of the
	// axis the labels stand on.
	Axis      axis
	LabelAxis string
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
	// Columns: the bar's rectangle and where its label stands (empty
	// labels are left out where they would crowd).
	X, Y, W, H float64
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

// axis is the value axis: a line from (X1, Y1) to (X2, Y2), ticks on it
// and its title at (TitleX, TitleY).
type axis struct {
	X1, Y1, X2, Y2 float64
	Ticks          []tick
	Title          string
	TitleX, TitleY float64
}

type tick struct {
	X, Y   float64
	Text   string
	Anchor string
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
	axisSpace   = 44 // below the bars: tick labels and the axis title

	// Column charts (months).
	colHeight   = 300
	colLeft     = 120 // tick labels of the value axis
	colRight    = 16
	colTop      = 30
	colBottom   = 56  // month labels and the axis title
	maxColumns  = 480 // forty years of months
	labelsShown = 12  // at most this many month labels along the axis
)

// palette colours the statuses (and bars), dark enough for white space
// around them to read well.
var palette = []string{"#0b5cad", "#e08a00", "#2e7d32", "#6b6f76", "#8e24aa", "#b3261e"}

// span returns the smallest and largest of the values and zero, and their
// difference (at least 1).
func span(values []chartValue) (lo, hi, width *big.Int) {
	lo, hi = new(big.Int), new(big.Int)
	for _, v := range values {
		if v.Value.Cmp(lo) < 0 {
			lo = v.Value
		}
		if v.Value.Cmp(hi) > 0 {
			hi = v.Value
		}
	}
	width = new(big.Int).Sub(hi, lo)
	if width.Sign() == 0 {
		width = big.NewInt(1)
	}
	return lo, hi, width
}

// extremes are the texts of the smallest and largest values (and "0"),
// for the ticks of a value axis.
func extremes(values []chartValue, zero string) (lo, hi string) {
	lo, hi = zero, zero
	var minV, maxV *big.Int
	for _, v := range values {
		if v.Value.Sign() < 0 && (minV == nil || v.Value.Cmp(minV) < 0) {
			minV, lo = v.Value, v.Text
		}
		if v.Value.Sign() > 0 && (maxV == nil || v.Value.Cmp(maxV) > 0) {
			maxV, hi = v.Value, v.Text
		}
	}
	return lo, hi
}

// barChart draws one horizontal bar per value, from a zero line that
// leaves room for negative values, with the value axis below. At most
// maxBars are drawn; the note says how many were left out.
func barChart(id, title, labelAxis, valueAxis, zero string, values []chartValue) chart {
	c := chart{ID: id, Title: title, Width: chartWidth, LabelAxis: labelAxis}
	if len(values) > maxBars {
		c.Note = "The chart shows the first " + strconv.Itoa(maxBars) + " of " + strconv.Itoa(len(values)) + " rows; the table has them all."
		values = values[:maxBars]
	}
	minV, _, width := span(values)
	area := float64(chartWidth - labelWidth - valueWidth)
	scale := func(n *big.Int) float64 {
		f, _ := new(big.Rat).SetFrac(n, width).Float64()
		return round1(f * area)
	}
	zeroX := float64(labelWidth) + scale(new(big.Int).Neg(minV))
	c.ZeroX = zeroX
	bottom := float64(chartTop + rowHeight*max(1, len(values)))
	for i, v := range values {
		y := float64(chartTop + i*rowHeight)
		w := scale(new(big.Int).Abs(v.Value))
		x := zeroX
		anchor, vx := "start", zeroX+w+4
		if v.Value.Sign() < 0 {
			x = zeroX - w
			anchor, vx = "end", x-4
			if vx < labelWidth+valueWidth/2 {
				anchor, vx = "start", zeroX+4
			}
		}
		c.Rows = append(c.Rows, chartRow{Label: short(v.Label), LabelX: labelWidth - 8, TextY: y + 12, SegmentY: y, BarHgt: barHeight,
			Segments:  []segment{{X: x, W: max(w, 1), Fill: palette[0], Tip: v.Label + ": " + v.Text}},
			ValueText: v.Text, ValueX: vx, ValueAnchor: anchor})
	}
	lo, hi := extremes(values, zero)
	right := float64(chartWidth - valueWidth)
	c.Axis = axis{X1: labelWidth, Y1: bottom + 4, X2: right, Y2: bottom + 4, Title: valueAxis,
		TitleX: (labelWidth + right) / 2, TitleY: bottom + 38}
	c.Axis.Ticks = append(c.Axis.Ticks, tick{X: zeroX, Y: bottom + 18, Text: zero, Anchor: "middle"})
	if hi != zero {
		c.Axis.Ticks = append(c.Axis.Ticks, tick{X: right, Y: bottom + 18, Text: hi, Anchor: "end"})
	}
	if lo != zero {
		c.Axis.Ticks = append(c.Axis.Ticks, tick{X: labelWidth, Y: bottom + 18, Text: lo, Anchor: "start"})
	}
	if zeroX-labelWidth < 60 || right-zeroX < 60 {
		c.Axis.Ticks[0].Anchor = map[bool]string{true: "start", false: "end"}[zeroX-labelWidth < 60]
	}
	c.Height = int(bottom) + axisSpace
	return c
}

// columnChart draws one column per value, in the order given (oldest
// first: time runs left to right), with the value axis on the left and
// the labels below, thinned out to at most labelsShown.
func columnChart(id, title, labelAxis, valueAxis, zero string, values []chartValue) chart {
	c := chart{ID: id, Title: title, Columns: true, Width: chartWidth, Height: colHeight, LabelAxis: labelAxis}
	if len(values) > maxColumns {
		c.Note = "The chart shows the newest " + strconv.Itoa(maxColumns) + " of " + strconv.Itoa(len(values)) + " months; the table has them all."
		values = values[len(values)-maxColumns:]
	}
	_, maxV, width := span(values)
	plotW := float64(chartWidth - colLeft - colRight)
	plotH := float64(colHeight - colTop - colBottom)
	y := func(n *big.Int) float64 {
		f, _ := new(big.Rat).SetFrac(new(big.Int).Sub(maxV, n), width).Float64()
		return round1(colTop + f*plotH)
	}
	zeroY := y(new(big.Int))
	slot := plotW / float64(max(1, len(values)))
	every := labelStep(len(values))
	for i, v := range values {
		x := float64(colLeft) + float64(i)*slot
		top, bottom := y(v.Value), zeroY
		if v.Value.Sign() < 0 {
			top, bottom = zeroY, y(v.Value)
		}
		row := chartRow{X: round1(x + slot*0.15), W: round1(max(slot*0.7, 1)), Y: top, H: max(bottom-top, 1),
			Segments: []segment{{Fill: palette[0], Tip: v.Label + ": " + v.Text}}, LabelX: round1(x + slot/2),
			TextY: float64(colHeight - colBottom + 16)}
		row.Label = monthLabel(v.Label, every)
		c.Rows = append(c.Rows, row)
	}
	lo, hi := extremes(values, zero)
	c.Axis = axis{X1: colLeft, Y1: colTop, X2: colLeft, Y2: colTop + plotH, Title: valueAxis,
		TitleX: colLeft - 8, TitleY: colTop - 14} // above the top tick, not on it
	c.Axis.Ticks = append(c.Axis.Ticks, tick{X: colLeft - 6, Y: zeroY + 4, Text: zero, Anchor: "end"})
	if hi != zero && zeroY-colTop > 14 {
		c.Axis.Ticks = append(c.Axis.Ticks, tick{X: colLeft - 6, Y: colTop + 8, Text: hi, Anchor: "end"})
	}
	if lo != zero && colTop+plotH-zeroY > 14 {
		c.Axis.Ticks = append(c.Axis.Ticks, tick{X: colLeft - 6, Y: colTop + plotH, Text: lo, Anchor: "end"})
	}
	c.ZeroX = zeroY // the zero line runs across at this height
	return c
}

// casesChart stacks each practice group's cases by status.
func casesChart(rep *reports.Cases) chart {
	groups := rep.Groups
	c := chart{ID: "chart-cases", Title: "Cases by practice group and status", Width: chartWidth, ZeroX: labelWidth,
		LabelAxis: "Practice group"}
	if len(groups) > maxBars {
		c.Note = "The chart shows the " + strconv.Itoa(maxBars) + " largest of " + strconv.Itoa(len(groups)) + " practice groups; the table has them all."
		groups = groups[:maxBars]
	}
	most := 1
	for _, g := range groups {
		most = max(most, g.Count)
	}
	area := float64(chartWidth - labelWidth - valueWidth)
	colour := map[string]string{}
	for i, s := range rep.Statuses {
		colour[s.Label] = palette[i%len(palette)]
		c.Legend = append(c.Legend, legendItem{X: labelWidth + i*120, Fill: colour[s.Label], Label: statusLabel(s.Label)})
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
				Tip: groupLabel(g.Label) + ", " + statusLabel(s.Label) + ": " + strconv.Itoa(n)})
			x += w
		}
		row.ValueX = x + 4
		c.Rows = append(c.Rows, row)
	}
	bottom := float64(chartTop + rowHeight*max(1, len(groups)))
	right := float64(labelWidth) + area
	c.Axis = axis{X1: labelWidth, Y1: bottom + 4, X2: right, Y2: bottom + 4, Title: "Cases",
		TitleX: (labelWidth + right) / 2, TitleY: bottom + 38,
		Ticks: []tick{{X: labelWidth, Y: bottom + 18, Text: "0", Anchor: "start"}, {X: right, Y: bottom + 18, Text: strconv.Itoa(most), Anchor: "end"}}}
	c.LegendY = int(bottom) + axisSpace + 8
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

// short cuts a label to fit beside its bar (the full label is in the
// bar's tip), as the dashboards' charts cut theirs.
func short(s string) string { return charts.Truncate(s, 34) }

func groupLabel(g string) string {
	if g == "" {
		return "(no practice group)"
	}
	return g
}

// labelStep is how many months apart the labels of a column chart of n
// months stand: a step people count in (1, 2, 3 or 6 months, or whole
// years), the smallest that shows at most labelsShown of them.
func labelStep(n int) int {
	for _, step := range []int{1, 2, 3, 6, 12, 24, 60, 120} {
		if n <= step*labelsShown {
			return step
		}
	}
	return 240
}

// monthLabel is the label of month m (YYYY-MM) on an axis labelled every
// step months: the months that are a multiple of step from January (the
// year alone for steps of a year or more), none for the others.
func monthLabel(m string, step int) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return ""
	}
	index := t.Year()*12 + int(t.Month()) - 1
	if index%step != 0 {
		return ""
	}
	if step >= 12 {
		return strconv.Itoa(t.Year())
	}
	return m
}
