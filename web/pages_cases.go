package web

import (
	"net/http"
	"strconv"
	"strings"

	"strongroom"
	"strongroom/identity"
	"strongroom/tenancy"
)

func init() {
	for k, v := range map[string]string{
		"case-saved":     "The case has been saved.",
		"case-deleted":   "The case has been deleted. It is kept, hidden, for 30 days before it is removed for good.",
		"record-saved":   "The record has been saved.",
		"record-delete":  "The record has been deleted.",
		"import-done":    "The import is done.",
		"mdl-created":    "The group has been created.",
		"delete-refused": "The case was not deleted: someone else changed it in the meantime. Look at it again, and delete it again if you still mean to.",
	} {
		notices[k] = v
	}
}

// maxCaseForm bounds a case or record form: a note may be long.
const maxCaseForm = 1 << 20

func (h *Handler) casePageRoutes() {
	page := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.pageAuthed(fn, false))) }
	pre := "/t/{slug}/"
	page("GET "+pre+"cases", h.casesPage)
	page("GET "+pre+"cases/export.csv", h.caseExport)
	page("GET "+pre+"cases/new", h.caseFormPage)
	page("POST "+pre+"cases/new", h.caseFormSubmit)
	page("GET "+pre+"cases/import", h.importPage)
	page("POST "+pre+"cases/import", h.importSubmit)
	page("GET "+pre+"cases/mdl-groups", h.mdlPage)
	page("POST "+pre+"cases/mdl-groups", h.mdlSubmit)
	page("GET "+pre+"cases/{id}", h.casePage)
	page("GET "+pre+"cases/{id}/edit", h.caseFormPage)
	page("POST "+pre+"cases/{id}/edit", h.caseFormSubmit)
	page("GET "+pre+"cases/{id}/delete", h.deleteCasePage)
	page("POST "+pre+"cases/{id}/delete", h.caseDeleteSubmit)
	for _, k := range recordPages {
		page("GET "+pre+"cases/{id}/"+k.path+"/new", h.recordFormPage(k))
		page("POST "+pre+"cases/{id}/"+k.path+"/new", h.recordFormSubmit(k))
		page("GET "+pre+k.path+"/{rid}", h.recordFormPage(k))
		page("POST "+pre+k.path+"/{rid}", h.recordFormSubmit(k))
		page("GET "+pre+k.path+"/{rid}/delete", h.recordDeletePage(k))
		page("POST "+pre+k.path+"/{rid}/delete", h.recordDeleteSubmit(k))
	}
}

// parseCaseForm reads a posted case or record form.
func parseCaseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxCaseForm)
	if err := r.ParseForm(); err != nil {
		return strongroom.Errorf(strongroom.EINVALID, "The form could not be read; send it again.")
	}
	return nil
}

// names joins the names m has for ids, or says none when it has none.
func names(m map[int64]string, ids []int64, none string) string {
	var out []string
	for _, id := range ids {
		if n, ok := m[id]; ok {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return none
	}
	return strings.Join(out, ", ")
}

// caseDeleteSubmit deletes a case, as confirmed on its confirmation page
// (deleteCasePage), based on the version that page showed.
func (h *Handler) caseDeleteSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if version, verr := formInt(r, "version"); verr != nil {
		err = verr
	} else {
		err = h.svc.Cases.DeleteCase(r.Context(), t, p, id, version)
	}
	if err != nil {
		if code := strongroom.ErrorCode(err); code != strongroom.EINVALID && code != strongroom.ECONFLICT {
			return err
		}
		return redirect(w, r, tenantPath(t, "cases/"+strconv.FormatInt(id, 10)+"?done=delete-refused"))
	}
	return redirectDone(w, r, t, "cases", "case-deleted")
}
