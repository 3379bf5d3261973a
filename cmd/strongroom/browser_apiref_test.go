package main

import (
	"testing"

	"strongroom/internal/browsertest"
)

// TestBrowserAPIReference looks at the API reference page, which anyone
// may read without signing in: screenshots at both widths, no sideways
// overflow, axe-core's WCAG 2.1 A/AA rules.
func TestBrowserAPIReference(t *testing.T) {
	browsertest.Require(t)
	b, _ := demoBrowser(t)
	b.open("/api/v1/")
	b.wantText("Strongroom API")
	b.wantText("Authorization: Bearer")
	b.wantText("/api/v1/t/{slug}/cases/{id}")
	b.look("api-reference")
}
