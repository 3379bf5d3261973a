package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"strongroom/identity/totp"
)

// TestFormsOverHTTPS: every problem of a form or API call is reported in
// one answer and nothing is written; a stale edit keeps the typing and
// shows the saved values; a wrong first two-factor code keeps the same
// secret and QR code; a new financial record starts with today's date
// and the tenant's currency.
func TestFormsOverHTTPS(t *testing.T) {
	forEachServer(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		w := newCaseWorld(t, m, admin)
		t.Run("every problem at once", func(t *testing.T) { testFormsAllProblems(t, w) })
		t.Run("stale edit", func(t *testing.T) { testFormsStaleEdit(t, w) })
		t.Run("two-factor wrong code", func(t *testing.T) { testFormsTOTPWrongCode(t, w) })
		t.Run("financial defaults", func(t *testing.T) { testFormsFinancialDefaults(t, w) })
	})
}

func (c *apiClient) pageForm(path string, v url.Values) (int, string) {
	c.t.Helper()
	return c.csSend("POST", strings.Replace(c.base, "/api/v1/t/demo/", "/t/demo/", 1)+path,
		"application/x-www-form-urlencoded", []byte(v.Encode()))
}

func testFormsAllProblems(t *testing.T, w *caseWorld) {
	a := w.admin
	count := func() int { return len(a.must("GET", "cases?limit=200", nil)["cases"].([]any)) }
	cases, events := count(), w.auditCount(t)

	status, body := a.do("POST", "cases", map[string]any{"title": "", "status": "dormant", "opened_on": "2026-02-30", "client": "Kept Client"})
	e := csObj(csDecode(t, body), "error")
	errs, _ := e["errors"].([]any)
	if status != 400 || e["code"] != "invalid" || e["field"] != "title" || len(errs) != 3 {
		t.Fatalf("API: %d %s, want 400 with three errors, the first of title", status, body)
	}
	for i, f := range []string{"title", "status", "opened_on"} {
		p := errs[i].(map[string]any)
		if p["field"] != f || p["message"] == "" {
			t.Errorf("API error %d: %v, want field %s", i, p, f)
		}
	}
	if e["message"] != errs[0].(map[string]any)["message"] {
		t.Errorf("message %q is not the first error's", e["message"])
	}

	status, body = a.pageForm("cases/new", url.Values{"title": {""}, "status": {"dormant"}, "opened_on": {"2026-02-30"}, "client": {"Kept Client"}})
	if status != 400 {
		t.Fatalf("page: %d", status)
	}
	for _, want := range []string{`There are 3 problems`, `href="#title"`, `href="#status"`, `href="#opened_on"`,
		`id="title-error"`, `id="status-error"`, `id="opened_on-error"`, `aria-describedby="title-error"`,
		`value="Kept Client"`, `value="2026-02-30"`, `is-invalid`} {
		if !strings.Contains(body, want) {
			t.Errorf("case form lacks %s", want)
		}
	}
	if count() != cases || w.auditCount(t) != events {
		t.Fatal("bad input wrote something")
	}

	// The closed date rule, on the page and in the API.
	status, body = a.do("POST", "cases", map[string]any{"title": "Closed without a date", "status": "closed"})
	if status != 400 || !strings.Contains(body, `"field":"closed_on"`) {
		t.Fatalf("closed without a date: %d %s", status, body)
	}

	// The import check lists every problem of every row, by line.
	csv := "number,title,client,practice_group,status,opened_on,closed_on,tags,classes\n" +
		",Fine,,,,,,,\n,,,,dormant,2026-02-30,,,\n"
	status, body = a.csMultipart(strings.Replace(a.base, "/api/v1/t/demo/", "/t/demo/", 1)+"cases/import",
		map[string]string{"kind": "cases", "action": "check"}, csv)
	if status != 400 || !strings.Contains(body, "3 problems in 2 rows") {
		t.Fatalf("import check: %d\n%s", status, body)
	}
	for _, f := range []string{"title", "status", "opened_on"} {
		if !strings.Contains(body, `<td class="num">3</td><td>`+f+`</td>`) {
			t.Errorf("import check does not list line 3, %s", f)
		}
	}
	status, body = a.csSend("POST", a.base+"import/cases", "text/csv", []byte(csv))
	if errs, _ := csObj(csDecode(t, body), "error")["errors"].([]any); status != 400 || len(errs) != 3 {
		t.Fatalf("API import: %d %s, want 400 with three errors", status, body)
	}
	if count() != cases {
		t.Fatal("an import check wrote cases")
	}
}

func testFormsStaleEdit(t *testing.T, w *caseWorld) {
	a := w.admin
	c := csObj(a.must("POST", "cases", map[string]any{"title": "Stale original", "client": "First Client"}), "case")
	id, opened := num(c["id"]), num(c["version"])
	// Someone else changes the client.
	a.must("PUT", fmt.Sprintf("cases/%d", id), map[string]any{"client": "Their Client", "version": opened})
	mine := url.Values{"number": {c["number"].(string)}, "title": {"My new title"}, "client": {"First Client"},
		"status": {"open"}, "opened_on": {c["opened_on"].(string)}, "version": {fmt.Sprint(opened)}}
	path := fmt.Sprintf("cases/%d/edit", id)
	status, body := a.pageForm(path, mine)
	if status != http.StatusConflict {
		t.Fatalf("stale edit: %d", status)
	}
	current := fmt.Sprint(opened + 1)
	for _, want := range []string{`id="stale-edit"`, "Changed by someone else since you opened this",
		`value="My new title"`, `name="version" value="` + current + `"`, "Their Client", "My new title", "Stale original"} {
		if !strings.Contains(body, want) {
			t.Errorf("stale edit page lacks %s", want)
		}
	}
	if got := csObj(a.must("GET", fmt.Sprintf("cases/%d", id), nil), "case"); got["title"] != "Stale original" {
		t.Fatalf("a stale edit was saved: %v", got)
	}
	// Saving again, on the version shown, applies the user's values.
	mine.Set("version", current)
	if status, loc := a.pageForm(path, mine); status != http.StatusSeeOther {
		t.Fatalf("save after a stale edit: %d %s", status, loc)
	}
	got := csObj(a.must("GET", fmt.Sprintf("cases/%d", id), nil), "case")
	if got["title"] != "My new title" || got["client"] != "First Client" {
		t.Fatalf("after saving again: %v", got)
	}

	// A form that carries what it was opened with (as every edit form
	// does) keeps the other person's change to a field the user left
	// alone, and lists only the fields both changed.
	c = csObj(a.must("POST", "cases", map[string]any{"title": "Merge original", "client": "First Client"}), "case")
	id, opened = num(c["id"]), num(c["version"])
	path = fmt.Sprintf("cases/%d/edit", id)
	a.must("PUT", fmt.Sprintf("cases/%d", id), map[string]any{"client": "Their Client", "version": opened})
	mine = url.Values{"number": {c["number"].(string)}, "title": {"My merged title"}, "client": {"First Client"},
		"status": {"open"}, "opened_on": {c["opened_on"].(string)}, "version": {fmt.Sprint(opened)},
		"was": {"1"}, "was.number": {c["number"].(string)}, "was.title": {"Merge original"}, "was.client": {"First Client"},
		"was.status": {"open"}, "was.opened_on": {c["opened_on"].(string)}}
	status, body = a.pageForm(path, mine)
	if status != http.StatusConflict {
		t.Fatalf("stale edit with its origin: %d", status)
	}
	for _, want := range []string{`id="stale-edit"`, `value="My merged title"`, `name="client" type="text" maxlength="300" value="Their Client"`,
		`name="was.client" value="Their Client"`, "You left this as it was: the saved value is now in the form."} {
		if !strings.Contains(body, want) {
			t.Errorf("stale edit with its origin: page lacks %s\n%s", want, body)
		}
	}
	// Saving what the page now holds keeps both changes.
	mine.Set("version", fmt.Sprint(opened+1))
	mine.Set("client", "Their Client")
	if status, loc := a.pageForm(path, mine); status != http.StatusSeeOther {
		t.Fatalf("save after a merged stale edit: %d %s", status, loc)
	}
	got = csObj(a.must("GET", fmt.Sprintf("cases/%d", id), nil), "case")
	if got["title"] != "My merged title" || got["client"] != "Their Client" {
		t.Fatalf("after saving the merged edit: %v", got)
	}

	// A record form does the same.
	n := csObj(a.must("POST", fmt.Sprintf("cases/%d/notes", id), map[string]any{"title": "Note one", "body": "first"}), "note")
	nid, nv := num(n["id"]), num(n["version"])
	a.must("PUT", fmt.Sprintf("notes/%d", nid), map[string]any{"body": "their body", "version": nv})
	status, body = a.pageForm(fmt.Sprintf("notes/%d", nid), url.Values{"title": {"My note title"}, "body": {"first"}, "version": {fmt.Sprint(nv)}})
	if status != http.StatusConflict || !strings.Contains(body, `id="stale-edit"`) || !strings.Contains(body, "their body") ||
		!strings.Contains(body, `value="My note title"`) || !strings.Contains(body, `name="version" value="`+fmt.Sprint(nv+1)+`"`) {
		t.Fatalf("stale note edit: %d\n%s", status, body)
	}
}

var totpSecretOnPage = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7=]+)</code>`)

func testFormsTOTPWrongCode(t *testing.T, w *caseWorld) {
	c := w.user(t, map[string]string{"cases": "read"}, false)
	_, body := c.csPage("GET", "totp")
	m := totpSecretOnPage.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the two-factor page:\n%s", body)
	}
	secret := m[1]
	wrong := "000000"
	for _, d := range []time.Duration{-totp.Period * time.Second, 0, totp.Period * time.Second} {
		if code, _ := totp.CodeAt(secret, time.Now().Add(d)); code == wrong {
			wrong = "999999"
		}
	}
	status, body := c.pageForm("totp", url.Values{"code": {wrong}})
	if status != 400 || !strings.Contains(body, `id="code-error"`) {
		t.Fatalf("wrong code: %d\n%s", status, body)
	}
	if m := totpSecretOnPage.FindStringSubmatch(body); m == nil || m[1] != secret || !strings.Contains(body, `src="data:image/png;base64,`) {
		t.Fatalf("after a wrong code the page does not show the same secret and QR code:\n%s", body)
	}
	code, err := totp.CodeAt(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if status, body := c.pageForm("totp", url.Values{"code": {code}}); status != 200 || !strings.Contains(body, "recovery-codes") {
		t.Fatalf("right code after a wrong one: %d\n%s", status, body)
	}
}

func testFormsFinancialDefaults(t *testing.T, w *caseWorld) {
	a := w.admin
	c := csObj(a.must("POST", "cases", map[string]any{"title": "Defaults"}), "case")
	_, body := a.csPage("GET", fmt.Sprintf("cases/%d/financial/new", num(c["id"])))
	today := time.Now().UTC().Format(time.DateOnly)
	if !strings.Contains(body, `name="occurred_on" type="date" value="`+today+`"`) {
		t.Errorf("the date does not default to today (%s)", today)
	}
	if !strings.Contains(body, `<option value="USD" selected>`) || strings.Contains(body, `<option value="AED" selected>`) {
		t.Errorf("the currency does not default to the tenant's (USD)")
	}
	if strings.Contains(body, "YYYY-MM-DD") {
		t.Errorf("a date input carries a format hint")
	}

	// A firm that chose its own currency and time zone gets those.
	setFormatting := func(zone, currency string) {
		t.Helper()
		if status, loc := a.pageForm("admin/settings", url.Values{"section": {"formatting"}, "locale": {"en-US"},
			"time_zone": {zone}, "currency": {currency}}); status != http.StatusSeeOther {
			t.Fatalf("formatting settings: %d %s", status, loc)
		}
	}
	setFormatting("Pacific/Kiritimati", "EUR")
	_, body = a.csPage("GET", fmt.Sprintf("cases/%d/financial/new", num(c["id"])))
	zone, err := time.LoadLocation("Pacific/Kiritimati")
	if err != nil {
		t.Fatal(err)
	}
	if today := time.Now().In(zone).Format(time.DateOnly); !strings.Contains(body, `name="occurred_on" type="date" value="`+today+`"`) {
		t.Errorf("the date is not today in the firm's time zone (%s)", today)
	}
	if !strings.Contains(body, `<option value="EUR" selected>`) {
		t.Errorf("the currency is not the firm's (EUR)")
	}
	setFormatting("UTC", "USD")
}
