package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestBrowserFormErrors: a case form with several mistakes comes back
// once with all of them, listed at the top as links to their fields and
// shown beside each field, with what was typed kept.
func TestBrowserFormErrors(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := demoBrowser(t)
	b.firstSignIn("/t/demo/cases/new", "admin", adminTemp, "amber harbour quill meridian 7342")

	b.open("/t/demo/cases/new")
	b.fill("number", "-bad")
	b.fill("client", "Kept Client Ltd")
	b.fill("tags", "urgent; review")
	b.do(chromedp.SetValue(chromedp.ID("status"), "closed"))
	b.submitWant("#save-case", http.StatusBadRequest)
	b.wantText("There are 4 problems")
	for _, f := range []string{"number", "title", "closed_on", "tags"} {
		n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#error-summary a[href="#`+f+`"]').length +
			document.querySelectorAll('#`+f+`.is-invalid[aria-describedby~="`+f+`-error"]').length`))
		if err != nil || n != 2 {
			t.Errorf("%s: not linked from the summary and marked at the field (%d, %v)", f, n, err)
		}
	}
	if v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("client").value`)); err != nil || v != "Kept Client Ltd" {
		t.Errorf("the client typed was not kept: %q %v", v, err)
	}
	b.look("case-form-errors")

	// A link of the summary leads to its field.
	b.do(chromedp.Click(chromedp.CSS(`#error-summary a[href="#title"]`)))
	if loc, err := chromedp.Run(b.ctx, chromedp.Location()); err != nil || !strings.HasSuffix(loc, "#title") {
		t.Errorf("after the summary's link: %s %v", loc, err)
	}

	// A new financial record starts today, in the firm's currency.
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("number").value = ""`)); err != nil {
		t.Fatal(err)
	}
	b.fill("title", "Form errors put right")
	b.do(chromedp.SetValue(chromedp.ID("tags"), "urgent, review"))
	b.do(chromedp.SetValue(chromedp.ID("status"), "open"))
	b.submit("#save-case")
	casePath := b.path()
	b.open(casePath + "/financial/new")
	if v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("currency").value + " " + (document.getElementById("occurred_on").value != "")`)); err != nil || v != "USD true" {
		t.Errorf("financial defaults: %q %v", v, err)
	}
	b.look("financial-new")
}

// TestBrowserStaleEdit: an edit that meets another saved since the form
// was opened keeps the typing, shows the other values beside it, and
// applies the user's values when saved again.
func TestBrowserStaleEdit(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := demoBrowser(t)
	b.firstSignIn("/t/demo/cases/new", "admin", adminTemp, "copper lantern estuary violet 9186")

	b.open("/t/demo/cases/new")
	b.fill("title", "Harbour Board v. Tidewater Marine")
	b.fill("client", "Harbour Board")
	b.submit("#save-case")
	casePath := b.path()

	b.open(casePath + "/edit")
	// Meanwhile the case is saved from another form, with another client.
	status, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`(async () => {
		const fd = new FormData(document.querySelector("main form"));
		fd.set("client", "Tidewater Holdings");
		const r = await fetch(location.pathname, {method: "POST", body: new URLSearchParams(fd), redirect: "manual"});
		return r.type === "opaqueredirect" ? 303 : r.status;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || status != http.StatusSeeOther {
		t.Fatalf("the other edit: %d %v", status, err)
	}
	b.do(chromedp.SetValue(chromedp.ID("title"), "Harbour Board v. Tidewater Marine (appeal)"))
	b.submitWant("#save-case", http.StatusConflict)
	b.wantText("Changed by someone else since you opened this")
	b.wantText("Tidewater Holdings")
	if v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("title").value`)); err != nil || v != "Harbour Board v. Tidewater Marine (appeal)" {
		t.Errorf("the title typed was not kept: %q %v", v, err)
	}
	// The client, which this form left alone, now holds the other save's.
	if v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("client").value`)); err != nil || v != "Tidewater Holdings" {
		t.Errorf("the other person's client was not kept: %q %v", v, err)
	}
	b.wantText("You left this as it was")
	b.look("stale-edit")

	b.submit("#save-case")
	b.wantPath(casePath)
	b.wantText("Harbour Board v. Tidewater Marine (appeal)")
	b.wantText("Tidewater Holdings") // both changes saved
}

// submitWant clicks a button and wants the page it leads to to answer
// with status.
func (b *browser) submitWant(css string, status int) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(css)))
	if err != nil {
		b.t.Fatalf("click %s: %v", css, err)
	}
	if resp.Status != int64(status) {
		b.t.Fatalf("click %s: status %d, want %d\n%s", css, resp.Status, status, b.body())
	}
}

// TestBrowserFormPages looks at the other forms of cases and accounts,
// with and without errors: record forms, the import check, litigation
// groups, uploads, two-factor set-up after a wrong code, the password
// form, and the sign-in pages.
func TestBrowserFormPages(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := demoBrowser(t)
	b.firstSignIn("/t/demo/cases/new", "admin", adminTemp, "walnut signal prairie cobalt 6620")
	b.open("/t/demo/cases/new")
	b.fill("title", "Looking at forms")
	b.submit("#save-case")
	casePath := b.path()

	for _, p := range []struct{ name, path, save string }{
		{"note-new-errors", casePath + "/notes/new", "#save-record"},
		{"event-new-errors", casePath + "/events/new", "#save-record"},
		{"contact-new-errors", casePath + "/contacts/new", "#save-record"},
		{"financial-new-errors", casePath + "/financial/new", "#save-record"},
		{"mdl-errors", "/t/demo/cases/mdl-groups", "main form button[type=submit]"},
	} {
		t.Run(p.name, func(t *testing.T) {
			b.t = t
			b.open(p.path)
			b.submitWant(p.save, http.StatusBadRequest)
			b.wantText("problem")
			b.look(p.name)
		})
	}
	t.Run("document-new", func(t *testing.T) {
		b.t = t
		b.open(casePath + "/documents/new")
		b.look("document-new")
	})
	t.Run("import-errors", func(t *testing.T) {
		b.t = t
		file := filepath.Join(t.TempDir(), "cases.csv")
		csv := "number,title,client,practice_group,status,opened_on,closed_on,tags,classes\n,Fine,,,,,,,\n,,,,dormant,2026-02-30,,,\n-x,Closed,,,closed,,,,Nobody\n"
		if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
			t.Fatal(err)
		}
		b.open("/t/demo/cases/import")
		b.do(chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}))
		b.submitWant("#check-import", http.StatusBadRequest)
		b.wantText("6 problems in 3 rows")
		b.look("import-errors")
	})
	t.Run("password-errors", func(t *testing.T) {
		b.t = t
		b.open("/t/demo/password")
		b.fill("current_password", "not my password")
		b.fill("new_password", "short")
		b.fill("confirm", "other")
		b.submitWant("main form button[type=submit]", http.StatusBadRequest)
		b.wantText("There are 2 problems")
		b.look("password-errors")
	})
	t.Run("totp-wrong-code", func(t *testing.T) {
		b.t = t
		b.open("/t/demo/totp")
		secret := b.text("totp-secret")
		b.fill("code", "12345")
		b.submitWant("main form button[type=submit]", http.StatusBadRequest)
		if again := b.text("totp-secret"); again != secret {
			t.Fatalf("after a wrong code the secret is %q, was %q", again, secret)
		}
		b.look("totp-wrong-code")
	})
	t.Run("login-errors", func(t *testing.T) {
		b.t = t
		b.submit("#sign-out")
		b.fill("username", "admin")
		b.fill("password", "not the password at all")
		b.submitWant("main form button[type=submit]", http.StatusUnauthorized)
		b.look("login-errors")
	})
}
