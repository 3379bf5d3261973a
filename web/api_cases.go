package web

import (
	"net/http"
	"strconv"
	"time"

	"strongroom"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/tenancy"
)

// casesRoutes registers the JSON API and the pages of cases and the
// records inside them. Both call package cases, which authorizes every
// operation; a hidden record answers exactly like a missing one.
func (h *Handler) casesRoutes() {
	api := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.authed(fn, false))) }
	pre := "/api/v1/t/{slug}/"
	api("GET "+pre+"cases", h.apiCases)
	api("GET "+pre+"cases/export.csv", h.caseExport)
	api("POST "+pre+"cases", h.apiCreateCase)
	api("GET "+pre+"cases/{id}", h.apiCase)
	api("PUT "+pre+"cases/{id}", h.apiUpdateCase)
	api("DELETE "+pre+"cases/{id}", h.apiDeleteCase)
	api("GET "+pre+"mdl-groups", h.apiMDLGroups)
	api("POST "+pre+"mdl-groups", h.apiCreateMDLGroup)
	api("POST "+pre+"import/cases", h.apiImport(false))
	api("POST "+pre+"import/financial", h.apiImport(true))
	financialAPI.routes(h, api, pre)
	contactAPI.routes(h, api, pre)
	noteAPI.routes(h, api, pre)
	eventAPI.routes(h, api, pre)
	h.casePageRoutes()
}

// caseJSON is a case as the API shows it.
type caseJSON struct {
	ID            int64    `json:"id"`
	Number        string   `json:"number"`
	Title         string   `json:"title"`
	Client        string   `json:"client"`
	PracticeGroup string   `json:"practice_group"`
	Status        string   `json:"status"`
	OpenedOn      string   `json:"opened_on"`
	ClosedOn      string   `json:"closed_on"`
	MDLID         *int64   `json:"mdl_id"`
	Tags          []string `json:"tags"`
	Responsible   []int64  `json:"responsible"`
	Classes       []int64  `json:"classes"`
	Version       int      `json:"version"`
	CreatedAt     string   `json:"created_at"`
	UpdatedAt     string   `json:"updated_at"`
}

func toCaseJSON(c *cases.Case) caseJSON {
	out := caseJSON{ID: c.ID, Number: c.Number, Title: c.Title, Client: c.Client, PracticeGroup: c.PracticeGroup,
		Status: c.Status, OpenedOn: c.OpenedOn, ClosedOn: c.ClosedOn, Tags: nonNilS(c.Tags),
		Responsible: nonNil(c.Responsible), Classes: nonNil(c.Classes), Version: c.Version,
		CreatedAt: c.CreatedAt.Format(time.RFC3339), UpdatedAt: c.UpdatedAt.Format(time.RFC3339)}
	if c.MDLID != 0 {
		out.MDLID = &c.MDLID
	}
	return out
}

func nonNilS(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// caseBody is a case as the API takes it. On PUT, a field left out keeps
// its value; mdl_id 0 takes the case out of its group.
type caseBody struct {
	Number        *string   `json:"number"`
	Title         *string   `json:"title"`
	Client        *string   `json:"client"`
	PracticeGroup *string   `json:"practice_group"`
	Status        *string   `json:"status"`
	OpenedOn      *string   `json:"opened_on"`
	ClosedOn      *string   `json:"closed_on"`
	MDLID         *int64    `json:"mdl_id"`
	Tags          *[]string `json:"tags"`
	Responsible   *[]int64  `json:"responsible"`
	Classes       *[]int64  `json:"classes"`
	Version       int       `json:"version"`
}

func (b caseBody) input(base cases.CaseInput) cases.CaseInput {
	set(&base.Number, b.Number)
	set(&base.Title, b.Title)
	set(&base.Client, b.Client)
	set(&base.PracticeGroup, b.PracticeGroup)
	set(&base.Status, b.Status)
	set(&base.OpenedOn, b.OpenedOn)
	set(&base.ClosedOn, b.ClosedOn)
	set(&base.MDLID, b.MDLID)
	set(&base.Tags, b.Tags)
	set(&base.Responsible, b.Responsible)
	set(&base.Classes, b.Classes)
	base.Version = b.Version
	return base
}

// set copies a field that the request body holds.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// apiCases lists cases with the list page's parameters (q, status,
// practice_group, responsible, mine, mdl_id, tag, sort, dir, page or
// cursor, limit) and the total the filter matches.
func (h *Handler) apiCases(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	f, err := caseFilterOf(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := h.svc.Cases.ListCasePage(r.Context(), t, p, f)
	if err != nil {
		return err
	}
	out := make([]caseJSON, 0, len(page.Cases))
	for _, c := range page.Cases {
		out = append(out, toCaseJSON(c))
	}
	// "more": the total stopped at cases.MaxCount; there are more.
	body := map[string]any{"cases": out, "next_cursor": page.Next, "total": page.Total, "more": page.Capped, "limit": page.Size}
	if page.Page > 0 {
		body["page"], body["pages"] = page.Page, page.Pages()
	}
	return writeJSON(w, http.StatusOK, body)
}

// listOptions reads ?cursor= and ?limit= of a list.
func listOptions(r *http.Request) (cases.ListOptions, error) {
	q := r.URL.Query()
	limit, err := queryInt(q.Get("limit"), "limit")
	return cases.ListOptions{Cursor: q.Get("cursor"), Limit: int(limit)}, err
}

// queryInt reads an optional whole number from the query string.
func queryInt(s, field string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, strongroom.FieldError(field, "Expected a whole number here.")
	}
	return n, nil
}

func (h *Handler) apiCase(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := h.svc.Cases.GetCase(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"case": toCaseJSON(c)})
}

func (h *Handler) apiCreateCase(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var b caseBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	c, err := h.svc.Cases.CreateCase(r.Context(), t, p, b.input(cases.CaseInput{}))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"case": toCaseJSON(c)})
}

func (h *Handler) apiUpdateCase(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b caseBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	cur, err := h.svc.Cases.GetCase(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	if b.Version == 0 {
		return strongroom.FieldError("version", "Send the version of the case you are editing.")
	}
	c, err := h.svc.Cases.UpdateCase(r.Context(), t, p, id, b.input(cur.Input()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"case": toCaseJSON(c)})
}

// queryVersion reads ?version= of a DELETE: the version the deletion is
// based on.
func queryVersion(r *http.Request) (int, error) {
	v, err := queryInt(r.URL.Query().Get("version"), "version")
	return int(v), err
}

func (h *Handler) apiDeleteCase(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	version, err := queryVersion(r)
	if err != nil {
		return err
	}
	if err := h.svc.Cases.DeleteCase(r.Context(), t, p, id, version); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}
