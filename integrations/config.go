package integrations

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"

	"strongroom"
)

// Authentication kinds.
const (
	AuthNone   = "none"
	AuthAPIKey = "api_key" // a key in a header or a query parameter
	AuthBearer = "bearer"  // Authorization: Bearer TOKEN
	AuthBasic  = "basic"   // Authorization: Basic, username in the config, password secret
	AuthOAuth2 = "oauth2"  // OAuth 2.0 client credentials; the client secret is secret
)

// Pagination kinds.
const (
	PageNone   = "none"
	PageNext   = "next_url" // the next page's URL is in the response
	PageNumber = "page"     // a page number parameter, 1, 2, 3 … until a page has no items
	PageOffset = "offset"   // an offset parameter, advanced by the items of each page
)

// Limits of a connector.
const (
	DefaultMaxPages = 10
	MaxMaxPages     = 100
	maxHeaders      = 20
	maxDims         = 8
	maxBody         = 16 << 10
)

// Connector says how to fetch one metric: everything but the secret. It
// is stored as JSON in the integration's config column and shown to
// administrators, so it must never hold a credential (Validate refuses
// header and parameter names that look like one).
type Connector struct {
	URL     string            `json:"url"`
	Method  string            `json:"method"` // GET or POST
	Headers map[string]string `json:"headers,omitempty"`
	Query   map[string]string `json:"query,omitempty"`
	Body    string            `json:"body,omitempty"` // JSON, sent with POST

	// Items selects the elements of a response that become points (each
	// one point); empty: the whole response is one. Value, Time and Dims
	// are read from each item; an empty Time means the time of the pull.
	Items  string            `json:"items,omitempty"`
	Value  string            `json:"value"`
	Time   string            `json:"time,omitempty"`
	Dims   map[string]string `json:"dims,omitempty"`
	Metric string            `json:"metric"`

	Pagination Pagination `json:"pagination"`
	Auth       Auth       `json:"auth"`
}

// Pagination says how to get every page of a response.
type Pagination struct {
	Kind     string `json:"kind"`
	NextURL  string `json:"next_url,omitempty"` // path to the next page's URL (PageNext)
	Param    string `json:"param,omitempty"`    // the page or offset parameter
	Start    int    `json:"start,omitempty"`    // first page number (default 1) or offset (0)
	MaxPages int    `json:"max_pages,omitempty"`
}

// Auth is the non-secret half of the authentication.
type Auth struct {
	Kind       string   `json:"kind"`
	Header     string   `json:"header,omitempty"`      // API key in this header …
	QueryParam string   `json:"query_param,omitempty"` // … or in this query parameter
	Username   string   `json:"username,omitempty"`    // basic
	ClientID   string   `json:"client_id,omitempty"`   // oauth2
	TokenURL   string   `json:"token_url,omitempty"`   // oauth2
	Scopes     []string `json:"scopes,omitempty"`      // oauth2
}

// NeedsSecret reports whether the kind of authentication has a secret.
func (a Auth) NeedsSecret() bool { return a.Kind != AuthNone && a.Kind != "" }

var (
	metricName = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,99}$`)
	dimName    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	tokenName  = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$") // an HTTP header name
	// secretish are names a credential goes by: such a header or
	// parameter belongs in the authentication, whose value is sealed.
	secretish = regexp.MustCompile(`(?i)(auth|token|secret|passw|api[-_]?key|apikey|cookie|signature|session)`)
)

// fieldPrefix names the connector's fields in errors ("config.url").
const fieldPrefix = "config."

// Validate checks the connector whole, naming every field at fault.
// allowHTTP lets URLs be http://.
func (c *Connector) Validate(allowHTTP bool) error {
	var ps strongroom.Problems
	c.Method = strings.ToUpper(strings.TrimSpace(c.Method))
	if c.Method == "" {
		c.Method = "GET"
	}
	checkURL(&ps, "url", c.URL, allowHTTP)
	if c.Method != "GET" && c.Method != "POST" {
		ps.Addf(fieldPrefix+"method", "The method must be GET or POST.")
	}
	c.checkRequest(&ps)
	c.checkPaths(&ps)
	c.Pagination.check(&ps)
	c.Auth.check(&ps, allowHTTP)
	return ps.Err()
}

func (c *Connector) checkRequest(ps *strongroom.Problems) {
	if len(c.Headers) > maxHeaders {
		ps.Addf(fieldPrefix+"headers", "At most %d headers.", maxHeaders)
	}
	for name, v := range c.Headers {
		switch {
		case !tokenName.MatchString(name):
			ps.Addf(fieldPrefix+"headers", "%q is not a header name.", name)
		case secretish.MatchString(name):
			ps.Addf(fieldPrefix+"headers", "The header %s looks like a credential: set it as the authentication (API key in a header), whose value is kept encrypted.", name)
		case strings.ContainsAny(v, "\r\n\x00"):
			ps.Addf(fieldPrefix+"headers", "The value of header %s has a line break.", name)
		}
	}
	if len(c.Query) > maxHeaders {
		ps.Addf(fieldPrefix+"query", "At most %d query parameters.", maxHeaders)
	}
	for name := range c.Query {
		if name == "" || secretish.MatchString(name) {
			ps.Addf(fieldPrefix+"query", "The query parameter %q is empty or looks like a credential: set a key as the authentication (API key in a parameter), whose value is kept encrypted.", name)
		}
	}
	if c.Body != "" {
		if c.Method != "POST" {
			ps.Addf(fieldPrefix+"body", "Only a POST sends a body.")
		} else if len(c.Body) > maxBody || !json.Valid([]byte(c.Body)) {
			ps.Addf(fieldPrefix+"body", "The body must be JSON of at most 16 KiB.")
		}
	}
}

func (c *Connector) checkPaths(ps *strongroom.Problems) {
	checkPath(ps, "items", c.Items, false)
	checkPath(ps, "value", c.Value, true)
	checkPath(ps, "time", c.Time, false)
	if len(c.Dims) > maxDims {
		ps.Addf(fieldPrefix+"dims", "At most %d dimensions.", maxDims)
	}
	for name, p := range c.Dims {
		if !dimName.MatchString(name) {
			ps.Addf(fieldPrefix+"dims", "The dimension name %q must be lower-case letters, digits and '_', starting with a letter.", name)
		}
		checkPath(ps, "dims", p, true)
	}
	if !metricName.MatchString(c.Metric) {
		ps.Addf(fieldPrefix+"metric", "The metric name must be lower-case letters, digits, '_' and '.', starting with a letter (crm.pipeline_value).")
	}
}

func (pg *Pagination) check(ps *strongroom.Problems) {
	if pg.Kind == "" {
		pg.Kind = PageNone
	}
	if pg.MaxPages == 0 {
		pg.MaxPages = DefaultMaxPages
	}
	if pg.MaxPages < 1 || pg.MaxPages > MaxMaxPages {
		ps.Addf(fieldPrefix+"pagination.max_pages", "The most pages to fetch is between 1 and %d.", MaxMaxPages)
	}
	switch pg.Kind {
	case PageNone:
	case PageNext:
		checkPath(ps, "pagination.next_url", pg.NextURL, true)
	case PageNumber, PageOffset:
		if pg.Param == "" || !tokenName.MatchString(pg.Param) {
			ps.Addf(fieldPrefix+"pagination.param", "Name the page or offset parameter.")
		}
		if pg.Start < 0 {
			ps.Addf(fieldPrefix+"pagination.start", "The first page or offset must not be negative.")
		}
	default:
		ps.Addf(fieldPrefix+"pagination.kind", "Pagination is none, next_url, page or offset.")
	}
}

func (a *Auth) check(ps *strongroom.Problems, allowHTTP bool) {
	if a.Kind == "" {
		a.Kind = AuthNone
	}
	switch a.Kind {
	case AuthNone, AuthBearer:
	case AuthAPIKey:
		if (a.Header == "") == (a.QueryParam == "") {
			ps.Addf(fieldPrefix+"auth.header", "An API key goes in a header or in a query parameter: name one of them.")
		} else if a.Header != "" && !tokenName.MatchString(a.Header) {
			ps.Addf(fieldPrefix+"auth.header", "%q is not a header name.", a.Header)
		}
	case AuthBasic:
		if a.Username == "" || strings.Contains(a.Username, ":") {
			ps.Addf(fieldPrefix+"auth.username", "Basic authentication needs a user name without ':'.")
		}
	case AuthOAuth2:
		if a.ClientID == "" {
			ps.Addf(fieldPrefix+"auth.client_id", "OAuth 2.0 needs the client id.")
		}
		checkURL(ps, "auth.token_url", a.TokenURL, allowHTTP)
	default:
		ps.Addf(fieldPrefix+"auth.kind", "Authentication is none, api_key, bearer, basic or oauth2.")
	}
}

// checkURL refuses anything but an absolute https URL (http when allowed)
// with a host and no user information (a password there would be shown).
func checkURL(ps *strongroom.Problems, field, raw string, allowHTTP bool) {
	u, err := url.Parse(raw)
	switch {
	case raw == "" || err != nil || u.Host == "" || u.Opaque != "":
		ps.Addf(fieldPrefix+field, "Give an absolute URL (https://api.example.com/…).")
	case u.User != nil:
		ps.Addf(fieldPrefix+field, "The URL must not hold a user name or password: use the authentication settings.")
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	case u.Scheme == "http":
		ps.Addf(fieldPrefix+field, "The URL must be https://. Plain http:// sends the credentials and data unencrypted; an administrator must allow it explicitly for this integration.")
	default:
		ps.Addf(fieldPrefix+field, "The URL must be https://.")
	}
}

func checkPath(ps *strongroom.Problems, field, p string, required bool) {
	if p == "" {
		if required {
			ps.Addf(fieldPrefix+field, "Give the path to the value (results[*].amount).")
		}
		return
	}
	if _, err := ParsePath(p); err != nil {
		ps.Addf(fieldPrefix+field, "The path %q is not valid: %s.", p, err.Error())
	}
}
