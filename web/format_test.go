package web

import (
	"html/template"
	"strings"
	"testing"
	"time"

	"strongroom/format"
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
