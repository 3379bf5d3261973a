package charts

import (
	"html/template"
	"sort"
	"time"
)

// maxTableRows bounds a data table's rows: beyond them the page should
// offer the export.
const maxTableRows = 1000

// HTML writes the table widget: a caption, headed columns, numeric ones
// right-aligned, at most a size's share of rows and then "and N more
// rows". Cells longer than a line are cut, with the whole text in their
// title attribute.
func (t Table) HTML(o Options) template.HTML {
	m := o.metrics()
	var w writer
	// A wide table scrolls inside its region, which the keyboard can
	// reach and scroll.
	name := t.Title
	if name == "" {
		name = "Table"
	}
	w.open("div", "class", "table-responsive", "tabindex", "0", "role", "region", "aria-label", name)
	w.open("table", "class", "table chart-table "+o.sizeClass())
	if t.Title != "" {
		w.el("caption", t.Title)
	}
	w.open("thead")
	w.open("tr")
	for _, c := range t.Columns {
		w.el("th", c.Label, "scope", "col", "class", numClass(c.Numeric))
	}
	w.close("tr")
	w.close("thead")
	w.open("tbody")
	if len(t.Rows) == 0 {
		w.open("tr")
		w.el("td", noData+".", "colspan", itoa(max(len(t.Columns), 1)))
		w.close("tr")
	}
	for i, row := range t.Rows {
		if i == m.maxRows {
			w.open("tr")
			w.el("td", "and "+plural(len(t.Rows)-i, "more row"), "colspan", itoa(max(len(t.Columns), 1)), "class", "chart-more")
			w.close("tr")
			break
		}
		w.open("tr")
		for j := range max(len(t.Columns), len(row)) {
			cell, numeric := "", false
			if j < len(row) {
				cell = row[j]
			}
			if j < len(t.Columns) {
				numeric = t.Columns[j].Numeric
			}
			tag := "td"
			if j == 0 && !numeric {
				tag = "th"
			}
			short := Truncate(cell, 60)
			title := ""
			if short != cell {
				title = cell
			}
			attrs := []string{"class", numClass(numeric), "title", title}
			if tag == "th" {
				attrs = append(attrs, "scope", "row")
			}
			w.el(tag, short, attrs...)
		}
		w.close("tr")
	}
	w.close("tbody")
	w.close("table")
	w.close("div")
	return w.html()
}

func numClass(numeric bool) string {
	if numeric {
		return "num"
	}
	return ""
}

// dataTable writes figures as an HTML table: a row per label, a column
// per group. It is the chart's text alternative, for a page to show
// visually hidden (class visually-hidden on a wrapper) or in a
// disclosure.
func dataTable(caption, head string, groups []string, labels []string, cell func(row, col int) string, note string, hideCaption bool) template.HTML {
	var w writer
	w.open("table", "class", "table table-sm chart-data")
	if hideCaption {
		// The page heads the table already; screen readers still hear it.
		w.open("caption", "class", "visually-hidden")
	} else {
		w.open("caption")
	}
	w.text(caption)
	if note != "" {
		w.text(" (" + note + ")")
	}
	w.close("caption")
	w.open("thead")
	w.open("tr")
	w.el("th", head, "scope", "col")
	for _, g := range groups {
		w.el("th", g, "scope", "col", "class", "num")
	}
	w.close("tr")
	w.close("thead")
	w.open("tbody")
	for r, l := range labels {
		w.open("tr")
		w.el("th", l, "scope", "row")
		for c := range groups {
			w.el("td", cell(r, c), "class", "num")
		}
		w.close("tr")
	}
	if len(labels) == 0 {
		w.open("tr")
		w.el("td", noData+".", "colspan", itoa(len(groups)+1))
		w.close("tr")
	}
	w.close("tbody")
	w.close("table")
	return w.html()
}

func cellText(n numbers, v float64) string {
	if !finite(v) {
		return "not a number"
	}
	return n.exact(v)
}

// DataTable is the series as a table: a row per time (the newest
// maxTableRows), a column per series, with every value as given,
// including those the chart could not draw.
func (ts TimeSeries) DataTable(o Options) template.HTML {
	f := o.formatter()
	n := newNumbers(f, ts.Currency, ts.Unit)
	byTime := map[int64]map[int]float64{}
	times := map[int64]time.Time{}
	for i, s := range ts.Series {
		for _, p := range s.Points {
			k := p.At.UnixNano()
			if byTime[k] == nil {
				byTime[k] = map[int]float64{}
			}
			byTime[k][i] = p.Value
			times[k] = p.At
		}
	}
	keys := make([]int64, 0, len(times))
	for k := range times {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	note := ""
	if len(keys) > maxTableRows {
		note = "the newest " + itoa(maxTableRows) + " of " + itoa(len(keys)) + " times"
		keys = keys[len(keys)-maxTableRows:]
	}
	span := time.Duration(0)
	if len(keys) > 1 {
		span = time.Duration(keys[len(keys)-1] - keys[0])
	}
	labels := make([]string, len(keys))
	for i, k := range keys {
		labels[i] = when(f, times[k], span)
	}
	names := make([]string, len(ts.Series))
	for i, s := range ts.Series {
		names[i] = s.Name
	}
	return dataTable(ts.Title, "Time", names, labels, func(r, c int) string {
		v, ok := byTime[keys[r]][c]
		if !ok {
			return "—"
		}
		return cellText(n, v)
	}, note, o.HideTitle)
}

// DataTable is the bars as a table: every category, drawn or not.
func (b Bars) DataTable(o Options) template.HTML {
	n := newNumbers(o.formatter(), b.Currency, b.Unit)
	names := make([]string, len(b.Groups))
	for i, g := range b.Groups {
		names[i] = g.Name
		if names[i] == "" && len(b.Groups) == 1 {
			names[i] = "Value"
		}
	}
	labels := b.Categories
	note := ""
	if len(labels) > maxTableRows {
		note = "the first " + itoa(maxTableRows) + " of " + itoa(len(labels)) + " categories"
		labels = labels[:maxTableRows]
	}
	head := b.CategoryLabel
	if head == "" {
		head = "Category"
	}
	return dataTable(b.Title, head, names, labels, func(r, c int) string {
		if c >= len(b.Groups) || r >= len(b.Groups[c].Values) {
			return "—"
		}
		return cellText(n, b.Groups[c].Values[r])
	}, note, o.HideTitle)
}
