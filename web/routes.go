package web

import (
	"net/http"
	"slices"
)

// routeMux is the ServeMux every route is registered on. It remembers the
// patterns, so that tests can walk every route, and puts the input check
// (input.go) in front of each handler, where the path values are known.
type routeMux struct {
	*http.ServeMux
	h        *Handler
	patterns []string
}

func newRouteMux(h *Handler) *routeMux { return &routeMux{ServeMux: http.NewServeMux(), h: h} }

// Handle registers handler for pattern behind the input check.
func (m *routeMux) Handle(pattern string, handler http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, m.h.checkInput(pattern, handler))
}

// Routes returns the pattern of every registered route, in the order
// they were registered.
func (h *Handler) Routes() []string { return slices.Clone(h.mux.patterns) }

// erasureRoutes registers the personal data routes: the JSON API's subject
// access export and erasure, and the administration pages for the same.
func (h *Handler) erasureRoutes() {
	handle := func(pattern string, fn handlerFunc) { h.mux.Handle(pattern, h.page(fn)) }
	api := "/api/v1/t/{slug}/subjects/{type}/{id}/"
	handle("GET "+api+"export", h.authed(h.apiSubjectExport, false))
	handle("POST "+api+"erase", h.authed(h.apiSubjectErase, false))
	pre := "/t/{slug}/admin/personal-data"
	handle("GET "+pre, h.pageAuthed(h.personalDataPage, false))
	handle("GET "+pre+"/{type}/{id}/export", h.pageAuthed(h.personalDataExport, false))
	handle("GET "+pre+"/{type}/{id}/erase", h.pageAuthed(h.erasePersonPage, false))
	handle("POST "+pre+"/{type}/{id}/erase", h.pageAuthed(h.erasePersonSubmit, false))
}
