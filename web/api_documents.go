package web

import (
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/documents"
	"strongroom/identity"
	"strongroom/tenancy"
)

// downloadPolicy is the Content-Security-Policy of a document download.
const downloadPolicy = "default-src 'none'; sandbox; frame-ancestors 'none'"

// maxUploadFields bounds the text fields sent with a file upload.
const maxUploadFields = 64 << 10

// documentRoutes registers the JSON API and the pages of documents.
func (h *Handler) documentRoutes() {
	api := func(pattern string, fn handlerFunc) { h.mux.Handle(pattern, h.page(fn)) }
	pre := "/api/v1/t/{slug}/"
	api("GET "+pre+"cases/{id}/documents", h.authed(h.apiCaseDocuments, false))
	api("POST "+pre+"cases/{id}/documents", h.authed(h.apiUploadDocument, false))
	api("GET "+pre+"documents/{id}", h.authed(h.apiDocument, false))
	api("PUT "+pre+"documents/{id}", h.authed(h.apiUpdateDocument, false))
	api("DELETE "+pre+"documents/{id}", h.authed(h.apiDeleteDocument, false))
	api("GET "+pre+"documents/{id}/versions", h.authed(h.apiDocumentVersions, false))
	api("POST "+pre+"documents/{id}/versions", h.authed(h.apiUploadVersion, false))
	api("GET "+pre+"documents/{id}/download", h.authed(h.serveDownload, false))
	h.documentPageRoutes()
}

func fileVersionJSON(v documents.FileVersion) map[string]any {
	return map[string]any{"number": v.Number, "filename": v.Filename, "content_type": v.ContentType, "size": v.Size,
		"sha256": v.SHA256, "created_at": v.CreatedAt.Format(time.RFC3339), "created_by": v.CreatedBy}
}

func documentJSON(d *documents.Document) map[string]any {
	return map[string]any{"id": d.ID, "case_id": d.CaseID, "title": d.Title, "description": d.Description,
		"classes": nonNil(d.Classes), "own_classes": d.OwnClasses, "current_version": d.Current.Number,
		"file": fileVersionJSON(d.Current), "created_at": d.CreatedAt.Format(time.RFC3339),
		"updated_at": d.UpdatedAt.Format(time.RFC3339), "version": d.Version}
}

func (h *Handler) apiCaseDocuments(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	caseID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ds, err := h.svc.Documents.List(r.Context(), t, p, caseID)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, d := range ds {
		out = append(out, documentJSON(d))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"documents": out})
}

func (h *Handler) apiUploadDocument(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	caseID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	form, err := h.readUpload(w, r, t, "title", "description", "classes")
	if err != nil {
		return err
	}
	in, err := form.input()
	if err != nil {
		return err
	}
	d, err := h.svc.Documents.Create(r.Context(), t, p, caseID, in, *form.file)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"document": documentJSON(d)})
}

func (h *Handler) apiDocument(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := h.svc.Documents.Get(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"document": documentJSON(d)})
}

func (h *Handler) apiUpdateDocument(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Title       *string  `json:"title"`
		Description *string  `json:"description"`
		Classes     *[]int64 `json:"classes"`
		Version     int      `json:"version"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Version == 0 {
		return strongroom.FieldError("version", "Send the version of the document you are changing.")
	}
	cur, err := h.svc.Documents.Get(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	edit := documents.Edit{Title: cur.Title, Description: cur.Description, Classes: in.Classes, Version: in.Version}
	if in.Title != nil {
		edit.Title = *in.Title
	}
	if in.Description != nil {
		edit.Description = *in.Description
	}
	d, err := h.svc.Documents.Update(r.Context(), t, p, id, edit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"document": documentJSON(d)})
}

func (h *Handler) apiDeleteDocument(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	// The version comes as ?version=N or as a JSON body {"version": N}:
	// some clients send no body with DELETE.
	var in struct {
		Version int `json:"version"`
	}
	if q := r.URL.Query().Get("version"); q != "" {
		if in.Version, err = strconv.Atoi(q); err != nil {
			return strongroom.FieldError("version", "Expected a whole number here.")
		}
	} else if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := h.svc.Documents.Delete(r.Context(), t, p, id, in.Version); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}

func (h *Handler) apiDocumentVersions(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	vs, err := h.svc.Documents.Versions(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, v := range vs {
		out = append(out, fileVersionJSON(v))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"versions": out})
}

func (h *Handler) apiUploadVersion(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	form, err := h.readUpload(w, r, t, "version")
	if err != nil {
		return err
	}
	version, err := form.version()
	if err != nil {
		return err
	}
	d, err := h.svc.Documents.AddVersion(r.Context(), t, p, id, version, *form.file)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"document": documentJSON(d)})
}

// serveDownload streams a document version as an attachment, for the API
// and the pages alike. The service has authorized, checked and audited it;
// here only the headers are decided: an attachment (never shown inline),
// the sniffed type, no sniffing by the browser, no caching.
func (h *Handler) serveDownload(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	number := 0
	if q := r.URL.Query().Get("version"); q != "" {
		if number, err = strconv.Atoi(q); err != nil || number <= 0 {
			return strongroom.FieldError("version", "Choose a version by its number.")
		}
	}
	d, err := h.svc.Documents.Download(r.Context(), t, p, id, number)
	if err != nil {
		return err
	}
	defer d.Close()
	hd := w.Header()
	hd.Set("Content-Type", cmpOr(d.Version.ContentType, "application/octet-stream"))
	hd.Set("Content-Disposition", contentDisposition(d.Version.Filename))
	hd.Set("Content-Length", strconv.FormatInt(d.Version.Size, 10))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	// Should a browser ever render it anyway, it runs nothing and may not
	// be framed (the policy replaces the one every response carries).
	hd.Set("Content-Security-Policy", downloadPolicy)
	// The server sets no write timeout; a download gets time by its size.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(30*time.Minute + time.Duration(d.Version.Size/(100<<10))*time.Second))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if _, err := d.WriteTo(w); err != nil {
		h.log.Error("document download broke off", "tenant", t.Tenant.Slug, "document", id, "err", err)
		// The status is sent: cut the connection so that the client sees a
		// failed download, not a short file passed off as whole.
		panic(http.ErrAbortHandler)
	}
	return nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// contentDisposition names a download's file: always an attachment, the
// (already sanitised) name encoded as RFC 2231 asks when it is not ASCII.
func contentDisposition(filename string) string {
	if cd := mime.FormatMediaType("attachment", map[string]string{"filename": documents.SanitizeFilename(filename)}); cd != "" {
		return cd
	}
	return "attachment"
}

// uploadForm is a multipart upload read up to its file: the text fields
// sent before it, and the file, streamed by whoever reads its Body.
type uploadForm struct {
	values url.Values
	file   *documents.Upload
}

// readUpload reads a multipart/form-data request's text fields (only the
// allowed ones, 64 KiB in all) up to the part named "file", which must be
// the last. The request body is capped at the tenant's upload limit plus
// the fields, so that an oversized upload is never read to its end.
func (h *Handler) readUpload(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, allowed ...string) (*uploadForm, error) {
	limit, err := h.svc.Documents.MaxUpload(r.Context(), t)
	if err != nil {
		return nil, err
	}
	// An upload may take as long as it keeps coming, up to a ceiling set
	// by the limit, so that a trickling client cannot hold a connection.
	ceiling := time.Now().Add(15*time.Minute + time.Duration(limit/(64<<10))*time.Second)
	body := newUploadBody(w, r.Body, h.bodyTimeout(), ceiling)
	r.Body = http.MaxBytesReader(w, body, limit+2*maxUploadFields)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, strongroom.FieldError("body", "Send the document as multipart/form-data.")
	}
	form := &uploadForm{values: url.Values{}}
	room := int64(maxUploadFields)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, strongroom.FieldError("file", "Choose a file to upload.")
		} else if err != nil {
			return nil, errMalformedUpload()
		}
		name := part.FormName()
		if name == "file" {
			form.file = &documents.Upload{Filename: part.FileName(), Body: &lastPart{part: part, mr: mr, finish: body.finish}}
			return form, nil
		}
		if !slices.Contains(allowed, name) {
			return nil, strongroom.FieldError(name, "Unknown field.")
		}
		b, err := io.ReadAll(io.LimitReader(part, room+1))
		if err != nil {
			return nil, errMalformedUpload()
		}
		if room -= int64(len(b)); room < 0 {
			return nil, strongroom.FieldError(name, "The fields sent with the file are too long.")
		}
		form.values.Add(name, string(b))
	}
}

func errMalformedUpload() error {
	return strongroom.FieldError("body", "The upload could not be read as multipart/form-data; send it again.")
}

// lastPart reads the file part and, at its end, checks that nothing
// follows it: fields after the file would be read only once the file is
// stored, so they are refused.
type lastPart struct {
	part   *multipart.Part
	mr     *multipart.Reader
	finish func() // the body is read: its deadline goes
	done   bool
}

func (l *lastPart) Read(p []byte) (int, error) {
	if l.done {
		return 0, io.EOF
	}
	n, err := l.part.Read(p)
	if err == io.EOF {
		l.done = true
		defer l.finish()
		if _, next := l.mr.NextPart(); next == nil {
			return n, strongroom.FieldError("file", "Send the file as the last field of the form.")
		} else if next != io.EOF {
			return n, next
		}
	}
	return n, err
}

// input reads a new document's fields.
func (f *uploadForm) input() (documents.Input, error) {
	in := documents.Input{Title: f.values.Get("title"), Description: f.values.Get("description")}
	for _, v := range f.values["classes"] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				return in, strongroom.FieldError("classes", "Security classes are given by their ids.")
			}
			in.Classes = append(in.Classes, id)
		}
	}
	return in, nil
}

// version reads the document version a new file is sent against.
func (f *uploadForm) version() (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(f.values.Get("version")))
	if err != nil || v <= 0 {
		return 0, strongroom.FieldError("version", "Send the version of the document you are changing.")
	}
	return v, nil
}
