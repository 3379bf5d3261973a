package web

import (
	"context"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"strongroom"
	"strongroom/backup/drill"
	"strongroom/format"
	"strongroom/operators"
)

// OperatorTenants is what the operator console does to the control plane's
// tenant list; cmd/strongroom gives it the tenant service. It reaches no
// tenant's data.
type OperatorTenants interface {
	List(ctx context.Context) ([]*strongroom.Tenant, error)
	// Create makes a tenant and returns its first administrator's
	// temporary password, shown once to the operator.
	Create(ctx context.Context, slug, displayName string) (t *strongroom.Tenant, adminPassword string, err error)
	Disable(ctx context.Context, slug string) error
	Enable(ctx context.Context, slug string) error
}

// operatorView is the data of every console page.
type operatorView struct {
	Me     *operators.Operator
	Active string // the nav entry of the page
	Notice string
	Error  string // a form's error, shown above it
	Field  string // the field the error is about

	Name, DisplayName, Slug string // form values kept after an error

	Enrol     bool
	QR        template.URL
	Secret    string
	Tenants   []operatorTenantRow
	Operators []operators.Listed
	Events    []operators.Event
	Confirm   *operatorConfirm
	Created   *operatorCreated
	CanCreate bool // tenants can be created (the server has a tenant service)

	// Page and Form are a page's own data and its form, for the pages
	// whose forms use the shared partials (formerror) as tenant pages do.
	Page any
	Form form
}

type operatorTenantRow struct {
	*strongroom.Tenant
	Backup string // one line of backup status
	Stale  bool
}

type operatorConfirm struct {
	Title, Text, Action, Button string
	Danger                      bool
}

type operatorCreated struct {
	What, Name, Password, Hint string
}

var (
	operatorPagesOnce sync.Once
	operatorPages     map[string]*template.Template
	operatorPagesErr  error
)

// operatorTemplates parses the console's pages, each with operator_layout
// and the shared partials.
func operatorTemplates() (map[string]*template.Template, error) {
	operatorPagesOnce.Do(func() {
		names, err := fs.Glob(templateFS, "templates/operator_*.html")
		if err != nil {
			operatorPagesErr = err
			return
		}
		operatorPages = map[string]*template.Template{}
		for _, name := range names {
			base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
			if base == "operator_layout" {
				continue
			}
			t, err := template.New("operator_layout.html").Funcs(templateFuncs(format.Default)).ParseFS(templateFS, "templates/operator_layout.html", "templates/partials/*.html", name)
			if err != nil {
				operatorPagesErr = err
				return
			}
			operatorPages[base] = t
		}
	})
	return operatorPages, operatorPagesErr
}

// renderOperator renders a console page. Console pages are never cached.
func (h *Handler) renderOperator(w http.ResponseWriter, status int, page string, v *operatorView) error {
	pages, err := operatorTemplates()
	if err != nil {
		return err
	}
	tmpl, ok := pages[page]
	if !ok {
		return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
	}
	var buf strings.Builder
	if err := tmpl.ExecuteTemplate(&buf, "operator_layout", v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write([]byte(buf.String()))
	return err
}

// setOperatorCookie sets (token != "") or clears the console session cookie.
func setOperatorCookie(w http.ResponseWriter, token string) {
	c := &http.Cookie{Name: operatorCookie, Value: token, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}
	if token == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

func operatorToken(r *http.Request) string {
	if c, err := r.Cookie(operatorCookie); err == nil {
		return c.Value
	}
	return ""
}

// operatorFunc is a console handler for a fully signed-in operator.
type operatorFunc func(w http.ResponseWriter, r *http.Request, op *operators.Operator) error

// console serves fn only when the server has an operator realm (else 404).
func (h *Handler) console(fn handlerFunc) http.Handler {
	return h.page(func(w http.ResponseWriter, r *http.Request) error {
		if h.svc.Operators == nil {
			return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
		}
		return fn(w, r)
	})
}

// operatorAuthed serves fn to a signed-in operator who has chosen their
// own password; others go to sign-in, or to the password page.
func (h *Handler) operatorAuthed(fn operatorFunc) http.Handler {
	return h.operatorSignedIn(func(w http.ResponseWriter, r *http.Request, op *operators.Operator) error {
		if done, err := mustChooseFirst(w, r, op, false); done {
			return err
		}
		return fn(w, r, op)
	})
}

// operatorSignedIn serves fn to a signed-in operator; others go to sign-in.
func (h *Handler) operatorSignedIn(fn operatorFunc) http.Handler {
	return h.console(func(w http.ResponseWriter, r *http.Request) error {
		op, err := h.signedInOperator(r)
		if err != nil {
			return err
		}
		if op == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/operator/sign-in", http.StatusSeeOther)
				return nil
			}
			return strongroom.Errorf(strongroom.EUNAUTHORIZED, "Your operator session has ended. Please sign in again.")
		}
		return fn(w, r, op)
	})
}

func (h *Handler) operatorConsoleRoutes() {
	h.mux.Handle("GET /operator/{$}", h.console(func(w http.ResponseWriter, r *http.Request) error {
		to := "/operator/sign-in"
		if op, err := h.signedInOperator(r); err == nil && op != nil {
			to = "/operator/tenants"
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}))
	h.mux.Handle("GET /operator/sign-in", h.console(func(w http.ResponseWriter, r *http.Request) error {
		return h.renderOperator(w, http.StatusOK, "operator_sign_in", &operatorView{})
	}))
	h.mux.Handle("POST /operator/sign-in", h.console(h.operatorSignIn))
	h.mux.Handle("GET /operator/code", h.console(h.operatorCodePage))
	h.mux.Handle("POST /operator/code", h.console(h.operatorCode))
	h.mux.Handle("GET /operator/enrol", h.console(h.operatorEnrolPage))
	h.mux.Handle("POST /operator/enrol", h.console(h.operatorEnrol))
	h.mux.Handle("POST /operator/sign-out", h.console(func(w http.ResponseWriter, r *http.Request) error {
		if err := h.svc.Operators.SignOut(r.Context(), operatorToken(r), clientIP(r)); err != nil {
			return err
		}
		setOperatorCookie(w, "")
		http.Redirect(w, r, "/operator/sign-in", http.StatusSeeOther)
		return nil
	}))
	h.operatorTenantRoutes()
	h.operatorAccountRoutes()
	h.operatorPasswordRoutes()
}

func (h *Handler) operatorSignIn(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimSpace(r.PostFormValue("name"))
	res, err := h.svc.Operators.SignIn(r.Context(), name, r.PostFormValue("password"), clientIP(r))
	if code := strongroom.ErrorCode(err); code == strongroom.EUNAUTHORIZED || code == strongroom.ETOOMANY {
		status := http.StatusUnauthorized
		if code == strongroom.ETOOMANY {
			status = http.StatusTooManyRequests
		}
		return h.renderOperator(w, status, "operator_sign_in", &operatorView{Name: name, Error: strongroom.ErrorMessage(err)})
	} else if err != nil {
		return err
	}
	setOperatorCookie(w, res.Token)
	to := "/operator/code"
	if res.Enrol {
		to = "/operator/enrol"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// pending is the operator of the half-signed-in session, or a redirect to
// sign-in (nil, nil) when there is none.
func (h *Handler) pending(w http.ResponseWriter, r *http.Request) (*operators.Operator, bool, error) {
	op, enrolled, err := h.svc.Operators.Pending(r.Context(), operatorToken(r))
	if strongroom.ErrorCode(err) == strongroom.EUNAUTHORIZED {
		http.Redirect(w, r, "/operator/sign-in", http.StatusSeeOther)
		return nil, false, nil
	}
	return op, enrolled, err
}

func (h *Handler) operatorCodePage(w http.ResponseWriter, r *http.Request) error {
	op, enrolled, err := h.pending(w, r)
	if op == nil || err != nil {
		return err
	}
	if !enrolled {
		http.Redirect(w, r, "/operator/enrol", http.StatusSeeOther)
		return nil
	}
	return h.renderOperator(w, http.StatusOK, "operator_code", &operatorView{Name: op.Name})
}

func (h *Handler) operatorCode(w http.ResponseWriter, r *http.Request) error {
	full, err := h.svc.Operators.SecondFactor(r.Context(), operatorToken(r), r.PostFormValue("code"), clientIP(r))
	if err != nil {
		return h.codeFailed(w, r, err, "operator_code", &operatorView{})
	}
	setOperatorCookie(w, full)
	http.Redirect(w, r, "/operator/tenants", http.StatusSeeOther)
	return nil
}

// codeFailed shows a wrong code on its page again, or sends an ended
// session back to sign-in.
func (h *Handler) codeFailed(w http.ResponseWriter, r *http.Request, err error, page string, v *operatorView) error {
	switch strongroom.ErrorCode(err) {
	case strongroom.EINVALID, strongroom.ETOOMANY:
		v.Error, v.Field = strongroom.ErrorMessage(err), "code"
		return h.renderOperator(w, http.StatusUnprocessableEntity, page, v)
	case strongroom.EUNAUTHORIZED:
		setOperatorCookie(w, "")
		return h.renderOperator(w, http.StatusUnauthorized, "operator_sign_in", &operatorView{Error: strongroom.ErrorMessage(err)})
	}
	return err
}

func (h *Handler) enrolView(r *http.Request) (*operatorView, error) {
	e, err := h.svc.Operators.BeginTOTP(r.Context(), operatorToken(r))
	if err != nil {
		return nil, err
	}
	return &operatorView{Enrol: true, Secret: e.Secret,
		QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRPNG))}, nil
}

func (h *Handler) operatorEnrolPage(w http.ResponseWriter, r *http.Request) error {
	op, enrolled, err := h.pending(w, r)
	if op == nil || err != nil {
		return err
	}
	if enrolled {
		http.Redirect(w, r, "/operator/code", http.StatusSeeOther)
		return nil
	}
	v, err := h.enrolView(r)
	if err != nil {
		return err
	}
	v.Name = op.Name
	return h.renderOperator(w, http.StatusOK, "operator_enrol", v)
}

func (h *Handler) operatorEnrol(w http.ResponseWriter, r *http.Request) error {
	full, err := h.svc.Operators.ConfirmTOTP(r.Context(), operatorToken(r), r.PostFormValue("code"), clientIP(r))
	if err != nil {
		v, verr := h.enrolView(r)
		if verr != nil {
			v = &operatorView{}
		}
		return h.codeFailed(w, r, err, "operator_enrol", v)
	}
	setOperatorCookie(w, full)
	http.Redirect(w, r, "/operator/tenants?notice=enrolled", http.StatusSeeOther)
	return nil
}

// backupLine sums up a tenant's backups over the targets in one line.
func backupLine(st []drill.TargetStatus, now time.Time) (string, bool) {
	if len(st) == 0 {
		return "No backup targets", false
	}
	var newest time.Time
	failed := 0
	for _, s := range st {
		if s.LastBackup == nil {
			continue
		}
		if s.LastBackup.Status != "completed" {
			failed++
			continue
		}
		if s.LastBackup.Started.After(newest) {
			newest = s.LastBackup.Started
		}
	}
	switch {
	case newest.IsZero() && failed > 0:
		return "Last backup failed", true
	case newest.IsZero():
		return "Never backed up", true
	}
	line := "Last backup " + newest.UTC().Format("2006-01-02 15:04 UTC")
	if failed > 0 {
		line += " (failed on a target)"
	}
	return line, failed > 0 || now.Sub(newest) > 36*time.Hour
}

func init() {
	actionLabels["operator.cli"] = "Operator command on the command line"
	auditFieldLabels["command"] = "Command"
}
