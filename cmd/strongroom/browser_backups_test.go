package main

import (
	"net/url"
	"path/filepath"
	"testing"

	"strongroom/internal/browsertest"
)

// TestBrowserBackups looks at Administration → Backups in a real headless
// Chromium with a target whose last drill passed and one whose newer drill
// failed (screenshots at both widths, axe-core on the page).
func TestBrowserBackups(t *testing.T) {
	browsertest.Require(t)
	m, _, stdout := startServer(t, func(c *ServeConfig) { c.Demo = true })
	adminTemp := printedAdminPassword(t, stdout.String())
	w := newDrillWorld(t, m)
	pin := browsertest.SPKIPin(readCertificate(t, filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem")))
	u, err := url.Parse(w.url)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ctx: browsertest.NewContext(t, browsertest.Pin(pin)), base: "https://localhost:" + u.Port()}
	b.firstSignIn("/t/demo/admin/backups", "admin", adminTemp, "violet lantern orbits the quarry 1987")
	b.open("/t/demo/admin/backups")
	b.wantPath("/t/demo/admin/backups")
	b.wantText("Passed")
	b.wantText("at " + w.failed.Part)
	b.look("admin-backups")
}
