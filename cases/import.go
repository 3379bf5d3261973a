package cases

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"strongroom"
)

// Limits of a CSV import.
const (
	MaxImportBytes = 10 << 20
	MaxImportRows  = 50_000
	// maxListedErrors bounds the row errors a report lists; it still
	// counts them all.
	maxListedErrors = 100
	// ImportTimeout bounds an import's database work in place of the
	// request deadline: up to 50,000 rows, each with its audit event and
	// search entry, are written in one transaction, which takes longer
	// than any other request may.
	ImportTimeout = 2 * time.Minute
)

// CaseImportHeader is the first line a case import must have. tags and
// classes hold several values separated by semicolons; classes are named
// by security class name (or id). An empty number is generated; an empty
// status is open, an empty opening date today.
var CaseImportHeader = []string{"number", "title", "client", "practice_group", "status", "opened_on", "closed_on", "tags", "classes"}

// FinancialImportHeader is the first line a financial import must have.
// case_number names a case the importing user can see; amount is a
// decimal such as 1234.50; records inherit their case's classes.
var FinancialImportHeader = []string{"case_number", "kind", "amount", "currency", "occurred_on", "description"}

// ImportError is what is wrong with one line of an import.
type ImportError struct {
	Line    int
	Field   string
	Message string
}

func (e ImportError) String() string {
	return fmt.Sprintf("line %d, field %s: %s", e.Line, e.Field, e.Message)
}

// ImportReport is the outcome of an import: a dry run validates every row
// and writes nothing; a commit writes every row in one transaction, or
// nothing when any row is wrong.
type ImportReport struct {
	DryRun bool
	// Rows is the number of data rows read.
	Rows int
	// Created is the number of records written (0 for a dry run or a
	// refused import).
	Created int
	// Errors lists row errors, at most maxListedErrors of them;
	// ErrorCount counts them all.
	Errors     []ImportError
	ErrorCount int
}

// Valid reports whether every row passed.
func (r *ImportReport) Valid() bool { return r.ErrorCount == 0 }

func (r *ImportReport) fail(line int, field, format string, args ...any) {
	r.ErrorCount++
	if len(r.Errors) < maxListedErrors {
		r.Errors = append(r.Errors, ImportError{Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
	}
}

// failErr records every problem of a row's validation error, naming
// their fields.
func (r *ImportReport) failErr(line int, err error) {
	problems := strongroom.ErrorProblems(err)
	if problems == nil {
		problems = []strongroom.Problem{{Field: strongroom.ErrorField(err), Message: strongroom.ErrorMessage(err)}}
	}
	for _, p := range problems {
		field := p.Field
		if field == "" {
			field = "row"
		}
		r.fail(line, field, "%s", p.Message)
	}
}

// refusal is the error an import with row errors returns: EINVALID with
// the first row error as its message, so that even a caller that only
// shows the error names a line and a field, and every listed row error
// among its problems.
func (r *ImportReport) refusal() error {
	if r.Valid() {
		return nil
	}
	slices.SortStableFunc(r.Errors, func(a, b ImportError) int { return a.Line - b.Line })
	first := r.Errors[0]
	msg := first.String()
	if r.ErrorCount > 1 {
		msg += fmt.Sprintf(" (and %d more errors)", r.ErrorCount-1)
	}
	problems := make([]strongroom.Problem, len(r.Errors))
	for i, e := range r.Errors {
		problems[i] = strongroom.Problem{Field: e.Field, Message: e.String()}
	}
	return &strongroom.Error{Code: strongroom.EINVALID, Field: first.Field, Message: msg, Problems: problems}
}

// csvRow is one data row and the line it starts on.
type csvRow struct {
	line   int
	fields []string
}

// readCSV reads a whole import: at most MaxImportBytes, a header equal to
// header, at most MaxImportRows rows of len(header) fields. Errors of the
// file as a whole (size, syntax, header) are row errors in report, and
// end the reading; the rows read before a syntax error are returned, so
// that their own errors are reported too.
func readCSV(r io.Reader, header []string, report *ImportReport) []csvRow {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		report.fail(1, "file", "The file could not be read.")
		return nil
	}
	if len(data) > MaxImportBytes {
		report.fail(1, "file", "The file is larger than %d MiB.", MaxImportBytes>>20)
		return nil
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	first, err := cr.Read()
	if err == io.EOF {
		report.fail(1, "header", "The file is empty; its first line must be: %s", strings.Join(header, ","))
		return nil
	} else if err != nil {
		syntaxError(data, err, header, report)
		return nil
	}
	for i := range first {
		first[i] = strings.ToLower(strings.TrimSpace(first[i]))
	}
	if strings.Join(first, ",") != strings.Join(header, ",") {
		report.fail(1, "header", "The first line must be exactly: %s", strings.Join(header, ","))
		return nil
	}
	var rows []csvRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows
		} else if err != nil {
			syntaxError(data, err, header, report)
			return rows
		}
		line, _ := cr.FieldPos(0)
		if len(rows) == MaxImportRows {
			report.fail(line, "file", "An import may hold at most %d rows; split the file.", MaxImportRows)
			return nil
		}
		report.Rows++
		if len(rec) != len(header) {
			report.fail(line, "row", "This line has %d fields; the header has %d.", len(rec), len(header))
			continue
		}
		rows = append(rows, csvRow{line: line, fields: rec})
	}
}

// syntaxError reports a CSV syntax error at the line its record starts
// on, naming the field it is in.
func syntaxError(data []byte, err error, header []string, report *ImportReport) {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		report.fail(1, "file", "The file is not valid CSV.")
		return
	}
	field := "row"
	if i := fieldAt(data, pe.StartLine, pe.Line, pe.Column); i < len(header) {
		field = header[i]
	}
	why := "This is not valid CSV."
	switch {
	case errors.Is(pe.Err, csv.ErrQuote):
		why = "A quoted field is not closed, or a quote inside it is not doubled."
	case errors.Is(pe.Err, csv.ErrBareQuote):
		why = "A quote appears inside a field that is not quoted; quote the field and double the quote."
	}
	report.fail(pe.StartLine, field, "%s", why)
}

// fieldAt returns the index of the field, in the record starting on line
// start, that holds (line, col) (col a 1-based byte column), by scanning
// the record as encoding/csv does.
func fieldAt(data []byte, start, line, col int) int {
	l, c, i := 1, 1, 0
	for i < len(data) && l < start {
		if data[i] == '\n' {
			l++
		}
		i++
	}
	field, quoted, atStart := 0, false, true
	for ; i < len(data); i++ {
		if l > line || (l == line && c >= col) {
			break
		}
		b := data[i]
		switch {
		case quoted && b == '"' && i+1 < len(data) && data[i+1] == '"':
			i++
			c++
		case quoted && b == '"':
			quoted = false
		case atStart && b == '"':
			quoted = true
		case !quoted && b == ',':
			field++
			atStart = true
			c++
			continue
		}
		atStart = false
		if b == '\n' {
			l, c = l+1, 1
		} else {
			c++
		}
	}
	return field
}

// splitList reads a semicolon-separated list of a CSV field.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ";") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
