package integrations

import (
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/tenancy"
)

// Intervals between pulls. The job that pulls runs every PullEvery per
// tenant, so an interval below it would not be kept.
const (
	MinInterval     = 15 * time.Minute
	MaxInterval     = 7 * 24 * time.Hour
	DefaultInterval = time.Hour
	// PullEvery is how often serve looks for the tenant's due integrations.
	PullEvery = 15 * time.Minute
	// maxBackoff is the longest wait after failures (unless the interval
	// is longer).
	maxBackoff = 24 * time.Hour
	maxSecret  = 4096
)

// Integration is one configured pull, as administrators see it. Its
// credential is never part of it: only whether one is set.
type Integration struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Label     string    `json:"label"`
	Preset    string    `json:"preset,omitempty"`
	Connector Connector `json:"config"`
	// AllowHTTP is set when an administrator allowed plain http:// for
	// this integration; pages show it as a warning.
	AllowHTTP      bool          `json:"allow_http"`
	Interval       time.Duration `json:"-"`
	Enabled        bool          `json:"enabled"`
	CredentialsSet bool          `json:"-"`
	LastRunAt      time.Time     `json:"last_run_at,omitzero"`
	LastSuccessAt  time.Time     `json:"last_success_at,omitzero"`
	LastError      string        `json:"last_error,omitempty"`
	Failures       int           `json:"failures"`
	NextRunAt      time.Time     `json:"next_run_at,omitzero"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
	Version        int           `json:"version"`
}

// Credentials is what listings say of the credential: "set" or "".
func (it *Integration) Credentials() string {
	if it.CredentialsSet {
		return "set"
	}
	return ""
}

// Input is an integration as an administrator submits it.
type Input struct {
	Name      string
	Label     string
	Preset    string // fills Connector when its URL is empty
	Connector Connector
	AllowHTTP bool
	Interval  time.Duration // 0: DefaultInterval
	Enabled   bool
	// Secret replaces the credential when not nil; nil keeps the one set.
	// It is the API key, bearer token, basic password or client secret,
	// as the authentication kind says.
	Secret *string
	// Version is the version an update was made from (ECONFLICT when
	// someone changed the integration since).
	Version int
}

// Service manages a tenant's integrations and pulls them.
type Service struct {
	// Policy is what pulls may reach; the operator's allowed prefixes.
	Policy Policy
	// Sink receives what pulls produce; nil keeps nothing.
	Sink Sink
	Now  func() time.Time
	log  *slog.Logger
}

// New returns a service under policy.
func New(policy Policy, sink Sink, log *slog.Logger) *Service {
	return &Service{Policy: policy, Sink: sink, Now: time.Now, log: log}
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// check validates in whole, after a preset filled it in.
func (in *Input) check() error {
	var ps strongroom.Problems
	if !nameRE.MatchString(in.Name) {
		ps.Addf("name", "The name must be 1 to 40 lower-case letters, digits and '-' (crm-pipeline).")
	}
	in.Label = strings.TrimSpace(in.Label)
	if in.Label == "" || utf8.RuneCountInString(in.Label) > 100 {
		ps.Addf("label", "Give a label of 1 to 100 characters.")
	}
	if in.Interval == 0 {
		in.Interval = DefaultInterval
	}
	if in.Interval < MinInterval || in.Interval > MaxInterval || in.Interval%time.Second != 0 {
		ps.Addf("interval", "Pull between every 15 minutes and every 7 days.")
	}
	if in.Secret != nil && (len(*in.Secret) > maxSecret || strings.ContainsAny(*in.Secret, "\r\n\x00")) {
		ps.Addf("secret", "The credential must be at most 4096 characters on one line.")
	}
	ps.Add(in.Connector.Validate(in.AllowHTTP))
	return ps.Err()
}

// applyPreset fills an input's connector from its preset when the input
// gave none, keeping what the administrator must supply (client id, user
// name).
func (in *Input) applyPreset() error {
	if in.Preset == "" || in.Connector.URL != "" {
		return nil
	}
	p, err := PresetNamed(in.Preset)
	if err != nil {
		return err
	}
	mine := in.Connector.Auth
	in.Connector = p.Connector
	in.Connector.Auth.ClientID, in.Connector.Auth.Username = mine.ClientID, mine.Username
	return nil
}

// principal's rights: reading lists needs administration read, every
// change and a test administration edit.
func canRead(p *identity.Principal) error {
	if p == nil || p.Subject == nil {
		return strongroom.Errorf(strongroom.EUNAUTHORIZED, "Sign in first.")
	}
	return p.Subject.Require(access.Administration, access.Read)
}

func canEdit(p *identity.Principal) error {
	if p == nil || p.Subject == nil {
		return strongroom.Errorf(strongroom.EUNAUTHORIZED, "Sign in first.")
	}
	return p.RequireAdmin()
}

// List returns the tenant's integrations by label.
func (s *Service) List(ctx context.Context, h *tenancy.Handle, p *identity.Principal) ([]*Integration, error) {
	if err := canRead(p); err != nil {
		return nil, err
	}
	return listRows(ctx, h.DB, "")
}

// Get returns one integration.
func (s *Service) Get(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) (*Integration, error) {
	if err := canRead(p); err != nil {
		return nil, err
	}
	r, err := getRow(ctx, h.DB, id)
	if err != nil {
		return nil, err
	}
	return r.it, nil
}

// backoff is the wait before the next pull after failures failed pulls
// in a row: the interval, doubled per failure, at most a day (or the
// interval, when that is longer).
func backoff(interval time.Duration, failures int) time.Duration {
	ceiling := max(interval, maxBackoff)
	d := interval
	for i := 0; i < failures && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

// MarshalJSON writes an integration for the API: its credential only as
// "set" (or absent), its interval in seconds.
func (it *Integration) MarshalJSON() ([]byte, error) {
	type plain Integration // without this method
	return json.Marshal(struct {
		*plain
		IntervalSeconds int64  `json:"interval_seconds"`
		Credentials     string `json:"credentials,omitempty"`
	}{(*plain)(it), int64(it.Interval / time.Second), it.Credentials()})
}
