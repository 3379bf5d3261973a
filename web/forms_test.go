package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
)

func threeProblems() error {
	var ps strongroom.Problems
	ps.Addf("tags", "A tag may not hold commas or semicolons.")
	ps.Addf("title", "This field is required.")
	ps.Addf("version", "Send the version.")
	return ps.Err()
}

// TestFormListsEveryProblem: a form shows every problem at the top, in the
// order of the page's fields, linked to the fields on the page, and each
// beside its field.
func TestFormListsEveryProblem(t *testing.T) {
	f := form{Values: url.Values{}, fields: []string{"title", "tags"}}
	err := threeProblems()
	f.Field, f.Error, f.Problems = strongroom.ErrorField(err), strongroom.ErrorMessage(err), strongroom.ErrorProblems(err)
	got := f.Summary()
	if len(got) != 3 || got[0].Field != "title" || got[1].Field != "tags" || got[2].Field != "version" {
		t.Fatalf("summary %+v", got)
	}
	if !got[0].Link || got[0].Label != "Title" || got[2].Link {
		t.Fatalf("summary links %+v", got)
	}
	if f.ErrorFor("tags") != "A tag may not hold commas or semicolons." || f.ErrorFor("client") != "" || f.General() != "" {
		t.Fatal("ErrorFor or General")
	}
	if f.Described("tags", true) != "tags-hint tags-error" || f.Described("client", false) != "" {
		t.Fatalf("Described: %q", f.Described("tags", true))
	}
	// One message about no field on the page stays a plain message.
	one := form{Error: "The user name or password is not right.", fields: []string{"username"}}
	if one.General() == "" || one.Summary() != nil {
		t.Fatal("a general message")
	}
}

// TestAPIErrorBody: the JSON API's error names the first problem as code,
// message and field, and lists every problem in errors.
func TestAPIErrorBody(t *testing.T) {
	h := testHandler(t)
	for _, tc := range []struct {
		name   string
		err    error
		errors int
	}{
		{"three problems", threeProblems(), 3},
		{"one field error", strongroom.FieldError("title", "This field is required."), 1},
		{"conflict", strongroom.Errorf(strongroom.ECONFLICT, "Someone else changed this case."), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.renderError(w, httptest.NewRequest("POST", "/api/v1/t/demo/cases", nil), tc.err)
			var body struct {
				Error struct {
					Code, Message, Field string
					Errors               []struct{ Field, Message string }
				}
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			e := body.Error
			if e.Code != strongroom.ErrorCode(tc.err) || e.Message != strongroom.ErrorMessage(tc.err) || e.Field != strongroom.ErrorField(tc.err) {
				t.Fatalf("body %s", w.Body)
			}
			if len(e.Errors) != tc.errors || tc.errors > 0 && (e.Errors[0].Field != e.Field || e.Errors[0].Message != e.Message) {
				t.Fatalf("errors of %s", w.Body)
			}
			if tc.errors == 0 && strings.Contains(w.Body.String(), `"errors"`) {
				t.Fatalf("errors where there are none: %s", w.Body)
			}
		})
	}
}

// TestCaseFormPageShowsEveryProblem renders the case form with several
// problems and with a stale edit.
func TestCaseFormPageShowsEveryProblem(t *testing.T) {
	h := testHandler(t)
	tenant := &strongroom.Tenant{Slug: "demo", DisplayName: "Demo Law LLP"}
	admin := testPrincipal(access.AdministratorRole, identity.User{})
	c := &cases.Case{ID: 7, Number: "2026-00007", Title: "Theirs", Client: "Their Client", Status: "open", OpenedOn: "2026-01-02", Version: 4}
	page := caseForm{Case: c, Statuses: cases.Statuses()}

	v := view{Tenant: tenant, Me: admin, Form: form{Values: url.Values{"title": {""}, "tags": {"a;b"}, "client": {"Mine"}}}, Page: page}
	w := httptest.NewRecorder()
	if err := h.renderForm(w, "case_form", v, threeProblems(), caseFields...); err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	if w.Code != http.StatusBadRequest {
		t.Fatalf("status %d", w.Code)
	}
	for _, want := range []string{"There are 3 problems", `href="#title"`, `href="#tags"`, "Send the version.", `id="title-error"`, `id="tags-error"`,
		`value="Mine"`, `class="form-control is-invalid" id="tags"`} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in\n%s", want, body)
		}
	}

	mine := url.Values{"number": {"2026-00007"}, "title": {"Mine"}, "client": {"Their Client"}, "status": {"open"}, "opened_on": {"2026-01-02"}, "version": {"3"}}
	v = view{Tenant: tenant, Me: admin, Form: form{Values: mine}, Page: page}
	v.Form.Changed = "case"
	v.Form.Stale = reconcile(caseFields, caseValues(c), mine, nil, false, page.show)
	v.Form.Values.Set("version", "4")
	w = httptest.NewRecorder()
	stale := &strongroom.Error{Code: strongroom.ECONFLICT, Field: "version", Message: "Someone else changed this case since you opened it."}
	if err := h.renderForm(w, "case_form", v, stale, caseFields...); err != nil {
		t.Fatal(err)
	}
	body = w.Body.String()
	if len(v.Form.Stale) != 1 || v.Form.Stale[0].Field != "title" {
		t.Fatalf("stale fields %+v", v.Form.Stale)
	}
	for _, want := range []string{`id="stale-edit"`, "Changed by someone else since you opened this", "<td class=\"text-break\">Theirs</td>",
		`name="version" value="4"`, `value="Mine"`} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in\n%s", want, body)
		}
	}
	if strings.Contains(body, "alert-danger") {
		t.Error("a stale edit is shown as an error as well")
	}
}
