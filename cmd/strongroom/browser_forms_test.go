package main

import (
	"net/http"
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
	b.look("stale-edit")

	b.submit("#save-case")
	b.wantPath(casePath)
	b.wantText("Harbour Board v. Tidewater Marine (appeal)")
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
