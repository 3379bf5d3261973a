package web

import (
	"net/url"
	"path"
	"strings"
	"testing"

	"strongroom"
	"strongroom/tenancy"
)

var alphaLaw = &tenancy.Handle{Tenant: &strongroom.Tenant{Slug: "alpha-law"}}

// After signing in, a user goes only to a page inside their tenant: a next
// that leaves it, however it is spelt, goes home instead.
func TestSafeNext(t *testing.T) {
	const home = "/t/alpha-law/"
	tests := []struct{ next, want string }{
		{"", home},
		{"/t/alpha-law/", home},
		{"/t/alpha-law/cases", "/t/alpha-law/cases"},
		{"/t/alpha-law/cases/12?tab=notes", "/t/alpha-law/cases/12?tab=notes"},
		{"/t/alpha-law/cases/", "/t/alpha-law/cases/"},
		{"/t/alpha-law/a%20b", "/t/alpha-law/a%20b"},
		// Dot segments are resolved first: inside stays, outside goes home.
		{"/t/alpha-law/cases/../documents", "/t/alpha-law/documents"},
		{"/t/alpha-law/./cases", "/t/alpha-law/cases"},
		{"/t/alpha-law/../../x", home},
		{"/t/alpha-law/..", home},
		{"/t/alpha-law/../beta-law/cases", home},
		{"/t/alpha-law/%2e%2e/%2e%2e/x", home},
		{"/t/alpha-law/%2E%2E/beta-law/", home},
		{"/t/alpha-law/.%2e/.%2e/x", home},
		{"/t/alpha-law/..%2f..%2fx", home},
		{"/t/alpha-law/cases/%2e%2e", home},
		// Backslashes are slashes to a browser.
		{"/t/alpha-law/\\evil.example", home},
		{"/t/alpha-law/%5cevil.example", home},
		{"\\\\evil.example/t/alpha-law/", home},
		// Another host, however it is written.
		{"//evil.example/t/alpha-law/", home},
		{"https://evil.example/t/alpha-law/", home},
		{"https://localhost/t/alpha-law/cases", home},
		{"javascript:alert(1)//t/alpha-law/", home},
		{"/t/alpha-law//evil.example", "/t/alpha-law/evil.example"},
		// Not the tenant's pages, or not a path at all.
		{"/t/alpha-lawyers/cases", home},
		{"/t/alpha-law", home},
		{"t/alpha-law/cases", home},
		{"/t/alpha-law/x\r\nSet-Cookie: a=b", home},
		{"/t/alpha-law/%0d%0aSet-Cookie:%20a=b", home},
		{"/t/alpha-law/\t/evil.example", home},
	}
	for _, tt := range tests {
		if got := safeNext(alphaLaw, tt.next); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}

// Whatever next is, the answer is a path of the tenant with no dot
// segment, backslash or host that a browser could resolve elsewhere.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/t/alpha-law/cases", "/t/alpha-law/../../x", "/t/alpha-law/%2e%2e/", "//evil.example", "/t/alpha-law/\\x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(alphaLaw, next)
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || strings.HasPrefix(got, "//") {
			t.Fatalf("safeNext(%q) = %q: not a path", next, got)
		}
		p := strings.ToLower(u.EscapedPath())
		if strings.ContainsAny(got, "\\") || strings.Contains(p, "%2e") || strings.Contains(p, "%5c") {
			t.Fatalf("safeNext(%q) = %q: a browser may read it otherwise", next, got)
		}
		clean := path.Clean(u.Path)
		if clean != strings.TrimSuffix(u.Path, "/") && clean+"/" != u.Path {
			t.Fatalf("safeNext(%q) = %q: not clean", next, got)
		}
		if !strings.HasPrefix(clean+"/", "/t/alpha-law/") {
			t.Fatalf("safeNext(%q) = %q: outside the tenant", next, got)
		}
	})
}
