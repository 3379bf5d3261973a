package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom/internal/browsertest"
)

// TestBrowserConfirmDelete deletes things the way an administrator does in
// a real headless Chromium: each Delete leads to a page that states what
// will happen; Cancel keeps the thing, Confirm deletes it. The Delete of a
// record row on the case page must be visible.
func TestBrowserConfirmDelete(t *testing.T) {
	browsertest.Require(t)
	b, adminTemp := demoBrowser(t)
	b.firstSignIn("/t/demo/admin/roles", "admin", adminTemp, "cobalt meadow lantern frigate 5120")

	t.Run("RoleHeldByAUser", func(t *testing.T) {
		b.t = t
		b.open("/t/demo/admin/roles/new")
		b.fill("name", "Reviewer")
		b.submit("main form button[type=submit]")
		b.wantText("Reviewer")

		b.open("/t/demo/admin/users/new")
		b.fill("username", "rita")
		b.fill("display_name", "Rita Reviewer")
		b.do(chromedp.Click(chromedp.Search(`//label[normalize-space(.)="Reviewer"]`)))
		ticked, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](
			`[...document.querySelectorAll("label")].some(l => l.textContent.trim() === "Reviewer" && document.getElementById(l.htmlFor).checked)`))
		if err != nil || !ticked {
			t.Fatalf("clicking the label Reviewer did not tick its box (%v)", err)
		}
		b.submit("#save-user")
		b.wantText("User rita created")

		b.open("/t/demo/admin/roles")
		b.submit(`a[aria-label="Delete role Reviewer"]`)
		b.wantText("1 user holds this role: rita.")
		b.wantText("they lose the access it grants")
		b.look("role-delete")
		b.submit("#cancel")
		b.wantPath("/t/demo/admin/roles")
		b.wantText("Reviewer")

		b.submit(`a[aria-label="Delete role Reviewer"]`)
		b.submit("#confirm-delete")
		b.wantPath("/t/demo/admin/roles")
		b.wantText("The role has been deleted.")
		if strings.Contains(b.body(), "Reviewer") {
			t.Fatalf("role still listed after deletion:\n%s", b.body())
		}
	})

	t.Run("RecordRow", func(t *testing.T) {
		b.t = t
		b.open("/t/demo/cases/new")
		b.fill("title", "Harbour Trust v. Mill Lane")
		b.fill("client", "Harbour Trust")
		b.submit("main form button[type=submit]")
		casePath := b.path()
		b.open(casePath + "/notes/new")
		b.fill("title", "Site visit")
		b.fill("body", "Walked the boundary.")
		b.submit("#save-record")
		b.wantPath(casePath)

		// The control must be seen: its colour differs from what is behind it.
		type look struct{ Color, Background, Decoration string }
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[look](`(() => {
			const el = document.querySelector("#notes-heading ~ * .delete, section .delete");
			const s = getComputedStyle(el);
			let bg = "rgba(0, 0, 0, 0)";
			for (let n = el; n && bg === "rgba(0, 0, 0, 0)"; n = n.parentElement) bg = getComputedStyle(n).backgroundColor;
			return {Color: s.color, Background: bg, Decoration: s.textDecorationLine};
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if got.Color == got.Background || got.Decoration != "underline" {
			t.Fatalf("record Delete not visible: %+v", got)
		}

		b.submit("section .delete")
		b.wantText("Delete the note “Site visit”")
		b.wantText("30 days")
		b.submit("#confirm-delete")
		b.wantPath(casePath)
		b.wantText("The record has been deleted.")
	})
}
