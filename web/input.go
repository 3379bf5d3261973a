package web

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"strongroom"
)

// Every text input — path values, query parameters, form and multipart
// fields (not files), JSON strings and keys — is checked here once, before
// any handler runs. Refused are text that is not UTF-8 (overlong forms and
// encoded surrogates included), JSON escapes of lone surrogates, NUL, and
// the other C0 control characters and DEL except tab, line feed and
// carriage return: no field of a case, a record or an account means
// them, PostgreSQL cannot store NUL, and terminals and CSV readers act on
// the rest. The answer is 400 naming the field. File contents (document
// uploads, CSV imports) are not text input and are not checked.

// maxCheckedBody bounds the body read for the check: the largest body any
// form or JSON handler takes (maxJSONBody, maxCaseForm). A larger body is
// passed on unread for its handler to refuse.
const maxCheckedBody = 1 << 20

// fileBodyRoutes are the routes whose body is a file (CSV imports), and
// fileFields the multipart fields that are a file even when sent without
// a file name: "file" (uploads take it by name) and "csv" (the import
// page carries a checked CSV on to its commit form). Documents are stored
// as sent; the importer checks CSV text itself, naming line and column.
var (
	fileBodyRoutes = []string{"/import/cases", "/import/financial"}
	fileFields     = map[string]bool{"file": true, "csv": true}
)

// checkInput is the check put in front of every route's handler (routeMux).
func (h *Handler) checkInput(pattern string, next http.Handler) http.Handler {
	wildcards := pathWildcards(pattern)
	fileBody := slices.ContainsFunc(fileBodyRoutes, func(s string) bool { return strings.HasSuffix(pattern, s) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkRequest(r, wildcards, fileBody); err != nil {
			h.renderError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var wildcardRE = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(?:\.\.\.)?\}`)

// pathWildcards returns the names of a pattern's wildcards.
func pathWildcards(pattern string) []string {
	var names []string
	for _, m := range wildcardRE.FindAllStringSubmatch(pattern, -1) {
		names = append(names, m[1])
	}
	return names
}

// checkRequest checks the path values, the query and the body of r. A
// body it reads is put back, whole, for the handler.
func checkRequest(r *http.Request, wildcards []string, fileBody bool) error {
	for _, name := range wildcards {
		if err := CheckText(name, r.PathValue(name)); err != nil {
			return err
		}
	}
	// Of the headers only the User-Agent is kept (with each session).
	if err := CheckText("User-Agent", r.UserAgent()); err != nil {
		return err
	}
	if err := checkValues(r.URL.Query(), "query"); err != nil {
		return err
	}
	if r.Body == nil || r.Body == http.NoBody || fileBody {
		return nil
	}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		return checkMultipart(r, params["boundary"])
	}
	body, whole, err := peekBody(r, maxCheckedBody)
	if err != nil || !whole {
		return nil // unreadable or too large: the handler answers
	}
	if mt == "application/x-www-form-urlencoded" {
		vs, err := url.ParseQuery(string(body))
		if err != nil {
			return nil // the handler says the form cannot be read
		}
		return checkValues(vs, "form")
	}
	// JSON handlers do not insist on a content type, so any other body is
	// checked as JSON; one that is not JSON is left to its handler.
	return checkJSON(body)
}

// peekBody reads up to limit bytes of r's body and puts them back in
// front of the rest; whole reports whether that was all of it.
func peekBody(r *http.Request, limit int64) (body []byte, whole bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
	r.Body = readCloser{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	return body, err == nil && int64(len(body)) <= limit, err
}

type readCloser struct {
	io.Reader
	io.Closer
}

// checkValues checks query parameters or form fields, in name order so
// that the field named is always the same.
func checkValues(vs url.Values, where string) error {
	for _, name := range slices.Sorted(maps.Keys(vs)) {
		if err := checkName(name, where); err != nil {
			return err
		}
		for _, v := range vs[name] {
			if err := CheckText(name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkMultipart checks the text fields of a multipart form up to its
// first file (a part with a file name), keeping what it read for the
// handler. Uploads send their fields before the file; a field after it
// reaches its handler's own checks.
func checkMultipart(r *http.Request, boundary string) error {
	if boundary == "" {
		return nil
	}
	var seen bytes.Buffer
	src := r.Body
	defer func() { r.Body = readCloser{io.MultiReader(bytes.NewReader(seen.Bytes()), src), src} }()
	mr := multipart.NewReader(io.TeeReader(io.LimitReader(src, maxCheckedBody), &seen), boundary)
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil // the end, or a form the handler refuses
		}
		name := part.FormName()
		if part.FileName() != "" || fileFields[name] {
			return nil // the file, and whatever follows it
		}
		v, err := io.ReadAll(part)
		if err != nil {
			return nil
		}
		if err := checkName(name, "form"); err != nil {
			return err
		}
		if err := CheckText(name, string(v)); err != nil {
			return err
		}
	}
}

// CheckText checks one text input named field: it must be UTF-8 and hold
// no NUL and no control character other than tab, line feed and carriage
// return.
func CheckText(field, s string) error {
	if !utf8.ValidString(s) {
		return strongroom.FieldError(field, "%s is not valid UTF-8 text.", field)
	}
	for _, c := range s {
		switch {
		case c == 0:
			return strongroom.FieldError(field, "%s contains a character that is not allowed (NUL).", field)
		case (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f:
			return strongroom.FieldError(field, "%s contains a control character that is not allowed (U+%04X).", field, c)
		}
	}
	return nil
}

// checkName checks a field's own name; where says what holds it ("query",
// "form", a JSON path) and is the field named when the name is refused.
func checkName(name, where string) error {
	if CheckText(where, name) == nil {
		return nil
	}
	return errBadName(where)
}

func errBadName(where string) error {
	return strongroom.FieldError(where, "A field name in %s contains a character that is not allowed.", where)
}

// jsonFrame is an object or array being walked: its path, and for an
// object whether a key comes next and the key last read.
type jsonFrame struct {
	path    string
	object  bool
	wantKey bool
	key     string
}

// field is the name of the value the walk is at.
func (f *jsonFrame) field() string {
	if !f.object || f.wantKey {
		return cmpOr(f.path, "body")
	}
	if f.path == "" {
		return f.key
	}
	return f.path + "." + f.key
}

// checkJSON walks a JSON body's strings and keys as they are written in
// it (the decoder would quietly turn bad UTF-8 and lone surrogates into
// U+FFFD) and checks each. A value's field is its path, "grants.cases";
// array elements are named by their array. A body that is not JSON is
// left to its handler.
func checkJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []jsonFrame
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or not JSON
		}
		var top *jsonFrame
		field := "body"
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
			field = top.field()
		}
		switch tok := tok.(type) {
		case json.Delim:
			if tok == '{' || tok == '[' {
				path := ""
				if top != nil {
					path = field
				}
				stack = append(stack, jsonFrame{path: path, object: tok == '{', wantKey: true})
				continue
			}
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				top = &stack[len(stack)-1]
			} else {
				top = nil
			}
		case string:
			raw := body[start:dec.InputOffset()]
			raw = raw[bytes.IndexByte(raw, '"'):]
			if top != nil && top.object && top.wantKey {
				if checkJSONString(field, raw, tok) != nil {
					return errBadName(field)
				}
				top.key, top.wantKey = tok, false
				continue
			}
			if err := checkJSONString(field, raw, tok); err != nil {
				return err
			}
		}
		if top != nil && top.object {
			top.wantKey = true // the value of a key is done
		}
	}
}

// checkJSONString checks a JSON string as written (raw, with its quotes)
// and as decoded (s).
func checkJSONString(field string, raw []byte, s string) error {
	if !utf8.Valid(raw) || loneSurrogate(raw) {
		return strongroom.FieldError(field, "%s is not valid UTF-8 text.", field)
	}
	return CheckText(field, s)
}

// loneSurrogate reports whether a raw JSON string escapes half of a
// surrogate pair without its other half.
func loneSurrogate(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if i >= len(raw) || raw[i] != 'u' {
			continue
		}
		c := hex4(raw[i+1:])
		i += 4
		switch {
		case c >= 0xDC00 && c <= 0xDFFF:
			return true
		case c >= 0xD800 && c <= 0xDBFF:
			if i+6 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
				return true
			}
			if lo := hex4(raw[i+3:]); lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 6
		}
	}
	return false
}

// hex4 reads four hex digits (the decoder has already checked them).
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}
