package web

import (
	"net/http/httptest"
	"testing"
)

func TestBearer(t *testing.T) {
	for header, want := range map[string]string{
		"Bearer srs_abc": "srs_abc", "bearer srs_abc": "srs_abc", "BEARER  srs_abc ": "srs_abc",
		"Basic dXNlcjpwYXNz": "", "srs_abc": "", "": "", "Bearer": "",
	} {
		r := httptest.NewRequest("GET", "/scim/v2/t/demo/Users", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		if got := bearer(r); got != want {
			t.Errorf("%q: %q, want %q", header, got, want)
		}
	}
}
