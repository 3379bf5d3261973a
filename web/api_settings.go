package web

import (
	"net/http"
	"time"

	"strongroom"
	"strongroom/documents"
	"strongroom/identity"
	"strongroom/tenancy"
)

// settingsBody is the tenant's settings as GET /settings answers them.
type settingsBody struct {
	LockoutThreshold       int    `json:"lockout_threshold"`
	AutoUnlockAfterMinutes int    `json:"auto_unlock_after_minutes"`
	MFA                    string `json:"mfa"`
	IdleTimeoutMinutes     int    `json:"idle_timeout_minutes"`
	AbsoluteTimeoutMinutes int    `json:"absolute_timeout_minutes"`
	Locale                 string `json:"locale"`
	TimeZone               string `json:"time_zone"`
	Currency               string `json:"currency"`
	MaxUploadBytes         int64  `json:"max_upload_bytes"`
	// MaxUploadCeilingBytes is the operator's maximum (read only).
	MaxUploadCeilingBytes int64 `json:"max_upload_ceiling_bytes"`
}

// settingsUpdate is a PUT /settings body: the fields given replace the
// current values, the fields left out keep theirs.
type settingsUpdate struct {
	LockoutThreshold       *int    `json:"lockout_threshold"`
	AutoUnlockAfterMinutes *int    `json:"auto_unlock_after_minutes"`
	MFA                    *string `json:"mfa"`
	IdleTimeoutMinutes     *int    `json:"idle_timeout_minutes"`
	AbsoluteTimeoutMinutes *int    `json:"absolute_timeout_minutes"`
	Locale                 *string `json:"locale"`
	TimeZone               *string `json:"time_zone"`
	Currency               *string `json:"currency"`
	MaxUploadBytes         *int64  `json:"max_upload_bytes"`
}

// tenantSettings is every setting of a tenant.
type tenantSettings struct {
	security   identity.Settings
	formatting identity.Formatting
	maxUpload  int64
}

func (h *Handler) readSettings(r *http.Request, t *tenancy.Handle, p *identity.Principal) (tenantSettings, error) {
	var s tenantSettings
	var err error
	if s.security, err = h.identity.Settings(r.Context(), t, p); err != nil {
		return s, err
	}
	if s.formatting, err = h.identity.Formatting(r.Context(), t); err != nil {
		return s, err
	}
	s.maxUpload, err = h.svc.Documents.MaxUpload(r.Context(), t)
	return s, err
}

func (h *Handler) settingsJSON(s tenantSettings) settingsBody {
	return settingsBody{LockoutThreshold: s.security.LockoutThreshold, AutoUnlockAfterMinutes: int(s.security.AutoUnlockAfter / time.Minute),
		MFA: s.security.MFA, IdleTimeoutMinutes: int(s.security.IdleTimeout / time.Minute), AbsoluteTimeoutMinutes: int(s.security.AbsoluteTimeout / time.Minute),
		Locale: s.formatting.Locale, TimeZone: s.formatting.TimeZone, Currency: s.formatting.Currency,
		MaxUploadBytes: s.maxUpload, MaxUploadCeilingBytes: h.svc.Documents.Ceiling()}
}

func (h *Handler) apiSettings(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	s, err := h.readSettings(r, t, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"settings": h.settingsJSON(s)})
}

// apply puts the given fields over the current settings.
func (in settingsUpdate) apply(s *tenantSettings) {
	minutes := func(n *int, d *time.Duration) {
		if n != nil {
			*d = time.Duration(*n) * time.Minute
		}
	}
	set := func(v *string, into *string) {
		if v != nil {
			*into = *v
		}
	}
	if in.LockoutThreshold != nil {
		s.security.LockoutThreshold = *in.LockoutThreshold
	}
	minutes(in.AutoUnlockAfterMinutes, &s.security.AutoUnlockAfter)
	minutes(in.IdleTimeoutMinutes, &s.security.IdleTimeout)
	minutes(in.AbsoluteTimeoutMinutes, &s.security.AbsoluteTimeout)
	set(in.MFA, &s.security.MFA)
	set(in.Locale, &s.formatting.Locale)
	set(in.TimeZone, &s.formatting.TimeZone)
	set(in.Currency, &s.formatting.Currency)
	if in.MaxUploadBytes != nil {
		s.maxUpload = *in.MaxUploadBytes
	}
}

// apiUpdateSettings checks every setting given before it saves any, so a
// request with one bad field changes nothing.
func (h *Handler) apiUpdateSettings(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var in settingsUpdate
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	s, err := h.readSettings(r, t, p)
	if err != nil {
		return err
	}
	in.apply(&s)
	if err := minutesField(s.security.Validate()); err != nil {
		return err
	}
	if err := s.formatting.Validate(); err != nil {
		return err
	}
	if s.maxUpload < documents.MinUploadLimit || s.maxUpload > h.svc.Documents.Ceiling() {
		return strongroom.FieldError("max_upload_bytes", "The upload limit must be between 1 KiB and %d bytes (this server's maximum).", h.svc.Documents.Ceiling())
	}
	if err := minutesField(h.identity.UpdateSettings(r.Context(), t, p, s.security)); err != nil {
		return err
	}
	if err := h.saveFormatting(r, t, p, s.formatting); err != nil {
		return err
	}
	if err := h.svc.Documents.SetMaxUpload(r.Context(), t, p, s.maxUpload); err != nil {
		return err
	}
	if s, err = h.readSettings(r, t, p); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"settings": h.settingsJSON(s)})
}
