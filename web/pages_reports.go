package web

import (
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/format"
	"strongroom/identity"
	"strongroom/reports"
	"strongroom/tenancy"
)

// reportLink is an entry of the reports index.
type reportLink struct {
	Name, Title, About string
}

var reportLinks = []reportLink{
	{reports.CasesReport, "Cases by status and practice group", "How many cases each practice group has open, pending, closed and archived, by the day they were opened."},
	{reports.FinancialReport, "Financial totals", "Fees, expenses, invoices, payments and settlements by kind, month, case or currency — each currency on its own."},
	{reports.DeadlinesReport, "Open deadlines", "Deadlines not yet met, soonest first, and how many are overdue."},
}

func (h *Handler) reportsPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.Subject.Require(access.Reports, access.Read); err != nil {
		return err
	}
	v := newView(r, t, p)
	var links []reportLink
	for _, l := range reportLinks {
		area := access.Cases
		if l.Name == reports.FinancialReport {
			area = access.Financial
		}
		if p.Subject.Allowed(area, access.Read) {
			links = append(links, l)
		}
	}
	v.Page = links
	return h.render(w, http.StatusOK, "reports", v)
}

// reportView is a report page: its range, chart(s) and data.
type reportView struct {
	Name    string
	Title   string
	CSV     string // the export link, for the same range (and grouping)
	Range   reports.Range
	About   string // what the range applies to
	Charts  []chart
	Report  any
	By      string
	Options []option // groupings of the financial report
	// Table is one page of the report's table; Pager says which.
	Table []tableRow
	Pager pager
	// Failed is set when the range or page asked for is refused: the
	// form is shown with the error, and no data.
	Failed bool
}

// tableRow is a line of a report's table: cells of exact text, and a link
// for the first one when it names something the user may open. Cells from
// NumFrom on (when above zero) are figures, set right-aligned.
type tableRow struct {
	Head    string
	URL     string
	Cells   []string
	Class   string
	NumFrom int
	Overdue bool
}

// pager is where one page of a long table stands among all its rows.
type pager struct {
	First, Last, Total int // rows First to Last (from 1) of Total
	Prev, Next         string
}

// reportPageSize is how many rows a report's table shows at a time.
const reportPageSize = 50

// reportRange reads the range of a report page: from and to, or when
// neither is given, def.
func reportRange(q url.Values, def reports.Range) (reports.Range, error) {
	from, to := strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to"))
	if _, ok := q["from"]; !ok {
		if _, ok := q["to"]; !ok {
			return def, nil
		}
	}
	return reports.ParseRange(from, to)
}

// pageNumber reads the page parameter (from 1).
func pageNumber(q url.Values) (int, error) {
	s := strings.TrimSpace(q.Get("page"))
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, strongroom.FieldError("page", "Give the page as a whole number from 1.")
	}
	return n, nil
}

// newPager places page n of total rows, with links that keep the query.
// A page past the last is an error naming "page".
func newPager(v view, q url.Values, n, total int) (pager, error) {
	pg := pager{Total: total}
	pages := max(1, (total+reportPageSize-1)/reportPageSize)
	if n > pages {
		return pg, strongroom.FieldError("page", "This table has %d pages of %d rows; choose one of them.", pages, reportPageSize)
	}
	if total == 0 {
		return pg, nil
	}
	pg.First = min((n-1)*reportPageSize+1, total)
	pg.Last = min(n*reportPageSize, total)
	link := func(page int) string {
		next := cloneValues(q)
		next.Set("page", strconv.Itoa(page))
		return v.Here + "?" + next.Encode()
	}
	if n > 1 {
		pg.Prev = link(n - 1)
	}
	if pg.Last < total {
		pg.Next = link(n + 1)
	}
	return pg, nil
}

func (h *Handler) reportPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	v := newView(r, t, p)
	name := r.PathValue("name")
	page := &reportView{Name: name}
	for _, l := range reportLinks {
		if l.Name == name {
			page.Title = l.Title
		}
	}
	if page.Title == "" {
		return strongroom.Errorf(strongroom.ENOTFOUND, "No such report.")
	}
	page.About = map[string]string{reports.CasesReport: "Cases opened", reports.FinancialReport: "Records that occurred",
		reports.DeadlinesReport: "Deadlines due"}[name]
	v.Page = page
	q := r.URL.Query()
	for _, f := range []string{"from", "to", "by", "page"} {
		if s := q.Get(f); s != "" {
			v.Form.Values.Set(f, s)
		}
	}
	def := reports.LastYear(h.svc.Reports.Now().In(h.formatter(t).Zone()))
	if name == reports.DeadlinesReport {
		def = reports.Range{} // an overdue deadline never ages out of the report
	}
	rng, err := reportRange(q, def)
	var n int
	if err == nil {
		n, err = pageNumber(q)
	}
	if err == nil {
		page.Range = rng
		v.Form.Values.Set("from", rng.From)
		v.Form.Values.Set("to", rng.To)
		err = h.fillReport(r, t, p, v, page, rng, n)
	}
	if err != nil {
		page.Failed = true
		page.Options = groupOptions(q.Get("by"))
		return h.renderForm(w, "report", v, err, "from", "to", "by", "page")
	}
	return h.render(w, http.StatusOK, "report", v)
}

// fillReport computes the report for the page: page n of its table, and
// the download link of the same range.
func (h *Handler) fillReport(r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, page *reportView, rng reports.Range, n int) error {
	csv := url.Values{}
	if rng.From != "" {
		csv.Set("from", rng.From)
	}
	if rng.To != "" {
		csv.Set("to", rng.To)
	}
	q := r.URL.Query() // for the pager's links: the range made explicit
	q.Set("from", rng.From)
	q.Set("to", rng.To)
	var err error
	switch page.Name {
	case reports.CasesReport:
		err = h.fillCases(r, t, p, page, rng)
	case reports.FinancialReport:
		err = h.fillFinancial(r, t, p, v, q, page, rng, n)
		csv.Set("by", page.By)
	case reports.DeadlinesReport:
		err = h.fillDeadlines(r, t, p, v, q, page, rng, n)
	}
	page.CSV = v.Path("reports/" + page.Name + "/csv")
	if len(csv) > 0 {
		page.CSV += "?" + csv.Encode()
	}
	return err
}

func (h *Handler) fillCases(r *http.Request, t *tenancy.Handle, p *identity.Principal, page *reportView, rng reports.Range) error {
	rep, err := h.svc.Reports.Cases(r.Context(), t, p, rng)
	if err != nil {
		return err
	}
	c := casesChart(rep)
	c.Title += rangeText(h.formatter(t), rng)
	page.Report, page.Charts, page.Table = rep, []chart{c}, casesTable(rep)
	return nil
}

func (h *Handler) fillFinancial(r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, q url.Values, page *reportView, rng reports.Range, n int) error {
	f := h.formatter(t)
	rep, err := h.svc.Reports.Financial(r.Context(), t, p, q.Get("by"), rng)
	if err != nil {
		return err
	}
	page.Report, page.By = rep, rep.By
	q.Set("by", rep.By)
	page.Options = groupOptions(rep.By)
	rows := rep.Rows
	if page.Pager, err = newPager(v, q, n, len(rows)); err != nil {
		return err
	}
	if page.Pager.First > 0 {
		rows = rows[page.Pager.First-1 : page.Pager.Last]
	}
	if page.Table, err = financialTable(v, f, rep.By, rows); err != nil {
		return err
	}
	page.Charts, err = financialCharts(f, rep, rng)
	return err
}

func (h *Handler) fillDeadlines(r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, q url.Values, page *reportView, rng reports.Range, n int) error {
	f := h.formatter(t)
	rep, err := h.svc.Reports.Deadlines(r.Context(), t, p, rng, reportPageSize, (n-1)*reportPageSize)
	if err != nil {
		return err
	}
	if page.Pager, err = newPager(v, q, n, rep.Total); err != nil {
		return err
	}
	bars := make([]chartValue, len(rep.Buckets))
	for i, b := range rep.Buckets {
		bars[i] = chartValue{Label: b.Label, Value: big.NewInt(int64(b.Count)), Text: f.Number(int64(b.Count))}
	}
	page.Report = rep
	page.Charts = []chart{barChart("chart-deadlines", "Open deadlines by when they are due"+rangeText(f, rng), "When due", "Deadlines", "0", bars)}
	return nil
}

func groupOptions(by string) []option {
	if by == "" {
		by = reports.ByKind
	}
	var out []option
	for _, g := range reports.Groupings() {
		out = append(out, option{Value: g, Label: format.Words(g), Checked: g == by})
	}
	return out
}

func statusLabel(s string) string { return format.Words(s) }

// casesTable is one row per practice group: its cases by status, and all.
func casesTable(rep *reports.Cases) []tableRow {
	var out []tableRow
	for _, g := range rep.Groups {
		row := tableRow{Head: groupLabel(g.Label)}
		for _, st := range rep.Statuses {
			row.Cells = append(row.Cells, strconv.Itoa(countOf(rep.Rows, g.Label, st.Label)))
		}
		out = append(out, tableRow{Head: row.Head, Cells: append(row.Cells, strconv.Itoa(g.Count))})
	}
	return out
}

// financialTable is rows of the financial report, with counts and totals
// written by the tenant's formatter. Grouped by currency the currency is
// the row's name, and not repeated.
func financialTable(v view, f *format.Formatter, by string, rows []reports.FinancialRow) ([]tableRow, error) {
	var out []tableRow
	for _, r := range rows {
		total, err := f.Money(r.Total.String(), r.Currency)
		if err != nil {
			return nil, err
		}
		row := tableRow{Head: r.Key, Cells: []string{r.Currency, f.Number(int64(r.Count)), total}}
		switch by {
		case reports.ByCase:
			row.Cells = append([]string{r.Label}, row.Cells...)
			if r.CaseID != 0 {
				row.URL = v.Path("cases/" + strconv.FormatInt(r.CaseID, 10))
			}
		case reports.ByCurrency:
			row.Cells = row.Cells[1:]
		case reports.ByKind:
			row.Head = format.Words(r.Key)
		case reports.ByMonth:
			row.Class = "nowrap"
		}
		row.NumFrom = len(row.Cells) - 2
		out = append(out, row)
	}
	return out, nil
}

// financialCharts draws one chart per currency (the three with the most
// records): currencies are never added together. By month, the chart is
// of columns, oldest to newest, over the whole range; grouped by
// currency there is nothing to compare within a currency, and no chart.
func financialCharts(f *format.Formatter, rep *reports.Financial, rng reports.Range) ([]chart, error) {
	if rep.By == reports.ByCurrency {
		return nil, nil
	}
	var out []chart
	for i, tot := range rep.Totals {
		if i == 3 {
			break
		}
		zero, err := f.Money("0", tot.Currency)
		if err != nil {
			return nil, err
		}
		var values []chartValue
		for _, row := range rep.Rows {
			if row.Currency != tot.Currency {
				continue
			}
			label := row.Key
			switch rep.By {
			case reports.ByCase:
				label = strings.TrimSpace(row.Key + " " + row.Label)
			case reports.ByKind:
				label = format.Words(row.Key)
			}
			text, err := f.Money(row.Total.String(), row.Currency)
			if err != nil {
				return nil, err
			}
			values = append(values, chartValue{Label: label, Value: row.Total.E4(), Text: text})
		}
		id := "chart-" + strings.ToLower(tot.Currency)
		valueAxis := "Total (" + tot.Currency + ")"
		if rep.By == reports.ByMonth {
			slices.Reverse(values) // oldest first: time runs left to right
			values = everyMonth(values, rng, zero)
			title := "Totals in " + tot.Currency + " by month" + rangeText(f, rng)
			out = append(out, columnChart(id, title, "Month", valueAxis, zero, values))
			continue
		}
		title := "Totals in " + tot.Currency + " by " + rep.By + rangeText(f, rng)
		out = append(out, barChart(id, title, format.Words(rep.By), valueAxis, zero, values))
	}
	return out, nil
}

// rangeText names a range in a chart's title: ", 2025-12-02 to 2026-12-01".
func rangeText(f *format.Formatter, rng reports.Range) string {
	day := func(s string) string {
		if d, err := f.Day(s); err == nil {
			return d
		}
		return s
	}
	switch {
	case rng.From != "" && rng.To != "":
		return ", " + day(rng.From) + " to " + day(rng.To)
	case rng.From != "":
		return ", from " + day(rng.From)
	case rng.To != "":
		return ", until " + day(rng.To)
	}
	return ", every date"
}

// everyMonth puts a zero column in for each month of the range (or,
// without one, between the first and last month with records) that has no
// records, so that the chart's time axis runs evenly. values are months
// (YYYY-MM), oldest first.
func everyMonth(values []chartValue, rng reports.Range, zero string) []chartValue {
	if len(values) == 0 && (rng.From == "" || rng.To == "") {
		return values
	}
	first, last := "", ""
	if len(values) > 0 {
		first, last = values[0].Label, values[len(values)-1].Label
	}
	if rng.From != "" {
		first = rng.From[:7]
	}
	if rng.To != "" {
		last = rng.To[:7]
	}
	start, err1 := time.Parse("2006-01", first)
	end, err2 := time.Parse("2006-01", last)
	if err1 != nil || err2 != nil || end.Before(start) {
		return values
	}
	byMonth := map[string]chartValue{}
	for _, v := range values {
		byMonth[v.Label] = v
	}
	var out []chartValue
	for m := start; !m.After(end) && len(out) <= maxColumns*10; m = m.AddDate(0, 1, 0) {
		label := m.Format("2006-01")
		v, ok := byMonth[label]
		if !ok {
			v = chartValue{Label: label, Value: new(big.Int), Text: zero}
		}
		out = append(out, v)
	}
	return out
}
