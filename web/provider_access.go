package web

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/grants"
	"strongroom/identity"
	"strongroom/tenancy"
)

// The trail's words for access by the service provider.
func init() {
	actionLabels["provider_access.requested"] = "Service provider requested access"
	actionLabels["provider_access.granted"] = "Service provider access granted automatically"
	actionLabels["provider_access.approved"] = "Approved service provider access"
	actionLabels["provider_access.denied"] = "Denied service provider access"
	actionLabels["provider_access.expired"] = "Service provider request expired unanswered"
	actionLabels["provider_access.revoked"] = "Revoked service provider access"
	actionLabels["provider_access.ended"] = "Service provider access ended"
	actionLabels["provider_access.break_glass"] = "Break-glass access by the service provider (review required)"
	actionLabels["provider_access.acknowledged"] = "Acknowledged break-glass access"
	actionLabels["provider_access.setting"] = "Changed the approval of service provider access"
	actionLabels["operator.request"] = "Request by a service provider operator"
	auditFieldLabels["approval"] = "Approval of service provider access"
}

// providerAccessRoutes registers the tenant administrators' page and JSON
// API of access by the service provider, and the operator's own
// (operator_access.go).
func (h *Handler) providerAccessRoutes() {
	served := func(fn authFunc) authFunc { return ifServed(func() bool { return h.svc.Grants != nil }, fn) }
	api := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.authed(served(fn), false))) }
	api("GET /api/v1/t/{slug}/provider-access", h.apiProviderAccess)
	api("PUT /api/v1/t/{slug}/provider-access/approval", h.apiProviderApproval)
	api("GET /api/v1/t/{slug}/provider-access/grants/{id}/events", h.apiProviderGrantEvents)
	for _, a := range []string{"approve", "deny", "revoke"} {
		api("POST /api/v1/t/{slug}/provider-access/grants/{id}/"+a, withAction(a, h.apiProviderGrantAction))
	}
	api("POST /api/v1/t/{slug}/provider-access/notices/{id}/acknowledge", h.apiProviderAcknowledge)
	page := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.pageAuthed(served(fn), false))) }
	pre := "/t/{slug}/admin/provider-access"
	page("GET "+pre, h.providerAccessPage)
	page("GET "+pre+"/export/{format}", h.providerAccessExport)
	page("POST "+pre+"/approval", h.providerApprovalSubmit)
	page("GET "+pre+"/grants/{id}/{action}", h.providerGrantConfirm)
	page("POST "+pre+"/grants/{id}/{action}", h.providerGrantSubmit)
	page("POST "+pre+"/notices/{id}/acknowledge", h.providerAcknowledgeSubmit)
	h.operatorAccessRoutes()
}

// withAction names the grant action of a route for grantAction.
func withAction(a string, fn authFunc) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		r.SetPathValue("action", a)
		return fn(w, r, t, p)
	}
}

// grantRow is a grant as the page and the exports show it.
type grantRow struct {
	ID        int64    `json:"id"`
	Operator  string   `json:"operator"`
	Reason    string   `json:"reason"`
	Ticket    string   `json:"ticket"`
	Scope     string   `json:"scope"`
	State     string   `json:"state"`
	Requested string   `json:"requested_at"`
	From      string   `json:"from"`
	Until     string   `json:"until"`
	DecidedBy string   `json:"decided_by"`
	Actions   []action `json:"actions"`
}

// action is one event of the tenant's trail under a grant.
type action struct {
	Seq    int64  `json:"seq"`
	At     string `json:"at"`
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	Status string `json:"status,omitempty"`
}

func rfc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func toGrantRow(g *grants.Grant, now time.Time) grantRow {
	return grantRow{ID: g.ID, Operator: g.OperatorName, Reason: string(g.Reason), Ticket: g.Ticket, Scope: g.Scope.Text(),
		State: string(g.StateAt(now)), Requested: rfc(g.RequestedAt), From: rfc(g.StartsAt), Until: rfc(g.EndsAt), DecidedBy: g.DecidedBy,
		Actions: []action{}}
}

func toAction(e audit.Event) action {
	return action{Seq: e.Seq, At: rfc(e.Time), Actor: e.Actor.Kind + ":" + e.Actor.ID, Action: e.Action,
		Method: e.Details["method"], Path: e.Details["path"], Status: e.Details["status"]}
}

// providerAccess is everything the page and the API show.
type providerAccess struct {
	Approval string          `json:"approval"`
	Grants   []grantRow      `json:"grants"`
	Notices  []grants.Notice `json:"-"`
	Pending  int             `json:"-"`
}

func (h *Handler) providerAccess(r *http.Request, t *tenancy.Handle, p *identity.Principal, withActions bool) (*providerAccess, error) {
	svc := h.svc.Grants
	a, err := svc.Approval(r.Context(), t, p)
	if err != nil {
		return nil, err
	}
	gs, err := svc.List(r.Context(), t, p)
	if err != nil {
		return nil, err
	}
	ns, err := svc.Notices(r.Context(), t, p, true)
	if err != nil {
		return nil, err
	}
	now := svc.Now()
	out := &providerAccess{Approval: string(a), Grants: []grantRow{}, Notices: ns}
	for _, g := range gs {
		row := toGrantRow(g, now)
		if row.State == string(grants.Pending) {
			out.Pending++
		}
		row.Actions = []action{}
		if withActions {
			evs, err := svc.Events(r.Context(), t, p, g.ID)
			if err != nil {
				return nil, err
			}
			for _, e := range evs {
				row.Actions = append(row.Actions, toAction(e))
			}
		}
		out.Grants = append(out.Grants, row)
	}
	return out, nil
}

func (h *Handler) providerAccessPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	pa, err := h.providerAccess(r, t, p, true)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Page = pa
	return h.render(w, http.StatusOK, "admin_provider_access", v)
}

// providerAccessExport writes every grant and every action under it as
// CSV (one line an action, or a grant without any) or JSON.
func (h *Handler) providerAccessExport(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	format := r.PathValue("format")
	if format != "csv" && format != "json" {
		return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
	}
	pa, err := h.providerAccess(r, t, p, true)
	if err != nil {
		return err
	}
	name := "provider-access-" + t.Tenant.Slug + "." + format
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if format == "json" {
		return writeJSON(w, http.StatusOK, map[string]any{"provider_access": pa})
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	cw.Write([]string{"grant", "operator", "reason", "ticket", "scope", "state", "requested_at", "from", "until", "decided_by",
		"event_seq", "event_at", "actor", "action", "method", "path", "status"})
	for _, g := range pa.Grants {
		head := []string{strconv.FormatInt(g.ID, 10), g.Operator, g.Reason, g.Ticket, g.Scope, g.State, g.Requested, g.From, g.Until, g.DecidedBy}
		if len(g.Actions) == 0 {
			cw.Write(append(head, "", "", "", "", "", "", ""))
		}
		for _, a := range g.Actions {
			cw.Write(append(append([]string(nil), head...), strconv.FormatInt(a.Seq, 10), a.At, a.Actor, a.Action, a.Method, a.Path, a.Status))
		}
	}
	cw.Flush()
	return cw.Error()
}

func (h *Handler) providerApprovalSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := h.svc.Grants.SetApproval(r.Context(), t, p, grants.Approval(r.PostForm.Get("approval"))); err != nil {
		return err
	}
	return redirectDone(w, r, t, "admin/provider-access", "provider-approval-saved")
}

var grantActions = map[string]struct{ title, button, consequence string }{
	"approve": {"Approve access by the service provider?", "Approve",
		"The operator may then read what the request names, read-only, from now for the time asked for. Every request they make is recorded in the audit trail."},
	"deny": {"Deny access by the service provider?", "Deny", "The operator gets no access; they may file a new request."},
	"revoke": {"Revoke access by the service provider?", "Revoke",
		"The operator's access ends at once; their next request is refused."},
}

func (h *Handler) providerGrantConfirm(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	act, ok := grantActions[r.PathValue("action")]
	if !ok {
		return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return strongroom.Errorf(strongroom.ENOTFOUND, "No such access request.")
	}
	g, err := h.svc.Grants.Get(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Page = confirmView{Title: act.title, Button: act.button,
		Consequence: []string{"Grant #" + strconv.FormatInt(g.ID, 10) + ": operator " + g.OperatorName + ", " + g.Reason.Label() +
			", ticket " + g.Ticket + ", " + g.Scope.Text() + ", for " + g.Duration.String() + ".", act.consequence},
		Action: tenantPath(t, "admin/provider-access/grants/"+strconv.FormatInt(g.ID, 10)+"/"+r.PathValue("action")),
		Cancel: tenantPath(t, "admin/provider-access")}
	return h.render(w, http.StatusOK, "confirm", v)
}

func (h *Handler) grantAction(r *http.Request, t *tenancy.Handle, p *identity.Principal) (*grants.Grant, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "No such access request.")
	}
	svc := h.svc.Grants
	switch r.PathValue("action") {
	case "approve":
		return svc.Approve(r.Context(), t, p, id)
	case "deny":
		return svc.Deny(r.Context(), t, p, id)
	case "revoke":
		return svc.Revoke(r.Context(), t, p, id)
	}
	return nil, strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
}

func (h *Handler) providerGrantSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := h.grantAction(r, t, p); err != nil {
		return err
	}
	return redirectDone(w, r, t, "admin/provider-access", "provider-"+r.PathValue("action"))
}

func (h *Handler) providerAcknowledgeSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return strongroom.Errorf(strongroom.ENOTFOUND, "No such notice.")
	}
	if err := h.svc.Grants.Acknowledge(r.Context(), t, p, id); err != nil {
		return err
	}
	return redirectDone(w, r, t, "admin/provider-access", "provider-acknowledged")
}

func (h *Handler) apiProviderAccess(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	pa, err := h.providerAccess(r, t, p, false)
	if err != nil {
		return err
	}
	notices := []map[string]any{}
	for _, n := range pa.Notices {
		notices = append(notices, map[string]any{"id": n.ID, "grant": n.GrantID, "operator": n.Operator, "reason": string(n.Reason),
			"ticket": n.Ticket, "created_at": rfc(n.CreatedAt)})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"provider_access": pa, "notices": notices})
}

func (h *Handler) apiProviderApproval(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var in struct {
		Approval string `json:"approval"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := h.svc.Grants.SetApproval(r.Context(), t, p, grants.Approval(in.Approval)); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"approval": in.Approval})
}

func (h *Handler) apiProviderGrantEvents(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return strongroom.Errorf(strongroom.ENOTFOUND, "No such access request.")
	}
	evs, err := h.svc.Grants.Events(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	out := []action{}
	for _, e := range evs {
		out = append(out, toAction(e))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"events": out})
}

func (h *Handler) apiProviderGrantAction(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	g, err := h.grantAction(r, t, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"grant": toGrantRow(g, h.svc.Grants.Now())})
}

func (h *Handler) apiProviderAcknowledge(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return strongroom.Errorf(strongroom.ENOTFOUND, "No such notice.")
	}
	if err := h.svc.Grants.Acknowledge(r.Context(), t, p, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"acknowledged": true})
}
