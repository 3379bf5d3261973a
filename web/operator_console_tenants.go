package web

import (
	"net/http"
	"strings"

	"strongroom"
	"strongroom/operators"
)

// notices are the console's short confirmations, named in the redirect
// so that no free text travels through the URL.
var operatorNotices = map[string]string{
	"enrolled":         "Your authenticator app is set up. From now on you sign in with your password and its code.",
	"tenant-disabled":  "The tenant is disabled: every request to it now answers that it is disabled.",
	"tenant-enabled":   "The tenant is enabled again.",
	"operator-off":     "The operator is disabled; their sessions and tokens have ended.",
	"operator-enabled": "The operator is enabled again.",
}

func (h *Handler) operatorTenantRoutes() {
	h.mux.Handle("GET /operator/tenants", h.operatorAuthed(h.operatorTenants))
	h.mux.Handle("POST /operator/tenants", h.operatorAuthed(h.operatorCreateTenant))
	h.mux.Handle("GET /operator/tenants/{slug}/{action}", h.operatorAuthed(h.operatorTenantConfirm))
	h.mux.Handle("POST /operator/tenants/{slug}/{action}", h.operatorAuthed(h.operatorTenantStatus))
}

func (h *Handler) tenantsView(r *http.Request, op *operators.Operator) (*operatorView, error) {
	v := &operatorView{Me: op, Active: "tenants", Notice: operatorNotices[r.URL.Query().Get("notice")], CanCreate: h.svc.OperatorTenants != nil}
	if h.svc.OperatorTenants == nil {
		return v, nil
	}
	ts, err := h.svc.OperatorTenants.List(r.Context())
	if err != nil {
		return nil, err
	}
	now := h.svc.Operators.Now()
	for _, t := range ts {
		row := operatorTenantRow{Tenant: t, Backup: "No backup targets"}
		if h.svc.Backups != nil {
			st, err := h.svc.Backups.Status(r.Context(), t.Slug)
			if err != nil {
				return nil, err
			}
			row.Backup, row.Stale = backupLine(st, now)
		}
		v.Tenants = append(v.Tenants, row)
	}
	return v, nil
}

func (h *Handler) operatorTenants(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	v, err := h.tenantsView(r, op)
	if err != nil {
		return err
	}
	return h.renderOperator(w, http.StatusOK, "operator_tenants", v)
}

func (h *Handler) operatorCreateTenant(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	if h.svc.OperatorTenants == nil {
		return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
	}
	slug, name := strings.TrimSpace(r.PostFormValue("slug")), strings.TrimSpace(r.PostFormValue("display_name"))
	if name == "" {
		name = slug
	}
	t, pw, err := h.svc.OperatorTenants.Create(r.Context(), slug, name)
	if strongroom.ErrorCode(err) == strongroom.EINVALID || strongroom.ErrorCode(err) == strongroom.ECONFLICT {
		v, verr := h.tenantsView(r, op)
		if verr != nil {
			return verr
		}
		v.Error, v.Field, v.Slug, v.DisplayName = strongroom.ErrorMessage(err), "slug", slug, r.PostFormValue("display_name")
		return h.renderOperator(w, http.StatusUnprocessableEntity, "operator_tenants", v)
	} else if err != nil {
		return err
	}
	if err := h.svc.Operators.Record(r.Context(), op, "tenant.created", t.Slug, clientIP(r), map[string]string{"placement": t.Placement}); err != nil {
		return err
	}
	v, err := h.tenantsView(r, op)
	if err != nil {
		return err
	}
	v.Created = &operatorCreated{What: "tenant " + t.Slug, Name: "admin", Password: pw,
		Hint: "Give this to the firm's first administrator by a separate channel. They sign in at /t/" + t.Slug + "/ as \"admin\" and must choose a new password at once."}
	return h.renderOperator(w, http.StatusOK, "operator_tenants", v)
}

func tenantAction(r *http.Request) (action string, disable bool, err error) {
	switch a := r.PathValue("action"); a {
	case "disable", "enable":
		return a, a == "disable", nil
	}
	return "", false, strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
}

func (h *Handler) operatorTenantConfirm(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	action, disable, err := tenantAction(r)
	if err != nil || h.svc.OperatorTenants == nil {
		return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
	}
	slug := r.PathValue("slug")
	if err := strongroom.ValidateSlug(slug); err != nil {
		return strongroom.Errorf(strongroom.ENOTFOUND, "No such tenant.")
	}
	c := &operatorConfirm{Title: "Enable tenant " + slug + "?", Text: "Its users can sign in again and its API answers again.",
		Action: "/operator/tenants/" + slug + "/" + action, Button: "Enable " + slug}
	if disable {
		c = &operatorConfirm{Title: "Disable tenant " + slug + "?", Danger: true,
			Text:   "Every page and API request to this firm answers that it is disabled, and its users cannot sign in, until an operator enables it again. No data is deleted. This is recorded in the operator event log under your name.",
			Action: "/operator/tenants/" + slug + "/" + action, Button: "Disable " + slug}
	}
	return h.renderOperator(w, http.StatusOK, "operator_confirm", &operatorView{Me: op, Active: "tenants", Confirm: c})
}

func (h *Handler) operatorTenantStatus(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	_, disable, err := tenantAction(r)
	if err != nil || h.svc.OperatorTenants == nil {
		return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
	}
	slug := r.PathValue("slug")
	ctx := r.Context()
	notice, event := "tenant-enabled", "tenant.enabled"
	if disable {
		err, notice, event = h.svc.OperatorTenants.Disable(ctx, slug), "tenant-disabled", "tenant.disabled"
	} else {
		err = h.svc.OperatorTenants.Enable(ctx, slug)
	}
	if err != nil {
		return err
	}
	if err := h.svc.Operators.Record(ctx, op, event, slug, clientIP(r), nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/operator/tenants?notice="+notice, http.StatusSeeOther)
	return nil
}
