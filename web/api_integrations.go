package web

import (
	"net/http"
	"time"

	"strongroom"
	"strongroom/identity"
	"strongroom/integrations"
	"strongroom/tenancy"
)

// The JSON API of integrations, under /api/v1/t/SLUG/integrations. It
// calls the same service as Administration → Integrations, which
// authorizes every call: reading needs the administration area, every
// change and a test an administrator. A credential goes in and never comes
// out: answers say only whether one is set.

func (h *Handler) integrationAPIRoutes() {
	api := func(pattern string, fn authFunc) {
		h.mux.Handle(pattern, h.page(h.authed(func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
			if h.svc.Integrations == nil {
				return strongroom.Errorf(strongroom.ENOTFOUND, "Page not found.")
			}
			return fn(w, r, t, p)
		}, false)))
	}
	pre := "/api/v1/t/{slug}/integrations"
	api("GET "+pre, h.apiIntegrations)
	api("POST "+pre, h.apiCreateIntegration)
	api("GET "+pre+"/{id}", h.apiIntegration)
	api("PUT "+pre+"/{id}", h.apiUpdateIntegration)
	api("DELETE "+pre+"/{id}", h.apiDeleteIntegration)
	api("POST "+pre+"/{id}/test", h.apiTestIntegration)
}

// Credential states as answers give them.
const (
	credentialSet    = "set"
	credentialNotSet = "not set"
)

// integrationJSON is an integration as the API shows it: never its
// credential, only whether one is set.
type integrationJSON struct {
	ID              int64                  `json:"id"`
	Name            string                 `json:"name"`
	Label           string                 `json:"label"`
	Preset          string                 `json:"preset"`
	Config          integrations.Connector `json:"config"`
	AllowHTTP       bool                   `json:"allow_http"`
	IntervalSeconds int64                  `json:"interval_seconds"`
	Enabled         bool                   `json:"enabled"`
	Credential      string                 `json:"credential"`
	LastRunAt       string                 `json:"last_run_at,omitempty"`
	LastSuccessAt   string                 `json:"last_success_at,omitempty"`
	LastError       string                 `json:"last_error"`
	Failures        int                    `json:"failures"`
	NextRunAt       string                 `json:"next_run_at,omitempty"`
	CreatedAt       string                 `json:"created_at"`
	UpdatedAt       string                 `json:"updated_at"`
	Version         int                    `json:"version"`
}

func toIntegrationJSON(it *integrations.Integration) integrationJSON {
	optional := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	out := integrationJSON{ID: it.ID, Name: it.Name, Label: it.Label, Preset: it.Preset, Config: it.Connector,
		AllowHTTP: it.AllowHTTP, IntervalSeconds: int64(it.Interval / time.Second), Enabled: it.Enabled,
		Credential: credentialNotSet, LastRunAt: optional(it.LastRunAt), LastSuccessAt: optional(it.LastSuccessAt),
		LastError: it.LastError, Failures: it.Failures, NextRunAt: optional(it.NextRunAt),
		CreatedAt: it.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: it.UpdatedAt.UTC().Format(time.RFC3339), Version: it.Version}
	if it.CredentialsSet {
		out.Credential = credentialSet
	}
	return out
}

// integrationBody is an integration as sent. On PUT a field left out keeps
// its value; config, when given, replaces the whole connector. credential
// replaces the one set; left out (or null) it keeps it.
type integrationBody struct {
	Name            *string                 `json:"name"`
	Label           *string                 `json:"label"`
	Preset          *string                 `json:"preset"`
	Config          *integrations.Connector `json:"config"`
	AllowHTTP       *bool                   `json:"allow_http"`
	IntervalSeconds *int64                  `json:"interval_seconds"`
	Enabled         *bool                   `json:"enabled"`
	Credential      *string                 `json:"credential"`
	Version         *int                    `json:"version"`
}

// input merges the body over base.
func (b integrationBody) input(base integrations.Input) (integrations.Input, error) {
	in := base
	set(&in.Name, b.Name)
	set(&in.Label, b.Label)
	set(&in.Preset, b.Preset)
	set(&in.Connector, b.Config)
	set(&in.AllowHTTP, b.AllowHTTP)
	set(&in.Enabled, b.Enabled)
	set(&in.Version, b.Version)
	if b.IntervalSeconds != nil {
		s := *b.IntervalSeconds
		if s < 0 || s > int64(integrations.MaxInterval/time.Second) {
			return in, strongroom.FieldError("interval_seconds", "Pull between every %d and every %d seconds (15 minutes to 7 days).",
				int64(integrations.MinInterval/time.Second), int64(integrations.MaxInterval/time.Second))
		}
		in.Interval = time.Duration(s) * time.Second
	}
	in.Secret = b.Credential
	return in, nil
}

// integrationAPIFields names the service's fields as the API's body does
// (interval is interval_seconds, the secret is credential); config.* are
// already the body's paths.
func integrationAPIFields(err error) error {
	rename := func(field string) string {
		switch field {
		case "interval":
			return "interval_seconds"
		case "secret":
			return "credential"
		}
		return field
	}
	problems := strongroom.ErrorProblems(err)
	if problems == nil {
		return err
	}
	var ps strongroom.Problems
	for _, p := range problems {
		ps.Addf(rename(p.Field), "%s", p.Message)
	}
	return ps.Err()
}

func (h *Handler) apiIntegrations(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	list, err := h.svc.Integrations.List(r.Context(), t, p)
	if err != nil {
		return err
	}
	out := make([]integrationJSON, 0, len(list))
	for _, it := range list {
		out = append(out, toIntegrationJSON(it))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"integrations": out})
}

func (h *Handler) apiIntegration(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	it, err := h.svc.Integrations.Get(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"integration": toIntegrationJSON(it)})
}

func (h *Handler) apiCreateIntegration(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var b integrationBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	// A new integration is enabled, and pulled every hour, unless the body
	// says otherwise.
	in, err := b.input(integrations.Input{Enabled: true})
	if err != nil {
		return err
	}
	in.Version = 0
	it, err := h.svc.Integrations.Create(r.Context(), t, p, in)
	if err != nil {
		return integrationAPIFields(err)
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"integration": toIntegrationJSON(it)})
}

func (h *Handler) apiUpdateIntegration(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b integrationBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	svc := h.svc.Integrations
	cur, err := svc.Get(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	if b.Version == nil {
		return strongroom.FieldError("version", "Send the version of the integration you are changing (its version field).")
	}
	in, err := b.input(inputOf(cur))
	if err != nil {
		return err
	}
	it, err := svc.Update(r.Context(), t, p, id, in)
	if strongroom.ErrorCode(err) == strongroom.ECONFLICT {
		// The service's one conflict of an update: the version it was
		// made from is not the current one.
		return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "version", Message: strongroom.ErrorMessage(err)}
	}
	if err != nil {
		return integrationAPIFields(err)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"integration": toIntegrationJSON(it)})
}

func (h *Handler) apiDeleteIntegration(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.svc.Integrations.Delete(r.Context(), t, p, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}

// maxTestPoints is the most values a test answers with; total says how
// many the pull would have written.
const maxTestPoints = 500

type testPointJSON struct {
	Metric     string            `json:"metric"`
	At         string            `json:"at"`
	Value      float64           `json:"value"`
	Dimensions map[string]string `json:"dimensions"`
}

// apiTestIntegration fetches once, as a pull would, and answers with the
// values it would write, or why it failed (200 either way: the test ran).
// A refusal or a fault of the database is an error as usual.
func (h *Handler) apiTestIntegration(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	points, terr := h.svc.Integrations.Test(r.Context(), t, p, id)
	if code := strongroom.ErrorCode(terr); terr != nil && code != strongroom.EUNAVAILABLE && code != strongroom.EINVALID {
		return terr
	}
	out := map[string]any{"ok": terr == nil, "total": len(points)}
	if terr != nil {
		// The service redacted the credential from the message.
		out["error"] = map[string]any{"code": strongroom.ErrorCode(terr), "message": strongroom.ErrorMessage(terr)}
	}
	list := make([]testPointJSON, 0, min(len(points), maxTestPoints))
	for _, pt := range points[:min(len(points), maxTestPoints)] {
		dims := pt.Dims
		if dims == nil {
			dims = map[string]string{}
		}
		list = append(list, testPointJSON{Metric: pt.Metric, At: pt.At.UTC().Format(time.RFC3339Nano), Value: pt.Value, Dimensions: dims})
	}
	out["points"] = list
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, out)
}
