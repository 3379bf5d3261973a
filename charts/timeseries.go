package charts

import (
	"html/template"
	"math"
	"strings"
	"time"

	"strongroom/format"
)

const noData = "No data for this period"

// plot is the drawing area of a chart with axes, in user units.
type plot struct {
	left, top, right, bottom float64
}

func (p plot) w() float64 { return p.right - p.left }
func (p plot) h() float64 { return p.bottom - p.top }

// cleaned is a series with only the points that can be drawn, in time order.
type cleaned struct {
	name    string
	points  []Point
	dropped int
}

func (ts TimeSeries) clean() (out []cleaned, from, to time.Time, lo, hi float64, dropped int) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range ts.Series {
		kept, d := finitePoints(s.Points)
		dropped += d
		for _, p := range kept {
			if from.IsZero() || p.At.Before(from) {
				from = p.At
			}
			if to.IsZero() || p.At.After(to) {
				to = p.At
			}
			lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
		}
		out = append(out, cleaned{name: s.Name, points: kept, dropped: d})
	}
	return out, from, to, lo, hi, dropped
}

func (ts TimeSeries) kind() string {
	if ts.Style == Area {
		return "area chart"
	}
	return "line chart"
}

// SVG draws the series over a shared time axis and value axis, with a
// legend when there are several. Each series is drawn through at most
// as many points as the plot is wide (and never more than 500).
func (ts TimeSeries) SVG(o Options) template.HTML {
	m := o.metrics()
	f := o.formatter()
	n := newNumbers(f, ts.Currency, ts.Unit)
	series, from, to, lo, hi, dropped := ts.clean()
	empty := math.IsInf(lo, 1)

	var w writer
	label := strings.TrimSpace(ts.Title + " (" + ts.kind() + ")")
	w.svgOpen(o, "chart-timeseries", m.width, m.height, label, ts.describe(n, f, series, from, to, dropped))
	y := o.titleTop(m)
	if !o.HideTitle {
		w.label(ts.Title, int((m.width-2*m.pad)/(m.title*0.58)), "x", num(m.pad), "y", num(y), "font-size", num(m.title), "font-weight", "600", "class", "chart-label")
	}
	if len(series) > 1 {
		names := make([]string, len(series))
		for i, s := range series {
			names[i] = s.name
		}
		y = legend(&w, m, names, y+m.font*0.6, true)
	}
	if newNumbers(f, ts.Currency, ts.Unit).longUnit() {
		y += m.small
	}
	p := plot{top: y + m.font, bottom: m.height - m.pad - m.small*1.8, right: m.width - m.pad*2}
	note := ""
	if dropped > 0 {
		note = skippedNote(dropped)
		p.bottom -= m.small * 1.6
	}
	if empty {
		p.left = m.pad
		w.el("text", noData, "x", num(m.width/2), "y", num((p.top+p.bottom)/2), "text-anchor", "middle", "font-size", num(m.font), "class", "chart-muted")
	} else {
		d := niceDomain(lo, hi, ts.Style == Area, max(2, int(p.h()/(m.small*3))), ts.Whole)
		p.left = valueAxis(&w, m, n, d, p)
		timeAxis(&w, m, f.Zone(), from, to, p)
		for i, s := range series {
			drawSeries(&w, m, ts.Style, i, s.points, from, to, d, p)
		}
	}
	if note != "" {
		w.el("text", note, "x", num(m.pad), "y", num(m.height-m.pad), "font-size", num(m.small), "class", "chart-muted")
	}
	w.close("svg")
	return w.html()
}

// valueAxis draws the horizontal grid lines and their labels, and returns
// where the plot starts on the left (after the widest label).
func valueAxis(w *writer, m metrics, n numbers, d domain, p plot) float64 {
	texts := n.ticks(d.ticks, d.step)
	widest := 0.0
	for _, t := range texts {
		widest = math.Max(widest, textWidth(t, m.small))
	}
	p.left = m.pad + widest + m.pad*0.75
	if n.longUnit() {
		w.el("text", n.unit, "x", num(m.pad), "y", num(p.top-m.small*0.8), "font-size", num(m.small), "class", "chart-muted")
	}
	for i, v := range d.ticks {
		y := p.bottom - p.h()*d.frac(v)
		class := "chart-grid"
		if v == 0 || i == 0 {
			class = "chart-axis"
		}
		w.leaf("line", "x1", num(p.left), "y1", num(y), "x2", num(p.right), "y2", num(y), "class", class, "stroke", "currentColor", "stroke-width", num(math.Max(1, m.stroke/3)))
		w.el("text", texts[i], "x", num(p.left-m.pad*0.5), "y", num(y+m.small*0.35), "text-anchor", "end", "font-size", num(m.small), "class", "chart-muted")
	}
	return p.left
}

// timeAxis writes the time labels below the plot.
func timeAxis(w *writer, m metrics, loc *time.Location, from, to time.Time, p plot) {
	// As many labels as fit, the first (written in full) counted twice;
	// fewer while any would have to be left out for want of room, so that
	// the labels shown stand evenly.
	var ticks []placedTick
	for most := 100; most >= 2; most-- {
		fit := func(u timeUnit) int {
			room := textWidth(time.Date(2026, 12, 22, 22, 0, 0, 0, time.UTC).Format(u.layout), m.small) + m.pad*2
			return min(most, int(p.w()/room)-1)
		}
		var crowded bool
		ticks, crowded = placeTicks(m, timeTicks(from, to, loc, fit), from, to, p)
		if !crowded {
			break
		}
	}
	y := p.bottom + m.small*1.4
	for _, t := range ticks {
		w.leaf("line", "x1", num(t.x), "y1", num(p.bottom), "x2", num(t.x), "y2", num(p.bottom+m.small*0.3), "class", "chart-axis", "stroke", "currentColor", "stroke-width", num(math.Max(1, m.stroke/3)))
		if t.anchor != "" {
			w.el("text", t.text, "x", num(t.x), "y", num(y), "text-anchor", t.anchor, "font-size", num(m.small), "class", "chart-muted")
		}
	}
}

// placedTick is a time label where it stands; no anchor means there was
// no room for its text.
type placedTick struct {
	x            float64
	text, anchor string
}

func placeTicks(m metrics, ticks []timeTick, from, to time.Time, p plot) (out []placedTick, crowded bool) {
	end := math.Inf(-1) // where the last label placed ends
	for _, t := range ticks {
		x := xAt(t.at, from, to, p)
		anchor, tw := "middle", textWidth(t.text, m.small)
		start := x - tw/2
		if start < p.left-m.pad {
			anchor, start = "start", x
		} else if x+tw/2 > m.width-m.pad/2 {
			anchor, start = "end", x-tw
		}
		if start < end+m.pad {
			anchor, crowded = "", true // it would run into the label before it
		} else {
			end = start + tw
		}
		out = append(out, placedTick{x: x, text: t.text, anchor: anchor})
	}
	return out, crowded
}

func xAt(t, from, to time.Time, p plot) float64 {
	span := to.Sub(from).Seconds()
	if span <= 0 {
		return (p.left + p.right) / 2
	}
	return p.left + p.w()*t.Sub(from).Seconds()/span
}

func drawSeries(w *writer, m metrics, style Style, i int, ps []Point, from, to time.Time, d domain, p plot) {
	if len(ps) == 0 {
		return
	}
	ps = downsample(ps, min(m.maxPointsDrawn, int(p.w())))
	yAt := func(v float64) float64 { return p.bottom - p.h()*d.frac(v) }
	class := seriesClass(i)
	if len(ps) == 1 || allSameTime(ps) {
		for _, pt := range ps {
			w.leaf("circle", "cx", num(xAt(pt.At, from, to, p)), "cy", num(yAt(pt.Value)), "r", num(m.stroke*2.5), "class", "chart-point "+class, "fill", "currentColor")
		}
		return
	}
	var line strings.Builder
	for j, pt := range ps {
		cmd := "L"
		if j == 0 {
			cmd = "M"
		}
		line.WriteString(cmd + num(xAt(pt.At, from, to, p)) + " " + num(yAt(pt.Value)) + " ")
	}
	path := strings.TrimSpace(line.String())
	if style == Area {
		base := yAt(math.Max(d.lo, math.Min(0, d.hi)))
		area := path + " L" + num(xAt(ps[len(ps)-1].At, from, to, p)) + " " + num(base) + " L" + num(xAt(ps[0].At, from, to, p)) + " " + num(base) + " Z"
		w.leaf("path", "d", area, "class", "chart-area "+class, "fill", "currentColor", "fill-opacity", "0.18", "stroke", "none")
	}
	w.leaf("path", "d", path, "class", "chart-line "+class, "fill", "none", "stroke", "currentColor", "stroke-width", num(m.stroke),
		"stroke-dasharray", dash(i, m), "stroke-linejoin", "round", "stroke-linecap", "round")
}

func allSameTime(ps []Point) bool {
	for _, p := range ps {
		if !p.At.Equal(ps[0].At) {
			return false
		}
	}
	return true
}

// legend writes a swatch and name per series from y, wrapping lines, and
// returns the y of its last line. Lines (dashes) for series, squares for bars.
func legend(w *writer, m metrics, names []string, y float64, lines bool) float64 {
	y += m.small
	x := m.pad
	for i, name := range names {
		short := Truncate(name, m.labelChars)
		width := m.legendSwatch + m.pad*0.5 + textWidth(short, m.small) + m.pad*1.5
		if x > m.pad && x+width > m.width-m.pad {
			x, y = m.pad, y+m.small*1.5
		}
		class := seriesClass(i)
		if lines {
			w.leaf("line", "x1", num(x), "y1", num(y-m.small*0.35), "x2", num(x+m.legendSwatch), "y2", num(y-m.small*0.35), "class", class,
				"stroke", "currentColor", "stroke-width", num(m.stroke), "stroke-dasharray", dash(i, m))
		} else {
			s := m.small * 0.8
			w.leaf("rect", "x", num(x+m.legendSwatch-s), "y", num(y-s), "width", num(s), "height", num(s), "class", class, "fill", "currentColor")
		}
		w.label(name, m.labelChars, "x", num(x+m.legendSwatch+m.pad*0.5), "y", num(y), "font-size", num(m.small), "class", "chart-text")
		x += width
	}
	return y
}

// describe summarises the chart for a screen reader: its span and, per
// series, how many values it has, the latest and the extremes.
func (ts TimeSeries) describe(n numbers, f *format.Formatter, series []cleaned, from, to time.Time, dropped int) string {
	var b strings.Builder
	b.WriteString(format.Words(ts.kind()))
	if from.IsZero() {
		b.WriteString(": " + strings.ToLower(noData[:1]) + noData[1:] + ".")
	} else {
		b.WriteString(" from " + when(f, from, to.Sub(from)) + " to " + when(f, to, to.Sub(from)) + ".")
	}
	for _, s := range series {
		b.WriteString(" " + Truncate(s.name, 80) + ": ")
		if len(s.points) == 0 {
			b.WriteString("no values.")
			continue
		}
		lo, hi := s.points[0].Value, s.points[0].Value
		for _, p := range s.points {
			lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
		}
		last := s.points[len(s.points)-1].Value
		b.WriteString(plural(len(s.points), "value") + ", latest " + n.value(last) + ", lowest " + n.value(lo) + ", highest " + n.value(hi) + ".")
	}
	if dropped > 0 {
		b.WriteString(" " + skippedNote(dropped) + ".")
	}
	return b.String()
}

// when writes a time as a date, or with its time of day when the chart
// spans less than a few days.
func when(f *format.Formatter, t time.Time, span time.Duration) string {
	if span < 72*time.Hour {
		return f.DateTime(t)
	}
	return f.Date(t)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return itoa(n) + " " + word + "s"
}
