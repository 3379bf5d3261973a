// Package strongroom holds the domain of Strongroom: the types, error codes
// and rules that every other package shares. It imports neither database/sql
// nor net/http; adapters (store/…, server, web) depend on it, never the reverse.
package strongroom

import (
	"errors"
	"fmt"
)

// Error codes. They are transport-neutral; the web layer maps them to HTTP
// status codes in one place.
const (
	ECONFLICT     = "conflict"                 // the object exists or changed underneath the caller
	EINTERNAL     = "internal"                 // anything unexpected; details are logged, never shown
	EINVALID      = "invalid"                  // bad input; Field names the input at fault
	ENOTFOUND     = "not_found"                // absent, or present but hidden from the caller
	EFORBIDDEN    = "forbidden"                // known caller, not allowed
	EUNAVAILABLE  = "unavailable"              // a dependency (a tenant's database, say) cannot be reached or did not answer in time: retry later
	ESTORAGE      = "storage_full"             // the server has no space left to store what was sent; nothing was saved
	EDISABLED     = "disabled"                 // the tenant has been disabled by the operator
	EUNAUTHORIZED = "unauthorized"             // no valid credentials
	ETOOMANY      = "too_many"                 // throttled: too many attempts from one source
	EPASSWORD     = "password_change_required" // a temporary password must be changed first
)

// Error is an error whose Message is safe to show to the person who caused it.
// Anything that is not an *Error is shown as "Internal error." and logged.
type Error struct {
	Code    string
	Message string
	Field   string // the input at fault, for EINVALID
	// Problems lists every problem of an input that was checked whole
	// (see type Problems); Field and Message are its first.
	Problems []Problem
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error naming the field at fault.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the safe message of err, or "Internal error.".
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorField returns the field named by err, if any.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
