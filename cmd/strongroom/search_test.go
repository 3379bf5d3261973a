package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/reports"
	"strongroom/seed"
	"strongroom/tenancy"
)

// searchWorld is the demo tenant (with its generated data) plus records
// holding the word "kookaburra" whose classes are known, and users of
// every kind signed in over HTTPS.
type searchWorld struct {
	m       *Main
	admin   *apiClient
	A, B    int64
	marked  []markedRecord
	classes map[string][]int64 // record type:id → effective classes, for every record
}

type markedRecord struct {
	typ     cases.RecordType
	id      int64
	classes []int64
}

// searchRoles are the roles of the matrix, as grants: they make both the
// role over the API and the subject the test predicts with.
var searchRoles = map[string]map[string]string{
	"reader":       {"cases": "read", "documents": "read", "financial": "read", "contacts": "read", "notes": "read", "reports": "read"},
	"no-financial": {"cases": "read", "documents": "read", "notes": "read", "reports": "read"},
	"no-reports":   {"cases": "read", "documents": "read", "financial": "read", "notes": "read"},
}

func subjectOf(role string, restricted bool, classes []int64) *access.Subject {
	grants := map[access.Area]access.Grant{}
	for a, g := range searchRoles[role] {
		grants[access.Area(a)] = access.Grant(g)
	}
	return access.NewSubject(1, restricted, classes, []access.Role{{Name: role, Grants: grants}})
}

func newSearchWorld(t *testing.T, m *Main, adminTemp string) *searchWorld {
	t.Helper()
	w := &searchWorld{m: m, admin: newAPIClient(t, m)}
	w.admin.signIn("admin", adminTemp)
	w.A = num(w.admin.must("POST", "classes", map[string]string{"name": "Search class A"})["class"].(map[string]any)["id"])
	w.B = num(w.admin.must("POST", "classes", map[string]string{"name": "Search class B"})["class"].(map[string]any)["id"])
	w.withTenant(t, func(h *tenancy.Handle) {
		err := seed.Write(context.Background(), h, func(b *seed.Builder) {
			for i, cs := range [][]int64{nil, {w.A}, {w.B}, {w.A, w.B}} {
				c := b.Case(seed.Case{Title: fmt.Sprintf("Kookaburra matter %d", i), PracticeGroup: "Litigation", Classes: cs})
				if i == 0 {
					// Text that is markup: found, it must be shown as text.
					b.Record(seed.Record{Type: cases.TypeNote, CaseID: c, Title: "Numbat <b>bold</b>",
						Body: `<script>alert("x")</script> the numbat & co`})
				}
				w.marked = append(w.marked, markedRecord{cases.TypeCase, c, cs})
				for _, r := range []seed.Record{
					{Type: cases.TypeNote, Title: "Kookaburra note", Body: "laughing kookaburra"},
					{Type: cases.TypeDocument, Title: "Kookaburra report", Body: "kookaburra census"},
					{Type: cases.TypeFinancial, Body: "Kookaburra survey", AmountE4: 1000, Currency: "AUD"},
					{Type: cases.TypeFinancial, Body: "Kookaburra survey", AmountE4: 2000, Currency: "AUD"},
					{Type: cases.TypeNote, Title: "Kookaburra privileged", Body: "own class", Classes: []int64{w.B}},
					{Type: cases.TypeNote, Title: "Kookaburra gone", Body: "deleted", Deleted: true},
				} {
					r.CaseID = c
					id := b.Record(r)
					if r.Deleted {
						continue
					}
					eff := r.Classes
					if len(eff) == 0 {
						eff = cs
					}
					w.marked = append(w.marked, markedRecord{r.Type, id, eff})
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	return w
}

func (w *searchWorld) withTenant(t *testing.T, fn func(h *tenancy.Handle)) {
	t.Helper()
	h, release, err := w.m.registry.Get(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	fn(h)
}

// user creates a user of a matrix role and returns them signed in.
func (w *searchWorld) user(t *testing.T, name, role string, restricted bool, classes []int64) *apiClient {
	t.Helper()
	r := w.admin.must("POST", "roles", map[string]any{"name": name + "-role", "grants": searchRoles[role]})
	body := map[string]any{"username": name, "display_name": "Search " + name, "restricted": restricted,
		"roles": []int64{num(r["role"].(map[string]any)["id"])}, "classes": classes}
	temp := w.admin.must("POST", "users", body)["temporary_password"].(string)
	c := newAPIClient(t, w.m)
	c.signIn(name, temp)
	return c
}

// walkSearch follows next_cursor to the end and returns every hit's
// type:id, failing on one seen twice; more is added to the query as it is
// ("&sort=date").
func walkSearch(t *testing.T, c *apiClient, query string, more ...string) ([]string, map[string]any) {
	t.Helper()
	var out []string
	var first map[string]any
	cursor := ""
	for range 200 {
		path := "search?limit=2&q=" + url.QueryEscape(query) + strings.Join(more, "")
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		res := c.must("GET", path, nil)
		if first == nil {
			first = res
		}
		for _, h := range res["hits"].([]any) {
			hit := h.(map[string]any)
			k := fmt.Sprintf("%s:%d", hit["type"], num(hit["id"]))
			if slices.Contains(out, k) {
				t.Fatalf("%s twice", k)
			}
			out = append(out, k)
		}
		if cursor, _ = res["next_cursor"].(string); cursor == "" {
			slices.Sort(out)
			return out, first
		}
	}
	t.Fatal("no last page")
	return nil, nil
}

// financialTotals predicts, from the rows and the rules (not from the
// reports' SQL), what a subject's financial totals per currency are.
func (w *searchWorld) financialTotals(t *testing.T, s *access.Subject, rng reports.Range) map[string]string {
	t.Helper()
	sums := map[string]*big.Int{}
	w.withTenant(t, func(h *tenancy.Handle) {
		ctx := context.Background()
		classes := map[int64][]int64{}
		rows, err := h.DB.QueryContext(ctx, `SELECT record_id, class_id FROM record_classes WHERE record_type = 'financial'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, c int64
			rows.Scan(&id, &c)
			classes[id] = append(classes[id], c)
		}
		rows.Close()
		rows, err = h.DB.QueryContext(ctx, `SELECT f.id, f.currency, f.amount_e4, f.deleted_at, c.deleted_at, f.occurred_on
			FROM financial_records f JOIN cases c ON c.id = f.case_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, amount int64
			var currency, del, caseDel, on string
			rows.Scan(&id, &currency, &amount, &del, &caseDel, &on)
			inRange := (rng.From == "" || on >= rng.From) && (rng.To == "" || on <= rng.To)
			if del == "" && caseDel == "" && inRange && s.CanSee(access.Financial, access.Read, classes[id]) {
				if sums[currency] == nil {
					sums[currency] = new(big.Int)
				}
				sums[currency].Add(sums[currency], big.NewInt(amount))
			}
		}
	})
	out := map[string]string{}
	for c, v := range sums {
		out[c] = reports.FormatE4(v)
	}
	return out
}

// TestSearchAndReportsOverHTTPS is the authorization matrix of search and
// reports over the real server: restricted users with and without each
// class, unrestricted users, users without an area; hits walked page by
// page, totals, facets, report totals, CSV exports and their audit events.
func TestSearchAndReportsOverHTTPS(t *testing.T) {
	forEachServerAtOnce(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		w := newSearchWorld(t, m, adminTemp)
		type matrixUser struct {
			name, role string
			restricted bool
			classes    []int64
		}
		users := []matrixUser{
			{"open-none", "reader", false, nil}, {"open-a", "reader", false, []int64{w.A}},
			{"restricted-none", "reader", true, nil}, {"restricted-a", "reader", true, []int64{w.A}},
			{"restricted-b", "reader", true, []int64{w.B}}, {"restricted-ab", "reader", true, []int64{w.A, w.B}},
			{"no-financial-a", "no-financial", false, []int64{w.A}}, {"no-reports", "no-reports", false, nil},
		}
		for _, u := range users {
			t.Run(u.name, func(t *testing.T) {
				c := w.user(t, u.name, u.role, u.restricted, u.classes)
				s := subjectOf(u.role, u.restricted, u.classes)
				var want []string
				types := map[string]int{}
				for _, r := range w.marked {
					if s.CanSee(r.typ.Area(), access.Read, r.classes) {
						want = append(want, fmt.Sprintf("%s:%d", r.typ, r.id))
						types[string(r.typ)]++
					}
				}
				slices.Sort(want)
				got, first := walkSearch(t, c, "Kookaburra")
				if !slices.Equal(got, want) {
					t.Fatalf("hits\n got %v\nwant %v", got, want)
				}
				gotTypes := map[string]int{}
				for _, f := range first["facets"].(map[string]any)["types"].([]any) {
					gotTypes[f.(map[string]any)["value"].(string)] = int(num(f.(map[string]any)["count"]))
				}
				if int(num(first["total"])) != len(want) || !maps.Equal(gotTypes, types) {
					t.Fatalf("total %v facets %v, want %d %v", first["total"], gotTypes, len(want), types)
				}
				byDate, firstByDate := walkSearch(t, c, "Kookaburra", "&sort=date")
				if !slices.Equal(byDate, want) || fmt.Sprint(firstByDate["facets"]) != fmt.Sprint(first["facets"]) {
					t.Fatalf("sorted by date: hits %v facets %v, want %v %v", byDate, firstByDate["facets"], want, first["facets"])
				}
				checkReports(t, w, c, u.name, s)
			})
		}
		t.Run("BadQueries", func(t *testing.T) {
			c := w.admin
			for _, q := range []string{`"`, `"kookaburra`, `NEAR(`, `NEAR(kookaburra, 2)`, `*`, `-`, `-kookaburra`, `(`, `kookaburra)(`,
				`((`, `' OR 1=1 --`, `{title}:`, "\x00", "%ff", strings.Repeat("k", 10<<10), strings.Repeat(`"(`, 2000)} {
				status, body := c.do("GET", "search?q="+url.QueryEscape(q), nil)
				switch {
				case status == http.StatusOK:
				case status == http.StatusBadRequest && strings.Contains(body, `"field":"q"`):
				default:
					t.Errorf("%.30q: %d %s", q, status, body)
				}
			}
			for path, field := range map[string]string{"search?q=a&cursor=zz": "cursor", "search?q=a&limit=0": "limit",
				"search?q=a&class=x": "class", "search?q=a&type=payroll": "type", "search?q=a&opened_from=yesterday": "opened_from",
				"reports/financial?by=weekday": "by", "reports/deadlines?limit=5000": "limit", "search?q=a&sort=newest": "sort",
				"reports/financial?from=2025-13-01": "from", "reports/cases?to=yesterday": "to",
				"reports/deadlines?from=2026-02-01&to=2026-01-01": "to", "reports/financial/csv?from=2025-02-30": "from"} {
				if status, body := c.do("GET", path, nil); status != 400 || !strings.Contains(body, `"field":"`+field+`"`) {
					t.Errorf("%s: %d %s", path, status, body)
				}
			}
		})
		t.Run("Pages", func(t *testing.T) { checkPages(t, w) })
	})
}

// checkReports compares a user's financial totals with the prediction,
// and checks refusals and the audited CSV export.
func checkReports(t *testing.T, w *searchWorld, c *apiClient, name string, s *access.Subject) {
	t.Helper()
	finOK := s.Allowed(access.Reports, access.Read) && s.Allowed(access.Financial, access.Read)
	casesOK := s.Allowed(access.Reports, access.Read) && s.Allowed(access.Cases, access.Read)
	status, body := c.do("GET", "reports/financial?by=currency", nil)
	if !finOK {
		if status != http.StatusForbidden || strings.Contains(body, "AUD") {
			t.Fatalf("financial report: %d %s", status, body)
		}
	} else {
		for _, rng := range []reports.Range{{}, {From: "2022-01-01", To: "2023-06-30"}, {From: "2024-02-29"}} {
			got := map[string]string{}
			path := "reports/financial?by=currency&from=" + rng.From + "&to=" + rng.To
			for _, tot := range c.must("GET", path, nil)["totals"].([]any) {
				got[tot.(map[string]any)["currency"].(string)] = tot.(map[string]any)["total"].(string)
			}
			if want := w.financialTotals(t, s, rng); !maps.Equal(got, want) {
				t.Fatalf("financial totals of %v: %v, want %v", rng, got, want)
			}
		}
	}
	for _, rep := range []string{"cases", "deadlines"} {
		if status, _ := c.do("GET", "reports/"+rep, nil); (status == http.StatusOK) != casesOK || (status != 200 && status != 403) {
			t.Errorf("%s report: %d", rep, status)
		}
	}
	// The export, and its audit event.
	before := auditActions(t, w)
	status, csv := c.do("GET", "reports/financial/csv?by=kind", nil)
	after := auditActions(t, w)
	if !finOK {
		if status != http.StatusForbidden || slices.Contains(after[len(before):], "report.export") {
			t.Fatalf("refused export: %d, events %v", status, after[len(before):])
		}
		return
	}
	if status != http.StatusOK || !strings.HasPrefix(csv, "kind,currency,total,records\n") {
		t.Fatalf("export: %d %q", status, csv)
	}
	if !slices.Contains(after[len(before):], "report.export") {
		t.Fatalf("export not audited: %v", after[len(before):])
	}
	if s.Restricted && len(s.Classes) == 0 && strings.Count(csv, "\n") != 1 {
		t.Fatalf("a restricted user without classes exported rows: %q", csv)
	}
}

func auditActions(t *testing.T, w *searchWorld) []string {
	t.Helper()
	var out []string
	w.withTenant(t, func(h *tenancy.Handle) {
		evs, err := h.Audit.Events(context.Background(), 0, 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			out = append(out, e.Action)
		}
	})
	return out
}

// checkPages fetches the search and report pages as the administrator's
// browser would: they render, carry no inline style or script, and the
// CSV download works with a session.
func checkPages(t *testing.T, w *searchWorld) {
	base := strings.TrimSuffix(w.admin.base, "api/v1/t/demo/") + "t/demo/"
	get := func(path string) (int, string, http.Header) {
		resp, err := w.admin.http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	for path, want := range map[string]string{
		"search":              `name="q"`,
		"search?q=Kookaburra": "Kookaburra matter",
		"search?q=%22%2A(":    "Search for words or numbers",
		"reports":             "Financial totals",
		"reports/cases":       "<svg",
		"reports/financial?by=month&from=2000-01-01": "<svg",
		"reports/deadlines":                          "Open deadlines",
		"reports/financial?by=case":                  "Totals by currency",
		"search?q=Kookaburra&type=note&type=case":    "<mark>Kookaburra</mark> note",
	} {
		status, body, _ := get(path)
		if (status != 200 && !strings.Contains(path, "%2A")) || !strings.Contains(body, want) {
			t.Errorf("%s: %d, no %q", path, status, want)
		}
		for _, bad := range []string{"<script", " style=", "<style"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s holds %q", path, bad)
			}
		}
	}
	// A fault in a parameter without a control of its own is shown above the form.
	for path, want := range map[string]string{"search?q=numbat&sort=newest": "Sort by relevance or by date.",
		"search?q=numbat&cursor=zz": "no longer valid", "reports/financial?page=999": "pages of 50 rows"} {
		if status, body, _ := get(path); status != 400 || !strings.Contains(body, want) || !strings.Contains(body, `role="alert"`) && !strings.Contains(body, "page-error") {
			t.Errorf("%s: %d, no %q shown", path, status, want)
		}
	}
	// Markup in a record's text is escaped, the searched word marked.
	status, body, _ := get("search?q=numbat")
	if status != 200 || !strings.Contains(body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; the <mark>numbat</mark> &amp; co`) ||
		!strings.Contains(body, `<mark>Numbat</mark> &lt;b&gt;bold&lt;/b&gt;`) || strings.Contains(body, "<script") || strings.Contains(body, "<b>bold") {
		t.Errorf("hostile text on the search page: %d\n%s", status, body)
	}
	hits := w.admin.must("GET", "search?q=numbat&sort=date", nil)
	hit := hits["hits"].([]any)[0].(map[string]any)
	if hits["sort"] != "date" || hit["snippet"] != `<script>alert("x")</script> the numbat & co` ||
		fmt.Sprint(hit["snippet_highlights"]) != "[[32 38]]" || fmt.Sprint(hit["title_highlights"]) != "[[0 6]]" {
		t.Errorf("API hit %v", hits)
	}
	// A report's range, and the CSV of the same range.
	rep := w.admin.must("GET", "reports/financial?by=month&from=1990-01-01&to=1990-12-31", nil)
	if fmt.Sprint(rep["range"]) != "map[from:1990-01-01 to:1990-12-31]" || len(rep["rows"].([]any)) != 0 {
		t.Errorf("financial report of 1990: %v", rep)
	}
	if status, body, _ := get("reports/financial/csv?by=month&from=1990-01-01&to=1990-12-31"); status != 200 || body != "month,currency,total,records\n" {
		t.Errorf("CSV of 1990: %d %q", status, body)
	}
	status, body, hdr := get("reports/deadlines/csv")
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || !strings.Contains(hdr.Get("Content-Disposition"), "attachment") ||
		!strings.HasPrefix(body, "due_on,title,case_number,case_title,overdue\n") {
		t.Errorf("page CSV: %d %v %.100q", status, hdr, body)
	}
}
