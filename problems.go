package strongroom

import (
	"errors"
	"fmt"
)

// Problem is one thing wrong with an input: the field at fault and a
// message safe to show to the person who typed it.
type Problem struct {
	Field   string
	Message string
}

// Problems collects what is wrong with an input, so that a form or an API
// call with three mistakes is told of all three at once rather than one
// per try. Checks add their errors; Err returns them as one EINVALID
// *Error whose Field and Message are the first problem's and whose
// Problems lists every one.
//
// An error that is not about the input (a database fault, a refusal) is
// not a problem: Add keeps the first such error, and Err returns it in
// place of the problems, since nothing the person changes would help.
type Problems struct {
	list  []Problem
	fault error
}

// Add records err: nothing for nil, its problems for an EINVALID *Error,
// and otherwise the error itself as a fault.
func (ps *Problems) Add(err error) {
	if err == nil {
		return
	}
	if found := ErrorProblems(err); found != nil {
		ps.list = append(ps.list, found...)
	} else if ps.fault == nil {
		ps.fault = err
	}
}

// Addf records a problem of field.
func (ps *Problems) Addf(field, format string, args ...any) {
	ps.list = append(ps.list, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Has reports whether a problem of field has been recorded.
func (ps *Problems) Has(field string) bool {
	for _, p := range ps.list {
		if p.Field == field {
			return true
		}
	}
	return false
}

// OK reports whether nothing has been recorded.
func (ps *Problems) OK() bool { return len(ps.list) == 0 && ps.fault == nil }

// Err returns the fault, if any; else the problems as one EINVALID error;
// else nil.
func (ps *Problems) Err() error {
	switch {
	case ps.fault != nil:
		return ps.fault
	case len(ps.list) == 0:
		return nil
	}
	first := ps.list[0]
	return &Error{Code: EINVALID, Field: first.Field, Message: first.Message, Problems: append([]Problem(nil), ps.list...)}
}

// ErrorProblems returns every problem of an EINVALID error: the list it
// carries, or its one Field and Message. Any other error has none (nil).
func ErrorProblems(err error) []Problem {
	var e *Error
	if !errors.As(err, &e) || e.Code != EINVALID {
		return nil
	}
	if len(e.Problems) > 0 {
		return append([]Problem(nil), e.Problems...)
	}
	return []Problem{{Field: e.Field, Message: e.Message}}
}
