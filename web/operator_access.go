package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/grants"
	"strongroom/operators"
)

// operatorAccessRoutes registers the operator's side of access grants: a
// page to file requests and see their own, and the same as JSON.
func (h *Handler) operatorAccessRoutes() {
	page := func(pattern string, fn operatorFunc) {
		h.mux.Handle(pattern, h.page(h.operatorGrantsAuthed(fn, false)))
	}
	page("GET /operator/access", h.operatorAccessPage)
	page("POST /operator/access", h.operatorAccessSubmit)
	page("POST /operator/access/{id}/end", h.operatorAccessEnd)
	api := func(pattern string, fn operatorFunc) { h.mux.Handle(pattern, h.page(h.operatorGrantsAuthed(fn, true))) }
	api("GET /operator/api/access-requests", h.apiOperatorRequests)
	api("POST /operator/api/access-requests", h.apiOperatorFile)
	api("POST /operator/api/access-requests/{id}/end", h.apiOperatorEnd)
}

// operatorGrantsAuthed runs fn for the signed-in operator: 404 on a server
// without an operator realm or grants, and otherwise a sign-in redirect to
// the console (pages) or 401 (API).
func (h *Handler) operatorGrantsAuthed(fn operatorFunc, api bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if h.svc.Operators == nil || h.svc.Grants == nil {
			return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
		}
		op, err := h.signedInOperator(r)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		if op == nil {
			if api {
				return strongroom.Errorf(strongroom.EUNAUTHORIZED, "Please sign in to the operator console.")
			}
			return redirect(w, r, "/operator/?next="+url.QueryEscape(r.URL.Path))
		}
		if done, err := mustChooseFirst(w, r, op, api); done {
			return err
		}
		return fn(w, r, op)
	}
}

// operatorRequestJSON is a filed request as the operator sends it.
type operatorRequestJSON struct {
	Tenant          string   `json:"tenant"`
	Reason          string   `json:"reason"`
	Ticket          string   `json:"ticket"`
	Areas           []string `json:"areas"`
	Classes         []int64  `json:"classes"`
	DurationMinutes int      `json:"duration_minutes"`
}

func (in operatorRequestJSON) request() grants.Request {
	req := grants.Request{Tenant: strings.TrimSpace(in.Tenant), Reason: grants.Reason(in.Reason), Ticket: in.Ticket,
		Duration: time.Duration(in.DurationMinutes) * time.Minute, Scope: grants.Scope{Classes: in.Classes}}
	for _, a := range in.Areas {
		req.Scope.Areas = append(req.Scope.Areas, access.Area(a))
	}
	return req
}

func ownRows(gs []*grants.Grant, now time.Time) []grantRow {
	out := []grantRow{}
	for _, g := range gs {
		row := toGrantRow(g, now)
		row.Actions = []action{}
		out = append(out, row)
	}
	return out
}

func (h *Handler) apiOperatorRequests(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	gs, err := h.svc.Grants.Own(r.Context(), op)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"access_requests": ownRows(gs, h.svc.Grants.Now())})
}

func (h *Handler) apiOperatorFile(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	var in operatorRequestJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := h.svc.Grants.File(r.Context(), op, clientIP(r), in.request())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"access_request": toGrantRow(g, h.svc.Grants.Now())})
}

func (h *Handler) apiOperatorEnd(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return strongroom.Errorf(strongroom.ENOTFOUND, "No such access request.")
	}
	g, err := h.svc.Grants.End(r.Context(), op, clientIP(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"access_request": toGrantRow(g, h.svc.Grants.Now())})
}

// operatorAccessView is the data of /operator/access.
type operatorAccessView struct {
	Operator *operators.Operator
	Requests []grantRow
	Reasons  []grants.Reason
	Areas    []access.Area
}

// operatorAccessView is the page's view, in the console's layout: no
// tenant and no tenant user.
func (h *Handler) operatorAccessView(r *http.Request, op *operators.Operator) (*operatorView, error) {
	gs, err := h.svc.Grants.Own(r.Context(), op)
	if err != nil {
		return nil, err
	}
	var areas []access.Area
	for _, a := range access.Areas() {
		if a != access.Administration {
			areas = append(areas, a)
		}
	}
	v := &operatorView{Me: op, Active: "access", Form: form{Values: url.Values{"duration_minutes": {"60"}}},
		Page: operatorAccessView{Operator: op, Requests: ownRows(gs, h.svc.Grants.Now()), Reasons: grants.Reasons(), Areas: areas}}
	switch r.URL.Query().Get("done") {
	case "filed":
		v.Notice = "The request has been filed."
	case "ended":
		v.Notice = "The access has been ended."
	}
	return v, nil
}

func (h *Handler) operatorAccessPage(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	v, err := h.operatorAccessView(r, op)
	if err != nil {
		return err
	}
	return h.renderOperator(w, http.StatusOK, "operator_access", v)
}

func (h *Handler) operatorAccessSubmit(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	mins, _ := strconv.Atoi(r.PostForm.Get("duration_minutes"))
	in := operatorRequestJSON{Tenant: r.PostForm.Get("tenant"), Reason: r.PostForm.Get("reason"), Ticket: r.PostForm.Get("ticket"),
		Areas: r.PostForm["areas"], DurationMinutes: mins}
	for _, c := range strings.FieldsFunc(r.PostForm.Get("classes"), func(r rune) bool { return r == ',' || r == ' ' }) {
		if id, err := strconv.ParseInt(c, 10, 64); err == nil {
			in.Classes = append(in.Classes, id)
		}
	}
	_, err := h.svc.Grants.File(r.Context(), op, clientIP(r), in.request())
	if err == nil {
		return redirect(w, r, "/operator/access?done=filed")
	}
	if strongroom.ErrorCode(err) != strongroom.EINVALID {
		return err
	}
	v, verr := h.operatorAccessView(r, op)
	if verr != nil {
		return verr
	}
	v.Form = form{Values: r.PostForm, Field: strongroom.ErrorField(err), Error: strongroom.ErrorMessage(err), Problems: strongroom.ErrorProblems(err)}
	return h.renderOperator(w, http.StatusBadRequest, "operator_access", v)
}

func (h *Handler) operatorAccessEnd(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return strongroom.Errorf(strongroom.ENOTFOUND, "No such access request.")
	}
	if _, err := h.svc.Grants.End(r.Context(), op, clientIP(r), id); err != nil {
		return err
	}
	return redirect(w, r, "/operator/access?done=ended")
}
