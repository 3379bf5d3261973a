package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"strongroom/access"
	"strongroom/home"
	"strongroom/identity"
	"strongroom/tenancy"
)

func (h *Handler) front(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, http.StatusOK, "front", nil)
}

func (h *Handler) apiStatus(w http.ResponseWriter, r *http.Request, t *tenancy.Handle) error {
	if err := t.DB.Ping(r.Context()); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"tenant": map[string]string{"slug": t.Tenant.Slug, "display_name": t.Tenant.DisplayName},
		"status": "ok",
	})
}

// render executes a page into a buffer first, so that a template error
// becomes a clean error page rather than half a page.
//
// A page of a tenant (its data a view) is written in the tenant's
// formatting: its money, numbers, dates and times.
func (h *Handler) render(w http.ResponseWriter, status int, page string, data any) error {
	tmpl := h.pages[page]
	if slug := viewTenant(data); slug != "" {
		var err error
		if tmpl, err = h.formats.page(slug, page, h.pages); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// viewTenant is the slug of the tenant a page's data belongs to, if any.
func viewTenant(data any) string {
	switch v := data.(type) {
	case view:
		if v.Tenant != nil {
			return v.Tenant.Slug
		}
	case *view:
		if v != nil && v.Tenant != nil {
			return v.Tenant.Slug
		}
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(append(body, '\n'))
	return err
}

// homeLists is how many entries each list of the start page shows;
// activityCases is how many of the user's cases the activity is read from
// (the most recently changed).
const (
	homeLists     = 8
	activityCases = 200
)

// homeView is the start page: the user's work, then their account.
type homeView struct {
	// Cases is set when the user may read cases (else no case lists).
	Cases     bool
	MyCases   []home.Case
	MyTotal   int
	Deadlines *home.Deadlines
	Recent    []home.Case
	Audit     bool // the user may read the audit trail
	Activity  []activity
	Access    []accessLevel
	TwoFactor bool
}

// accessLevel is one data area and what the user may do there.
type accessLevel struct {
	Area  string
	Level string // "edit", "read" or "none"
}

// home is the start page of a signed-in user: their open cases, the
// deadlines in them, the cases they opened last and what happened in their
// cases lately, each read through the access predicate.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	ctx := r.Context()
	page := homeView{Cases: p.Subject.Allowed(access.Cases, access.Read), Audit: p.Subject.Allowed(access.Audit, access.Read),
		TwoFactor: p.User.TOTPEnabled}
	for _, a := range access.Areas() {
		page.Access = append(page.Access, accessLevel{Area: a.Label(), Level: p.Subject.Level(a).String()})
	}
	if page.Cases {
		// The user's open cases, up to activityCases: the first few are
		// listed, all of them are the cases whose activity is shown.
		mine, total, err := h.svc.Home.MyCases(ctx, t, p, activityCases)
		if err != nil {
			return err
		}
		page.MyCases, page.MyTotal = mine[:min(len(mine), homeLists)], total
		today := h.formatter(t).Today(h.svc.Home.Now())
		if page.Deadlines, err = h.svc.Home.MyDeadlines(ctx, t, p, today, homeLists); err != nil {
			return err
		}
		if page.Recent, err = h.svc.Home.RecentlyViewed(ctx, t, p, homeLists); err != nil {
			return err
		}
		if page.Audit {
			if page.Activity, err = h.myActivity(ctx, t, p, mine, homeLists); err != nil {
				return err
			}
		}
	}
	v := newView(r, t, p)
	v.Page = page
	return h.render(w, http.StatusOK, "home", v)
}

// recordCaseView notes that p opened case id, for their start page. It is
// called by the case page once the case is shown; a failure is logged and
// does not stop the page.
func (h *Handler) recordCaseView(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64) {
	if err := h.svc.Home.RecordView(ctx, t, p, id); err != nil {
		h.log.Warn("record a case view", "tenant", t.Tenant.Slug, "err", err)
	}
}
