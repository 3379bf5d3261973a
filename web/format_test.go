package web

import (
	"html/template"
	"strings"
	"testing"
	"time"

	"strongroom"
	"strongroom/format"
	"strongroom/identity"
	"strongroom/tenancy"
)

type decimal string

func (d decimal) String() string { return string(d) }

func TestTemplateFuncs(t *testing.T) {
	at := time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		text string
		data any
		want string
	}{
		{`{{money . "USD"}}`, "-1234.5", "-$1,234.50"},
		{`{{money . "JPY"}}`, int64(-12345670000), "-¥1,234,567"},
		{`{{money . "EUR"}}`, decimal("18612915.40"), "€18,612,915.40"},
		{`{{money . ""}}`, "1", "$1.00"},
		{`{{number .}}`, 1234567, "1,234,567"},
		{`{{date .}}`, "2026-02-28", "Feb 28, 2026"},
		{`{{date .}}`, at, "Mar 8, 2026"},
		{`{{datetime .}}`, at, "Mar 8, 2026, 7:30 AM UTC"},
		{`{{words .}}`, "trust_deposit", "Trust deposit"},
	} {
		tmpl := template.Must(template.New("t").Funcs(templateFuncs(format.Default)).Parse(tc.text))
		var b strings.Builder
		if err := tmpl.Execute(&b, tc.data); err != nil || b.String() != tc.want {
			t.Errorf("%s with %v = %q, %v; want %q", tc.text, tc.data, b.String(), err, tc.want)
		}
	}
	// Values that are not amounts or dates stop the page rather than show
	// something else.
	for _, tc := range []struct {
		text string
		data any
	}{
		{`{{money . "USD"}}`, 12.5}, {`{{money . "USD"}}`, "1e3"}, {`{{money . "usd"}}`, "1"},
		{`{{date .}}`, 20260228}, {`{{date .}}`, "28/02/2026"},
	} {
		tmpl := template.Must(template.New("t").Funcs(templateFuncs(format.Default)).Parse(tc.text))
		var b strings.Builder
		if err := tmpl.Execute(&b, tc.data); err == nil {
			t.Errorf("%s with %v = %q, want an error", tc.text, tc.data, b.String())
		}
	}
}

func TestFinancialTableCellsAreFigures(t *testing.T) {
	h := testHandler(t)
	var b strings.Builder
	page := map[string]any{"Report": map[string]any{}, "By": "kind", "Rows": 1,
		"Table": []tableRow{{Head: "fee", Cells: []string{"USD", "1,204", "$18,612,915.40"}, NumFrom: 1}}}
	if err := h.pages["report"].ExecuteTemplate(&b, "report-financial", page); err != nil {
		t.Fatal(err)
	}
	if want := `<td>fee</td><td>USD</td><td class="num">1,204</td><td class="num">$18,612,915.40</td>`; !strings.Contains(b.String(), want) {
		t.Errorf("financial table lacks %s:\n%s", want, b.String())
	}
}

// Each tenant's pages are written in its own formatting, read once and
// kept until it changes; tenants with the default share the parsed pages.
func TestPagesInTheTenantsFormatting(t *testing.T) {
	h := testHandler(t)
	var err error
	if h.formats, err = newFormatCache(); err != nil {
		t.Fatal(err)
	}
	berlin := &tenancy.Handle{Tenant: &strongroom.Tenant{Slug: "berlin", DisplayName: "Kanzlei"}}
	h.formats.store(berlin, identity.Formatting{Locale: "de-DE", TimeZone: "Europe/Berlin", Currency: "EUR"})
	at := time.Date(2026, 3, 12, 13, 5, 0, 0, time.UTC)
	probe := func(slug string) string {
		t.Helper()
		p, err := h.formats.page(slug, "error", h.pages)
		if err != nil {
			t.Fatal(err)
		}
		c, err := p.Clone()
		if err != nil {
			t.Fatal(err)
		}
		template.Must(c.New("probe").Parse(`{{money "-1234.5" ""}} | {{number 1234567}} | {{datetime .}} | {{date "2026-03-29"}}`))
		var b strings.Builder
		if err := c.ExecuteTemplate(&b, "probe", at); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if got, want := probe("berlin"), "-1.234,50\u00a0€ | 1.234.567 | 12.03.2026, 14:05 CET | 29.03.2026"; got != want {
		t.Errorf("de-DE tenant: %q, want %q", got, want)
	}
	if got, want := probe("elsewhere"), "-$1,234.50 | 1,234,567 | Mar 12, 2026, 1:05 PM UTC | Mar 29, 2026"; got != want {
		t.Errorf("default tenant: %q, want %q", got, want)
	}
	first, _ := h.formats.page("berlin", "home", h.pages)
	again, _ := h.formats.page("berlin", "home", h.pages)
	if first != again {
		t.Error("a page was cloned again for the same formatting")
	}
	if p, _ := h.formats.page("elsewhere", "home", h.pages); p != h.pages["home"] {
		t.Error("the default formatting did not use the parsed pages")
	}
	// A change replaces the tenant's formatting at once.
	h.formats.store(berlin, identity.Formatting{Locale: "en-GB", TimeZone: "Europe/London", Currency: "GBP"})
	if got, want := probe("berlin"), "-£1,234.50 | 1,234,567 | 12 Mar 2026, 13:05 GMT | 29 Mar 2026"; got != want {
		t.Errorf("after the change: %q, want %q", got, want)
	}
}
