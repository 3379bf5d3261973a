package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/format"
	"strongroom/identity"
	"strongroom/tenancy"
)

// The settings page has a form per section, each saved on its own (a
// section's error keeps the others as they are): security policy, the
// formatting of money, numbers and times, and the upload limit. Fields are
// named as in the JSON API.
var (
	settingsFields   = []string{"lockout_threshold", "auto_unlock_after_minutes", "mfa", "idle_timeout_minutes", "absolute_timeout_minutes"}
	formattingFields = []string{"locale", "time_zone", "currency"}
	uploadFields     = []string{"max_upload_mib"}
)

// settingsPageView is what the settings page offers besides the form.
type settingsPageView struct {
	Locales    []format.Choice
	Currencies []format.Choice
	Zones      []string
	// CeilingMiB is the operator's maximum upload limit.
	CeilingMiB int64
	// Example shows money and a time in the saved formatting.
	ExampleMoney, ExampleTime string
}

func durationMinutes(d time.Duration) string { return strconv.Itoa(int(d / time.Minute)) }

func mib(n int64) string { return strconv.FormatInt(n>>20, 10) }

// settingsView reads every section's saved values into the form.
func (h *Handler) settingsView(r *http.Request, t *tenancy.Handle, p *identity.Principal) (view, error) {
	ctx := r.Context()
	s, err := h.identity.Settings(ctx, t, p)
	if err != nil {
		return view{}, err
	}
	fm, err := h.identity.Formatting(ctx, t)
	if err != nil {
		return view{}, err
	}
	limit, err := h.svc.Documents.MaxUpload(ctx, t)
	if err != nil {
		return view{}, err
	}
	v := newView(r, t, p)
	v.Form.Values.Set("lockout_threshold", strconv.Itoa(s.LockoutThreshold))
	v.Form.Values.Set("auto_unlock_after_minutes", durationMinutes(s.AutoUnlockAfter))
	v.Form.Values.Set("mfa", s.MFA)
	v.Form.Values.Set("idle_timeout_minutes", durationMinutes(s.IdleTimeout))
	v.Form.Values.Set("absolute_timeout_minutes", durationMinutes(s.AbsoluteTimeout))
	v.Form.Values.Set("locale", fm.Locale)
	v.Form.Values.Set("time_zone", fm.TimeZone)
	v.Form.Values.Set("currency", fm.Currency)
	v.Form.Values.Set("max_upload_mib", mib(limit))
	passkeys, err := h.identity.PasskeySignIn(ctx, t)
	if err != nil {
		return view{}, err
	}
	if passkeys {
		v.Form.Values.Set("passkey_sign_in", "on")
	}
	f := h.formatter(t)
	page := settingsPageView{Locales: format.Locales(), Currencies: format.CommonCurrencies(), Zones: format.CommonZones(),
		CeilingMiB: h.svc.Documents.Ceiling() >> 20, ExampleTime: f.DateTime(time.Now())}
	page.ExampleMoney, _ = f.Money("-1234567.5", "")
	if !slices.ContainsFunc(page.Currencies, func(c format.Choice) bool { return c.Code == fm.Currency }) {
		page.Currencies = append(page.Currencies, format.Choice{Code: fm.Currency, Name: fm.Currency})
	}
	v.Page = page
	return v, nil
}

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	v, err := h.settingsView(r, t, p)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "admin_settings", v)
}

// settingsInput reads the security form; a field that is not a number is named.
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

// minutesField names the form's field for a duration the service names
// (idle_timeout is idle_timeout_minutes on the form and in the API).
func minutesField(err error) error {
	return renameFields(err, map[string]string{"auto_unlock_after": "auto_unlock_after_minutes",
		"idle_timeout": "idle_timeout_minutes", "absolute_timeout": "absolute_timeout_minutes"})
}

// uploadField names the upload limit as the form and the API do.
func uploadField(err error) error {
	if strongroom.ErrorField(err) == "max_upload_bytes" {
		return strongroom.FieldError("max_upload_mib", "%s", strongroom.ErrorMessage(err))
	}
	return err
}

// settingsSubmit saves the section the form names.
func (h *Handler) settingsSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	var fields []string
	var err error
	notice := "settings-saved"
	switch r.PostForm.Get("section") {
	case "formatting":
		fields, notice = formattingFields, "format-saved"
		err = h.saveFormatting(r, t, p, identity.Formatting{Locale: r.PostForm.Get("locale"),
			TimeZone: strings.TrimSpace(r.PostForm.Get("time_zone")), Currency: r.PostForm.Get("currency")})
	case "uploads":
		fields, notice = uploadFields, "uploads-saved"
		var n int
		if n, err = formInt(r, "max_upload_mib"); err == nil {
			err = uploadField(h.svc.Documents.SetMaxUpload(r.Context(), t, p, int64(n)<<20))
		}
	default:
		fields = settingsFields
		var s identity.Settings
		if s, err = settingsInput(r); err == nil {
			err = minutesField(h.identity.UpdateSettings(r.Context(), t, p, s))
		}
	}
	if err != nil {
		v, verr := h.settingsView(r, t, p)
		if verr != nil {
			return verr
		}
		for _, f := range fields {
			v.Form.Values.Set(f, r.PostForm.Get(f))
		}
		return h.renderForm(w, "admin_settings", v, err, append(slices.Clone(settingsFields), append(formattingFields, uploadFields...)...)...)
	}
	return redirectDone(w, r, t, "admin/settings", notice)
}

// saveFormatting changes the tenant's formatting and the formatting this
// node's pages use for it at once.
func (h *Handler) saveFormatting(r *http.Request, t *tenancy.Handle, p *identity.Principal, fm identity.Formatting) error {
	if err := h.identity.UpdateFormatting(r.Context(), t, p, fm); err != nil {
		return err
	}
	h.formats.store(t, fm)
	return nil
}
