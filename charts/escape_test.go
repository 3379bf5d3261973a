package charts

import (
	"html/template"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// hostile is a label that would end the text element and run a script
// if it were written as markup.
const hostile = `</text></svg><script>alert(1)</script><svg><text x="1" onload="alert(2)">&amp;'`

func hostileWidgets() map[string]template.HTML {
	o := Options{}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ts := TimeSeries{Title: hostile, Unit: hostile, Series: []Series{
		{Name: hostile, Points: []Point{{At: at, Value: 1}, {At: at.Add(time.Hour), Value: 2}}},
		{Name: "b" + hostile, Points: []Point{{At: at, Value: 3}}}}}
	b := Bars{Title: hostile, Unit: hostile, Categories: []string{hostile, "x"}, Groups: []BarGroup{{Name: hostile, Values: []float64{1, 2}}, {Name: "g", Values: []float64{3, -1}}}}
	return map[string]template.HTML{
		"kpi":        KPI{Label: hostile, Unit: hostile, Value: 3, Previous: ptr(2), Target: ptr(4), Spark: []float64{1, 2, 3}}.SVG(o),
		"kpi-money":  KPI{Label: hostile, Currency: hostile, Value: 3}.SVG(o),
		"timeseries": ts.SVG(o),
		"ts-table":   ts.DataTable(o),
		"bars":       b.SVG(o),
		"bars-table": b.DataTable(o),
		"table":      Table{Title: hostile, Columns: []Column{{Label: hostile}, {Label: "n", Numeric: true}}, Rows: [][]string{{hostile, hostile}}}.HTML(o),
	}
}

// TestEscaping parses each widget, with the label above in every text it
// has, as a browser does (an HTML page with the widget in its body): no
// script or event handler appears, and the label is there as text.
func TestEscaping(t *testing.T) {
	for name, out := range hostileWidgets() {
		t.Run(name, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader("<!doctype html><html><body>" + string(out) + "</body></html>"))
			if err != nil {
				t.Fatal(err)
			}
			var texts, labels []string
			body := 0
			for n := range doc.Descendants() {
				if n.Type == html.ElementNode {
					if n.Data == "script" {
						t.Fatalf("a script element: %s", out)
					}
					if n.Data == "body" {
						body = len(childElements(n))
					}
					for _, a := range n.Attr {
						if strings.HasPrefix(a.Key, "on") || a.Key == "style" {
							t.Fatalf("attribute %s=%q", a.Key, a.Val)
						}
						if a.Key == "aria-label" || a.Key == "title" {
							labels = append(labels, a.Val)
						}
					}
				}
				if n.Type == html.TextNode {
					texts = append(texts, n.Data)
				}
			}
			if body != 1 {
				t.Errorf("the body holds %d elements, want the widget alone", body)
			}
			if !contains(texts, hostile) {
				t.Errorf("no text node holds the label whole; texts: %q", texts)
			}
			if name != "ts-table" && name != "bars-table" && !contains(labels, hostile) {
				t.Errorf("no aria-label or title holds the label; %q", labels)
			}
		})
	}
}

func childElements(n *html.Node) (out []*html.Node) {
	for c := range n.ChildNodes() {
		if c.Type == html.ElementNode {
			out = append(out, c)
		}
	}
	return out
}

func contains(texts []string, want string) bool {
	for _, s := range texts {
		if strings.Contains(s, want) {
			return true
		}
	}
	return false
}

// TestEscapingIsWellFormed also reads each as strict XML, and as bytes no
// raw "<script" can appear.
func TestEscapingIsWellFormed(t *testing.T) {
	for name, out := range hostileWidgets() {
		wellFormed(t, string(out))
		if strings.Contains(strings.ToLower(string(out)), "<script") {
			t.Errorf("%s: a raw <script", name)
		}
	}
}

// TestControlCharacters: characters XML cannot carry are dropped, so a
// label with them still gives a well-formed document.
func TestControlCharacters(t *testing.T) {
	bad := "a\x00b\x01c\x1b\uFFFE\xff\xfed"
	out := Bars{Title: bad, Categories: []string{bad}, Groups: []BarGroup{{Name: bad, Values: []float64{1}}}}.SVG(Options{})
	wellFormed(t, string(out))
	if !strings.Contains(string(out), "abc") {
		t.Errorf("the text around the control characters is lost: %s", out)
	}
}
