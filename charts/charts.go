// Package charts draws the widgets of a dashboard — a KPI figure, a time
// series, bars, a table — on the server, as inline SVG (and HTML for the
// table). No script and no style attribute: pages run under a CSP of
// style-src 'self', so colours come from classes in the design system's
// stylesheet (web/static/style.css: chart-*, series-1 … series-6) and
// lengths from presentation attributes. Elements draw with currentColor
// and the classes set color, so one rule colours a line, its area and its
// legend swatch alike.
//
// The input types say nothing of where the figures come from. Every text
// a widget writes is escaped here, since labels are tenant data; numbers
// that are not finite are left out and the chart says how many; a chart
// with no figures says "No data for this period". Each SVG has role="img",
// an aria-label and a <title>/<desc> summarising the data; TimeSeries and
// Bars also give DataTable, the same figures as an HTML table for a page
// to show visually hidden beside the chart.
package charts

import (
	"time"

	"strongroom/format"
)

// Size is how large a widget draws its type and strokes: Normal for a
// page read at a desk, Kiosk for a TV read from across the room.
type Size int

const (
	Normal Size = iota
	Kiosk
)

// Options are how a widget is drawn: its size and the tenant's formatter
// (numbers, money, time zone; nil is format.Default).
type Options struct {
	Size   Size
	Format *format.Formatter
	// HideTitle leaves the title out of the drawing, for a page that
	// heads the chart with it already (a dashboard panel); the SVG's
	// label and description still name it.
	HideTitle bool
}

// titleTop is where a chart's drawing begins below its title: the
// baseline of the title, or the top padding without one.
func (o Options) titleTop(m metrics) float64 {
	if o.HideTitle {
		return m.pad
	}
	return m.pad + m.title
}

// Style is how a time series is drawn.
type Style int

const (
	Line Style = iota
	Area
)

// KPI is one figure: its value, optionally the previous period's value
// (for the change), a target and a sparkline of recent values. Currency,
// when set, makes the value money in that ISO 4217 currency; else Unit
// follows the number ("%", "cases").
type KPI struct {
	Label    string
	Unit     string
	Currency string
	Value    float64
	Previous *float64
	Target   *float64
	Spark    []float64
	// LowerIsBetter marks a figure whose fall is good news (costs,
	// overdue deadlines): only the colour of the change depends on it,
	// never its arrow or word.
	LowerIsBetter bool
}

// Point is one value of a series at a time.
type Point struct {
	At    time.Time
	Value float64
}

// Series is a named run of points, in any order.
type Series struct {
	Name   string
	Points []Point
}

// TimeSeries is one or several series over time, sharing a value axis.
type TimeSeries struct {
	Title    string
	Unit     string
	Currency string
	Style    Style
	Series   []Series
	// Whole marks counts: the value axis steps by whole numbers.
	Whole bool
}

// BarGroup is one set of bars, a value per category (in the order of
// Bars.Categories; missing values are not drawn).
type BarGroup struct {
	Name   string
	Values []float64
}

// Bars is a bar chart: one bar per category, or with several groups, one
// bar per group side by side.
type Bars struct {
	Title      string
	Unit       string
	Currency   string
	Categories []string
	Groups     []BarGroup
	// Whole marks counts: the value axis steps by whole numbers.
	Whole bool
	// CategoryLabel heads the categories in the data table ("Month",
	// "Practice group"); "Category" when empty.
	CategoryLabel string
}

// Column is one column of a Table; Numeric ones are right-aligned in
// tabular figures.
type Column struct {
	Label   string
	Numeric bool
}

// Table is a table of texts, already formatted.
type Table struct {
	Title   string
	Columns []Column
	Rows    [][]string
}

// metrics are the lengths of one Size, in SVG user units. A widget's
// viewBox is its width, so type is drawn at a fixed share of the width
// however wide the page shows it.
type metrics struct {
	width, height  float64 // of a time series or a KPI
	font, small    float64 // body and tick type
	title          float64
	big            float64 // a KPI's value
	stroke         float64 // series lines
	pad            float64
	maxCategories  int // bars drawn before "and N more"
	labelChars     int // a category label is cut after this many
	maxRows        int // rows of a Table before "and N more"
	kpiWidth       float64
	kpiHeight      float64
	barThickness   float64
	legendSwatch   float64
	sparkHeight    float64
	progressHeight float64
	maxPointsDrawn int
}

var sizes = map[Size]metrics{
	Normal: {width: 480, height: 280, font: 14, small: 13, title: 16, big: 48, stroke: 2, pad: 12,
		maxCategories: 12, labelChars: 22, maxRows: 20, kpiWidth: 320,
		barThickness: 16, legendSwatch: 22, sparkHeight: 36, progressHeight: 6, maxPointsDrawn: 500},
	Kiosk: {width: 720, height: 420, font: 26, small: 24, title: 30, big: 96, stroke: 5, pad: 20,
		maxCategories: 8, labelChars: 16, maxRows: 10, kpiWidth: 480,
		barThickness: 30, legendSwatch: 40, sparkHeight: 60, progressHeight: 12, maxPointsDrawn: 480},
}

func (o Options) metrics() metrics {
	if m, ok := sizes[o.Size]; ok {
		return m
	}
	return sizes[Normal]
}

func (o Options) formatter() *format.Formatter {
	if o.Format == nil {
		return format.Default
	}
	return o.Format
}

// sizeClass names the size on the root element, for the stylesheet.
func (o Options) sizeClass() string {
	if o.Size == Kiosk {
		return "chart-kiosk"
	}
	return "chart-normal"
}

// seriesCount is how many colour classes the stylesheet defines.
const seriesCount = 6

// seriesClass is the colour class of the i-th series (from 0), repeating
// after seriesCount; dashes tell the repeats apart.
func seriesClass(i int) string {
	return "series-" + itoa(i%seriesCount+1)
}

// dashes differ per series so that lines are told apart without colour;
// past seriesCount, where colours repeat, the dashes shift so that no two
// series share both.
var dashes = []string{"", "10 5", "3 4", "14 4 3 4", "6 6", "2 8", "18 6"}

func dash(i int, m metrics) string {
	d := dashes[(i+i/seriesCount)%len(dashes)]
	if d == "" || m.stroke <= 2 {
		return d
	}
	return scaleDash(d, m.stroke/2)
}
