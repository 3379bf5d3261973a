package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The API document is the same for every tenant and every request: it is
// built and encoded once.
var (
	apiDocOnce  sync.Once
	apiDoc      *openAPIDoc
	apiDocJSON  []byte
	apiDocETag  string
	apiDocError error
)

func loadAPIDocument() (*openAPIDoc, []byte, string, error) {
	apiDocOnce.Do(func() {
		apiDoc = apiDocument()
		apiDocJSON, apiDocError = json.MarshalIndent(apiDoc, "", "  ")
		sum := sha256.Sum256(apiDocJSON)
		apiDocETag = `"` + hex.EncodeToString(sum[:12]) + `"`
	})
	return apiDoc, apiDocJSON, apiDocETag, apiDocError
}

// APIDocument returns the OpenAPI 3.1 document of the JSON API, as
// GET /api/v1/openapi.json serves it.
func APIDocument() ([]byte, error) {
	_, b, _, err := loadAPIDocument()
	return b, err
}

// referenceRoutes registers the API document and its page. Both are
// public and hold no tenant data; they are answered the same under a
// tenant's host name.
func (h *Handler) referenceRoutes() {
	h.mux.Handle("GET /api/v1/openapi.json", h.page(h.apiOpenAPI))
	h.mux.Handle("GET /api/v1/{$}", h.page(h.apiReferencePage))
}

// isReferencePath reports whether path is one of the reference's, which
// are not moved under a tenant when addressed by host name.
func isReferencePath(path string) bool { return path == "/api/v1/openapi.json" || path == "/api/v1/" }

func (h *Handler) apiOpenAPI(w http.ResponseWriter, r *http.Request) error {
	_, body, etag, err := loadAPIDocument()
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Cache-Control", "public, max-age=3600")
	hd.Set("ETag", etag)
	if slices.Contains(strings.Split(strings.ReplaceAll(r.Header.Get("If-None-Match"), " ", ""), ","), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

func (h *Handler) apiReferencePage(w http.ResponseWriter, r *http.Request) error {
	doc, _, _, err := loadAPIDocument()
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	return h.render(w, http.StatusOK, "api_reference", newReferenceView(doc))
}
