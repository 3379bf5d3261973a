package web

import (
	"net/http"
	"strings"

	"strongroom"
	"strongroom/store"
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
	strongroom.ESTORAGE:      http.StatusInsufficientStorage,
}

// retryAfter is the hint, in seconds, sent with answers that say "try
// again": a database that stopped answering may be back in moments; space
// on a full disk takes someone to free it.
var retryAfter = map[int]string{
	http.StatusServiceUnavailable:  "10",
	http.StatusInsufficientStorage: "60",
}

// renderError answers with the error's safe message: JSON under /api/, a
// page elsewhere. Errors that are not *strongroom.Error are logged and shown
// only as "Internal error.".
//
// Faults of the machine (a full disk, a database that does not answer) are
// answered as such, with a Retry-After hint, and logged once per interval
// (store.Faults) rather than once per request.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, err error) {
	if isSCIMPath(r.URL.Path) {
		h.renderSCIMError(w, r, err) // scim.go
		return
	}
	code, status, err := h.answerError(w, r, err)
	msg := strongroom.ErrorMessage(err)
	if strings.HasPrefix(r.URL.Path, "/api/") {
		_ = writeJSON(w, status, map[string]any{"error": errorBodyOf(code, msg, err)})
		return
	}
	h.renderErrorPage(w, r, status, msg)
}

// answerError classifies err for an answer in any form (page, JSON, SCIM):
// its code, HTTP status and the error as classified. On the way it logs an
// internal error, notes a fault of the machine (logged once per interval)
// and sets the Retry-After hint of a fault's status.
func (h *Handler) answerError(w http.ResponseWriter, r *http.Request, err error) (code string, status int, classified error) {
	err = store.Classify(err)
	code = strongroom.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	switch code {
	case strongroom.EINTERNAL:
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	case strongroom.EUNAVAILABLE, strongroom.ESTORAGE:
		h.cfg.Faults.Note(err)
	}
	if after, ok := retryAfter[status]; ok {
		w.Header().Set("Retry-After", after)
	}
	return code, status, err
}

// errorBody is the JSON API's error: code and message always, the field
// at fault when there is one, and for invalid input every problem found
// (the first of them is field and message), so that a client can show
// them all at once.
type errorBody struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Field   string        `json:"field,omitempty"`
	Errors  []problemJSON `json:"errors,omitempty"`
}

// problemJSON is one problem of an invalid input.
type problemJSON struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func errorBodyOf(code, msg string, err error) errorBody {
	body := errorBody{Code: code, Message: msg, Field: strongroom.ErrorField(err)}
	for _, p := range strongroom.ErrorProblems(err) {
		body.Errors = append(body.Errors, problemJSON{Field: p.Field, Message: p.Message})
	}
	return body
}
