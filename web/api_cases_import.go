package web

import (
	"net/http"
	"strings"

	"strongroom"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/tenancy"
)

func (h *Handler) apiMDLGroups(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	gs, err := h.svc.Cases.ListMDL(r.Context(), t, p)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, g := range gs {
		out = append(out, map[string]any{"id": g.ID, "code": g.Code, "name": g.Name})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"mdl_groups": out})
}

func (h *Handler) apiCreateMDLGroup(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var in struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := h.svc.Cases.CreateMDL(r.Context(), t, p, cases.MDLGroup{Code: in.Code, Name: in.Name})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"mdl_group": map[string]any{"id": g.ID, "code": g.Code, "name": g.Name}})
}

// importJSON is an import report as the API shows it.
func importJSON(rep *cases.ImportReport) map[string]any {
	errs := []map[string]any{}
	for _, e := range rep.Errors {
		errs = append(errs, map[string]any{"line": e.Line, "field": e.Field, "message": e.Message})
	}
	return map[string]any{"dry_run": rep.DryRun, "valid": rep.Valid(), "rows": rep.Rows, "created": rep.Created,
		"error_count": rep.ErrorCount, "errors": errs}
}

// apiImport takes a CSV file as the request body. With ?dry_run=true it
// only validates and answers 200 with the report; otherwise it commits
// all rows or none, and a refusal carries the report with every error.
func (h *Handler) apiImport(financial bool) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		ct := strings.ToLower(r.Header.Get("Content-Type"))
		if ct != "" && !strings.HasPrefix(ct, "text/csv") && !strings.HasPrefix(ct, "text/plain") && !strings.HasPrefix(ct, "application/octet-stream") {
			return strongroom.FieldError("body", "Send the file as text/csv.")
		}
		dry, err := queryBool(r.URL.Query().Get("dry_run"), "dry_run")
		if err != nil {
			return err
		}
		run := h.svc.Cases.ImportCases
		if financial {
			run = h.svc.Cases.ImportFinancial
		}
		rep, err := run(r.Context(), t, p, r.Body, dry)
		if rep == nil || (err != nil && !dry && strongroom.ErrorCode(err) != strongroom.EINVALID && strongroom.ErrorCode(err) != strongroom.ECONFLICT) {
			return err
		}
		if err != nil && !dry {
			code := strongroom.ErrorCode(err)
			body := errorBodyOf(code, strongroom.ErrorMessage(err), err)
			return writeJSON(w, statusOf[code], map[string]any{"error": body, "import": importJSON(rep)})
		}
		return writeJSON(w, http.StatusOK, map[string]any{"import": importJSON(rep)})
	}
}

// queryBool reads an optional true/false from the query string.
func queryBool(s, field string) (bool, error) {
	switch s {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, strongroom.FieldError(field, "Expected true or false here.")
}
