package charts

import (
	"html/template"
	"math"
	"time"
)

func ptr(v float64) *float64 { return &v }

// sample is one widget of the golden files and the screenshots.
type sample struct {
	name   string
	render func(Options) template.HTML
	table  func(Options) template.HTML // the data table, if the widget has one
	ext    string
}

var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func daily(n int, f func(i int) float64) []Point {
	ps := make([]Point, n)
	for i := range ps {
		ps[i] = Point{At: day0.AddDate(0, 0, i), Value: f(i)}
	}
	return ps
}

func hourly(n int, f func(i int) float64) []Point {
	ps := make([]Point, n)
	for i := range ps {
		ps[i] = Point{At: day0.Add(time.Duration(i) * time.Hour), Value: f(i)}
	}
	return ps
}

func samples() []sample {
	revenue := KPI{Label: "Revenue this quarter", Currency: "USD", Value: 1234567.8, Previous: ptr(1100000), Target: ptr(1500000),
		Spark: []float64{900e3, 950e3, 1010e3, 980e3, 1050e3, 1100e3, 1080e3, 1150e3, 1190e3, 1234.5678e3}}
	cases := KPI{Label: "Open cases", Unit: "cases", Value: 1000, Previous: ptr(1000), Target: ptr(1200),
		Spark: []float64{980, 990, 1010, 1000, 995, 1000}}
	overdue := KPI{Label: "Overdue deadlines", Value: 17, Previous: ptr(23), LowerIsBetter: true, Spark: []float64{30, 28, 23, 25, 20, 17}}
	line := TimeSeries{Title: "New cases per day", Unit: "cases", Series: []Series{
		{Name: "Litigation", Points: daily(30, func(i int) float64 { return 20 + 8*math.Sin(float64(i)/4) + float64(i%3) })},
		{Name: "Corporate", Points: daily(30, func(i int) float64 { return 12 + 5*math.Cos(float64(i)/5) })},
		{Name: "Employment", Points: daily(30, func(i int) float64 { return 6 + float64(i)/5 })},
	}}
	area := TimeSeries{Title: "Billable hours, last two days", Unit: "h", Style: Area, Series: []Series{
		{Name: "Hours", Points: hourly(48, func(i int) float64 {
			h := i % 24
			if h < 8 || h > 18 {
				return 0
			}
			return 40 + 25*math.Sin(float64(h-8)/10*math.Pi)
		})},
	}}
	bars := Bars{Title: "Fees billed by practice group", Currency: "USD",
		Categories: []string{"Litigation", "Corporate and commercial", "Employment", "Intellectual property and technology transactions", "Real estate", "Tax"},
		Groups:     []BarGroup{{Values: []float64{482000, 391500, 120250, 98000, 45500, 12000}}}}
	grouped := Bars{Title: "Net margin by office", Unit: "%",
		Categories: []string{"London", "New York", "Frankfurt", "Singapore"},
		Groups: []BarGroup{{Name: "2024", Values: []float64{12.5, 8.25, -3.5, 15}},
			{Name: "2025", Values: []float64{14, 9.5, 1.25, 11}},
			{Name: "2026", Values: []float64{16.75, 10, 4, 9.5}}}}
	table := Table{Title: "Largest matters", Columns: []Column{{Label: "Matter"}, {Label: "Client"}, {Label: "Hours", Numeric: true}, {Label: "Fees", Numeric: true}},
		Rows: [][]string{{"2026-0042", "Acme Holdings plc", "1,204", "$482,000.00"}, {"2026-0017", "Globex GmbH", "880", "$391,500.00"},
			{"2025-0311", "Initech Ltd", "310", "$120,250.00"}}}
	return []sample{
		{name: "kpi", render: revenue.SVG, ext: "svg"},
		{name: "kpi-flat", render: cases.SVG, ext: "svg"},
		{name: "kpi-lower", render: overdue.SVG, ext: "svg"},
		{name: "line", render: line.SVG, table: line.DataTable, ext: "svg"},
		{name: "area", render: area.SVG, table: area.DataTable, ext: "svg"},
		{name: "bars", render: bars.SVG, table: bars.DataTable, ext: "svg"},
		{name: "bars-grouped", render: grouped.SVG, table: grouped.DataTable, ext: "svg"},
		{name: "table", render: table.HTML, ext: "html"},
	}
}
