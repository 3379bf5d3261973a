package charts

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	pages := map[string]string{"/normal": lookPage(Normal, ""), "/kiosk": lookPage(Kiosk, "chart-theme-dark")}
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
	}{{"/normal", 1280, 900}, {"/normal", 390, 900}, {"/kiosk", 1920, 1080}} {
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
func lookPage(size Size, theme string) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Charts</title>` +
		`<link rel="stylesheet" href="/static/vendor/bootstrap/bootstrap.min.css"><link rel="stylesheet" href="/static/style.css"></head>` +
		`<body class="` + theme + `"><main class="container-fluid py-3"><h1>Widgets</h1><div class="row g-3">`)
	col := "col-md-6 col-xl-4"
	if size == Kiosk {
		col = "col-md-6 col-xl-4"
	}
	o := Options{Size: size}
	for _, s := range samples() {
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
