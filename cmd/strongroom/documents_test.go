package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"strongroom/cases"
	"strongroom/store"
)

// filePart is one part of a multipart upload; a part with a filename is a
// file, sent with the content type the client claims.
type filePart struct{ name, filename, contentType, value string }

func multipartBody(parts ...filePart) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.filename != "" {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
			h.Set("Content-Type", p.contentType)
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.name))
		}
		w, _ := mw.CreatePart(h)
		io.WriteString(w, p.value)
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// send sends a body with its content type and returns the response with
// its body read.
func (c *apiClient) send(method, url, contentType string, body io.Reader) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, url, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// upload posts a multipart form to an API path.
func (c *apiClient) upload(path string, parts ...filePart) (int, string) {
	c.t.Helper()
	ct, body := multipartBody(parts...)
	resp, b := c.send("POST", c.base+path, ct, bytes.NewReader(body))
	return resp.StatusCode, b
}

// docFixture is the demo tenant with users, cases and documents for the
// document tests.
type docFixture struct {
	t                    *testing.T
	m                    *Main
	admin                *apiClient
	classA               int64
	openCase, classCase  int64
	users                map[string]*apiClient
	plain, ownA, inherit int64 // documents
}

// insertCase makes a case by direct SQL: the cases service is not needed.
func (f *docFixture) insertCase(number string, classes ...int64) int64 {
	f.t.Helper()
	ctx := context.Background()
	h, release, err := f.m.registry.Get(ctx, "demo")
	if err != nil {
		f.t.Fatal(err)
	}
	defer release()
	var id int64
	now := store.FormatTime(time.Now())
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO cases (number, title, status, opened_on, created_at, updated_at)
			VALUES (?, 'Case', 'open', '2026-02-01', ?, ?) RETURNING id`, number, now, now).Scan(&id); err != nil {
			return err
		}
		return cases.SetClasses(ctx, tx, cases.TypeCase, id, classes)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// sql runs a statement on the demo tenant's database.
func (f *docFixture) sql(query string, args ...any) {
	f.t.Helper()
	h, release, err := f.m.registry.Get(context.Background(), "demo")
	if err != nil {
		f.t.Fatal(err)
	}
	defer release()
	if _, err := h.DB.ExecContext(context.Background(), query, args...); err != nil {
		f.t.Fatal(err)
	}
}

// count runs a COUNT query on the demo tenant's database.
func (f *docFixture) count(query string, args ...any) int {
	f.t.Helper()
	h, release, err := f.m.registry.Get(context.Background(), "demo")
	if err != nil {
		f.t.Fatal(err)
	}
	defer release()
	var n int
	if err := h.DB.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *docFixture) user(name string, grants map[string]string, restricted bool, classes ...int64) *apiClient {
	f.t.Helper()
	role := f.admin.must("POST", "roles", map[string]any{"name": "role-" + name, "grants": grants})
	body := map[string]any{"username": name, "display_name": "User " + name, "restricted": restricted,
		"roles": []int64{num(role["role"].(map[string]any)["id"])}}
	if classes != nil {
		body["classes"] = classes
	}
	temp := f.admin.must("POST", "users", body)["temporary_password"].(string)
	c := newAPIClient(f.t, f.m)
	c.signIn(name, temp)
	return c
}

func (f *docFixture) storedFiles() map[string][]byte {
	f.t.Helper()
	dir := filepath.Join(f.m.Config.Storage.files(), "demo")
	entries, _ := os.ReadDir(dir)
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func newDocFixture(t *testing.T, m *Main, adminTemp string) *docFixture {
	f := &docFixture{t: t, m: m, admin: newAPIClient(t, m), users: map[string]*apiClient{}}
	f.admin.signIn("admin", adminTemp)
	f.classA = num(f.admin.must("POST", "classes", map[string]string{"name": "Smith MDL local counsel"})["class"].(map[string]any)["id"])
	f.openCase, f.classCase = f.insertCase("2026-001"), f.insertCase("2026-002", f.classA)
	edit := map[string]string{"cases": "edit", "documents": "edit"}
	f.users["owner"] = f.user("owner", edit, false, f.classA)
	f.users["staff"] = f.user("staff", edit, false)
	f.users["counsel-a"] = f.user("counsel-a", edit, true, f.classA)
	f.users["counsel-none"] = f.user("counsel-none", edit, true)
	f.users["no-documents"] = f.user("no-documents", map[string]string{"cases": "edit"}, false)
	owner := f.users["owner"]
	f.plain = f.mustUpload(owner, f.openCase, "Plain memo", "", "plain.txt", "text/plain", "plain words")
	f.ownA = f.mustUpload(owner, f.openCase, "Classed memo", fmt.Sprint(f.classA), "a.txt", "text/plain", "class A words")
	f.inherit = f.mustUpload(owner, f.classCase, "Inherited memo", "", "i.txt", "text/plain", "inherited words")
	return f
}

func (f *docFixture) mustUpload(c *apiClient, caseID int64, title, classes, filename, contentType, content string) int64 {
	f.t.Helper()
	status, body := c.upload(fmt.Sprintf("cases/%d/documents", caseID), filePart{name: "title", value: title},
		filePart{name: "classes", value: classes}, filePart{name: "file", filename: filename, contentType: contentType, value: content})
	if status != http.StatusCreated {
		f.t.Fatalf("upload %s: %d %s", filename, status, body)
	}
	var out struct {
		Document struct {
			ID int64 `json:"id"`
		} `json:"document"`
	}
	json.Unmarshal([]byte(body), &out)
	return out.Document.ID
}

func TestDocumentsOverHTTPS(t *testing.T) {
	forEachServerAtOnce(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		f := newDocFixture(t, m, adminTemp)
		t.Run("UploadAndDownload", func(t *testing.T) { testDocumentRoundTrip(t, f) })
		t.Run("SizeLimit", func(t *testing.T) { testDocumentSizeLimit(t, f) })
		t.Run("MalformedUploads", func(t *testing.T) { testMalformedUploads(t, f) })
		t.Run("VersionsAndConflicts", func(t *testing.T) { testDocumentVersions(t, f) })
		t.Run("Visibility", func(t *testing.T) { testDocumentVisibility(t, f) })
		t.Run("Tampered", func(t *testing.T) { testDocumentTampered(t, f) })
		t.Run("Pages", func(t *testing.T) { testDocumentPages(t, f) })
	})
}

func testDocumentRoundTrip(t *testing.T, f *docFixture) {
	before := f.storedFiles()
	html := "<!DOCTYPE html><html><body><script>document.title='pwned'</script>Zanzibar memorandum</body></html>"
	id := f.mustUpload(f.admin, f.openCase, "Looks like a picture", "", "Schriftsatz Müller.png", "image/png", html)
	doc := f.admin.must("GET", fmt.Sprintf("documents/%d", id), nil)["document"].(map[string]any)
	file := doc["file"].(map[string]any)
	if file["content_type"] != "text/html; charset=utf-8" || file["filename"] != "Schriftsatz Müller.png" {
		t.Fatalf("stored file %v", file)
	}
	// On disk: one new file, not the plaintext.
	var added []string
	for name, b := range f.storedFiles() {
		if _, ok := before[name]; !ok {
			added = append(added, name)
			if bytes.Contains(b, []byte("Zanzibar")) || bytes.Contains(b, []byte("<script>")) {
				t.Fatal("the stored file is the plaintext")
			}
		}
	}
	if len(added) != 1 {
		t.Fatalf("files added: %v", added)
	}
	resp, body := f.admin.send("GET", f.admin.base+fmt.Sprintf("documents/%d/download", id), "", nil)
	want := map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Content-Disposition":    "attachment; filename*=utf-8''Schriftsatz%20M%C3%BCller.png",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
		"Content-Length":         fmt.Sprint(len(html)),
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if resp.StatusCode != 200 || body != html || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("download: %d %q", resp.StatusCode, body)
	}
	// An executable is an octet stream, an attachment all the same.
	exe := f.mustUpload(f.admin, f.openCase, "Tool", "", "invoice.pdf", "application/pdf", "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00")
	resp, _ = f.admin.send("GET", f.admin.base+fmt.Sprintf("documents/%d/download", exe), "", nil)
	if resp.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("executable download headers %v", resp.Header)
	}
	// Downloads are audited; the text of a text file is searchable.
	h, release, err := f.m.registry.Get(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	events, err := h.Audit.Events(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	downloads := 0
	for _, e := range events {
		if e.Action == "document.download" && e.ObjectID == fmt.Sprint(id) && e.Actor.Kind == "user" {
			downloads++
		}
	}
	if downloads != 1 {
		t.Fatalf("%d download events", downloads)
	}
	if f.count(`SELECT COUNT(*) FROM search_index WHERE record_type = 'document' AND record_id = ? AND body LIKE '%inherited words%'`, f.inherit) != 1 {
		t.Fatal("a text file's words are not in the search index")
	}
}

// endless is an upload body that never ends on its own; n counts what the
// client has been asked to send (by the transport's writer goroutine).
type endless struct{ n atomic.Int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.n.Add(int64(len(p)))
	return len(p), nil
}

func testDocumentSizeLimit(t *testing.T, f *docFixture) {
	f.sql(`INSERT INTO security_settings (name, value) VALUES ('max_upload_bytes', '65536')`)
	defer f.sql(`DELETE FROM security_settings WHERE name = 'max_upload_bytes'`)
	files, docs := len(f.storedFiles()), f.count(`SELECT COUNT(*) FROM documents`)
	path := fmt.Sprintf("cases/%d/documents", f.openCase)

	// Just over the limit: a clear error on the file field.
	status, body := f.admin.upload(path, filePart{name: "title", value: "Big"},
		filePart{name: "file", filename: "big.txt", contentType: "text/plain", value: strings.Repeat("y", 65537)})
	if status != 400 || !strings.Contains(body, `"field":"file"`) || !strings.Contains(body, "The file is larger than the limit of 64 KiB.") {
		t.Fatalf("over the limit: %d %s", status, body)
	}
	// Far over it: the server stops reading long before the end.
	ct, head := multipartBody(filePart{name: "title", value: "Huge"})
	boundary := strings.TrimPrefix(ct, "multipart/form-data; boundary=")
	head = bytes.TrimSuffix(head, []byte("--"+boundary+"--\r\n"))
	fileHead := fmt.Sprintf("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.bin\"\r\nContent-Type: text/plain\r\n\r\n", boundary)
	src := &endless{}
	huge := io.MultiReader(bytes.NewReader(head), strings.NewReader(fileHead), io.LimitReader(src, 256<<20))
	req, _ := http.NewRequest("POST", f.admin.base+path, huge)
	req.Header.Set("Content-Type", ct)
	if resp, err := f.admin.http.Do(req); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), `"field":"file"`) {
			t.Fatalf("huge upload: %d %s", resp.StatusCode, b)
		}
	} else { // the server closed the connection before the client read the answer: also a refusal
		t.Logf("huge upload: %v", err)
	}
	t.Logf("the client sent %d KiB of a 256 MiB upload", src.n.Load()>>10)
	if n := src.n.Load(); n > 32<<20 {
		t.Fatalf("the client sent %d MiB of a refused upload", n>>20)
	}
	if len(f.storedFiles()) != files || f.count(`SELECT COUNT(*) FROM documents`) != docs {
		t.Fatal("a refused upload left a file or a row")
	}
}

func testMalformedUploads(t *testing.T, f *docFixture) {
	path := fmt.Sprintf("cases/%d/documents", f.openCase)
	files := len(f.storedFiles())
	for _, tc := range []struct {
		name, contentType, body, field string
	}{
		{"not multipart", "application/json", `{"title":"x"}`, "body"},
		{"broken multipart", "multipart/form-data; boundary=abc", "this is not multipart at all", "body"},
		{"cut short", "multipart/form-data; boundary=abc", "--abc\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nsome text without an end", "file"},
		{"no file", "multipart/form-data; boundary=abc", "--abc\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nT\r\n--abc--\r\n", "file"},
		{"unknown field", "multipart/form-data; boundary=abc", "--abc\r\nContent-Disposition: form-data; name=\"owner\"\r\n\r\nme\r\n--abc--\r\n", "owner"},
		{"file not last", "multipart/form-data; boundary=abc",
			"--abc\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nabc\r\n--abc\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nT\r\n--abc--\r\n", "file"},
	} {
		resp, body := f.admin.send("POST", f.admin.base+path, tc.contentType, strings.NewReader(tc.body))
		if resp.StatusCode != 400 || !strings.Contains(body, `"code":"invalid"`) || !strings.Contains(body, `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, body)
		}
	}
	if len(f.storedFiles()) != files {
		t.Fatal("malformed uploads left files")
	}
}

func testDocumentVersions(t *testing.T, f *docFixture) {
	c := f.users["staff"]
	id := f.mustUpload(c, f.openCase, "Contract", "", "v1.txt", "text/plain", "first text")
	vpath := fmt.Sprintf("documents/%d/versions", id)
	status, body := c.upload(vpath, filePart{name: "version", value: "1"}, filePart{name: "file", filename: "v2.txt", contentType: "text/plain", value: "second text"})
	if status != 201 || !strings.Contains(body, `"current_version":2`) || !strings.Contains(body, `"version":2`) {
		t.Fatalf("new version: %d %s", status, body)
	}
	status, body = c.upload(vpath, filePart{name: "version", value: "1"}, filePart{name: "file", filename: "v3.txt", contentType: "text/plain", value: "stale"})
	if status != 409 || !strings.Contains(body, "Someone else changed this document") {
		t.Fatalf("stale version: %d %s", status, body)
	}
	vs := c.must("GET", vpath, nil)["versions"].([]any)
	if len(vs) != 2 {
		t.Fatalf("versions %v", vs)
	}
	if _, b := c.send("GET", c.base+fmt.Sprintf("documents/%d/download?version=1", id), "", nil); b != "first text" {
		t.Fatalf("version 1: %q", b)
	}
	if _, b := c.send("GET", c.base+fmt.Sprintf("documents/%d/download", id), "", nil); b != "second text" {
		t.Fatalf("current version: %q", b)
	}
	if s, b := c.do("PUT", fmt.Sprintf("documents/%d", id), map[string]any{"title": "Stale", "version": 1}); s != 409 {
		t.Fatalf("stale update: %d %s", s, b)
	}
	doc := c.must("PUT", fmt.Sprintf("documents/%d", id), map[string]any{"title": "Contract (final)", "version": 2})["document"].(map[string]any)
	if doc["title"] != "Contract (final)" || num(doc["version"]) != 3 || doc["description"] != "" {
		t.Fatalf("update %v", doc)
	}
	if s, _ := c.do("DELETE", fmt.Sprintf("documents/%d", id), map[string]any{"version": 2}); s != 409 {
		t.Fatalf("stale delete: %d", s)
	}
	c.must("DELETE", fmt.Sprintf("documents/%d", id), map[string]any{"version": 3})
	s1, b1 := c.do("GET", fmt.Sprintf("documents/%d", id), nil)
	s2, b2 := c.do("GET", "documents/99999999", nil)
	if s1 != 404 || s1 != s2 || b1 != b2 {
		t.Fatalf("deleted %d %s, missing %d %s", s1, b1, s2, b2)
	}
}

func testDocumentVisibility(t *testing.T, f *docFixture) {
	_, missing := f.admin.do("GET", "documents/99999999", nil)
	listIDs := func(c *apiClient, caseID int64) (int, []int64) {
		status, body := c.do("GET", fmt.Sprintf("cases/%d/documents", caseID), nil)
		var out struct {
			Documents []struct {
				ID int64 `json:"id"`
			} `json:"documents"`
		}
		json.Unmarshal([]byte(body), &out)
		var ids []int64
		for _, d := range out.Documents {
			if slices.Contains([]int64{f.plain, f.ownA, f.inherit}, d.ID) {
				ids = append(ids, d.ID)
			}
		}
		return status, ids
	}
	for _, tc := range []struct {
		user           string
		lists, reaches []int64
	}{
		{"owner", []int64{f.plain, f.ownA, f.inherit}, []int64{f.plain, f.ownA, f.inherit}},
		{"staff", []int64{f.plain}, []int64{f.plain}},
		{"counsel-a", []int64{f.inherit}, []int64{f.ownA, f.inherit}},
		{"counsel-none", nil, nil},
	} {
		c := f.users[tc.user]
		var listed []int64
		for _, caseID := range []int64{f.openCase, f.classCase} {
			status, ids := listIDs(c, caseID)
			if status != 200 && status != 404 {
				t.Fatalf("%s lists case %d: %d", tc.user, caseID, status)
			}
			listed = append(listed, ids...)
		}
		slices.Sort(listed)
		if !slices.Equal(listed, tc.lists) {
			t.Errorf("%s lists %v, want %v", tc.user, listed, tc.lists)
		}
		for _, id := range []int64{f.plain, f.ownA, f.inherit} {
			for _, path := range []string{"documents/%d", "documents/%d/versions", "documents/%d/download"} {
				status, body := c.do("GET", fmt.Sprintf(path, id), nil)
				if slices.Contains(tc.reaches, id) {
					if status != 200 {
						t.Errorf("%s GET %s: %d %s", tc.user, fmt.Sprintf(path, id), status, body)
					}
				} else if status != 404 || body != missing {
					t.Errorf("%s GET %s: %d %s; a missing document answers %s", tc.user, fmt.Sprintf(path, id), status, body, missing)
				}
			}
		}
	}
	// Without the documents area: 403 everywhere, carrying nothing.
	c := f.users["no-documents"]
	for _, path := range []string{fmt.Sprintf("cases/%d/documents", f.openCase), fmt.Sprintf("documents/%d", f.plain), fmt.Sprintf("documents/%d/download", f.plain)} {
		if status, body := c.do("GET", path, nil); status != 403 || strings.Contains(body, "Plain memo") || strings.Contains(body, "plain words") {
			t.Errorf("no documents area, GET %s: %d %s", path, status, body)
		}
	}
	status, _ := c.upload(fmt.Sprintf("cases/%d/documents", f.openCase), filePart{name: "file", filename: "x.txt", contentType: "text/plain", value: "x"})
	if status != 403 {
		t.Errorf("no documents area, upload: %d", status)
	}
}

func testDocumentTampered(t *testing.T, f *docFixture) {
	secret := strings.Repeat("Tamper-proof deposition transcript. ", 4000)
	id := f.mustUpload(f.admin, f.openCase, "Transcript", "", "transcript.txt", "text/plain", secret)
	dir := filepath.Join(f.m.Config.Storage.files(), "demo")
	var name string
	h, release, _ := f.m.registry.Get(context.Background(), "demo")
	h.DB.QueryRowContext(context.Background(), `SELECT storage_key FROM document_versions WHERE document_id = ?`, id).Scan(&name)
	release()
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	damaged := slices.Clone(raw)
	damaged[len(damaged)/2] ^= 0x40
	os.WriteFile(filepath.Join(dir, name), damaged, 0o600)
	resp, body := f.admin.send("GET", f.admin.base+fmt.Sprintf("documents/%d/download", id), "", nil)
	if resp.StatusCode != 500 || !strings.Contains(body, `"code":"internal"`) || strings.Contains(body, "deposition") ||
		strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("tampered download: %d %v %.200s", resp.StatusCode, resp.Header, body)
	}
	os.WriteFile(filepath.Join(dir, name), raw, 0o600)
	if _, body := f.admin.send("GET", f.admin.base+fmt.Sprintf("documents/%d/download", id), "", nil); body != secret {
		t.Fatal("the restored file does not download")
	}
}

func testDocumentPages(t *testing.T, f *docFixture) {
	c := f.users["owner"]
	site := f.m.URL() + "t/demo/"
	resp, body := c.send("GET", site+fmt.Sprintf("cases/%d/documents/new", f.openCase), "", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `enctype="multipart/form-data"`) || !strings.Contains(body, "Smith MDL local counsel") {
		t.Fatalf("upload form: %d %s", resp.StatusCode, body)
	}
	ct, form := multipartBody(filePart{name: "title", value: "Page upload"}, filePart{name: "description", value: "Sent from the form"},
		filePart{name: "file", filename: "page.txt", contentType: "text/plain", value: "uploaded through the page"})
	resp, body = c.send("POST", site+fmt.Sprintf("cases/%d/documents/new", f.openCase), ct, bytes.NewReader(form))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(loc, "/t/demo/documents/") {
		t.Fatalf("page upload: %d %s %s", resp.StatusCode, loc, body)
	}
	docPath := strings.TrimSuffix(strings.TrimPrefix(loc, "/t/demo/"), "?done=document-uploaded")
	resp, body = c.send("GET", site+docPath+"?done=document-uploaded", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Page upload") || !strings.Contains(body, "The document has been uploaded.") ||
		!strings.Contains(body, docPath+"/download?version=1") {
		t.Fatalf("document page: %d %s", resp.StatusCode, body)
	}
	// An error keeps the form and names the field.
	ct, form = multipartBody(filePart{name: "title", value: "No file"}, filePart{name: "file", filename: "", contentType: "application/octet-stream"})
	resp, body = c.send("POST", site+fmt.Sprintf("cases/%d/documents/new", f.openCase), ct, bytes.NewReader(form))
	if resp.StatusCode != 400 || !strings.Contains(body, "Choose a file to upload.") || !strings.Contains(body, `value="No file"`) {
		t.Fatalf("page upload without a file: %d %s", resp.StatusCode, body)
	}
	resp, body = c.send("GET", site+docPath+"/download", "", nil)
	if resp.StatusCode != 200 || body != "uploaded through the page" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("page download: %d %q", resp.StatusCode, body)
	}
	resp, body = c.send("GET", site+fmt.Sprintf("cases/%d/documents", f.openCase), "", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Page upload") || !strings.Contains(body, "Classed memo") {
		t.Fatalf("documents page: %d", resp.StatusCode)
	}
	// Hidden from a user without the class: the same page as a missing document.
	staff := f.users["staff"]
	r1, b1 := staff.send("GET", site+fmt.Sprintf("documents/%d", f.ownA), "", nil)
	r2, b2 := staff.send("GET", site+"documents/99999999", "", nil)
	if r1.StatusCode != 404 || r2.StatusCode != 404 || b1 != b2 {
		t.Fatalf("hidden document page %d, missing %d", r1.StatusCode, r2.StatusCode)
	}
	// The page names and links its case in its breadcrumbs; a reader of
	// documents without the cases area gets the document, not the case.
	caseLink := fmt.Sprintf(`href="/t/demo/cases/%d"`, f.openCase)
	if resp, body = c.send("GET", site+docPath, "", nil); !strings.Contains(body, caseLink) || !strings.Contains(body, `aria-label="Breadcrumb"`) {
		t.Fatalf("document page without its case's link: %d", resp.StatusCode)
	}
	reader := f.user("docs-only", map[string]string{"documents": "read"}, false)
	if resp, body = reader.send("GET", site+docPath, "", nil); resp.StatusCode != 200 || !strings.Contains(body, "Page upload") || strings.Contains(body, caseLink) {
		t.Fatalf("document page for a reader of documents only: %d\n%s", resp.StatusCode, body)
	}
}
