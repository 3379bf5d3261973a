package charts

import (
	"encoding/xml"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"strongroom/format"
)

// elem is a parsed element of a widget, for looking inside it.
type elem struct {
	name     string
	attrs    map[string]string
	text     string // its own character data
	children []*elem
}

func parse(t testing.TB, s string) *elem {
	t.Helper()
	wellFormed(t, s)
	d := xml.NewDecoder(strings.NewReader(s))
	root := &elem{}
	stack := []*elem{root}
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		top := stack[len(stack)-1]
		switch e := tok.(type) {
		case xml.StartElement:
			n := &elem{name: e.Name.Local, attrs: map[string]string{}}
			for _, a := range e.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text += string(e)
		}
	}
	return root.children[0]
}

// all returns the elements named name (or every element for "").
func (e *elem) all(name string) []*elem {
	var out []*elem
	for _, c := range e.children {
		if name == "" || c.name == name {
			out = append(out, c)
		}
		out = append(out, c.all(name)...)
	}
	return out
}

// texts is the character data of every <text> (without their <title>s).
func (e *elem) texts() []string {
	var out []string
	for _, t := range e.all("text") {
		s := t.text
		for _, c := range t.children {
			if c.name == "tspan" {
				s += c.text
			}
		}
		out = append(out, s)
	}
	return out
}

func hasText(e *elem, want string) bool {
	for _, s := range e.texts() {
		if strings.Contains(s, want) {
			return true
		}
	}
	return false
}

// noBadNumbers fails on NaN or Inf written anywhere in a widget.
func noBadNumbers(t *testing.T, s string) {
	t.Helper()
	if bad := badNumber.FindString(s); bad != "" {
		t.Errorf("%q in %s", bad, s)
	}
}

var badNumber = regexp.MustCompile(`NaN|Inf|\de[+-]?\d`)

var jan1 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func series(values ...float64) Series {
	s := Series{Name: "s"}
	for i, v := range values {
		s.Points = append(s.Points, Point{At: jan1.AddDate(0, 0, i), Value: v})
	}
	return s
}

func TestEmpty(t *testing.T) {
	for name, out := range map[string]string{
		"no series":    string(TimeSeries{Title: "T"}.SVG(Options{})),
		"no points":    string(TimeSeries{Title: "T", Series: []Series{{Name: "a"}, {Name: "b"}}}.SVG(Options{Size: Kiosk})),
		"all NaN":      string(TimeSeries{Title: "T", Series: []Series{series(math.NaN(), math.Inf(1))}}.SVG(Options{})),
		"no bars":      string(Bars{Title: "B"}.SVG(Options{})),
		"no bar value": string(Bars{Title: "B", Categories: []string{"a"}, Groups: []BarGroup{{}}}.SVG(Options{})),
	} {
		t.Run(name, func(t *testing.T) {
			root := parse(t, out)
			if !hasText(root, noData) {
				t.Errorf("no %q: %s", noData, out)
			}
			if len(root.all("path"))+len(root.all("rect")) != 0 {
				t.Errorf("something drawn: %s", out)
			}
			noBadNumbers(t, out)
		})
	}
	if out := string(Table{Columns: []Column{{Label: "A"}}}.HTML(Options{})); !strings.Contains(out, noData) {
		t.Errorf("empty table: %s", out)
	}
	if out := string(TimeSeries{Title: "T"}.DataTable(Options{})); !strings.Contains(out, noData) {
		t.Errorf("empty data table: %s", out)
	}
}

func TestSinglePointAndEqualValues(t *testing.T) {
	one := parse(t, string(TimeSeries{Title: "T", Series: []Series{series(42)}}.SVG(Options{})))
	if len(one.all("circle")) != 1 || len(one.all("path")) != 0 {
		t.Errorf("one point: want one circle and no line")
	}
	for _, v := range []float64{0, 5, -5, 1e12} {
		out := string(TimeSeries{Title: "T", Series: []Series{series(v, v, v, v)}}.SVG(Options{}))
		noBadNumbers(t, out)
		root := parse(t, out)
		paths := root.all("path")
		if len(paths) != 1 {
			t.Fatalf("%g: %d paths", v, len(paths))
		}
		ys := map[float64]bool{}
		for _, y := range pathYs(paths[0].attrs["d"]) {
			ys[y] = true
		}
		if len(ys) != 1 {
			t.Errorf("%g: equal values drawn at different heights: %s", v, paths[0].attrs["d"])
		}
		ticks := tickTexts(root)
		if len(ticks) < 2 || !distinct(ticks) {
			t.Errorf("%g: ticks %q", v, ticks)
		}
	}
}

// tickTexts are the labels of the value axis (right-aligned texts).
func tickTexts(root *elem) []string {
	var out []string
	for _, t := range root.all("text") {
		if t.attrs["text-anchor"] == "end" && t.attrs["class"] == "chart-muted" {
			out = append(out, t.text)
		}
	}
	return out
}

func distinct(ss []string) bool {
	seen := map[string]bool{}
	for _, s := range ss {
		if seen[s] {
			return false
		}
		seen[s] = true
	}
	return true
}

func TestNegativeValues(t *testing.T) {
	root := parse(t, string(TimeSeries{Title: "T", Series: []Series{series(-30, 10, -5)}}.SVG(Options{})))
	if !contains(tickTexts(root), "0") || !contains(tickTexts(root), minus) {
		t.Errorf("ticks %q: want zero and a negative", tickTexts(root))
	}
	b := parse(t, string(Bars{Categories: []string{"a", "b"}, Groups: []BarGroup{{Values: []float64{-20, 10}}}}.SVG(Options{})))
	var zero float64
	for _, l := range b.all("line") {
		if l.attrs["class"] == "chart-axis" {
			zero = atof(l.attrs["x1"])
		}
	}
	rects := b.all("rect")
	if len(rects) != 2 || atof(rects[0].attrs["x"])+atof(rects[0].attrs["width"]) > zero+0.2 || atof(rects[1].attrs["x"]) < zero-0.2 {
		t.Errorf("the negative bar must end at the zero line (x %g), the positive start there", zero)
	}
	if !hasText(b, minus+"20") {
		t.Errorf("no %q: %q", minus+"20", b.texts())
	}
}

func atof(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func TestMagnitudes(t *testing.T) {
	for _, vs := range [][]float64{
		{1e15, 2e15, 3e15}, {1e20, 5e20}, {math.MaxFloat64, -math.MaxFloat64}, {math.MaxFloat64, math.MaxFloat64 / 2},
		{1e-9, 3e-9, 2e-9}, {0.0001, 0.0003}, {-1e-12, 1e-12}, {123456789, 123456790}, {math.SmallestNonzeroFloat64, 0},
	} {
		for _, size := range []Size{Normal, Kiosk} {
			ts := TimeSeries{Title: "T", Series: []Series{series(vs...)}}
			out := string(ts.SVG(Options{Size: size}))
			root := parse(t, out)
			if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
				t.Errorf("%g: NaN or Inf written:\n%s", vs, out)
			}
			if ticks := tickTexts(root); len(ticks) < 2 || !distinct(ticks) {
				t.Errorf("%g: ticks %q", vs, ticks)
			}
			bars := string(Bars{Categories: []string{"a", "b"}, Groups: []BarGroup{{Values: vs}}}.SVG(Options{Size: size}))
			parse(t, bars)
			if strings.Contains(bars, "NaN") || strings.Contains(bars, "Inf") {
				t.Errorf("%g: bars write NaN or Inf", vs)
			}
			k := string(KPI{Label: "K", Value: vs[0], Previous: ptr(vs[1]), Target: ptr(vs[1]), Spark: vs}.SVG(Options{Size: size}))
			parse(t, k)
			if strings.Contains(k, "NaN") || strings.Contains(k, "Inf") {
				t.Errorf("%g: KPI writes NaN or Inf: %s", vs, k)
			}
		}
	}
}

func TestNotFiniteSkippedAndSaid(t *testing.T) {
	ts := TimeSeries{Title: "T", Series: []Series{series(1, math.NaN(), 3, math.Inf(1), math.Inf(-1), 4)}}
	out := string(ts.SVG(Options{}))
	root := parse(t, out)
	if !hasText(root, "3 values not shown") || !strings.Contains(root.all("desc")[0].text, "3 values not shown") {
		t.Errorf("the skipped values are not said: %q", root.texts())
	}
	if d := root.all("path")[0].attrs["d"]; strings.Count(d, "L")+1 != 3 {
		t.Errorf("want a line through the 3 finite points: %s", d)
	}
	if table := string(ts.DataTable(Options{})); strings.Count(table, "not a number") != 3 {
		t.Errorf("the data table must list every value: %s", table)
	}
	b := parse(t, string(Bars{Categories: []string{"a", "b"}, Groups: []BarGroup{{Values: []float64{math.NaN(), 2}}}}.SVG(Options{})))
	if len(b.all("rect")) != 1 || !hasText(b, "1 value not shown") {
		t.Errorf("bars: %q", b.texts())
	}
	k := parse(t, string(KPI{Label: "K", Value: math.NaN(), Previous: ptr(1), Target: ptr(2), Spark: []float64{1, math.NaN(), 2}}.SVG(Options{})))
	if !hasText(k, "—") || !hasText(k, "1 value not shown") || !strings.Contains(k.attrs["aria-label"], "no value") {
		t.Errorf("KPI of NaN: %q %q", k.texts(), k.attrs["aria-label"])
	}
}

func TestManyPointsDownsampled(t *testing.T) {
	s := Series{Name: "many"}
	for i := range 100_000 {
		v := math.Sin(float64(i) / 500)
		if i == 54_321 {
			v = 40 // a spike must survive
		}
		s.Points = append(s.Points, Point{At: jan1.Add(time.Duration(i) * time.Minute), Value: v})
	}
	for _, size := range []Size{Normal, Kiosk} {
		root := parse(t, string(TimeSeries{Title: "T", Series: []Series{s}}.SVG(Options{Size: size})))
		d := root.all("path")[0].attrs["d"]
		n := strings.Count(d, "L") + 1
		if n > 500 || n < 100 {
			t.Errorf("%d points drawn", n)
		}
		if !strings.Contains(root.all("desc")[0].text, "highest 40") {
			t.Errorf("the spike is lost from the summary")
		}
		top := math.Inf(1)
		for _, f := range pathYs(d) {
			top = math.Min(top, f)
		}
		var gridTop float64 = math.Inf(1)
		for _, l := range root.all("line") {
			if l.attrs["class"] == "chart-grid" || l.attrs["class"] == "chart-axis" {
				gridTop = math.Min(gridTop, atof(l.attrs["y1"]))
			}
		}
		if top > gridTop+60 {
			t.Errorf("the spike is smoothed away: highest point at y %g, plot top %g", top, gridTop)
		}
	}
}

func pathYs(d string) []float64 {
	f := strings.Fields(strings.NewReplacer("M", "", "L", "", "Z", "").Replace(d))
	var ys []float64
	for i := 1; i < len(f); i += 2 {
		ys = append(ys, atof(f[i]))
	}
	return ys
}

func TestManyCategoriesAndLongLabels(t *testing.T) {
	b := Bars{Title: "B"}
	var vs []float64
	for i := range 50 {
		b.Categories = append(b.Categories, "Category number "+itoa(i)+" with a rather long name indeed")
		vs = append(vs, float64(i))
	}
	b.Groups = []BarGroup{{Values: vs}}
	for _, size := range []Size{Normal, Kiosk} {
		m := sizes[size]
		root := parse(t, string(b.SVG(Options{Size: size})))
		if got := len(root.all("rect")); got != m.maxCategories {
			t.Errorf("%d bars drawn, want %d", got, m.maxCategories)
		}
		if !hasText(root, "and "+itoa(50-m.maxCategories)+" more categories") {
			t.Errorf("no 'and N more': %q", root.texts())
		}
		found := false
		for _, tx := range root.all("text") {
			if strings.HasSuffix(tx.text, "…") {
				if len([]rune(tx.text)) > m.labelChars {
					t.Errorf("label %q longer than %d", tx.text, m.labelChars)
				}
				for _, c := range tx.children {
					if c.name == "title" && c.text == b.Categories[0] {
						found = true
					}
				}
			}
		}
		if !found {
			t.Errorf("the first label is not cut with its full text in a <title>")
		}
	}
	if rows := strings.Count(string(b.DataTable(Options{})), "<th scope=\"row\">"); rows != 50 {
		t.Errorf("the data table has %d rows, want every category", rows)
	}
	long := strings.Repeat("Receivables over ninety days ", 5)
	k := parse(t, string(KPI{Label: long, Value: 1}.SVG(Options{Size: Kiosk})))
	if tl := k.all("text")[0].children; len(tl) == 0 || tl[0].name != "title" || tl[0].text != long {
		t.Errorf("a long KPI label keeps its full text in a <title>")
	}
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		zero   bool
		want   []float64
	}{
		{0, 482000, true, []float64{0, 100000, 200000, 300000, 400000, 500000}},
		{3, 97, false, []float64{0, 20, 40, 60, 80, 100}},
		{-3.5, 16.75, true, []float64{-5, 0, 5, 10, 15, 20}},
		{0.0012, 0.0049, false, []float64{0.001, 0.002, 0.003, 0.004, 0.005}},
		{7, 7, false, []float64{6, 6.5, 7, 7.5, 8}},
		{0, 0, true, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
	} {
		d := niceDomain(c.lo, c.hi, c.zero, 5, false)
		if len(d.ticks) != len(c.want) {
			t.Errorf("%g..%g: ticks %v, want %v", c.lo, c.hi, d.ticks, c.want)
			continue
		}
		for i := range d.ticks {
			if math.Abs(d.ticks[i]-c.want[i]) > 1e-9*math.Max(1, math.Abs(c.want[i])) {
				t.Errorf("%g..%g: ticks %v, want %v", c.lo, c.hi, d.ticks, c.want)
				break
			}
		}
		m := d.step / math.Pow(10, math.Floor(math.Log10(d.step)))
		if r := math.Round(m*1e6) / 1e6; r != 1 && r != 2 && r != 5 {
			t.Errorf("%g..%g: step %g is not 1, 2 or 5 times a power of ten", c.lo, c.hi, d.step)
		}
	}
	// Counts step by whole numbers: no "0.5 cases".
	for _, hi := range []float64{0, 1, 3, 7} {
		for _, v := range niceDomain(0, hi, true, 6, true).ticks {
			if v != math.Trunc(v) {
				t.Errorf("counts 0..%g: tick %g", hi, v)
			}
		}
	}
}

func TestTimeTicks(t *testing.T) {
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		span  time.Duration
		first string
		next  string
	}{
		{12 * time.Hour, "2 Mar 00:00", "02:00"},
		{48 * time.Hour, "2 Mar 00:00", "12:00"},
		{20 * 24 * time.Hour, "2 Mar 2026", "9 Mar"},
		{400 * 24 * time.Hour, "Apr 2026", "Jul"},
		{30 * 365 * 24 * time.Hour, "2030", "2040"},
	} {
		ticks := timeTicks(from, from.Add(c.span), time.UTC, six)
		if len(ticks) < 2 || len(ticks) > 7 || ticks[0].text != c.first || ticks[1].text != c.next {
			t.Errorf("span %v: %v", c.span, ticks)
		}
	}
	// Labels in the tenant's zone: midnight in UTC is 01:00 in Paris.
	paris, _ := time.LoadLocation("Europe/Paris")
	if ticks := timeTicks(from, from.Add(12*time.Hour), paris, six); ticks[0].text != "2 Mar 02:00" {
		t.Errorf("in Paris: %v", ticks)
	}
}

func TestNumbers(t *testing.T) {
	usd := newNumbers(format.Default, "USD", "")
	de := newNumbers(format.Must("de-DE", "Europe/Berlin", "EUR"), "EUR", "")
	plain := newNumbers(format.Default, "", "cases")
	for _, c := range []struct{ got, want string }{
		{usd.value(1234567.8), "$1,234,568"},
		{usd.value(12.5), "$12.50"},
		{usd.value(-1234.5), minus + "$1,235"},
		{de.value(1234567.8), "1.234.568\u00a0€"},
		{de.value(12.5), "12,50\u00a0€"},
		{plain.value(1000), "1,000\u00a0cases"},
		{plain.value(0.001234), "0.00123\u00a0cases"},
		{plain.value(-0.0000001), minus + "0.0000001\u00a0cases"},
		{usd.exact(1234.5), "$1,234.50"},
		{plain.exact(12.345678), "12.3457\u00a0cases"},
		{strings.Join(usd.ticks([]float64{0, 5e6, 1e7}, 5e6), " "), "$0 $5\u00a0M $10\u00a0M"},
		{strings.Join(newNumbers(format.Default, "", "%").ticks([]float64{0, 0.5, 1}, 0.5), " "), "0.0\u00a0% 0.5\u00a0% 1.0\u00a0%"},
		{strings.Join(plain.ticks([]float64{0, 250, 500}, 250), " "), "0 250 500"},
		{usd.percent(12.34, true), "+12.3\u00a0%"},
		{usd.percent(-4, true), minus + "4.0\u00a0%"},
		{usd.percent(-0.01, true), "0.0\u00a0%"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestKPIChangeAndTarget(t *testing.T) {
	for _, c := range []struct {
		k    KPI
		want []string // texts drawn
		cls  string
	}{
		{KPI{Label: "Up", Value: 112.3, Previous: ptr(100)}, []string{"▲ +12.3\u00a0% up vs previous period"}, "chart-good"},
		{KPI{Label: "Down", Value: 96, Previous: ptr(100)}, []string{"▼ " + minus + "4.0\u00a0% down vs previous period"}, "chart-bad"},
		{KPI{Label: "Costs down", Value: 96, Previous: ptr(100), LowerIsBetter: true}, []string{"▼ " + minus + "4.0\u00a0% down"}, "chart-good"},
		{KPI{Label: "Flat", Value: 1000, Previous: ptr(1000), Target: ptr(1200)}, []string{"► 0.0\u00a0% no change", "Target 1,200 · 83\u00a0%"}, "chart-flat"},
		{KPI{Label: "From zero", Value: 5, Previous: ptr(0)}, []string{"▲ up from 0"}, "chart-good"},
	} {
		root := parse(t, string(c.k.SVG(Options{})))
		for _, w := range c.want {
			if !hasText(root, w) {
				t.Errorf("%s: no %q in %q", c.k.Label, w, root.texts())
			}
		}
		found := false
		for _, tx := range root.all("text") {
			if strings.Contains(tx.attrs["class"], c.cls) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no text of class %s", c.k.Label, c.cls)
		}
	}
	root := parse(t, string(KPI{Label: "T", Value: 1500, Target: ptr(1200)}.SVG(Options{})))
	bars := root.all("rect")
	if len(bars) != 2 || bars[1].attrs["width"] != bars[0].attrs["width"] {
		t.Errorf("past the target the progress bar is full and no longer")
	}
	if !strings.Contains(root.attrs["aria-label"], "125\u00a0% reached") {
		t.Errorf("aria-label %q", root.attrs["aria-label"])
	}
}

func six(timeUnit) int { return 6 }

func TestTruncate(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"Litigation", 10, "Litigation"},
		{"Corporate and commercial", 10, "Corporate…"},
		{"a  b\tc\nd", 20, "a b c d"},
		{"12\u00a0%", 10, "12\u00a0%"}, // a no-break space stays
		{"Ärzte und Ämter", 6, "Ärzte…"},
		{"x\x00y", 5, "xy"},
	} {
		if got := Truncate(c.in, c.n); got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
