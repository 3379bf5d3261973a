package web

import (
	"net/http"
	"strconv"
	"strings"

	"strongroom"
	"strongroom/identity"
	"strongroom/reports"
	"strongroom/tenancy"
)

// reportRoutes registers the reports: JSON, CSV exports (audited) and pages.
func (h *Handler) reportRoutes() {
	api := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.authed(fn, false))) }
	page := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.pageAuthed(fn, false))) }
	pre := "/api/v1/t/{slug}/reports/"
	api("GET "+pre+"cases", h.apiCasesReport)
	api("GET "+pre+"financial", h.apiFinancialReport)
	api("GET "+pre+"deadlines", h.apiDeadlinesReport)
	api("GET "+pre+"{name}/csv", h.reportCSV)
	page("GET /t/{slug}/reports", h.reportsPage)
	page("GET /t/{slug}/reports/{name}", h.reportPage)
	page("GET /t/{slug}/reports/{name}/csv", h.reportCSV)
}

// Default and largest number of deadlines a report lists (the CSV has all).
const (
	defaultDeadlines = 100
	maxDeadlines     = 1000
)

// apiRange reads the from and to parameters of a report: the days it
// covers, both included; without them, every day.
func apiRange(r *http.Request) (reports.Range, error) {
	q := r.URL.Query()
	return reports.ParseRange(strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to")))
}

// rangeJSON is the range as a report's answer states it (null: no bound).
func rangeJSON(rng reports.Range) map[string]any {
	out := map[string]any{"from": nil, "to": nil}
	if rng.From != "" {
		out["from"] = rng.From
	}
	if rng.To != "" {
		out["to"] = rng.To
	}
	return out
}

func (h *Handler) apiCasesReport(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	rng, err := apiRange(r)
	if err != nil {
		return err
	}
	rep, err := h.svc.Reports.Cases(r.Context(), t, p, rng)
	if err != nil {
		return err
	}
	rows := make([]map[string]any, len(rep.Rows))
	for i, row := range rep.Rows {
		rows[i] = map[string]any{"status": row.Status, "practice_group": row.PracticeGroup, "count": row.Count}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"range": rangeJSON(rng), "total": rep.Total, "rows": rows,
		"statuses": reportCounts(rep.Statuses), "practice_groups": reportCounts(rep.Groups)})
}

func reportCounts(cs []reports.Count) []map[string]any {
	out := make([]map[string]any, len(cs))
	for i, c := range cs {
		out[i] = map[string]any{"label": c.Label, "count": c.Count}
	}
	return out
}

func (h *Handler) apiFinancialReport(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	rng, err := apiRange(r)
	if err != nil {
		return err
	}
	rep, err := h.svc.Reports.Financial(r.Context(), t, p, r.URL.Query().Get("by"), rng)
	if err != nil {
		return err
	}
	rows := make([]map[string]any, len(rep.Rows))
	for i, row := range rep.Rows {
		rows[i] = map[string]any{"key": row.Key, "currency": row.Currency, "total": row.Total.String(), "count": row.Count}
		if rep.By == reports.ByCase {
			rows[i]["case_id"], rows[i]["label"] = row.CaseID, row.Label
		}
	}
	totals := make([]map[string]any, len(rep.Totals))
	for i, tot := range rep.Totals {
		totals[i] = map[string]any{"currency": tot.Currency, "total": tot.Total.String(), "count": tot.Count}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"by": rep.By, "range": rangeJSON(rng), "rows": rows, "totals": totals})
}

// deadlineLimit reads the limit parameter of the deadlines report.
func deadlineLimit(r *http.Request) (int, error) {
	s := strings.TrimSpace(r.URL.Query().Get("limit"))
	if s == "" {
		return defaultDeadlines, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxDeadlines {
		return 0, strongroom.FieldError("limit", "Ask for 1 to %d deadlines; the CSV export has them all.", maxDeadlines)
	}
	return n, nil
}

func (h *Handler) apiDeadlinesReport(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	limit, err := deadlineLimit(r)
	if err != nil {
		return err
	}
	rng, err := apiRange(r)
	if err != nil {
		return err
	}
	rep, err := h.svc.Reports.Deadlines(r.Context(), t, p, rng, limit, 0)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(rep.Items))
	for i, d := range rep.Items {
		items[i] = map[string]any{"id": d.ID, "title": d.Title, "due_on": d.DueOn, "overdue": d.Overdue, "case": nil}
		if c := d.Case; c != nil {
			items[i]["case"] = caseRefJSON{ID: c.ID, Number: c.Number, Title: c.Title}
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"today": rep.Today, "range": rangeJSON(rng), "total": rep.Total,
		"buckets": reportCounts(rep.Buckets), "deadlines": items})
}

// reportCSV sends a report as CSV, once its export is in the audit trail:
// the days from and to say (the page's download link gives its range),
// every day without them.
func (h *Handler) reportCSV(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	rng, err := apiRange(r)
	if err != nil {
		return err
	}
	tab, err := h.svc.Reports.Export(r.Context(), t, p, r.PathValue("name"), r.URL.Query().Get("by"), rng)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+t.Tenant.Slug+"-"+tab.Filename+`"`)
	return tab.WriteCSV(w)
}
