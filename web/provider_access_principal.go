package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/grants"
	"strongroom/identity"
	"strongroom/operators"
	"strongroom/store"
	"strongroom/tenancy"
)

// operatorSections are the first path segments under /t/SLUG/ (and
// /api/v1/t/SLUG/) an operator under a grant may read: the tenant's work,
// never its administration, account pages (tokens, sessions, passkeys,
// password), kiosk links, live sockets or sign-in. What each page then
// shows is the grant's scope, through the access subject.
var operatorSections = map[string]bool{"": true, "cases": true, "documents": true, "search": true,
	"reports": true, "dashboards": true, "audit": true}

// operatorGrant is the signed-in operator and their running grant for the
// tenant, or nils: no operator, no grant, another tenant's grant.
func (h *Handler) operatorGrant(r *http.Request, t *tenancy.Handle) (*operators.Operator, *grants.Grant, error) {
	if h.svc.Grants == nil || r.Header.Get("Authorization") != "" {
		return nil, nil, nil
	}
	if c, err := r.Cookie(sessionCookie(t.Tenant.Slug)); err == nil && c.Value != "" {
		return nil, nil, nil // a tenant session is the tenant's user, never the operator
	}
	op, err := h.signedInOperator(r)
	if err != nil || op == nil || op.MustChangePassword {
		return nil, nil, err // one who has still to choose their password works under no grant
	}
	g, err := h.svc.Grants.Active(r.Context(), t.Tenant.Slug, op, h.svc.Grants.Now().UTC().Truncate(time.Second))
	if err != nil || g == nil {
		return nil, nil, err
	}
	return op, g, nil
}

// operatorSection is the section of a tenant path, and whether it is one.
func operatorSection(path, slug string) string {
	rest, ok := strings.CutPrefix(path, "/api/v1/t/"+slug+"/")
	if !ok {
		rest, _ = strings.CutPrefix(path, "/t/"+slug+"/")
	}
	sec, _, _ := strings.Cut(rest, "/")
	return sec
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// asOperator serves a request of an operator under grant g: read-only
// (GET and HEAD), the operator's sections only, a principal of the grant's
// scope named operator:NAME, and every request written to the tenant's
// trail as operator.request with its method, path (never the query: search
// terms are the client's data), the grant and the status answered.
func (h *Handler) asOperator(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, op *operators.Operator, g *grants.Grant, fn authFunc, need identity.TokenScope) error {
	p := grants.Principal(op, g, clientIP(r))
	p.GrantText = fmt.Sprintf("grant #%d (%s, %s) until %s", g.ID, g.Reason.Label(), g.Ticket, g.EndsAt.UTC().Format("2 Jan 2006 15:04 MST"))
	w.Header().Set("Cache-Control", "no-store")
	sw := &statusWriter{ResponseWriter: w}
	var err error
	switch {
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		err = strongroom.Errorf(strongroom.EFORBIDDEN, "Access by the service provider is read-only: nothing can be changed under grant #%d.", g.ID)
	case need != identity.ScopeFull || !operatorSections[operatorSection(r.URL.Path, t.Tenant.Slug)]:
		err = strongroom.Errorf(strongroom.EFORBIDDEN, "Grant #%d does not reach this page: an operator reads the workspace's work, never its administration or its users' accounts.", g.ID)
	default:
		err = fn(sw, r, t, p)
	}
	if strongroom.ErrorCode(err) == strongroom.EFORBIDDEN {
		h.recordDenied(r, t, p)
	}
	if err != nil {
		h.renderError(sw, r, err)
	}
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	h.recordOperatorRequest(r, t, p, g, status)
	return nil
}

// recordOperatorRequest writes one operator.request event.
func (h *Handler) recordOperatorRequest(r *http.Request, t *tenancy.Handle, p *identity.Principal, g *grants.Grant, status int) {
	err := t.DB.InTx(r.Context(), func(tx *store.Tx) error {
		_, err := t.Audit.Append(r.Context(), tx, audit.Event{
			Actor: p.AuditActor(), SourceIP: clientIP(r), Action: "operator.request",
			ObjectType: "access_grant", ObjectID: strconv.FormatInt(g.ID, 10),
			Details: map[string]string{"method": r.Method, "path": r.URL.Path, "grant": strconv.FormatInt(g.ID, 10),
				"status": strconv.Itoa(status)},
		})
		return err
	})
	if err != nil {
		h.log.Error("audit an operator's request", "tenant", t.Tenant.Slug, "err", err)
	}
}

// providerNotices counts an administrator's unacknowledged break-glass
// notices for the banner; a fault is logged, never in the way of the page.
func (h *Handler) providerNotices(r *http.Request, t *tenancy.Handle, p *identity.Principal) {
	if h.svc.Grants == nil || p.Operator != "" || p.RequireAdmin() != nil {
		return
	}
	ns, err := h.svc.Grants.Notices(r.Context(), t, p, true)
	if err != nil {
		h.log.Warn("read break-glass notices", "tenant", t.Tenant.Slug, "err", err)
		return
	}
	p.ProviderNotices = len(ns)
}
