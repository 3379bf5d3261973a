package charts

import (
	"html/template"
	"math"
	"strings"
)

// value is group g's value in category c, if it has a finite one.
func (b Bars) value(g, c int) (float64, bool) {
	if g >= len(b.Groups) || c >= len(b.Groups[g].Values) {
		return 0, false
	}
	v := b.Groups[g].Values[c]
	return v, finite(v)
}

// dropped counts the values that are there but not numbers.
func (b Bars) dropped() int {
	n := 0
	for _, g := range b.Groups {
		for i, v := range g.Values {
			if i < len(b.Categories) && !finite(v) {
				n++
			}
		}
	}
	return n
}

// SVG draws a horizontal bar per category (a bar per group, side by
// side, with a legend, when there are several groups) from a zero line,
// with the value at the end of each bar. At most a size's share of
// categories are drawn; the chart says how many more there are (the data
// table has them all). Long labels are cut, with the full text in their
// <title>.
func (b Bars) SVG(o Options) template.HTML {
	m := o.metrics()
	n := newNumbers(o.formatter(), b.Currency, b.Unit)
	shown := min(len(b.Categories), m.maxCategories)
	groups := max(len(b.Groups), 1)

	lo, hi := math.Inf(1), math.Inf(-1)
	var labelW, valueW float64
	for c := range shown {
		labelW = math.Max(labelW, textWidth(Truncate(b.Categories[c], m.labelChars), m.small))
		for g := range b.Groups {
			if v, ok := b.value(g, c); ok {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
				valueW = math.Max(valueW, textWidth(n.short(v), m.small))
			}
		}
	}
	empty := math.IsInf(lo, 1)
	labelW = math.Min(labelW, m.width*0.38)

	var w writer
	label := strings.TrimSpace(b.Title + " (bar chart)")
	w.svgOpen(o, "chart-bars", m.width, 0, label, b.describe(n, m))
	y := o.titleTop(m)
	if !o.HideTitle {
		w.label(b.Title, int((m.width-2*m.pad)/(m.title*0.58)), "x", num(m.pad), "y", num(y), "font-size", num(m.title), "font-weight", "600", "class", "chart-label")
	}
	if len(b.Groups) > 1 {
		names := make([]string, len(b.Groups))
		for i, g := range b.Groups {
			names[i] = g.Name
		}
		y = legend(&w, m, names, y+m.font*0.6, false)
	}
	y += m.font
	band := float64(groups)*m.barThickness + m.barThickness*0.7
	p := plot{top: y, left: m.pad + labelW + m.pad, right: m.width - m.pad - valueW - m.pad*0.5}
	if !empty && lo < 0 {
		p.left += valueW + m.pad*0.5
	}
	p.bottom = p.top + band*float64(max(shown, 1))

	if empty {
		w.el("text", noData, "x", num(m.width/2), "y", num(p.top+band/2+m.font*0.35), "text-anchor", "middle", "font-size", num(m.font), "class", "chart-muted")
	} else {
		d := b.domain(n, m, lo, hi, p.w())
		xAt := func(v float64) float64 { return p.left + p.w()*d.frac(v) }
		b.grid(&w, m, n, d, p, xAt)
		for c := range shown {
			top := p.top + band*float64(c) + m.barThickness*0.35
			w.label(b.Categories[c], m.labelChars, "x", num(p.left-m.pad*0.5-boolF(lo < 0)*(valueW+m.pad*0.5)), "y", num(top+float64(groups)*m.barThickness/2+m.small*0.35),
				"text-anchor", "end", "font-size", num(m.small), "class", "chart-text")
			for g := range b.Groups {
				v, ok := b.value(g, c)
				if !ok {
					continue
				}
				by := top + float64(g)*m.barThickness
				x0, x1 := xAt(0), xAt(v)
				w.open("rect", "x", num(math.Min(x0, x1)), "y", num(by+1), "width", num(math.Max(math.Abs(x1-x0), 1)), "height", num(m.barThickness-2),
					"class", "chart-bar "+seriesClass(g), "fill", "currentColor")
				w.el("title", b.Categories[c]+groupSuffix(b.Groups[g].Name, len(b.Groups))+": "+n.exact(v))
				w.close("rect")
				anchor, tx := "start", x1+m.pad*0.4
				if v < 0 {
					anchor, tx = "end", x1-m.pad*0.4
				}
				w.el("text", n.short(v), "x", num(tx), "y", num(by+m.barThickness/2+m.small*0.35), "text-anchor", anchor, "font-size", num(m.small), "class", "chart-text")
			}
		}
	}
	y = p.bottom + m.small*2.2
	if more := len(b.Categories) - shown; more > 0 {
		y += m.small * 1.5
		w.el("text", "and "+moreCategories(more)+" (in the table)", "x", num(m.pad), "y", num(y), "font-size", num(m.small), "class", "chart-muted")
	}
	if dropped := b.dropped(); dropped > 0 {
		y += m.small * 1.5
		w.el("text", skippedNote(dropped), "x", num(m.pad), "y", num(y), "font-size", num(m.small), "class", "chart-muted")
	}
	w.close("svg")
	// The height is known only now: write it into the viewBox.
	out := strings.Replace(w.b.String(), `viewBox="0 0 `+num(m.width)+` 0"`, `viewBox="0 0 `+num(m.width)+" "+num(y+m.pad)+`"`, 1)
	return template.HTML(out)
}

func boolF(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func groupSuffix(name string, groups int) string {
	if groups < 2 || name == "" {
		return ""
	}
	return ", " + name
}

// grid draws the vertical grid lines at the ticks and their labels below.
func (b Bars) grid(w *writer, m metrics, n numbers, d domain, p plot, xAt func(float64) float64) {
	texts := n.ticks(d.ticks, d.step)
	for i, v := range d.ticks {
		x := xAt(v)
		class := "chart-grid"
		if v == 0 {
			class = "chart-axis"
		}
		w.leaf("line", "x1", num(x), "y1", num(p.top), "x2", num(x), "y2", num(p.bottom), "class", class, "stroke", "currentColor", "stroke-width", num(math.Max(1, m.stroke/3)))
		anchor := "middle"
		if i == len(d.ticks)-1 && x+textWidth(texts[i], m.small)/2 > m.width-m.pad {
			anchor = "end"
		}
		w.el("text", texts[i], "x", num(x), "y", num(p.bottom+m.small*1.4), "text-anchor", anchor, "font-size", num(m.small), "class", "chart-muted")
	}
}

// describe lists the drawn categories and their values.
func (b Bars) describe(n numbers, m metrics) string {
	if len(b.Categories) == 0 {
		return "Bar chart: " + strings.ToLower(noData[:1]) + noData[1:] + "."
	}
	var parts []string
	for c := range min(len(b.Categories), m.maxCategories) {
		var vs []string
		for g := range b.Groups {
			text := "no value"
			if v, ok := b.value(g, c); ok {
				text = n.value(v)
			}
			if len(b.Groups) > 1 {
				text = Truncate(b.Groups[g].Name, 40) + " " + text
			}
			vs = append(vs, text)
		}
		parts = append(parts, Truncate(b.Categories[c], 60)+": "+strings.Join(vs, ", "))
	}
	s := "Bar chart. " + strings.Join(parts, "; ") + "."
	if more := len(b.Categories) - m.maxCategories; more > 0 {
		s += " And " + moreCategories(more) + ", in the table."
	}
	if d := b.dropped(); d > 0 {
		s += " " + skippedNote(d) + "."
	}
	return s
}

func moreCategories(n int) string {
	if n == 1 {
		return "1 more category"
	}
	return itoa(n) + " more categories"
}

// domain is the value axis with as many ticks as fit: the most, from six
// down, whose labels leave a gap between them.
func (b Bars) domain(n numbers, m metrics, lo, hi, width float64) domain {
	var d domain
	for count := 6; count >= 1; count-- {
		d = niceDomain(lo, hi, true, count, b.Whole)
		if len(d.ticks) < 2 {
			continue
		}
		gap := width / float64(len(d.ticks)-1)
		widest := 0.0
		for _, t := range n.ticks(d.ticks, d.step) {
			widest = math.Max(widest, textWidth(t, m.small))
		}
		if widest+m.pad <= gap {
			return d
		}
	}
	return d
}
