package web

import (
	"net/http"
	"strings"

	"strongroom"
)

// statusOf maps error codes to HTTP status codes, in one place.
var statusOf = map[string]int{
	strongroom.EINVALID:      http.StatusBadRequest,
	strongroom.EUNAUTHORIZED: http.StatusUnauthorized,
	strongroom.EFORBIDDEN:    http.StatusForbidden,
	strongroom.EDISABLED:     http.StatusForbidden,
	strongroom.ENOTFOUND:     http.StatusNotFound,
	strongroom.ECONFLICT:     http.StatusConflict,
	strongroom.EUNAVAILABLE:  http.StatusServiceUnavailable,
	strongroom.EINTERNAL:     http.StatusInternalServerError,
	strongroom.ETOOMANY:      http.StatusTooManyRequests,
	strongroom.EPASSWORD:     http.StatusForbidden,
}

// renderError answers with the error's safe message: JSON under /api/, a
// page elsewhere. Errors that are not *strongroom.Error are logged and shown
// only as "Internal error.".
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, err error) {
	code := strongroom.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if code == strongroom.EINTERNAL {
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	msg, field := strongroom.ErrorMessage(err), strongroom.ErrorField(err)
	if strings.HasPrefix(r.URL.Path, "/api/") {
		body := map[string]string{"code": code, "message": msg}
		if field != "" {
			body["field"] = field
		}
		_ = writeJSON(w, status, map[string]any{"error": body})
		return
	}
	if rerr := h.render(w, status, "error", map[string]any{"Status": status, "Message": msg}); rerr != nil {
		h.log.Error("render error page", "err", rerr)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
	}
}
