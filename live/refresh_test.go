package live

import (
	"html/template"
	"strings"
	"testing"
)

// TestRefreshFallback: pages without JavaScript reload on their own, and
// never faster than every five seconds.
func TestRefreshFallback(t *testing.T) {
	tmpl := template.Must(template.New("p").Funcs(FuncMap()).Parse(`<head>{{liveRefresh .}}</head>`))
	for _, tt := range []struct {
		seconds int
		want    string
	}{
		{30, `<head><noscript><meta http-equiv="refresh" content="30"></noscript></head>`},
		{1, `<head><noscript><meta http-equiv="refresh" content="5"></noscript></head>`},
	} {
		var b strings.Builder
		if err := tmpl.Execute(&b, tt.seconds); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("liveRefresh %d = %s, want %s", tt.seconds, b.String(), tt.want)
		}
	}
}
