package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// refusedInputs are strings no text input may hold: each must be answered
// 400 naming the field, on every route, before anything reads it.
var refusedInputs = map[string]string{
	"NUL":                "case\x00file",
	"invalid UTF-8":      "caf\xe9 \xff\xfe",
	"overlong NUL":       "a\xc0\x80b",
	"encoded surrogate":  "a\xed\xa0\x80b",
	"control character":  "bell\x07",
	"escape sequence":    "\x1b[31mred",
	"truncated sequence": "end\xe2\x82",
}

// acceptedInputs are hostile but valid text: they may be refused by a
// field's own rules, but never with a 5xx.
var acceptedInputs = map[string]string{
	"sql":     "'; DROP TABLE cases; --",
	"percent": "%00",
	"markup":  `<script>alert(1)</script>"'>`,
	"unicode": "\u202egnp.exe\u200b😀\ufffd\u2028é\t\r\n",
	"long":    strings.Repeat("Ωlong", 500), // 3,000 bytes: past PostgreSQL's limit for an index entry
}

// hugeInput goes in bodies only: in a URL it would pass the header limit.
var hugeInput = strings.Repeat("x", 200_000)

// fieldNames are the inputs the web layer reads anywhere: every query
// parameter, form field and JSON field named in its code and templates,
// so that a new one is fuzzed without being listed here.
func fieldNames(t *testing.T) []string {
	t.Helper()
	var srcs []string
	for _, glob := range []string{"../../web/*.go", "../../web/templates/*.html"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			srcs = append(srcs, string(b))
		}
	}
	src := strings.Join(srcs, "\n")
	set := map[string]bool{}
	for _, re := range []string{`json:"([a-z_]+)"`, `name="([a-z_-]+)"`, `(?:Get|formInt|formIDs|formValues)\((?:r, )?"([a-z_-]+)"`,
		`PostForm\["([a-z_-]+)"\]`, `fields\["([a-z_-]+)"\]`} {
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(src, -1) {
			set[m[1]] = true
		}
	}
	delete(set, "viewport")
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range set {
			if !yield(k) {
				return
			}
		}
	})
	if len(names) < 40 {
		t.Fatalf("found only %d field names: %v", len(names), names)
	}
	return names
}

// hostileWorld is the demo tenant with one object of each kind, an
// administrator signed in, and what the routes are filled in with.
type hostileWorld struct {
	t      *testing.T
	m      *Main
	admin  *apiClient
	pw     string
	ids    map[string]string // path segment before {id} → an existing id
	names  []string
	served atomic.Int64
	mu     sync.Mutex // one sign-in at a time
}

func newHostileWorld(t *testing.T, m *Main, adminTemp string) *hostileWorld {
	w := &hostileWorld{t: t, m: m, admin: newAPIClient(t, m), names: fieldNames(t)}
	w.pw = w.admin.signIn("admin", adminTemp)
	w.admin.must("PUT", "settings", map[string]any{"lockout_threshold": 100, "mfa": "optional", "idle_timeout_minutes": 600, "absolute_timeout_minutes": 1440})
	class := num(w.admin.must("POST", "classes", map[string]string{"name": "Hostile class"})["class"].(map[string]any)["id"])
	role := num(w.admin.must("POST", "roles", map[string]any{"name": "Hostile role", "grants": map[string]string{"cases": "read"}})["role"].(map[string]any)["id"])
	user := num(w.admin.must("POST", "users", map[string]any{"username": "target", "display_name": "Target"})["user"].(map[string]any)["id"])
	token := num(w.admin.must("POST", "me/tokens", map[string]any{"name": "hostile", "expires_in_days": 5})["id"])
	kase := num(w.admin.must("POST", "cases", map[string]any{"number": "2026-900", "title": "Hostile input"})["case"].(map[string]any)["id"])
	ct, body := multipartBody(filePart{name: "title", value: "Memo"}, filePart{name: "file", filename: "memo.txt", contentType: "text/plain", value: "words"})
	resp, b := w.admin.send("POST", w.admin.base+fmt.Sprintf("cases/%d/documents", kase), ct, bytes.NewReader(body))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
	var doc struct {
		Document struct{ ID int64 } `json:"document"`
	}
	json.Unmarshal([]byte(b), &doc)
	note := num(w.admin.must("POST", fmt.Sprintf("cases/%d/notes", kase), map[string]any{"title": "Note", "body": "Words"})["note"].(map[string]any)["id"])
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	w.ids = map[string]string{"cases": id(kase), "documents": id(doc.Document.ID), "users": id(user), "roles": id(role),
		"classes": id(class), "tokens": id(token), "sessions": "no-such-session", "notes": id(note)}
	return w
}

// fill turns a route pattern into a method and a path that names existing
// objects; wildcard, when set, is given value instead.
func (w *hostileWorld) fill(pattern, wildcard, value string) (method, path string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			continue
		}
		name := strings.Trim(s, "{}.$")
		v := map[string]string{"slug": "demo", "seq": "1", "type": "case", "name": "cases", "action": "unlock", "rid": "1", "widget": "1", "group": "1", "user": "1", "format": "csv", "": ""}[name]
		if (name == "id" || name == "rid") && i > 0 {
			if v = w.ids[segs[i-1]]; v == "" {
				v = "1"
			}
		}
		if name == wildcard {
			v = value
		}
		segs[i] = v
	}
	if strings.HasSuffix(path, "/") && path != "/" && !strings.HasSuffix(path, "{$}") {
		segs[len(segs)-1] = "x" // a prefix pattern: any path under it
	}
	return method, strings.Join(segs, "/")
}

// request sends one request as the administrator and checks the answer:
// never a 5xx, always a policy forbidding framing, and for a refused
// string 400 naming one of the fields it was sent in.
func (w *hostileWorld) request(method, path string, query url.Values, contentType string, body []byte, refused []string) {
	w.t.Helper()
	u := strings.TrimSuffix(w.m.URL(), "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := w.admin.http.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	w.served.Add(1)
	what := fmt.Sprintf("%s %s (%s, %d bytes)", method, path, contentType, len(body))
	if resp.StatusCode >= 500 {
		w.t.Errorf("%s: %d %.300s", what, resp.StatusCode, b)
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		w.t.Errorf("%s: %d, Content-Security-Policy %q", what, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	if refused == nil {
		return
	}
	if resp.StatusCode != http.StatusBadRequest {
		w.t.Errorf("%s: %d, want 400 naming one of %v: %.300s", what, resp.StatusCode, refused, b)
		return
	}
	if strings.HasPrefix(path, "/api/") {
		var e struct {
			Error struct{ Code, Field, Message string } `json:"error"`
		}
		json.Unmarshal(b, &e)
		if e.Error.Code != "invalid" || !slices.Contains(refused, e.Error.Field) || !strings.Contains(e.Error.Message, e.Error.Field) {
			w.t.Errorf("%s: %s, want the field named, one of %v", what, b, refused)
		}
		return
	}
	if !slices.ContainsFunc(refused, func(f string) bool { return bytes.Contains(b, []byte(f+" ")) }) || !bytes.Contains(b, []byte("not")) {
		w.t.Errorf("%s: the page names none of %v: %.500s", what, refused, b)
	}
}

// jsonString quotes s as JSON without repairing it: bytes that are not
// UTF-8 go as they are, control characters as \u escapes.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// bodies are the ways a value reaches a route's fields: as JSON (an
// object of all the names, or of one), a form and a multipart form with a
// file.
func bodies(names []string, value string) map[string][]byte {
	var js, nested strings.Builder
	js.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			js.WriteByte(',')
		}
		js.WriteString(jsonString(n) + ":" + jsonString(value))
	}
	js.WriteByte('}')
	nested.WriteString(`{"grants":{"cases":` + jsonString(value) + `},"tags":["ok",` + jsonString(value) + `]}`)
	form := url.Values{}
	var mb bytes.Buffer
	mw := multipart.NewWriter(&mb)
	for _, n := range names {
		form.Set(n, value)
		if n != "file" {
			mw.WriteField(n, value)
		}
	}
	fw, _ := mw.CreateFormFile("file", "memo.txt")
	fw.Write([]byte("file content may hold anything: \x00\xff"))
	mw.Close()
	return map[string][]byte{
		"application/json":                  []byte(js.String()),
		"application/json; nested":          []byte(nested.String()),
		"application/x-www-form-urlencoded": []byte(form.Encode()),
		mw.FormDataContentType():            mb.Bytes(),
	}
}

// route sends every hostile string through one route: in the path, the
// query and each kind of body.
func (w *hostileWorld) route(pattern string) {
	method, path := w.fill(pattern, "", "")
	write := method != "GET" && method != "HEAD"
	// The body a write route takes: JSON on the API, a form on the pages.
	own := "application/x-www-form-urlencoded"
	if strings.HasPrefix(path, "/api/") {
		own = "application/json"
	}
	// A CSV import's body is a file, which its importer checks cell by cell.
	fileBody := strings.HasSuffix(pattern, "/import/cases") || strings.HasSuffix(pattern, "/import/financial")
	for name, v := range refusedInputs {
		w.request(method, path, query(w.names, v), "", nil, w.names)
		if !write || fileBody || (name != "NUL" && name != "invalid UTF-8") {
			continue
		}
		for ct, body := range bodies(w.names, v) {
			want := w.names
			if strings.HasSuffix(ct, "; nested") {
				ct, want = "application/json", []string{"grants.cases", "tags"}
			}
			w.request(method, path, nil, ct, body, want)
		}
	}
	// NUL a few fields at a time as well: sent to every field at once it
	// would be refused for whichever field a handler reads first.
	for group := range slices.Chunk(w.names, 10) {
		if write && !fileBody {
			w.request(method, path, nil, own, bodies(group, refusedInputs["NUL"])[own], group)
		} else if write {
			w.request(method, path, nil, own, bodies(group, refusedInputs["NUL"])[own], nil)
		} else {
			w.request(method, path, query(group, refusedInputs["NUL"]), "", nil, group)
		}
	}
	for _, wildcard := range regexp.MustCompile(`\{([a-z]+)\}`).FindAllStringSubmatch(pattern, -1) {
		for _, v := range []string{"%00", "%FF"} {
			_, p := w.fill(pattern, wildcard[1], v)
			w.request(method, p, nil, "", nil, []string{wildcard[1]})
		}
	}
	for name, v := range acceptedInputs {
		if name != "long" { // all of them at once would pass the header limit
			w.request(method, path, query(w.names, v), "", nil, nil)
		}
		if write {
			w.request(method, path, nil, own, bodies(w.names, v)[own], nil)
		}
		if name != "long" && name != "sql" {
			continue
		}
		// A few fields at a time too, so that a field refused for its own
		// reasons does not keep the others from the handler.
		for group := range slices.Chunk(w.names, 10) {
			if write {
				w.request(method, path, nil, own, bodies(group, v)[own], nil)
			} else {
				w.request(method, path, query(group, v), "", nil, nil)
			}
		}
	}
	if write {
		for ct, body := range bodies(w.names, acceptedInputs["sql"]) {
			if strings.HasPrefix(ct, "multipart/") {
				w.request(method, path, nil, ct, body, nil)
			}
		}
		w.request(method, path, nil, own, bodies(w.names, hugeInput)[own], nil)
	}
}

// signInAgain signs the administrator in again after a route that signed
// them out, so that the next route is reached.
func (w *hostileWorld) signInAgain(after string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if status, _ := w.admin.do("GET", "me", nil); status == http.StatusOK {
		return
	}
	w.t.Logf("signed out after %s", after)
	if status, b := w.admin.do("POST", "login", map[string]string{"username": "admin", "password": w.pw}); status != http.StatusOK {
		w.t.Errorf("sign in again: %d %s", status, b)
	}
}

func query(names []string, v string) url.Values {
	q := url.Values{}
	for _, n := range names {
		q.Set(n, v)
	}
	return q
}

// TestHostileInputEveryRoute sends NUL, invalid UTF-8, overlong encodings,
// encoded surrogates, control characters, SQL, markup and very long
// strings through every registered route, on both engines, as the
// administrator: in every query parameter, form field, multipart field and
// JSON field the web layer reads, and in every path value. Nothing may
// answer 5xx; text that is not allowed is refused with 400 naming the field.
func TestHostileInputEveryRoute(t *testing.T) {
	throttle := func(c *ServeConfig) { c.ThrottleBurst = 1 << 20 }
	forEachServerAtOnce(t, throttle, func(t *testing.T, m *Main, adminTemp string) {
		w := newHostileWorld(t, m, adminTemp)
		t.Run("Reported", func(t *testing.T) { w.t, w.admin.t = t, t; w.reported() })
		t.Run("Routes", func(t *testing.T) {
			if raceDetector {
				// About 8,000 requests an engine: past the time limit
				// under the race detector. .ci/run sweeps them without it.
				t.Skip("every route is swept in a run without -race")
			}
			w.t, w.admin.t = t, t
			w.everyRoute()
		})
	})
}

// reported sends NUL and bad UTF-8 to the inputs known to have reached
// the database with them, one at a time, and bad User-Agents to sign-in.
func (w *hostileWorld) reported() {
	t := w.t
	for _, tt := range []struct{ method, path, field string }{
		{"POST", "/api/v1/t/demo/login", "username"}, {"POST", "/api/v1/t/demo/login", "password"},
		{"POST", "/t/demo/login", "username"}, {"POST", "/t/demo/login", "password"},
		{"GET", "/api/v1/t/demo/cases", "q"}, {"GET", "/api/v1/t/demo/cases", "tag"}, {"GET", "/api/v1/t/demo/cases", "practice_group"},
		{"GET", "/t/demo/cases", "q"}, {"GET", "/t/demo/cases", "tag"}, {"GET", "/t/demo/cases", "practice_group"},
		{"GET", "/api/v1/t/demo/audit/events", "action"}, {"GET", "/api/v1/t/demo/audit/events", "object_type"},
		{"GET", "/t/demo/audit", "action"}, {"GET", "/t/demo/audit", "object_type"},
		{"GET", "/api/v1/t/demo/search", "q"}, {"GET", "/t/demo/search", "q"},
	} {
		for _, v := range []string{refusedInputs["NUL"], refusedInputs["invalid UTF-8"]} {
			switch {
			case tt.method == "GET":
				w.request("GET", tt.path, url.Values{tt.field: {v}}, "", nil, []string{tt.field})
			case strings.HasPrefix(tt.path, "/api/"):
				body := `{"username":"admin","password":"x",` + jsonString(tt.field) + ":" + jsonString(v) + "}"
				w.request("POST", tt.path, nil, "application/json", []byte(body), []string{tt.field})
			default:
				form := url.Values{"username": {"admin"}, "password": {"x"}, tt.field: {v}}
				w.request("POST", tt.path, nil, "application/x-www-form-urlencoded", []byte(form.Encode()), []string{tt.field})
			}
		}
	}
	// The User-Agent is stored with each session.
	for ua, want := range map[string]int{"caf\xe9": 400, "a" + strings.Repeat("é", 200): 200} {
		req, _ := http.NewRequest("POST", w.admin.base+"login", strings.NewReader(`{"username":"admin","password":`+jsonString(w.pw)+`}`))
		req.Header.Set("User-Agent", ua)
		resp, err := w.admin.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || (want == 400 && !strings.Contains(string(b), `"field":"User-Agent"`)) {
			t.Errorf("sign-in with User-Agent %q: %d %s, want %d", ua, resp.StatusCode, b, want)
		}
	}
}

// everyRoute sends the hostile strings through every registered route.
func (w *hostileWorld) everyRoute() {
	t := w.t
	routes := w.m.web.Routes()
	// Deletions go after the rest, so that the rest find what they need;
	// routes that sign in, out or change a sign-in's state last, one by one.
	last := func(p string) int {
		switch {
		case strings.Contains(p, "logout") || strings.Contains(p, "/login") || strings.Contains(p, "/password") || strings.Contains(p, "/totp"):
			return 2
		case strings.HasPrefix(p, "DELETE") || strings.HasSuffix(p, "/delete"):
			return 1
		}
		return 0
	}
	slices.SortStableFunc(routes, func(a, b string) int { return last(a) - last(b) })
	if len(routes) < 100 {
		t.Fatalf("only %d routes", len(routes))
	}
	// Four at a time, phase by phase; the last phase one by one.
	for phase := range 3 {
		var todo []string
		for _, p := range routes {
			if last(p) == phase {
				todo = append(todo, p)
			}
		}
		if phase == 2 {
			for _, p := range todo {
				w.route(p)
				w.signInAgain(p)
			}
			continue
		}
		var wg sync.WaitGroup
		next := make(chan string)
		for range 4 {
			wg.Go(func() {
				for p := range next {
					w.route(p)
					w.signInAgain(p)
				}
			})
		}
		for _, p := range todo {
			next <- p
		}
		close(next)
		wg.Wait()
	}
	t.Logf("%d routes, %d requests", len(routes), w.served.Load())
}
