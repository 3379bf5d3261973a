package charts

import (
	"html/template"
	"math"
	"strings"
)

// change is how a KPI moved against its previous period.
type change struct {
	arrow, word, text string // "▲", "up", "+12.3 %"
	size              string // "12.3 %", for sentences
	class             string // chart-good, chart-bad, chart-flat
	known             bool
}

// kpiChange compares v with prev: a percentage with a sign, an arrow and
// a word, so that the direction never rests on colour alone. From a
// previous value of zero no percentage exists; the change is then said
// in words only.
func kpiChange(n numbers, v, prev float64, lowerIsBetter bool) change {
	if !finite(v) || !finite(prev) {
		return change{}
	}
	c := change{known: true}
	diff := v - prev
	pct := 0.0
	if prev != 0 {
		pct = diff / math.Abs(prev) * 100
		c.text, c.size = n.percent(pct, true), n.percent(math.Abs(pct), false)
	}
	flat := diff == 0 || (prev != 0 && math.Abs(pct) < 0.05)
	switch {
	case flat:
		c.arrow, c.word, c.class = "►", "no change", "chart-flat"
		if prev != 0 {
			c.text, c.size = n.percent(0, false), ""
		}
	case diff > 0:
		c.arrow, c.word, c.class = "▲", "up", "chart-good"
	default:
		c.arrow, c.word, c.class = "▼", "down", "chart-bad"
	}
	if lowerIsBetter && !flat {
		c.class = map[string]string{"chart-good": "chart-bad", "chart-bad": "chart-good"}[c.class]
	}
	if prev == 0 && !flat {
		c.text = "from " + n.value(0)
		c.size = c.text
	}
	return c
}

// line is the change as one line of at most chars characters: "▲ +12.3 %
// up vs previous period", shortened to what fits ("▲ +12.3 % up").
func (c change) line(chars int) string {
	var tries [][]string
	if c.text != "" && !strings.HasPrefix(c.text, "from") {
		tries = [][]string{{c.arrow, c.text, c.word, "vs previous period"}, {c.arrow, c.text, c.word, "vs previous"}, {c.arrow, c.text, c.word}}
	} else {
		tries = [][]string{{c.arrow, c.word, c.text}}
	}
	for _, t := range tries {
		if s := strings.Join(t, " "); len([]rune(s)) <= chars {
			return s
		}
	}
	return strings.Join(tries[len(tries)-1], " ")
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// SVG draws the KPI: its label, its value in large type, the change
// against the previous period, progress towards the target as words and
// a thin bar, and a sparkline.
func (k KPI) SVG(o Options) template.HTML {
	m := o.metrics()
	n := newNumbers(o.formatter(), k.Currency, k.Unit)
	inner := m.kpiWidth - 2*m.pad

	value, figure, unit := "—", "—", ""
	if finite(k.Value) {
		value = n.value(k.Value)
		figure = value
		if k.Currency == "" && k.Unit != "" {
			// The unit in smaller type after the figure.
			plain := n
			plain.unit = ""
			figure, unit = plain.value(k.Value), k.Unit
		}
	}
	summary := []string{k.Label + ": " + value}
	if !finite(k.Value) {
		summary[0] = k.Label + ": no value (not a number)"
	}
	var ch change
	if k.Previous != nil {
		ch = kpiChange(n, k.Value, *k.Previous, k.LowerIsBetter)
		if ch.known {
			summary = append(summary, strings.TrimSpace(ch.word+" "+ch.size)+" on the previous period ("+n.value(*k.Previous)+")")
		}
	}
	target, share, hasShare := k.target(n)
	if target != "" {
		said := "target " + n.value(*k.Target)
		if hasShare {
			said += ", " + n.fixed(share*100, 0) + "\u00a0% reached"
		}
		summary = append(summary, said)
	}
	spark, sparkNote := sparkSummary(n, k.Spark)
	desc := strings.Join(summary, "; ") + "."
	if spark != "" {
		desc += " " + spark
	}

	var w writer
	y := o.titleTop(m)
	var body writer
	if !o.HideTitle {
		body.label(k.Label, int(inner/(m.title*0.58)), "x", num(m.pad), "y", num(y), "font-size", num(m.title), "font-weight", "600", "class", "chart-label")
	}
	// The value in the largest type that fits the width. Bold figures and
	// capitals run about a fifth wider than textWidth's average letter.
	big := math.Min(m.big, inner/math.Max((textWidth(figure, 1)+textWidth(" "+unit, 0.5))*1.25, 1))
	y += big * 1.05
	body.open("text", "x", num(m.pad), "y", num(y), "font-size", num(big), "font-weight", "700", "class", "chart-value")
	body.text(figure)
	if unit != "" {
		body.el("tspan", " "+unit, "font-size", num(big/2), "font-weight", "600")
	}
	body.close("text")
	if ch.known {
		y += m.font * 1.6
		chars := int(inner / (m.font * 0.6))
		body.label(ch.line(chars), chars, "x", num(m.pad), "y", num(y), "font-size", num(m.font), "font-weight", "600", "class", "chart-change "+ch.class)
	}
	if target != "" {
		y += m.small * 1.6
		body.label(target, int(inner/(m.small*0.58)), "x", num(m.pad), "y", num(y), "font-size", num(m.small), "class", "chart-muted")
		if hasShare {
			y += m.progressHeight
			h := m.progressHeight
			body.leaf("rect", "x", num(m.pad), "y", num(y), "width", num(inner), "height", num(h), "rx", num(h/2), "class", "chart-track", "fill", "currentColor")
			body.leaf("rect", "x", num(m.pad), "y", num(y), "width", num(math.Max(inner*math.Min(share, 1), h)), "height", num(h), "rx", num(h/2),
				"class", "chart-progress series-1", "fill", "currentColor")
			y += h
		}
	}
	if d := sparkPath(k.Spark, m.pad, y+m.pad, inner, m.sparkHeight); d != "" {
		y += m.pad
		body.leaf("path", "d", d, "class", "chart-line series-1", "fill", "none", "stroke", "currentColor",
			"stroke-width", num(m.stroke*0.75), "stroke-linejoin", "round", "stroke-linecap", "round")
		y += m.sparkHeight
	}
	if sparkNote != "" {
		y += m.small * 1.4
		body.el("text", sparkNote, "x", num(m.pad), "y", num(y), "font-size", num(m.small), "class", "chart-muted")
	}
	height := y + m.pad
	w.svgOpen(o, "chart-kpi", m.kpiWidth, height, strings.Join(summary, "; "), desc)
	w.b.WriteString(body.b.String())
	w.close("svg")
	return w.html()
}

// target is "Target 1,200 · 83 %" and the share reached (the share only
// for a positive target).
func (k KPI) target(n numbers) (text string, share float64, ok bool) {
	if k.Target == nil || !finite(*k.Target) {
		return "", 0, false
	}
	t := *k.Target
	text = "Target " + n.value(t)
	if t <= 0 || !finite(k.Value) {
		return text, 0, false
	}
	share = k.Value / t
	return text + " · " + n.fixed(share*100, 0) + "\u00a0%", math.Max(share, 0), true
}

// sparkSummary says what a sparkline shows, and a note when some of its
// values could not be drawn.
func sparkSummary(n numbers, vs []float64) (summary, note string) {
	var kept []float64
	for _, v := range vs {
		if finite(v) {
			kept = append(kept, v)
		}
	}
	if dropped := len(vs) - len(kept); dropped > 0 {
		note = skippedNote(dropped)
	}
	if len(kept) == 0 {
		return "", note
	}
	lo, hi := kept[0], kept[0]
	for _, v := range kept {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return "Trend over " + itoa(len(kept)) + " periods: from " + n.value(kept[0]) + " to " + n.value(kept[len(kept)-1]) +
		", lowest " + n.value(lo) + ", highest " + n.value(hi) + ".", note
}

func skippedNote(dropped int) string {
	if dropped == 1 {
		return "1 value not shown: not a number"
	}
	return itoa(dropped) + " values not shown: not numbers"
}

// sparkPath is the sparkline through the finite values, evenly spaced,
// in a box; empty with fewer than two values.
func sparkPath(vs []float64, x, y, w, h float64) string {
	var kept []float64
	for _, v := range vs {
		if finite(v) {
			kept = append(kept, v)
		}
	}
	if len(kept) < 2 {
		return ""
	}
	if len(kept) > int(w) {
		kept = kept[len(kept)-int(w):]
	}
	lo, hi := kept[0], kept[0]
	for _, v := range kept {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	d := domain{lo: lo, hi: hi}
	var b strings.Builder
	for i, v := range kept {
		f := 0.5
		if hi > lo {
			f = d.frac(v)
		}
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		b.WriteString(cmd + num(x+w*float64(i)/float64(len(kept)-1)) + " " + num(y+h*(1-f)) + " ")
	}
	return strings.TrimSpace(b.String())
}
