package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/documents"
	"strongroom/identity"
	"strongroom/tenancy"
)

// The confirmations of the document pages, added to the fixed notices.
func init() {
	notices["document-uploaded"] = "The document has been uploaded."
	notices["document-version"] = "The new version has been uploaded."
	notices["document-saved"] = "The document has been saved."
	notices["document-deleted"] = "The document has been deleted."
}

func (h *Handler) documentPageRoutes() {
	page := func(pattern string, fn handlerFunc) { h.mux.Handle(pattern, h.page(fn)) }
	pre := "/t/{slug}/"
	page("GET "+pre+"cases/{id}/documents", h.pageAuthed(h.documentsPage, false))
	page("GET "+pre+"cases/{id}/documents/new", h.pageAuthed(h.newDocumentPage, false))
	page("POST "+pre+"cases/{id}/documents/new", h.pageAuthed(h.newDocumentSubmit, false))
	page("GET "+pre+"documents/{id}", h.pageAuthed(h.documentPage, false))
	page("POST "+pre+"documents/{id}", h.pageAuthed(h.documentSubmit, false))
	page("POST "+pre+"documents/{id}/versions", h.pageAuthed(h.documentVersionSubmit, false))
	page("POST "+pre+"documents/{id}/delete", h.pageAuthed(h.documentDeleteSubmit, false))
	page("GET "+pre+"documents/{id}/download", h.pageAuthed(h.serveDownload, false))
}

// sizes formats byte counts for the document pages.
type sizes struct{}

// Size renders a byte count: "812 bytes", "14.2 KiB", "3.0 MiB".
func (sizes) Size(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

// documentListView is the documents page of a case.
type documentListView struct {
	sizes
	CaseID    int64
	Case      *cases.Case
	By        map[int64]string // uploaders' names; empty for restricted users
	Documents []*documents.Document
	CanEdit   bool
}

// documentNewView is the upload form of a case.
type documentNewView struct {
	sizes
	CaseID  int64
	Classes []documents.Class // those the user holds and may classify with
	Limit   int64
}

// documentView is one document: details, versions and, for editors, the
// forms to change it.
type documentView struct {
	sizes
	Case     *cases.Case
	By       map[int64]string // uploaders' names; empty for restricted users
	Doc      *documents.Document
	Versions []documents.FileVersion
	Classes  []documents.Class
	CanEdit  bool
	Limit    int64
}

// NextNumber is the number a new file version will get.
func (v documentView) NextNumber() int { return v.Doc.Current.Number + 1 }

func (h *Handler) documentsPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	caseID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ds, err := h.svc.Documents.List(r.Context(), t, p, caseID)
	if err != nil {
		return err
	}
	c, err := h.svc.Cases.GetCase(r.Context(), t, p, caseID)
	if err != nil {
		return err
	}
	by, err := h.svc.Cases.PeopleNames(r.Context(), t, p)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Page = documentListView{CaseID: caseID, Case: c, By: by, Documents: ds, CanEdit: p.Subject.Allowed(access.Documents, access.Edit)}
	return h.render(w, http.StatusOK, "documents", v)
}

func (h *Handler) newDocumentPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	caseID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.svc.Documents.AuthorizeCreate(r.Context(), t, p, caseID); err != nil {
		return err
	}
	return h.renderNewDocument(w, r, t, p, caseID, newView(r, t, p), nil)
}

func (h *Handler) renderNewDocument(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, caseID int64, v view, formErr error) error {
	page := documentNewView{CaseID: caseID}
	var err error
	if page.Classes, err = h.svc.Documents.HeldClasses(r.Context(), t, p); err != nil {
		return err
	}
	if page.Limit, err = h.svc.Documents.MaxUpload(r.Context(), t); err != nil {
		return err
	}
	v.Page = page
	return h.renderForm(w, "document_new", v, formErr, "title", "description", "classes", "file")
}

func (h *Handler) newDocumentSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	caseID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	// Asked before the upload is read: a refused user costs no storage.
	if err := h.svc.Documents.AuthorizeCreate(r.Context(), t, p, caseID); err != nil {
		return err
	}
	v := newView(r, t, p)
	form, err := h.readUpload(w, r, t, "title", "description", "classes")
	if form != nil {
		v.Form.Values = form.values
	}
	var d *documents.Document
	if err == nil {
		var in documents.Input
		if in, err = form.input(); err == nil {
			d, err = h.svc.Documents.Create(r.Context(), t, p, caseID, in, *form.file)
		}
	}
	if err != nil {
		return h.renderNewDocument(w, r, t, p, caseID, v, err)
	}
	return redirectDone(w, r, t, "documents/"+strconv.FormatInt(d.ID, 10), "document-uploaded")
}

func (h *Handler) documentPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return h.renderDocument(w, r, t, p, id, newView(r, t, p), nil)
}

// renderDocument shows a document with the values in v.Form (empty: the
// stored ones) and formErr, if any.
func (h *Handler) renderDocument(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64, v view, formErr error) error {
	ctx := r.Context()
	page := documentView{CanEdit: p.Subject.Allowed(access.Documents, access.Edit)}
	var err error
	if page.Doc, err = h.svc.Documents.Get(ctx, t, p, id); err != nil {
		return err
	}
	if page.Versions, err = h.svc.Documents.Versions(ctx, t, p, id); err != nil {
		return err
	}
	// The case names the page's breadcrumbs. A document of its own
	// classes may be readable where its case is not: then the case is
	// not named.
	if page.Case, err = h.svc.Cases.GetCase(ctx, t, p, page.Doc.CaseID); strongroom.ErrorCode(err) == strongroom.ENOTFOUND ||
		strongroom.ErrorCode(err) == strongroom.EFORBIDDEN {
		page.Case = nil
	} else if err != nil {
		return err
	}
	// Without the cases area there are no names of staff to show.
	if page.By, err = h.svc.Cases.PeopleNames(ctx, t, p); strongroom.ErrorCode(err) == strongroom.EFORBIDDEN {
		page.By = nil
	} else if err != nil {
		return err
	}
	if page.Classes, err = h.svc.Documents.ClassNames(ctx, t, page.Doc); err != nil {
		return err
	}
	if page.Limit, err = h.svc.Documents.MaxUpload(ctx, t); err != nil {
		return err
	}
	if len(v.Form.Values) == 0 {
		v.Form.Values = url.Values{"title": {page.Doc.Title}, "description": {page.Doc.Description},
			"version": {strconv.Itoa(page.Doc.Version)}}
	}
	v.Page = page
	return h.renderForm(w, "document", v, formErr, "title", "description", "file")
}

func (h *Handler) documentSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Form.Values = formValues(r, "title", "description", "version")
	version, err := formInt(r, "version")
	if err == nil {
		_, err = h.svc.Documents.Update(r.Context(), t, p, id, documents.Edit{Title: r.PostForm.Get("title"),
			Description: r.PostForm.Get("description"), Version: version})
	}
	if err != nil {
		return h.renderDocumentError(w, r, t, p, id, v, err)
	}
	return redirectDone(w, r, t, "documents/"+strconv.FormatInt(id, 10), "document-saved")
}

// renderDocumentError shows a document page with a failed form's error,
// unless the document itself is out of reach (then the error page).
func (h *Handler) renderDocumentError(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64, v view, err error) error {
	switch strongroom.ErrorCode(err) {
	case strongroom.ENOTFOUND, strongroom.EFORBIDDEN, strongroom.EINTERNAL:
		return err
	}
	return h.renderDocument(w, r, t, p, id, v, err)
}

func (h *Handler) documentVersionSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	form, err := h.readUpload(w, r, t, "version")
	if err == nil {
		var version int
		if version, err = form.version(); err == nil {
			_, err = h.svc.Documents.AddVersion(r.Context(), t, p, id, version, *form.file)
		}
	}
	if err != nil {
		return h.renderDocumentError(w, r, t, p, id, newView(r, t, p), err)
	}
	return redirectDone(w, r, t, "documents/"+strconv.FormatInt(id, 10), "document-version")
}

func (h *Handler) documentDeleteSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	d, err := h.svc.Documents.Get(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	version, err := formInt(r, "version")
	if err == nil {
		err = h.svc.Documents.Delete(r.Context(), t, p, id, version)
	}
	if err != nil {
		return h.renderDocumentError(w, r, t, p, id, newView(r, t, p), err)
	}
	return redirectDone(w, r, t, "cases/"+strconv.FormatInt(d.CaseID, 10)+"/documents", "document-deleted")
}
