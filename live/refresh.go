package live

import (
	"fmt"
	"html/template"
)

// RefreshFallback returns the tag a live page puts in its <head> for
// browsers without JavaScript: a <meta http-equiv="refresh"> inside
// <noscript>, so that only they reload every seconds while the rest update
// over the socket. Pages add it to their templates through FuncMap as
// {{liveRefresh 30}}.
func RefreshFallback(seconds int) template.HTML {
	seconds = max(seconds, 5) // a wall of screens reloading each second would be a load test
	return template.HTML(fmt.Sprintf(`<noscript><meta http-equiv="refresh" content="%d"></noscript>`, seconds))
}

// FuncMap holds the template helpers of live pages.
func FuncMap() template.FuncMap {
	return template.FuncMap{"liveRefresh": RefreshFallback}
}
