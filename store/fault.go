package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"syscall"

	"strongroom"
)

// The messages of faults: they speak of the server, never of the caller's
// credential or input, and say whether to try again.
const (
	MsgUnavailable = "The database is not answering right now. Try again in a moment."
	MsgStorageFull = "The server has run out of storage space; nothing was saved."
	msgTooSlow     = "The server did not finish in time. Try again in a moment."
	MsgConcurrent  = "Someone else saved a change to the same thing at the same moment; nothing of yours was saved. Reload the page and try again."
)

// fault is a failure of a dependency (a database, a disk), classified: its
// safe answer for the client and its cause for the log. Both are in its
// chain, so strongroom.ErrorCode finds the code and errors.Is the cause.
type fault struct {
	safe  *strongroom.Error
	cause error
	where string // the handle or operation that failed, for the log
}

func (f *fault) Error() string {
	if f.where == "" {
		return f.safe.Code + ": " + f.cause.Error()
	}
	return f.where + ": " + f.safe.Code + ": " + f.cause.Error()
}

func (f *fault) Unwrap() []error { return []error{f.safe, f.cause} }

func newFault(code, msg, where string, cause error) error {
	return &fault{safe: strongroom.Errorf(code, "%s", msg), cause: cause, where: where}
}

// Classify turns an error that is a fault of the machine rather than of
// the request into a *strongroom.Error with an honest answer: a full disk
// or exhausted quota (ESTORAGE), a deadline that passed (EUNAVAILABLE).
// Errors that already carry a safe answer, and all others, are returned as
// they are. Database handles classify their own errors, engine codes
// included (DB.Faults); this covers what no handle sees, such as files.
func Classify(err error) error {
	return classify(err, nil, "")
}

func classify(err error, engine func(error) string, where string) error {
	var safe *strongroom.Error
	if err == nil || errors.As(err, &safe) || errors.Is(err, sql.ErrNoRows) {
		return err
	}
	switch code := faultCode(err, engine); code {
	case strongroom.ESTORAGE:
		return newFault(code, MsgStorageFull, where, err)
	case strongroom.ECONFLICT:
		return newFault(code, MsgConcurrent, where, err)
	case strongroom.EUNAVAILABLE:
		if where == "" {
			return newFault(code, msgTooSlow, where, err)
		}
		return newFault(code, MsgUnavailable, where, err)
	}
	return err
}

// faultCode says which fault err is, by error codes only, or "".
func faultCode(err error, engine func(error) string) string {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return strongroom.ESTORAGE
	case errors.Is(err, context.DeadlineExceeded):
		return strongroom.EUNAVAILABLE
	case engine == nil:
		return ""
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		return strongroom.EUNAVAILABLE
	}
	return engine(err)
}
