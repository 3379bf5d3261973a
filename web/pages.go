package web

import (
	"bytes"
	"encoding/json"
	"net/http"

	"strongroom/tenancy"
)

func (h *Handler) front(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, http.StatusOK, "front", nil)
}

func (h *Handler) apiStatus(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	if err := t.DB.Ping(r.Context()); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"tenant": map[string]string{"slug": t.Tenant.Slug, "display_name": t.Tenant.DisplayName},
		"status": "ok",
	})
}

// render executes a page into a buffer first, so that a template error
// becomes a clean error page rather than half a page.
//
// A page of a tenant (its data a view) is written in the tenant's
// formatting: its money, numbers, dates and times.
func (h *Handler) render(w http.ResponseWriter, status int, page string, data any) error {
	tmpl := h.pages[page]
	if slug := viewTenant(data); slug != "" {
		var err error
		if tmpl, err = h.formats.page(slug, page, h.pages); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// viewTenant is the slug of the tenant a page's data belongs to, if any.
func viewTenant(data any) string {
	switch v := data.(type) {
	case view:
		if v.Tenant != nil {
			return v.Tenant.Slug
		}
	case *view:
		if v != nil && v.Tenant != nil {
			return v.Tenant.Slug
		}
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(append(body, '\n'))
	return err
}
