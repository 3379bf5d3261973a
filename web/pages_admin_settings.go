package web

import (
	"net/http"
	"strconv"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/tenancy"
)

// settingsFields are the fields of the security settings form, named as in
// the JSON API.
var settingsFields = []string{"lockout_threshold", "auto_unlock_after_minutes", "mfa", "idle_timeout_minutes", "absolute_timeout_minutes"}

func durationMinutes(d time.Duration) string { return strconv.Itoa(int(d / time.Minute)) }

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	s, err := h.identity.Settings(r.Context(), t, p)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Form.Values.Set("lockout_threshold", strconv.Itoa(s.LockoutThreshold))
	v.Form.Values.Set("auto_unlock_after_minutes", durationMinutes(s.AutoUnlockAfter))
	v.Form.Values.Set("mfa", s.MFA)
	v.Form.Values.Set("idle_timeout_minutes", durationMinutes(s.IdleTimeout))
	v.Form.Values.Set("absolute_timeout_minutes", durationMinutes(s.AbsoluteTimeout))
	return h.render(w, http.StatusOK, "admin_settings", v)
}

// settingsInput reads the form; a field that is not a number is named.
func settingsInput(r *http.Request) (identity.Settings, error) {
	s := identity.Settings{MFA: r.PostForm.Get("mfa")}
	var n [4]int
	var ps strongroom.Problems
	for i, name := range []string{"lockout_threshold", "auto_unlock_after_minutes", "idle_timeout_minutes", "absolute_timeout_minutes"} {
		var err error
		n[i], err = formInt(r, name)
		ps.Add(err)
	}
	if err := ps.Err(); err != nil {
		return s, err
	}
	s.LockoutThreshold = n[0]
	s.AutoUnlockAfter = time.Duration(n[1]) * time.Minute
	s.IdleTimeout = time.Duration(n[2]) * time.Minute
	s.AbsoluteTimeout = time.Duration(n[3]) * time.Minute
	return s, nil
}

func (h *Handler) settingsSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	s, err := settingsInput(r)
	if err == nil {
		err = h.identity.UpdateSettings(r.Context(), t, p, s)
		// The service names durations (idle_timeout); the form has minutes.
		err = renameFields(err, map[string]string{"auto_unlock_after": "auto_unlock_after_minutes",
			"idle_timeout": "idle_timeout_minutes", "absolute_timeout": "absolute_timeout_minutes"})
	}
	if err != nil {
		v := newView(r, t, p)
		v.Form.Values = formValues(r, settingsFields...)
		return h.renderForm(w, "admin_settings", v, err, settingsFields...)
	}
	return redirectDone(w, r, t, "admin/settings", "settings-saved")
}
