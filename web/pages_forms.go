package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/tenancy"
)

// maxFormBody bounds a form's request body; no form here needs more.
const maxFormBody = 64 << 10

// view is what every page of a tenant is rendered with: the layout reads
// Tenant and Me, a page its Form and its own Page data.
type view struct {
	Tenant *strongroom.Tenant
	// Me is the signed-in user; nil on the sign-in pages.
	Me *identity.Principal
	// Notice is a fixed confirmation ("Your password has been changed.").
	Notice string
	Form   form
	Page   any
	// Here is the request's path, for marking the navigation's current item.
	Here string
}

// newView starts the view of a page of tenant t for p (which may be nil).
func newView(r *http.Request, t *tenancy.Handle, p *identity.Principal) view {
	return view{Tenant: t.Tenant, Me: p, Notice: notices[r.URL.Query().Get("done")], Form: form{Values: url.Values{}}, Here: r.URL.Path}
}

// Active reports whether the page is in the named section of the tenant
// ("" is the start page, "cases" covers /cases/…), for aria-current.
func (v view) Active(section string) bool {
	base := v.Path(section)
	if section == "" {
		return v.Here == base
	}
	return v.Here == base || strings.HasPrefix(v.Here, base+"/")
}

// Path is a page path of the tenant, for links and form actions.
func (v view) Path(rest string) string { return "/t/" + v.Tenant.Slug + "/" + rest }

// Can reports whether the signed-in user, past first-login steps, may read
// the named data area: the navigation shows only what leads somewhere.
func (v view) Can(area string) bool {
	return v.Me != nil && !v.Me.Restricted() && v.Me.Subject.Allowed(access.Area(area), access.Read)
}

// Admin reports whether the signed-in user may see the administration pages.
func (v view) Admin() bool {
	return v.Me != nil && !v.Me.Restricted() && v.Me.Subject.Allowed(access.Administration, access.Read)
}

// notices are the confirmations a redirect may ask for with ?done=KEY. Only
// these fixed texts are shown: nothing from the URL reaches the page.
var notices = map[string]string{
	"password":        "Your password has been changed.",
	"session-ended":   "The session has been ended.",
	"token-revoked":   "The API token has been revoked.",
	"signed-out":      "You have signed out.",
	"user-saved":      "The user has been saved.",
	"user-disable":    "The user has been disabled and signed out everywhere.",
	"user-enable":     "The user has been enabled.",
	"user-unlock":     "The user has been unlocked.",
	"user-reset-totp": "Two-factor sign-in has been turned off for the user; they set it up again at their next sign-in if required.",
	"user-deleted":    "The user has been deleted.",
	"role-saved":      "The role has been saved.",
	"role-deleted":    "The role has been deleted.",
	"class-created":   "The security class has been created.",
	"class-deleted":   "The security class has been deleted.",
	"settings-saved":  "The security settings have been saved.",
	"format-saved":    "The formatting has been saved: pages and reports now use it.",
	"uploads-saved":   "The upload limit has been saved.",
}

// form is a submitted (or pre-filled) form and what was wrong with it.
// Passwords are never put in Values, so they are never sent back.
type form struct {
	Values url.Values
	// Field is the field at fault and Error the message; with Field empty
	// (or naming no field on the page) the message is about the whole form.
	Field, Error string
	fields       []string
}

// Get returns a field's value.
func (f form) Get(name string) string { return f.Values.Get(name) }

// Checked reports whether a checkbox of a set (roles, classes) holds id.
func (f form) Checked(name string, id int64) bool {
	return slices.Contains(f.Values[name], strconv.FormatInt(id, 10))
}

// Is reports whether a field holds value (for selects and checkboxes).
func (f form) Is(name, value string) bool { return f.Values.Get(name) == value }

// ErrorFor returns the message for a field shown next to it.
func (f form) ErrorFor(name string) string {
	if f.Field == name {
		return f.Error
	}
	return ""
}

// General returns a message that belongs to no field on the page.
func (f form) General() string {
	if f.Field == "" || !slices.Contains(f.fields, f.Field) {
		return f.Error
	}
	return ""
}

// parseForm reads a POSTed form body, bounded in size. Only the body is
// read: values in the URL are not form input.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return strongroom.Errorf(strongroom.EINVALID, "The form could not be read; send it again.")
	}
	return nil
}

// formValues copies the named fields of the posted form.
func formValues(r *http.Request, names ...string) url.Values {
	v := url.Values{}
	for _, n := range names {
		if vs, ok := r.PostForm[n]; ok {
			v[n] = slices.Clone(vs)
		}
	}
	return v
}

// formIDs reads a set of checkboxes holding ids.
func formIDs(r *http.Request, name string) ([]int64, error) {
	var ids []int64
	for _, s := range r.PostForm[name] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, strongroom.FieldError(name, "Choose from the list.")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// formInt reads a whole number field.
func formInt(r *http.Request, name string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get(name)))
	if err != nil {
		return 0, strongroom.FieldError(name, "Enter a whole number.")
	}
	return n, nil
}

// formCodes are the error codes a form answers by showing itself again:
// something the user can put right there. Any other error (forbidden, not
// found, internal) is answered by the error page instead.
var formCodes = map[string]bool{
	strongroom.EINVALID: true, strongroom.ECONFLICT: true, strongroom.EUNAUTHORIZED: true,
	strongroom.ETOOMANY: true, strongroom.EPASSWORD: true,
}

// renderForm renders a page whose form failed with err, with the status
// the error's code calls for (statusOf), the message next to the field at
// fault and the values the user typed kept. fields lists the fields the
// page shows; a message about any other field goes at the top.
func (h *Handler) renderForm(w http.ResponseWriter, page string, v view, err error, fields ...string) error {
	status := http.StatusOK
	if err != nil {
		code := strongroom.ErrorCode(err)
		if !formCodes[code] {
			return err
		}
		status = statusOf[code]
		v.Form.Field, v.Form.Error = strongroom.ErrorField(err), strongroom.ErrorMessage(err)
	}
	v.Form.fields = fields
	return h.render(w, status, page, v)
}

// redirectDone redirects to a page of the tenant with a confirmation notice.
func redirectDone(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, rest, notice string) error {
	to := tenantPath(t, rest)
	if notice != "" {
		to += "?done=" + url.QueryEscape(notice)
	}
	return redirect(w, r, to)
}
