package web

import (
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/tenancy"
)

// importView is the import page: the form, and after a check or a refused
// import the report; CSV carries a checked file to the commit form.
type importView struct {
	Kind        string
	Report      *cases.ImportReport
	CSV         string
	CaseHeader  string
	MoneyHeader string
}

func (h *Handler) importPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.Subject.Require(access.Cases, access.Read); err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Page = importView{Kind: "cases", CaseHeader: strings.Join(cases.CaseImportHeader, ","),
		MoneyHeader: strings.Join(cases.FinancialImportHeader, ",")}
	return h.render(w, http.StatusOK, "import", v)
}

// importSubmit checks (dry run) or imports an uploaded CSV file. The file
// comes as the "file" part, or after a check as the "csv" field of the
// commit form, so that nothing is kept on the server between the two.
func (h *Handler) importSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	r.Body = http.MaxBytesReader(w, r.Body, 2*cases.MaxImportBytes+(64<<10))
	mr, err := r.MultipartReader()
	if err != nil {
		return strongroom.Errorf(strongroom.EINVALID, "Send the file with the upload form.")
	}
	fields := map[string]string{}
	var data []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			return strongroom.Errorf(strongroom.EINVALID, "The upload could not be read; send it again.")
		}
		name := part.FormName()
		b, err := readPart(part, name)
		if err != nil {
			return err
		}
		if name == "file" || (name == "csv" && data == nil) {
			data = b
		} else {
			fields[name] = string(b)
		}
	}
	iv := importView{Kind: fields["kind"], CaseHeader: strings.Join(cases.CaseImportHeader, ","),
		MoneyHeader: strings.Join(cases.FinancialImportHeader, ",")}
	run := h.svc.Cases.ImportCases
	if iv.Kind == "financial" {
		run = h.svc.Cases.ImportFinancial
	} else {
		iv.Kind = "cases"
	}
	dry := fields["action"] != "import"
	rep, err := run(r.Context(), t, p, strings.NewReader(string(data)), dry)
	if rep == nil {
		return err
	}
	if err == nil && !dry {
		return redirectDone(w, r, t, "cases", "import-done")
	}
	if err != nil && !dry && strongroom.ErrorCode(err) != strongroom.EINVALID {
		return err
	}
	iv.Report = rep
	if rep.Valid() {
		iv.CSV = string(data)
	}
	v := newView(r, t, p)
	v.Page = iv
	status := http.StatusOK
	if !rep.Valid() {
		status = http.StatusBadRequest
	}
	return h.render(w, status, "import", v)
}

// readPart reads one part of the import upload: a file of at most
// MaxImportBytes, or a short field.
func readPart(part *multipart.Part, name string) ([]byte, error) {
	limit := int64(1 << 10)
	if name == "file" || name == "csv" {
		limit = cases.MaxImportBytes
	}
	b, err := io.ReadAll(io.LimitReader(part, limit+1))
	if err != nil {
		return nil, strongroom.Errorf(strongroom.EINVALID, "The upload could not be read; send it again.")
	}
	if int64(len(b)) > limit {
		return nil, strongroom.FieldError(name, "The file is larger than %d MiB.", cases.MaxImportBytes>>20)
	}
	return b, nil
}

// mdlView is the page of multi-district litigation groups.
type mdlView struct {
	Groups  []cases.MDLGroup
	CanEdit bool
}

func (h *Handler) renderMDL(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, formErr error) error {
	gs, err := h.svc.Cases.ListMDL(r.Context(), t, p)
	if err != nil {
		return err
	}
	v.Page = mdlView{Groups: gs, CanEdit: p.Subject.Allowed(access.Administration, access.Edit)}
	return h.renderForm(w, "case_mdl", v, formErr, "code", "name")
}

func (h *Handler) mdlPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.renderMDL(w, r, t, p, newView(r, t, p), nil)
}

func (h *Handler) mdlSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Form.Values = formValues(r, "code", "name")
	_, err := h.svc.Cases.CreateMDL(r.Context(), t, p, cases.MDLGroup{Code: strings.TrimSpace(r.PostForm.Get("code")),
		Name: strings.TrimSpace(r.PostForm.Get("name"))})
	if err != nil {
		return h.renderMDL(w, r, t, p, v, err)
	}
	return redirectDone(w, r, t, "cases/mdl-groups", "mdl-created")
}
