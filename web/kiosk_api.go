package web

import (
	"net/http"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/kiosk"
	"strongroom/tenancy"
)

// The administrators' JSON API of kiosk links, under
// /api/v1/t/SLUG/kiosk-links. A token appears in exactly two answers: the
// creation and the regeneration of its link.

func (h *Handler) kioskAPIRoutes() {
	api := func(pattern string, fn authFunc) {
		h.mux.Handle(pattern, h.page(h.authed(func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
			if h.svc.Kiosk == nil {
				return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
			}
			return fn(w, r, t, p)
		}, false)))
	}
	pre := "/api/v1/t/{slug}/kiosk-links"
	api("GET "+pre, h.apiKioskLinks)
	api("POST "+pre, h.apiCreateKioskLink)
	api("GET "+pre+"/{id}", h.apiKioskLink)
	api("PUT "+pre+"/{id}", h.apiUpdateKioskLink)
	api("DELETE "+pre+"/{id}", h.apiDeleteKioskLink)
	api("POST "+pre+"/{id}/{action}", h.apiKioskLinkAction)
}

// kioskLinkJSON is a link as the API shows it.
func kioskLinkJSON(l *kiosk.Link, now time.Time) map[string]any {
	status := "active"
	switch {
	case l.Revoked():
		status = "revoked"
	case l.Expired(now):
		status = "expired"
	case l.Paused:
		status = "paused"
	}
	cidrs := make([]string, len(l.AllowedCIDRs))
	for i, c := range l.AllowedCIDRs {
		cidrs[i] = c.String()
	}
	areas := make([]string, len(l.Identity.Areas))
	for i, a := range l.Identity.Areas {
		areas[i] = string(a)
	}
	m := map[string]any{"id": l.ID, "label": l.Label, "public_id": l.PublicID, "status": status,
		"rotation_seconds": int(l.Rotation / time.Second), "paused": l.Paused, "allowed_cidrs": cidrs,
		"dashboards": nonNil(l.Dashboards), "areas": areas, "classes": nonNil(l.Identity.Classes), "restricted": l.Identity.Restricted,
		"created_at": l.CreatedAt, "updated_at": l.UpdatedAt, "view_count": l.ViewCount, "version": l.Version}
	if l.CreatedBy != 0 {
		m["created_by"] = l.CreatedBy
	}
	for k, t := range map[string]time.Time{"expires_at": l.ExpiresAt, "revoked_at": l.RevokedAt, "last_viewed_at": l.LastViewedAt} {
		if !t.IsZero() {
			m[k] = t
		}
	}
	return m
}

// kioskBody is a link as sent: on PUT, fields left out keep their values.
type kioskBody struct {
	Label           *string   `json:"label"`
	RotationSeconds *int      `json:"rotation_seconds"`
	ExpiresAt       *string   `json:"expires_at"`
	AllowedCIDRs    *[]string `json:"allowed_cidrs"`
	Dashboards      *[]int64  `json:"dashboards"`
	Areas           *[]string `json:"areas"`
	Classes         *[]int64  `json:"classes"`
	Restricted      *bool     `json:"restricted"`
	// Version is the link's version the change was made from: required
	// on PUT, not read on POST.
	Version *int `json:"version"`
}

// input merges the body over base.
func (b kioskBody) input(base kiosk.Input) (kiosk.Input, error) {
	in := base
	if b.Label != nil {
		in.Label = *b.Label
	}
	if b.RotationSeconds != nil {
		in.RotationSeconds = *b.RotationSeconds
	}
	if b.ExpiresAt != nil {
		in.ExpiresAt = time.Time{}
		if *b.ExpiresAt != "" {
			t, err := time.Parse(time.RFC3339, *b.ExpiresAt)
			if err != nil {
				return in, strongroom.FieldError("expires_at", "Give the expiry as a date and time such as 2027-01-31T18:00:00Z, or \"\" for none.")
			}
			in.ExpiresAt = t
		}
	}
	if b.AllowedCIDRs != nil {
		in.AllowedCIDRs = *b.AllowedCIDRs
	}
	if b.Dashboards != nil {
		in.Dashboards = *b.Dashboards
	}
	if b.Areas != nil {
		in.Areas = *b.Areas
	}
	if b.Classes != nil {
		in.Classes = *b.Classes
	}
	if b.Restricted != nil {
		in.Restricted = *b.Restricted
	}
	if b.Version != nil {
		in.Version = *b.Version
	}
	return in, nil
}

// inputOf is a stored link as an Input, for a PUT to merge over.
func kioskInputOf(l *kiosk.Link) kiosk.Input {
	in := kiosk.Input{Label: l.Label, RotationSeconds: int(l.Rotation / time.Second), ExpiresAt: l.ExpiresAt,
		Dashboards: l.Dashboards, Classes: l.Identity.Classes, Restricted: l.Identity.Restricted}
	for _, c := range l.AllowedCIDRs {
		in.AllowedCIDRs = append(in.AllowedCIDRs, c.String())
	}
	for _, a := range l.Identity.Areas {
		in.Areas = append(in.Areas, string(a))
	}
	in.Version = l.Version
	return in
}

func (h *Handler) apiKioskLinks(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	links, err := h.svc.Kiosk.List(r.Context(), t, p)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(links))
	for i, l := range links {
		out[i] = kioskLinkJSON(l, h.svc.Kiosk.Now())
	}
	return writeJSON(w, http.StatusOK, map[string]any{"kiosk_links": out})
}

func (h *Handler) apiKioskLink(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l, err := h.svc.Kiosk.Get(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"kiosk_link": kioskLinkJSON(l, h.svc.Kiosk.Now())})
}

func (h *Handler) apiCreateKioskLink(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var b kioskBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	// A new link's identity is restricted unless the body says otherwise.
	in, err := b.input(kiosk.Input{RotationSeconds: 30, Restricted: true})
	if err != nil {
		return err
	}
	l, token, err := h.svc.Kiosk.Create(r.Context(), t, p, in)
	if err != nil {
		return err
	}
	return h.writeKioskToken(w, r, t, http.StatusCreated, l, token)
}

// writeKioskToken answers with a link and its token, this once.
func (h *Handler) writeKioskToken(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, status int, l *kiosk.Link, token string) error {
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, status, map[string]any{"kiosk_link": kioskLinkJSON(l, h.svc.Kiosk.Now()),
		"token": token, "path": h.kioskBase(r, t) + token})
}

func (h *Handler) apiUpdateKioskLink(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b kioskBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	cur, err := h.svc.Kiosk.Get(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	if b.Version == nil {
		return strongroom.FieldError("version", "Send the version of the kiosk link you are changing (its version field).")
	}
	in, err := b.input(kioskInputOf(cur))
	if err != nil {
		return err
	}
	l, err := h.svc.Kiosk.Update(r.Context(), t, p, id, in)
	if err != nil {
		return err
	}
	h.liveKioskChanged(t, id, "update")
	return writeJSON(w, http.StatusOK, map[string]any{"kiosk_link": kioskLinkJSON(l, h.svc.Kiosk.Now())})
}

func (h *Handler) apiDeleteKioskLink(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.svc.Kiosk.Delete(r.Context(), t, p, id); err != nil {
		return err
	}
	h.liveKioskChanged(t, id, "delete")
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}

func (h *Handler) apiKioskLinkAction(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx, svc := r.Context(), h.svc.Kiosk
	var l *kiosk.Link
	switch r.PathValue("action") {
	case "pause":
		l, err = svc.SetPaused(ctx, t, p, id, true)
	case "resume":
		l, err = svc.SetPaused(ctx, t, p, id, false)
	case "revoke":
		l, err = svc.Revoke(ctx, t, p, id)
	case "regenerate":
		var token string
		if l, token, err = svc.Regenerate(ctx, t, p, id); err != nil {
			return err
		}
		h.liveKioskChanged(t, id, "regenerate")
		return h.writeKioskToken(w, r, t, http.StatusOK, l, token)
	default:
		return strongroom.Errorf(strongroom.ENOTFOUND, "Not found.")
	}
	if err != nil {
		return err
	}
	h.liveKioskChanged(t, id, r.PathValue("action"))
	return writeJSON(w, http.StatusOK, map[string]any{"kiosk_link": kioskLinkJSON(l, svc.Now())})
}

func (d *apiDocBuilder) kioskOps() {
	const tag = "Administration"
	link := object("A kiosk link: never its token.",
		f("id", integer("")), f("label", str("The screen's name.")),
		f("public_id", str("A short random id made with each token, to tell screens apart; the token cannot be derived from it.")),
		f("status", enum("", "active", "paused", "expired", "revoked")),
		f("rotation_seconds", integer("How long each dashboard is shown (10 to 3600).")), f("paused", boolean("")),
		f("expires_at?", timestamp("When the link stops working; absent: never.")), f("revoked_at?", timestamp("")),
		f("allowed_cidrs", arrayOf(str(""), "Networks the screen may be viewed from; empty: any.")),
		f("dashboards", ids("Dashboard ids, in the order shown.")),
		f("areas", arrayOf(str(""), "What the screen's kiosk identity may read (read only).")),
		f("classes", ids("The kiosk identity's security classes.")),
		f("restricted", boolean("The kiosk identity sees only records carrying one of its classes.")),
		f("created_by?", integer("The user who made it.")), f("created_at", timestamp("")), f("updated_at", timestamp("")),
		f("last_viewed_at?", timestamp("The last page view.")), f("view_count", integer("Page views so far.")),
		f("version", integer("Moves on with every change to the link (not with views): send it back with PUT.")))
	linkBody := body("On PUT, fields left out keep their values. A new link is restricted unless restricted is false.",
		f("label", str("")), f("rotation_seconds", integer("")),
		f("expires_at", str("An RFC 3339 time, or \"\" for none.")), f("allowed_cidrs", arrayOf(str(""), "Addresses or networks (192.0.2.0/24).")),
		f("dashboards", ids("")), f("areas", arrayOf(str(""), "cases, documents, financial, contacts, notes, reports, dashboards.")),
		f("classes", ids("Security class ids.")), f("restricted", boolean("")),
		f("version", integer("Required on PUT: the version the change was made from; an older one is refused with 409 conflict. Not read on POST.")))
	withToken := object("", f("kiosk_link", link), f("token", str("The link's token, shown only this once.")),
		f("path", str("The screen's address on this server: /t/{slug}/k/{token}.")))
	pre := "kiosk-links"
	d.op("GET", pre, tag, "List kiosk links").describe("Administrators only. Every link with its views.").
		ok(200, "", wrap("kiosk_links", arrayOf(link, "Newest first.")))
	d.op("POST", pre, tag, "Create a kiosk link").
		describe("Answers with the token, this once; only its hash is kept. The screen opens the path given, which moves the token into a cookie.").
		json(linkBody).ok(201, "Created.", withToken)
	d.op("GET", pre+"/{id}", tag, "A kiosk link").ok(200, "", wrap("kiosk_link", link))
	d.op("PUT", pre+"/{id}", tag, "Change a kiosk link").describe("The token stays; a revoked link cannot be changed. Send the version read: a link changed since is refused with 409 conflict (field version) and left as it is.").
		json(linkBody).ok(200, "Changed.", wrap("kiosk_link", link))
	d.op("DELETE", pre+"/{id}", tag, "Delete a kiosk link").ok(200, "Deleted.", ref("Deleted"))
	act := d.op("POST", pre+"/{id}/{action}", tag, "Pause, resume, revoke or regenerate a kiosk link").
		describe("revoke ends the link for good. regenerate gives it a new token, shown this once; the old one stops at once.").
		ok(200, "Done.", &schema{OneOf: []*schema{wrap("kiosk_link", link), withToken}})
	act.Parameters[len(act.Parameters)-1].Schema = enum("", "pause", "resume", "revoke", "regenerate")
}
