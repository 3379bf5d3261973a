package web

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"strongroom"
)

func TestCheckText(t *testing.T) {
	for _, tt := range []struct {
		in, want string // want: "" accepted, else a part of the message
	}{
		{"plain", ""},
		{"tab\tnew\nline\r", ""},
		{"Müller 😀 \ufffd \u202e", ""},
		{"a\x00b", "(NUL)"},
		{"\xff", "not valid UTF-8"},
		{"\xc0\x80", "not valid UTF-8"},
		{"\xed\xa0\x80", "not valid UTF-8"},
		{"\xe2\x82", "not valid UTF-8"},
		{"bell\x07", "U+0007"},
		{"del\x7f", "U+007F"},
	} {
		err := CheckText("q", tt.in)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%q refused: %v", tt.in, err)
			}
			continue
		}
		if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != "q" ||
			!strings.Contains(strongroom.ErrorMessage(err), tt.want) || !strings.HasPrefix(strongroom.ErrorMessage(err), "q ") {
			t.Errorf("%q: %v, want q named and %q", tt.in, err, tt.want)
		}
	}
}

func TestCheckJSON(t *testing.T) {
	for _, tt := range []struct {
		body, field string // field: "" accepted
	}{
		{`{"a":"x","b":[1,"y",{"c":null}],"d":{"e":true}}`, ""},
		{`{"a":"\ud83d\ude00 \u00e9 \" \\ \/ \t"}`, ""},
		{`not json at all`, ""},
		{`{"a":"x\u0000"}`, "a"},
		{`{"a":"ok","b":"\ud800"}`, "b"},
		{`{"a":"\udc00x"}`, "a"},
		{`{"a":"\ud800\u0041"}`, "a"},
		{"{\"a\":\"caf\xe9\"}", "a"},
		{`{"grants":{"cases":"\u0000"}}`, "grants.cases"},
		{`{"tags":["ok","\u0007"]}`, "tags"},
		{`{"a":{"b":[{"c":"\u0000"}]}}`, "a.b.c"},
		{`{"x\u0000":1}`, "body"},
		{`{"g":{"x\u0000":1}}`, "g"},
		{`"\u0000"`, "body"},
		{`{"a":"\b"}`, "a"},
		{`{"a":1,"b":"ok"} {"c":"\u0000"}`, "c"},
	} {
		err := checkJSON([]byte(tt.body))
		if got := strongroom.ErrorField(err); got != tt.field || (tt.field != "" && strongroom.ErrorCode(err) != strongroom.EINVALID) {
			t.Errorf("%s: %v (field %q), want field %q", tt.body, err, got, tt.field)
		}
	}
}

// TestCheckInput runs requests through the check in front of a route and
// sees what reaches the handler: a refused input never does, and a
// checked body arrives whole.
func TestCheckInput(t *testing.T) {
	h := testHandler(t)
	var got []byte
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	mux := http.NewServeMux()
	for _, pattern := range []string{"POST /t/{slug}/x/{id}", "POST /api/v1/t/{slug}/x/{id}", "POST /api/v1/t/{slug}/import/cases"} {
		mux.Handle(pattern, h.checkInput(pattern, read))
	}

	var mb bytes.Buffer
	mw := multipart.NewWriter(&mb)
	mw.WriteField("title", "fine")
	fw, _ := mw.CreateFormFile("file", "a.bin")
	fw.Write([]byte("\x00\xff file bytes are not text"))
	mw.Close()
	var bad bytes.Buffer
	bw := multipart.NewWriter(&bad)
	bw.WriteField("title", "fine")
	bw.WriteField("description", "no\x00")
	bw.Close()
	long := `{"a":"` + strings.Repeat("x", maxCheckedBody) + `\u0000"}`

	for _, tt := range []struct {
		name, path, ct, body string
		status               int
		field                string
	}{
		{"json", "/api/v1/t/demo/x/1?q=ok", "application/json", `{"title":"ok"}`, 204, ""},
		{"json NUL", "/api/v1/t/demo/x/1", "application/json", `{"title":"a\u0000"}`, 400, "title"},
		{"json sent as text", "/api/v1/t/demo/x/1", "text/plain", `{"title":"a\u0000"}`, 400, "title"},
		{"query NUL", "/api/v1/t/demo/x/1?q=a%00", "", ``, 400, "q"},
		{"query bad UTF-8", "/api/v1/t/demo/x/1?tag=%ff", "", ``, 400, "tag"},
		{"query name", "/api/v1/t/demo/x/1?a%00=1", "", ``, 400, "query"},
		{"path NUL", "/api/v1/t/demo/x/1%00", "", ``, 400, "id"},
		{"path slug", "/api/v1/t/de%ffmo/x/1", "", ``, 400, "slug"},
		{"form", "/t/demo/x/1", "application/x-www-form-urlencoded", "a=b&c=%C3%A9", 204, ""},
		{"form NUL", "/t/demo/x/1", "application/x-www-form-urlencoded", "a=b&c=%00", 400, "c"},
		{"multipart file content", "/t/demo/x/1", mw.FormDataContentType(), mb.String(), 204, ""},
		{"multipart field", "/api/v1/t/demo/x/1", bw.FormDataContentType(), bad.String(), 400, "description"},
		{"csv", "/api/v1/t/demo/x/1", "text/csv", "number,title\n1,a\x00b\n", 204, ""},
		{"csv import", "/api/v1/t/demo/import/cases", "text/csv", `"a\u0000",1`, 204, ""},
		{"csv import query", "/api/v1/t/demo/import/cases?dry_run=%00", "text/csv", `x`, 400, "dry_run"},
		{"json on another route", "/api/v1/t/demo/x/1", "text/csv", `"a\u0000",1`, 400, "body"},
		{"too large to check", "/api/v1/t/demo/x/1", "application/json", long, 204, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("POST", tt.path, strings.NewReader(tt.body))
			if tt.ct != "" {
				req.Header.Set("Content-Type", tt.ct)
			}
			mux.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == 204 && string(got) != tt.body {
				t.Fatalf("the handler read %d bytes of %d", len(got), len(tt.body))
			}
			if tt.field != "" {
				if strings.HasPrefix(tt.path, "/api/") && !strings.Contains(rec.Body.String(), `"field":"`+tt.field+`"`) {
					t.Fatalf("body %s, want field %q", rec.Body, tt.field)
				}
				if !strings.Contains(rec.Body.String(), tt.field+" ") && !strings.Contains(rec.Body.String(), "in "+tt.field) {
					t.Fatalf("body %s does not name %q", rec.Body, tt.field)
				}
			}
		})
	}
}

// FuzzCheckText checks the validator against the definition it enforces:
// accepted text is UTF-8 with no control character but tab, LF and CR;
// and a JSON body built from accepted text is accepted too.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"", "plain", "a\x00b", "\xff", "\xc0\x80", "\xed\xa0\x80", "tab\t", "é😀", "\x7f", "%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckText("f", s)
		ok := utf8ValidNoControls(s)
		if (err == nil) != ok {
			t.Fatalf("%q: CheckText %v, want accepted %v", s, err, ok)
		}
		if err != nil && strongroom.ErrorField(err) != "f" {
			t.Fatalf("%q: field %q", s, strongroom.ErrorField(err))
		}
		body, _ := json.Marshal(map[string]string{"f": s})
		if jerr := checkJSON(body); ok && jerr != nil {
			t.Fatalf("%q: JSON %s refused: %v", s, body, jerr)
		}
		if !ok && strings.ContainsAny(s, "\x00\x01\x07\x1b") {
			if jerr := checkJSON(body); strongroom.ErrorField(jerr) != "f" {
				t.Fatalf("%q: JSON %s: %v", s, body, jerr)
			}
		}
	})
}

// utf8ValidNoControls is the rule CheckText enforces, written plainly.
func utf8ValidNoControls(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
			return false
		}
	}
	return true
}
