package web

import (
	"net/http"
	"net/url"

	"strongroom"
	"strongroom/operators"
)

// The console's password page: where an operator replaces the password
// their account was made with (its maker knows it) before anything else,
// and changes it later.
func (h *Handler) operatorPasswordRoutes() {
	h.mux.Handle("GET /operator/password", h.operatorSignedIn(h.operatorPasswordPage))
	h.mux.Handle("POST /operator/password", h.operatorSignedIn(h.operatorPasswordChange))
}

func init() {
	operatorNotices["password"] = "Your password is changed. Every other console session and command-line token of yours has ended."
}

// errChooseOwnPassword refuses everything but the password page to an
// operator who still has the password their account was made with.
func errChooseOwnPassword() error {
	return strongroom.Errorf(strongroom.EFORBIDDEN, "Choose your own password first, at /operator/password: the one your account was made with is known to whoever made it.")
}

// mustChooseFirst answers a request of an operator who has still to
// choose their own password: a page is sent to the password page, anything
// else refused. It reports whether it answered.
func mustChooseFirst(w http.ResponseWriter, r *http.Request, op *operators.Operator, api bool) (bool, error) {
	if !op.MustChangePassword {
		return false, nil
	}
	if !api && r.Method == http.MethodGet {
		to := "/operator/password"
		if n := r.URL.Query().Get("notice"); operatorNotices[n] != "" {
			to += "?notice=" + url.QueryEscape(n) // "enrolled" is shown on the way
		}
		return true, redirect(w, r, to)
	}
	return true, errChooseOwnPassword()
}

func (h *Handler) operatorPasswordView(op *operators.Operator) *operatorView {
	return &operatorView{Me: op, Active: "password"}
}

func (h *Handler) operatorPasswordPage(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	v := h.operatorPasswordView(op)
	v.Notice = operatorNotices[r.URL.Query().Get("notice")]
	return h.renderOperator(w, http.StatusOK, "operator_password", v)
}

func (h *Handler) operatorPasswordChange(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
	v := h.operatorPasswordView(op)
	next := r.PostFormValue("new_password")
	if next != r.PostFormValue("confirm") {
		v.Error, v.Field = "The two new passwords are not the same; type them again.", "confirm"
		return h.renderOperator(w, http.StatusUnprocessableEntity, "operator_password", v)
	}
	err := h.svc.Operators.ChangePassword(r.Context(), op, r.PostFormValue("current_password"), next, operatorToken(r), clientIP(r))
	switch strongroom.ErrorCode(err) {
	case "":
		return redirect(w, r, "/operator/tenants?notice=password")
	case strongroom.EINVALID:
		v.Error, v.Field = strongroom.ErrorMessage(err), strongroom.ErrorField(err)
		return h.renderOperator(w, http.StatusUnprocessableEntity, "operator_password", v)
	case strongroom.EUNAUTHORIZED, strongroom.ETOOMANY:
		return h.codeFailed(w, r, err, "operator_password", v)
	}
	return err
}
