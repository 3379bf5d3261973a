package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/format"
	"strongroom/identity"
	"strongroom/tenancy"
)

// caseForm is the form of a new or existing case.
type caseForm struct {
	Case     *cases.Case // nil for a new case
	Statuses []string
	MDL      []cases.MDLGroup
	Users    []cases.Choice
	Classes  []cases.Choice
}

var caseFields = []string{"number", "title", "client", "practice_group", "status", "opened_on", "closed_on", "mdl_id",
	"tags", "responsible", "classes"}

func (h *Handler) renderCaseForm(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, formErr error) error {
	ctx := r.Context()
	var page caseForm
	var err error
	if id := r.PathValue("id"); id != "" {
		cid, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if page.Case, err = h.svc.Cases.GetCase(ctx, t, p, cid); err != nil {
			return err
		}
		if len(v.Form.Values) == 0 {
			v.Form.Values = caseValues(page.Case)
		}
	} else if err := p.Subject.Require(access.Cases, access.Edit); err != nil {
		return err
	}
	page.Statuses = cases.Statuses()
	if page.MDL, err = h.svc.Cases.ListMDL(ctx, t, p); err != nil {
		return err
	}
	if page.Users, err = h.svc.Cases.UserChoices(ctx, t, p); err != nil {
		return err
	}
	if page.Classes, err = h.svc.Cases.ClassChoices(ctx, t, p); err != nil {
		return err
	}
	if isStale(formErr) && page.Case != nil {
		// Keep what the user typed, show what is saved now beside it, and
		// base the next save on the current version: saving again applies
		// the user's values knowingly.
		saved := caseValues(page.Case)
		origin, known := originOf(r, caseFields)
		v.Form.Changed = "case"
		v.Form.Stale = reconcile(caseFields, saved, v.Form.Values, origin, known, page.show)
		v.Form.Values.Set("version", strconv.Itoa(page.Case.Version))
		v.Form.Origin = originFields(saved, caseFields) // the next save is based on what is saved now
	} else if page.Case != nil {
		if origin, known := originOf(r, caseFields); known {
			v.Form.Origin = origin // a form shown again keeps what it was opened with
		} else {
			v.Form.Origin = originFields(caseValues(page.Case), caseFields)
		}
	}
	v.Page = page
	return h.renderForm(w, "case_form", v, formErr, caseFields...)
}

// show writes a case field's form values for people, for the list of
// fields someone else changed.
func (page caseForm) show(field string, vs []string) string {
	switch field {
	case "status":
		return format.Words(strings.Join(vs, ""))
	case "tags":
		return showList(vs, strings.ToLower)
	case "mdl_id":
		return showList(vs, func(id string) string {
			for _, g := range page.MDL {
				if strconv.FormatInt(g.ID, 10) == id {
					return g.Code + " — " + g.Name
				}
			}
			return id
		})
	case "responsible":
		return showList(vs, choiceName(page.Users))
	case "classes":
		return showList(vs, choiceName(page.Classes))
	}
	return strings.TrimSpace(strings.Join(vs, ", "))
}

// choiceName names an id among choices (the id itself if it is not one).
func choiceName(cs []cases.Choice) func(string) string {
	return func(id string) string {
		for _, c := range cs {
			if strconv.FormatInt(c.ID, 10) == id {
				return c.Name
			}
		}
		return id
	}
}

func caseValues(c *cases.Case) url.Values {
	v := url.Values{"number": {c.Number}, "title": {c.Title}, "client": {c.Client}, "practice_group": {c.PracticeGroup},
		"status": {c.Status}, "opened_on": {c.OpenedOn}, "closed_on": {c.ClosedOn}, "tags": {strings.Join(c.Tags, ", ")},
		"version": {strconv.Itoa(c.Version)}}
	if c.MDLID != 0 {
		v.Set("mdl_id", strconv.FormatInt(c.MDLID, 10))
	}
	for _, id := range c.Responsible {
		v.Add("responsible", strconv.FormatInt(id, 10))
	}
	for _, id := range c.Classes {
		v.Add("classes", strconv.FormatInt(id, 10))
	}
	return v
}

func (h *Handler) caseFormPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.renderCaseForm(w, r, t, p, newView(r, t, p), nil)
}

func (h *Handler) caseFormSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseCaseForm(w, r); err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Form.Values = formValues(r, append(caseFields, "version")...)
	f := r.PostForm
	in := cases.CaseInput{Number: strings.TrimSpace(f.Get("number")), Title: strings.TrimSpace(f.Get("title")),
		Client: strings.TrimSpace(f.Get("client")), PracticeGroup: strings.TrimSpace(f.Get("practice_group")),
		Status: f.Get("status"), OpenedOn: f.Get("opened_on"), ClosedOn: f.Get("closed_on"), Tags: strings.Split(f.Get("tags"), ",")}
	var err error
	if in.MDLID, err = queryInt(f.Get("mdl_id"), "mdl_id"); err == nil {
		if in.Responsible, err = formIDs(r, "responsible"); err == nil {
			in.Classes, err = formIDs(r, "classes")
		}
	}
	if err != nil {
		return h.renderCaseForm(w, r, t, p, v, err)
	}
	var c *cases.Case
	if r.PathValue("id") == "" {
		c, err = h.svc.Cases.CreateCase(r.Context(), t, p, in)
	} else {
		id, perr := pathID(r, "id")
		if perr != nil {
			return perr
		}
		if in.Version, err = formInt(r, "version"); err == nil {
			c, err = h.svc.Cases.UpdateCase(r.Context(), t, p, id, in)
		}
	}
	if err != nil {
		return h.renderCaseForm(w, r, t, p, v, err)
	}
	return redirectDone(w, r, t, "cases/"+strconv.FormatInt(c.ID, 10), "case-saved")
}
