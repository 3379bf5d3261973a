package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/format"
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
	"provider-approval-saved": "The approval setting has been saved.",
	"provider-approve":        "The request has been approved; the operator's access runs from now.",
	"provider-deny":           "The request has been denied.",
	"provider-revoke":         "The access has been revoked.",
	"provider-acknowledged":   "The break-glass notice has been acknowledged.",
	"password":                "Your password has been changed.",
	"session-ended":           "The session has been ended.",
	"token-revoked":           "The API token has been revoked.",
	"signed-out":              "You have signed out.",
	"user-saved":              "The user has been saved.",
	"user-disable":            "The user has been disabled and signed out everywhere.",
	"user-enable":             "The user has been enabled.",
	"user-unlock":             "The user has been unlocked.",
	"user-reset-totp":         "Two-factor sign-in has been turned off for the user; they set it up again at their next sign-in if required.",
	"user-deleted":            "The user has been deleted.",
	"role-saved":              "The role has been saved.",
	"role-deleted":            "The role has been deleted.",
	"class-created":           "The security class has been created.",
	"class-deleted":           "The security class has been deleted.",
	"settings-saved":          "The security settings have been saved.",
	"format-saved":            "The formatting has been saved: pages and reports now use it.",
	"uploads-saved":           "The upload limit has been saved.",
	"group-created":           "The group has been created. Add its members here.",
	"group-saved":             "The group has been saved.",
	"group-deleted":           "The group has been deleted; dashboards shared with it are no longer shared with its members.",
	"member-added":            "The user has been added to the group.",
	"member-removed":          "The user has been taken out of the group.",
	"network-saved":           "The network access list has been saved.",
	"scim-revoked":            "The SCIM token has been revoked; the provider that held it is refused from now on.",
	"scim-roles":              "The group's roles have been saved and given to or taken from its members.",
}

// form is a submitted (or pre-filled) form and what was wrong with it.
// Passwords are never put in Values, so they are never sent back.
type form struct {
	Values url.Values
	// Field is the field at fault and Error the message; with Field empty
	// (or naming no field on the page) the message is about the whole form.
	// With several problems they are the first, and Problems lists all.
	Field, Error string
	Problems     []strongroom.Problem
	// Changed says that someone else saved the record since the form was
	// opened, and Stale lists the fields where what they saved differs
	// from what was typed: set by pages that show the two side by side.
	Changed string // what changed ("case", "note"); empty: nothing
	Stale   []staleField
	// Origin holds the values an edit form was opened with (or, after a
	// stale edit, the values saved now), carried in hidden inputs; nil on
	// forms that make something new.
	Origin url.Values
	fields []string
}

// Get returns a field's value.
func (f form) Get(name string) string { return f.Values.Get(name) }

// Checked reports whether a checkbox of a set (roles, classes) holds id.
func (f form) Checked(name string, id int64) bool {
	return slices.Contains(f.Values[name], strconv.FormatInt(id, 10))
}

// Is reports whether a field holds value (for selects and checkboxes).
func (f form) Is(name, value string) bool { return f.Values.Get(name) == value }

// ErrorFor returns the message for a field shown next to it: the first
// problem of that field.
func (f form) ErrorFor(name string) string {
	for _, p := range f.problems() {
		if p.Field == name {
			return p.Message
		}
	}
	return ""
}

// Described returns the aria-describedby value of a field: its hint (when
// the page has one) and, when it is at fault, its error message.
func (f form) Described(name string, hint bool) string {
	var ids []string
	if hint {
		ids = append(ids, name+"-hint")
	}
	if f.ErrorFor(name) != "" {
		ids = append(ids, name+"-error")
	}
	return strings.Join(ids, " ")
}

// General returns a message that belongs to no field on the page, when it
// is the only one: several problems are listed by Summary instead.
func (f form) General() string {
	if ps := f.problems(); len(ps) == 1 && !slices.Contains(f.fields, ps[0].Field) {
		return ps[0].Message
	}
	return ""
}

// problems lists the form's problems: those of a validation error, or
// its one message.
func (f form) problems() []strongroom.Problem {
	if len(f.Problems) > 0 {
		return f.Problems
	}
	if f.Error != "" {
		return []strongroom.Problem{{Field: f.Field, Message: f.Error}}
	}
	return nil
}

// summaryItem is one line of the summary of a form's problems at the top
// of the page: a link to the field at fault when it is on the page.
type summaryItem struct {
	Field, Label, Message string
	Link                  bool
}

// Summary lists every problem of the form in the order of the page's
// fields (problems of fields not on the page last). It is empty when
// General says it all.
func (f form) Summary() []summaryItem {
	ps := f.problems()
	if len(ps) == 0 || f.General() != "" {
		return nil
	}
	order := func(field string) int {
		if i := slices.Index(f.fields, field); i >= 0 {
			return i
		}
		return len(f.fields)
	}
	ps = slices.Clone(ps)
	slices.SortStableFunc(ps, func(a, b strongroom.Problem) int { return order(a.Field) - order(b.Field) })
	out := make([]summaryItem, 0, len(ps))
	for _, p := range ps {
		on := p.Field != "" && slices.Contains(f.fields, p.Field)
		out = append(out, summaryItem{Field: p.Field, Label: fieldLabel(p.Field), Message: p.Message, Link: on})
	}
	return out
}

// renameFields returns err with the fields of its problems renamed as
// names says: a service's name for an input (idle_timeout) becomes the
// form's (idle_timeout_minutes). Any other error is returned as it is.
func renameFields(err error, names map[string]string) error {
	problems := strongroom.ErrorProblems(err)
	if problems == nil {
		return err
	}
	var ps strongroom.Problems
	for _, p := range problems {
		if to, ok := names[p.Field]; ok {
			p.Field = to
		}
		ps.Addf(p.Field, "%s", p.Message)
	}
	return ps.Err()
}

// fieldLabels are the names of form fields as their labels say them, for
// the summary of problems; a field not listed is named by its words.
var fieldLabels = map[string]string{
	"number": "Case number", "opened_on": "Opened on", "closed_on": "Closed on",
	"mdl_id": "Multi-district litigation group", "classes": "Security classes", "occurred_on": "Date",
	"email": "E-mail", "body": "Text", "due_on": "Due on", "remind_on": "Remind on",
	"username": "User name", "display_name": "Display name", "roles": "Roles", "confirm": "Confirmation",
	"current_password": "Current password", "new_password": "New password",
	"expires_in_days": "Expires in (days)", "mfa": "Two-factor sign-in", "version": "Version",
	"lockout_threshold": "Lockout threshold", "auto_unlock_after_minutes": "Automatic unlock (minutes)",
	"idle_timeout_minutes": "Idle timeout (minutes)", "absolute_timeout_minutes": "Absolute timeout (minutes)",
}

func fieldLabel(field string) string {
	if l, ok := fieldLabels[field]; ok {
		return l
	}
	return format.Words(strings.TrimPrefix(field, "grant-"))
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
// the error's code calls for (statusOf), every problem listed at the top
// and each message next to its field, and the values the user typed kept.
// fields lists the fields the page shows, in order; a message about any
// other field goes at the top only.
func (h *Handler) renderForm(w http.ResponseWriter, page string, v view, err error, fields ...string) error {
	status := http.StatusOK
	if err != nil {
		code := strongroom.ErrorCode(err)
		if !formCodes[code] {
			return err
		}
		status = statusOf[code]
		v.Form.Field, v.Form.Error = strongroom.ErrorField(err), strongroom.ErrorMessage(err)
		v.Form.Problems = strongroom.ErrorProblems(err)
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
