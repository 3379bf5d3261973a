package web

import (
	"net/http"
	"strings"

	"strongroom"
	"strongroom/operators"
)

func (h *Handler) operatorAccountRoutes() {
	h.mux.Handle("GET /operator/operators", h.operatorAuthed(h.operatorList))
	h.mux.Handle("POST /operator/operators", h.operatorAuthed(h.operatorCreate))
	h.mux.Handle("GET /operator/operators/{name}/{action}", h.operatorAuthed(h.operatorConfirmAccount))
	h.mux.Handle("POST /operator/operators/{name}/{action}", h.operatorAuthed(h.operatorSetDisabled))
	h.mux.Handle("GET /operator/events", h.operatorAuthed(h.operatorEvents))
}

func (h *Handler) operatorsView(r *http.Request, op *operators.Operator) (*operatorView, error) {
	list, err := h.svc.Operators.List(r.Context())
	if err != nil {
		return nil, err
	}
	return &operatorView{Me: op, Active: "operators", Operators: list, Notice: operatorNotices[r.URL.Query().Get("notice")]}, nil
}

func (h *Handler) operatorList(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	v, err := h.operatorsView(r, op)
	if err != nil {
		return err
	}
	return h.renderOperator(w, http.StatusOK, "operator_operators", v)
}

func (h *Handler) operatorCreate(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	n := operators.NewOperator{Name: strings.TrimSpace(r.PostFormValue("name")), DisplayName: strings.TrimSpace(r.PostFormValue("display_name")),
		Role: operators.RoleStaff, Password: operators.OneTimePassword()}
	if r.PostFormValue("role") == string(operators.RoleOwner) {
		n.Role = operators.RoleOwner
	}
	created, err := h.svc.Operators.Create(r.Context(), op, n, clientIP(r))
	if code := strongroom.ErrorCode(err); code == strongroom.EINVALID || code == strongroom.ECONFLICT {
		v, verr := h.operatorsView(r, op)
		if verr != nil {
			return verr
		}
		v.Error, v.Field, v.Name, v.DisplayName = strongroom.ErrorMessage(err), strongroom.ErrorField(err), n.Name, n.DisplayName
		return h.renderOperator(w, http.StatusUnprocessableEntity, "operator_operators", v)
	} else if err != nil {
		return err
	}
	v, err := h.operatorsView(r, op)
	if err != nil {
		return err
	}
	v.Created = &operatorCreated{What: "operator " + created.Name, Name: created.Name, Password: n.Password,
		Hint: "Give this password to " + created.DisplayName + " in person or by a separate channel. At their first sign-in they set up their own authenticator app."}
	return h.renderOperator(w, http.StatusOK, "operator_operators", v)
}

func (h *Handler) operatorConfirmAccount(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	_, disable, err := tenantAction(r)
	if err != nil {
		return err
	}
	if op.Role != operators.RoleOwner {
		return strongroom.Errorf(strongroom.EFORBIDDEN, "Only an owner may disable or enable operators.")
	}
	name := r.PathValue("name")
	action := "/operator/operators/" + name + "/" + r.PathValue("action")
	c := &operatorConfirm{Title: "Enable operator " + name + "?", Text: "They can sign in again with their password and authenticator app.", Action: action, Button: "Enable " + name}
	if disable {
		c = &operatorConfirm{Title: "Disable operator " + name + "?", Danger: true, Action: action, Button: "Disable " + name,
			Text: "Their console sessions and command-line tokens end at once and they cannot sign in until an owner enables them again."}
	}
	return h.renderOperator(w, http.StatusOK, "operator_confirm", &operatorView{Me: op, Active: "operators", Confirm: c})
}

func (h *Handler) operatorSetDisabled(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	_, disable, err := tenantAction(r)
	if err != nil {
		return err
	}
	if err := h.svc.Operators.SetDisabled(r.Context(), op, r.PathValue("name"), disable, clientIP(r)); err != nil {
		return err
	}
	notice := "operator-enabled"
	if disable {
		notice = "operator-off"
	}
	http.Redirect(w, r, "/operator/operators?notice="+notice, http.StatusSeeOther)
	return nil
}

func (h *Handler) operatorEvents(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	evs, err := h.svc.Operators.Events(r.Context(), 200)
	if err != nil {
		return err
	}
	return h.renderOperator(w, http.StatusOK, "operator_events", &operatorView{Me: op, Active: "events", Events: evs})
}
