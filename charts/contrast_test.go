package charts

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestContrast reads the chart colours from the design system's
// stylesheet and checks them against the backgrounds they are drawn on,
// in the normal theme (a white card on the light page) and the dark kiosk
// theme: text at least 4.5:1, series and axes (graphical objects) at
// least 3:1 (WCAG 2.1, 1.4.3 and 1.4.11). Grid lines and the progress
// track are decoration and not checked.
func TestContrast(t *testing.T) {
	css, err := os.ReadFile("../web/static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	rule := regexp.MustCompile(`([^{}]+)\{([^{}]*)\}`)
	colour := regexp.MustCompile(`(?:^|;)\s*color:\s*(#[0-9a-fA-F]{6})\s*(?:;|$)`)
	background := regexp.MustCompile(`background:\s*(#[0-9a-fA-F]{6})`)
	light := map[string]string{}
	dark := map[string]string{}
	darkBG := ""
	for _, m := range rule.FindAllStringSubmatch(string(css), -1) {
		for _, sel := range strings.Split(m[1], ",") {
			if i := strings.LastIndex(sel, "*/"); i >= 0 {
				sel = sel[i+2:] // after a comment
			}
			sel = strings.TrimSpace(sel)
			if !strings.Contains(sel, "chart-") {
				continue
			}
			if sel == ".chart-theme-dark" {
				if bg := background.FindStringSubmatch(m[2]); bg != nil {
					darkBG = bg[1]
				}
			}
			c := colour.FindStringSubmatch(m[2])
			if c == nil {
				continue
			}
			class := sel[strings.LastIndex(sel, ".")+1:]
			if strings.HasPrefix(sel, ".chart-theme-dark") {
				dark[class] = c[1]
			} else {
				light[class] = c[1]
			}
		}
	}
	if darkBG == "" {
		t.Fatal("no background for .chart-theme-dark")
	}
	text := []string{"chart-widget", "chart-text", "chart-label", "chart-value", "chart-muted", "chart-good", "chart-bad", "chart-flat"}
	graphics := []string{"chart-axis"}
	for i := range seriesCount {
		graphics = append(graphics, seriesClass(i))
	}
	for _, theme := range []struct {
		name    string
		colours map[string]string
		bgs     []string
	}{{"normal", light, []string{"#ffffff", "#f8f9fa"}}, {"dark kiosk", dark, []string{darkBG}}} {
		for _, group := range []struct {
			classes []string
			min     float64
		}{{text, 4.5}, {graphics, 3}} {
			for _, class := range group.classes {
				c, ok := theme.colours[class]
				if !ok {
					t.Errorf("%s theme: no colour for .%s", theme.name, class)
					continue
				}
				for _, bg := range theme.bgs {
					if r := contrast(c, bg); r < group.min {
						t.Errorf("%s theme: .%s %s on %s is %.2f:1, want at least %.1f:1", theme.name, class, c, bg, r, group.min)
					}
				}
			}
		}
	}
}

// contrast is the WCAG contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	var l [3]float64
	for i := range l {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			l[i] = c / 12.92
		} else {
			l[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

func TestContrastFormula(t *testing.T) {
	if r := contrast("#000000", "#ffffff"); math.Abs(r-21) > 0.01 {
		t.Errorf("black on white %.2f", r)
	}
	if r := contrast("#767676", "#ffffff"); math.Abs(r-4.54) > 0.01 {
		t.Errorf("#767676 on white %.2f", r)
	}
}
