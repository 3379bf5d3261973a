package charts

import (
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestLook renders every widget at both sizes into pages that use the real
// stylesheet under the pages' CSP, and screenshots them in headless
// Chromium, to be looked at: set CHARTS_SHOTS to a directory (outside the
// repository) to keep the pages and PNGs. axe-core checks each page.
func TestLook(t *testing.T) {
	dir := os.Getenv("CHARTS_SHOTS")
	if dir == "" {
		t.Skip("set CHARTS_SHOTS=DIR to screenshot the widgets")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{"/normal": lookPage(Normal, "", samples()), "/kiosk": lookPage(Kiosk, "chart-theme-dark", samples()),
		"/edge": lookPage(Normal, "", edgeSamples()), "/edge-kiosk": lookPage(Kiosk, "chart-theme-dark", edgeSamples())}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServer(http.Dir("../web/static"))))
	mux.HandleFunc("GET /{page}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(pages[r.URL.Path]))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b := browsertest.NewContext(t)
	for _, shot := range []struct {
		page   string
		width  int64
		height int64
	}{{"/normal", 1280, 900}, {"/normal", 390, 900}, {"/kiosk", 1920, 1080}, {"/edge", 1280, 900}, {"/edge-kiosk", 1920, 1080}} {
		os.WriteFile(filepath.Join(dir, strings.TrimPrefix(shot.page, "/")+".html"), []byte(pages[shot.page]), 0o644)
		if err := chromedp.Do(b, chromedp.EmulateViewport(shot.width, shot.height), chromedp.Navigate(srv.URL+shot.page)); err != nil {
			t.Fatalf("%s at %d: %v", shot.page, shot.width, err)
		}
		png, err := chromedp.Run(b, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("%s at %d: %v", shot.page, shot.width, err)
		}
		file := filepath.Join(dir, strings.TrimPrefix(shot.page, "/")+"-"+itoa(int(shot.width))+".png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", file)
	}
	// axe-core and the width check at a desk's and a phone's width.
	if err := chromedp.Do(b, chromedp.Navigate(srv.URL+"/normal")); err != nil {
		t.Fatal(err)
	}
	t.Logf("axe: %s", browsertest.Look(t, b, "charts-normal"))
}

// lookPage is every sample widget at one size, in cards, each with its
// data table visually hidden as a dashboard page would have it.
func lookPage(size Size, theme string, widgets []sample) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Charts</title>` +
		`<link rel="stylesheet" href="/static/vendor/bootstrap/bootstrap.min.css"><link rel="stylesheet" href="/static/style.css"></head>` +
		`<body class="` + theme + `"><main class="container-fluid py-3"><h1>Widgets</h1><div class="row g-3">`)
	col := "col-md-6 col-xl-4"
	if size == Kiosk {
		col = "col-md-6 col-xl-4"
	}
	o := Options{Size: size}
	for _, s := range widgets {
		card := "card card-body"
		if size == Kiosk {
			card = "card card-body bg-transparent border-secondary"
		}
		b.WriteString(`<div class="` + col + `"><div class="` + card + `">` + string(s.render(o)))
		if s.table != nil {
			b.WriteString(`<div class="visually-hidden">` + string(s.table(o)) + `</div>`)
		}
		b.WriteString(`</div></div>`)
	}
	b.WriteString(`</div></main></body></html>`)
	return b.String()
}

// edgeSamples are the awkward cases, to be looked at as well.
func edgeSamples() []sample {
	var many []string
	var vs []float64
	for i := range 30 {
		many = append(many, "Client "+itoa(i)+" International Holdings")
		vs = append(vs, float64((i*7919)%1000)-300)
	}
	spiky := Series{Name: "Requests"}
	for i := range 20000 {
		v := 100 + 20*math.Sin(float64(i)/300)
		if i == 12345 {
			v = 900
		}
		spiky.Points = append(spiky.Points, Point{At: day0.Add(time.Duration(i) * 3 * time.Minute), Value: v})
	}
	empty := TimeSeries{Title: "Nothing yet", Series: []Series{{Name: "a"}}}
	one := TimeSeries{Title: "A single point", Unit: "%", Series: []Series{{Name: "a", Points: []Point{{At: day0, Value: 42}}}}}
	flat := TimeSeries{Title: "All equal, with NaN", Currency: "EUR", Series: []Series{{Name: "a", Points: daily(10, func(i int) float64 {
		if i == 4 {
			return math.NaN()
		}
		return 1500
	})}}}
	years := TimeSeries{Title: "Matters opened, by month since 2019", Style: Area, Series: []Series{{Name: "Opened", Points: monthly(90)}}}
	tiny := TimeSeries{Title: "Error rate", Unit: "%", Series: []Series{series(0.0012, 0.0031, 0.0008, 0.0049, 0.0022)}}
	huge := Bars{Title: "Assets under management", Currency: "USD", Categories: []string{"Fund A", "Fund B", "Fund C"}, Groups: []BarGroup{{Values: []float64{4.2e12, 1.75e12, 9.9e11}}}}
	manyBars := Bars{Title: "Balance by client, with a very long title that will not fit on one line of the widget", Categories: many, Groups: []BarGroup{{Values: vs}}}
	noPrev := KPI{Label: "New clients", Value: 12, Previous: ptr(0), Target: ptr(0)}
	nan := KPI{Label: "Collection rate", Unit: "%", Value: math.NaN(), Previous: ptr(80), Spark: []float64{math.NaN()}}
	big := KPI{Label: "Work in progress", Currency: "JPY", Value: 98765432101, Previous: ptr(99765432101), Target: ptr(1e11)}
	return []sample{
		{name: "empty", render: empty.SVG}, {name: "one", render: one.SVG}, {name: "flat", render: flat.SVG},
		{name: "years", render: years.SVG}, {name: "tiny", render: tiny.SVG}, {name: "spiky", render: TimeSeries{Title: "Requests every 3 minutes", Series: []Series{spiky}}.SVG},
		{name: "huge", render: huge.SVG}, {name: "many", render: manyBars.SVG}, {name: "noprev", render: noPrev.SVG},
		{name: "nan", render: nan.SVG}, {name: "big", render: big.SVG},
		{name: "emptybars", render: Bars{Title: "No bars"}.SVG}, {name: "emptytable", render: Table{Title: "No rows", Columns: []Column{{Label: "A"}, {Label: "B", Numeric: true}}}.HTML},
	}
}

func monthly(n int) []Point {
	ps := make([]Point, n)
	for i := range ps {
		ps[i] = Point{At: time.Date(2019, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC), Value: float64(40 + (i*37)%25 + i/3)}
	}
	return ps
}
