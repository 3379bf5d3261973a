package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/kiosk"
	"strongroom/tenancy"
)

// Administration → Kiosk links: the list with views, the form to make one,
// the page that shows a new link's address once (with a copy button from
// static/kiosk-copy.js: no inline script), and confirmation pages for
// revoke, regenerate and delete.

func init() {
	notices["kiosk-paused"] = "The kiosk link has been paused; its screen says so."
	notices["kiosk-resumed"] = "The kiosk link has been resumed."
	notices["kiosk-revoked"] = "The kiosk link has been revoked; its screen stopped at once."
	notices["kiosk-deleted"] = "The kiosk link has been deleted."
	notices["kiosk-changed"] = "The kiosk link has been changed; its screen shows the change when it next reloads."
	fieldLabels["expires_at"] = "Expires"
	fieldLabels["rotation_seconds"] = "Seconds per dashboard"
	fieldLabels["allowed_cidrs"] = "Allowed networks"
	fieldLabels["areas"] = "May read"
	fieldLabels["dashboards"] = "Dashboards"
	actionLabels["kiosk.view"] = "Kiosk screen viewed"
	actionLabels["kiosk.guess_failed"] = "Kiosk link not opened"
	actionLabels["kiosk.guess_refused"] = "Kiosk lookups refused for guessing"
}

// kioskFormFields are the fields of the form that makes or changes a link
// (the change form also carries the version it was opened at, hidden).
var kioskFormFields = []string{"label", "rotation_seconds", "expires_at", "dashboards", "areas", "classes", "restricted", "allowed_cidrs"}

func (h *Handler) kioskPageRoutes() {
	page := func(pattern string, fn authFunc) {
		h.mux.Handle(pattern, h.page(h.pageAuthed(func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
			if h.svc.Kiosk == nil {
				return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
			}
			return fn(w, r, t, p)
		}, false)))
	}
	pre := "/t/{slug}/admin/kiosk-links"
	page("GET "+pre, h.kioskLinksPage)
	page("POST "+pre, h.kioskLinkSubmit)
	page("GET "+pre+"/{id}/edit", h.kioskEditPage)
	page("POST "+pre+"/{id}/edit", h.kioskEditSubmit)
	page("GET "+pre+"/{id}/{action}", h.kioskConfirmPage)
	page("POST "+pre+"/{id}/{action}", h.kioskActionSubmit)
}

// kioskAdminView is the list page's data, or the change form's (Edit set).
type kioskAdminView struct {
	Links   []kioskRow
	Areas   []access.Area
	Classes []identity.Class
	Edit    *kiosk.Link
	Zone    string // the tenant's time zone, in which the expiry is written
}

type kioskRow struct {
	*kiosk.Link
	Status string
}

func (h *Handler) kioskLinksPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	v := newView(r, t, p)
	v.Form.Values.Set("rotation_seconds", "30")
	// Restricted to classes by default, where there are classes to choose.
	if cs, err := h.identity.ListClasses(r.Context(), t, p); err != nil {
		return err
	} else if len(cs) > 0 {
		v.Form.Values.Set("restricted", "on")
	}
	v.Form.Values["areas"] = []string{string(access.Dashboards)}
	return h.renderKioskLinks(w, r, t, p, v, nil)
}

func (h *Handler) renderKioskLinks(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, formErr error) error {
	links, err := h.svc.Kiosk.List(r.Context(), t, p)
	if err != nil {
		return err
	}
	page, err := h.kioskFormPage(r, t, p)
	if err != nil {
		return err
	}
	now := h.svc.Kiosk.Now()
	for _, l := range links {
		page.Links = append(page.Links, kioskRow{Link: l, Status: kioskLinkJSON(l, now)["status"].(string)})
	}
	v.Page = page
	return h.renderForm(w, "admin_kiosk", v, formErr, kioskFormFields...)
}

// kioskFormPage is what the form of a link offers: the areas, the classes
// and the zone of its expiry.
func (h *Handler) kioskFormPage(r *http.Request, t *tenancy.Handle, p *identity.Principal) (kioskAdminView, error) {
	classes, err := h.identity.ListClasses(r.Context(), t, p)
	if err != nil {
		return kioskAdminView{}, err
	}
	page := kioskAdminView{Classes: classes, Zone: h.formatter(t).Zone().String()}
	for _, a := range access.Areas() {
		if a != access.Audit && a != access.Administration {
			page.Areas = append(page.Areas, a)
		}
	}
	return page, nil
}

// kioskExpiryLayouts are the ways the expiry may be written: as a
// datetime-local input sends it, or with a space, to the minute or second.
var kioskExpiryLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"}

// parseKioskExpiry reads an expiry in the tenant's zone; "" is never.
func parseKioskExpiry(s string, zone *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range kioskExpiryLayouts {
		if at, err := time.ParseInLocation(layout, s, zone); err == nil {
			return at, nil
		}
	}
	return time.Time{}, strongroom.FieldError("expires_at",
		"Write the expiry as a date and time, such as 2027-01-31 18:00, or leave it empty for a link that does not expire.")
}

// kioskExpiryValue writes an expiry as the form shows it.
func kioskExpiryValue(at time.Time, zone *time.Location) string {
	if at.IsZero() {
		return ""
	}
	return at.In(zone).Format(kioskExpiryLayouts[0])
}

// kioskFormInput reads the form that makes or changes a link; its expiry
// is written in zone.
func kioskFormInput(r *http.Request, zone *time.Location) (kiosk.Input, error) {
	f := r.PostForm
	var ps strongroom.Problems
	in := kiosk.Input{Label: strings.TrimSpace(f.Get("label")), Areas: f["areas"], Restricted: f.Get("restricted") == "on"}
	var err error
	if in.ExpiresAt, err = parseKioskExpiry(f.Get("expires_at"), zone); err != nil {
		ps.Add(err)
	}
	if in.RotationSeconds, err = strconv.Atoi(strings.TrimSpace(f.Get("rotation_seconds"))); err != nil {
		ps.Addf("rotation_seconds", "Give a whole number of seconds.")
		in.RotationSeconds = -1
	}
	for _, s := range strings.FieldsFunc(f.Get("dashboards"), func(c rune) bool { return c == ',' || c == ' ' }) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			ps.Addf("dashboards", "List dashboard numbers separated by commas, such as 1, 4, 2.")
			break
		}
		in.Dashboards = append(in.Dashboards, id)
	}
	for _, s := range f["classes"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			in.Classes = append(in.Classes, id)
		}
	}
	in.AllowedCIDRs = strings.FieldsFunc(f.Get("allowed_cidrs"), func(c rune) bool { return c == '\n' || c == '\r' || c == ',' || c == ' ' })
	return in, ps.Err()
}

func (h *Handler) kioskLinkSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	in, err := kioskFormInput(r, h.formatter(t).Zone())
	var l *kiosk.Link
	var token string
	if err == nil {
		l, token, err = h.svc.Kiosk.Create(r.Context(), t, p, in)
	} else {
		err = h.withServiceProblems(r, t, p, in, err)
	}
	if err != nil {
		v := newView(r, t, p)
		v.Form.Values = formValues(r, kioskFormFields...)
		return h.renderKioskLinks(w, r, t, p, v, err)
	}
	return h.renderKioskCreated(w, r, t, p, l, token, "made")
}

// withServiceProblems adds to the form's own problems those the service
// finds in the rest of the input, so that the form lists them all at once.
func (h *Handler) withServiceProblems(r *http.Request, t *tenancy.Handle, p *identity.Principal, in kiosk.Input, formErr error) error {
	var ps strongroom.Problems
	ps.Add(formErr)
	err := h.svc.Kiosk.Check(r.Context(), t, p, in)
	if err != nil && strongroom.ErrorProblems(err) == nil {
		return err // a fault, or not allowed
	}
	for _, pr := range strongroom.ErrorProblems(err) {
		if !ps.Has(pr.Field) {
			ps.Addf(pr.Field, "%s", pr.Message)
		}
	}
	return ps.Err()
}

// kioskCreatedView is the page that shows a link's address, this once.
type kioskCreatedView struct {
	Link *kiosk.Link
	URL  string
	What string // "made" or "regenerated"
}

func (h *Handler) renderKioskCreated(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, l *kiosk.Link, token, what string) error {
	v := newView(r, t, p)
	v.Page = kioskCreatedView{Link: l, URL: "https://" + r.Host + h.kioskBase(r, t) + token, What: what}
	w.Header().Set("Cache-Control", "no-store")
	return h.render(w, http.StatusOK, "admin_kiosk_created", v)
}

// kioskConfirmPage asks before revoke, regenerate or delete, saying what
// each does to the screen.
func (h *Handler) kioskConfirmPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l, err := h.svc.Kiosk.Get(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	views := fmt.Sprintf("It has been viewed %d times.", l.ViewCount)
	c := confirmView{Action: tenantPath(t, fmt.Sprintf("admin/kiosk-links/%d/%s", id, r.PathValue("action"))), Cancel: tenantPath(t, "admin/kiosk-links")}
	switch r.PathValue("action") {
	case "revoke":
		c.Title, c.Button = "Revoke kiosk link "+l.Label+"?", "Revoke "+l.Label
		c.Consequence = []string{"Its screen stops at once and the link cannot be used again; to show these dashboards again, make a new link.", views}
	case "regenerate":
		c.Title, c.Button = "Give kiosk link "+l.Label+" a new address?", "Make a new address"
		c.Consequence = []string{"The present address and the screens showing it stop at once. The new address is shown once, on the next page: open it on the screen.", views}
	case "delete":
		c.Title, c.Button = "Delete kiosk link "+l.Label+"?", "Delete "+l.Label
		c.Consequence = []string{"Its screen stops at once and the link leaves this list; its views stay in the audit trail.", views}
	default:
		return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
	}
	return h.renderConfirm(w, r, t, p, c)
}

func (h *Handler) kioskActionSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx, svc := r.Context(), h.svc.Kiosk
	done := ""
	switch r.PathValue("action") {
	case "pause":
		_, err = svc.SetPaused(ctx, t, p, id, true)
		done = "kiosk-paused"
	case "resume":
		_, err = svc.SetPaused(ctx, t, p, id, false)
		done = "kiosk-resumed"
	case "revoke":
		_, err = svc.Revoke(ctx, t, p, id)
		done = "kiosk-revoked"
	case "delete":
		err = svc.Delete(ctx, t, p, id)
		done = "kiosk-deleted"
	case "regenerate":
		l, token, err := svc.Regenerate(ctx, t, p, id)
		if err != nil {
			return h.renderKioskLinks(w, r, t, p, newView(r, t, p), err)
		}
		h.liveKioskChanged(t, id, "regenerate")
		return h.renderKioskCreated(w, r, t, p, l, token, "regenerated")
	default:
		return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
	}
	if err != nil {
		return h.renderKioskLinks(w, r, t, p, newView(r, t, p), err)
	}
	h.liveKioskChanged(t, id, r.PathValue("action"))
	return redirectDone(w, r, t, "admin/kiosk-links", done)
}

// kioskEditPage is the form that changes a link, opened at its version.
func (h *Handler) kioskEditPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l, err := h.svc.Kiosk.Get(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Form.Values = kioskFormValues(l, h.formatter(t).Zone())
	return h.renderKioskEdit(w, r, t, p, v, l, nil)
}

func (h *Handler) renderKioskEdit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, v view, l *kiosk.Link, formErr error) error {
	page, err := h.kioskFormPage(r, t, p)
	if err != nil {
		return err
	}
	page.Edit = l
	v.Page = page
	return h.renderForm(w, "admin_kiosk", v, formErr, kioskFormFields...)
}

// kioskEditSubmit saves a change made from the version the form was
// opened at; a link changed since is refused (409) and left as it is, the
// form keeping what was typed.
func (h *Handler) kioskEditSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	cur, err := h.svc.Kiosk.Get(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	in, err := kioskFormInput(r, h.formatter(t).Zone())
	// A missing or malformed version is no version of the link: stale.
	in.Version, _ = strconv.Atoi(r.PostForm.Get("version"))
	if err == nil {
		_, err = h.svc.Kiosk.Update(r.Context(), t, p, id, in)
	} else {
		err = h.withServiceProblems(r, t, p, in, err)
	}
	if err != nil {
		v := newView(r, t, p)
		v.Form.Values = formValues(r, kioskFormFields...)
		v.Form.Values.Set("version", r.PostForm.Get("version"))
		return h.renderKioskEdit(w, r, t, p, v, cur, err)
	}
	return redirectDone(w, r, t, "admin/kiosk-links", "kiosk-changed")
}

// kioskFormValues is a link as its change form shows it.
func kioskFormValues(l *kiosk.Link, zone *time.Location) url.Values {
	in := kioskInputOf(l)
	v := url.Values{}
	v.Set("label", in.Label)
	v.Set("rotation_seconds", strconv.Itoa(in.RotationSeconds))
	v.Set("expires_at", kioskExpiryValue(in.ExpiresAt, zone))
	ds := make([]string, len(in.Dashboards))
	for i, d := range in.Dashboards {
		ds[i] = strconv.FormatInt(d, 10)
	}
	v.Set("dashboards", strings.Join(ds, ", "))
	v["areas"] = in.Areas
	for _, c := range in.Classes {
		v.Add("classes", strconv.FormatInt(c, 10))
	}
	if in.Restricted {
		v.Set("restricted", "on")
	}
	v.Set("allowed_cidrs", strings.Join(in.AllowedCIDRs, "\n"))
	v.Set("version", strconv.Itoa(l.Version))
	return v
}
