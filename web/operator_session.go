package web

import (
	"net/http"

	"strongroom"
	"strongroom/operators"
)

// operatorCookie is the operator console's session cookie. __Host- keeps
// it to this host and Path=/, so it also reaches the tenant pages an
// operator works in under a grant.
const operatorCookie = "__Host-sr-op"

// signedInOperator is the operator whose console session this request
// carries (second factor done), or nil when it carries none or the server
// has no operator realm.
func (h *Handler) signedInOperator(r *http.Request) (*operators.Operator, error) {
	if h.svc.Operators == nil {
		return nil, nil
	}
	c, err := r.Cookie(operatorCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	op, err := h.svc.Operators.Authenticate(r.Context(), c.Value, clientIP(r))
	if strongroom.ErrorCode(err) == strongroom.EUNAUTHORIZED {
		return nil, nil
	}
	return op, err
}
