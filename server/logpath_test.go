package server

import "testing"

// A kiosk screen's address holds its token: the log writes the path
// without it, and leaves every other path as it is.
func TestLogPathLeavesKioskTokensOut(t *testing.T) {
	for in, want := range map[string]string{
		"/t/firm/k/srk_abcDEF123-_":  "/t/firm/k/srk_…",
		"/k/srk_abcDEF123-_":         "/k/srk_…",
		"/t/firm/cases/12":           "/t/firm/cases/12",
		"/t/firm/k/":                 "/t/firm/k/",
		"/t/firm/search/srk_x/other": "/t/firm/search/srk_…/other",
	} {
		if got := logPath(in); got != want {
			t.Errorf("logPath(%q) = %q, want %q", in, got, want)
		}
	}
}
