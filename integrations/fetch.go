package integrations

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"strongroom"
)

// maxPoints bounds what one pull may produce.
const maxPoints = 10_000

// fetch is one pull of a connector: every page, under the policy, with
// the secret applied as its authentication says. Every error it returns is
// a *strongroom.Error whose message names hosts and paths but never a
// query string, a header or the secret (redact removes the secret again
// from whatever it says, in case a server put it in a URL).
type fetch struct {
	c         Connector
	secret    string
	allowHTTP bool
	policy    Policy
	now       time.Time
	client    *http.Client
	bearer    string // the OAuth2 access token, once fetched
	base      *url.URL
}

// Fetch pulls c once and returns the points it would write. c must have
// passed Validate.
func (p Policy) Fetch(ctx context.Context, c Connector, secret string, allowHTTP bool, now time.Time) ([]Point, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	f := &fetch{c: c, secret: secret, allowHTTP: allowHTTP, policy: p, now: now, client: p.client(allowHTTP)}
	defer f.client.CloseIdleConnections()
	points, err := f.run(ctx)
	return points, redactErr(err, secret)
}

func (f *fetch) run(ctx context.Context) ([]Point, error) {
	base, err := url.Parse(f.c.URL)
	if err != nil {
		return nil, strongroom.FieldError(fieldPrefix+"url", "Give an absolute URL.")
	}
	f.base = base
	if f.c.Auth.Kind == AuthOAuth2 {
		if err := f.token(ctx); err != nil {
			return nil, err
		}
	}
	ex, err := newExtractor(f.c, f.now)
	if err != nil {
		return nil, err
	}
	pg := f.c.Pagination
	u := f.firstURL()
	number, offset := pg.Start, pg.Start
	if pg.Kind == PageNumber && number == 0 {
		number = 1
	}
	for page := 1; page <= pg.MaxPages; page++ {
		switch pg.Kind {
		case PageNumber:
			setParam(u, pg.Param, strconv.Itoa(number))
		case PageOffset:
			setParam(u, pg.Param, strconv.Itoa(offset))
		}
		doc, err := f.get(ctx, u)
		if err != nil {
			return nil, err
		}
		n, err := ex.add(doc, page)
		if err != nil {
			return nil, err
		}
		switch pg.Kind {
		case PageNone:
			return ex.points, nil
		case PageNext:
			next, more, err := f.nextURL(doc, u)
			if err != nil || !more {
				return ex.points, err
			}
			u = next
		case PageNumber, PageOffset:
			if n == 0 {
				return ex.points, nil
			}
			number, offset = number+1, offset+n
		}
	}
	return nil, strongroom.FieldError(fieldPrefix+"pagination.max_pages",
		"The API still had more after %d pages; nothing was kept. Raise the most pages to fetch (at most %d).", pg.MaxPages, MaxMaxPages)
}

// firstURL is the configured URL with the configured query parameters
// and, for an API key in a parameter, the key.
func (f *fetch) firstURL() *url.URL {
	u := *f.base
	q := u.Query()
	for k, v := range f.c.Query {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	f.keyParam(&u)
	return &u
}

func (f *fetch) keyParam(u *url.URL) {
	if f.c.Auth.Kind == AuthAPIKey && f.c.Auth.QueryParam != "" {
		setParam(u, f.c.Auth.QueryParam, f.secret)
	}
}

func setParam(u *url.URL, name, value string) {
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
}

// nextURL reads the next page's URL. It must stay on the configured
// host and scheme: the credentials go with every page.
func (f *fetch) nextURL(doc any, cur *url.URL) (*url.URL, bool, error) {
	p, _ := ParsePath(f.c.Pagination.NextURL) // validated
	v, ok := p.First(doc)
	s, _ := v.(string)
	if !ok || s == "" {
		return nil, false, nil
	}
	ref, err := url.Parse(s)
	if err != nil {
		return nil, false, strongroom.Errorf(strongroom.EINVALID, "The next page's URL at %s is not a URL.", p)
	}
	next := cur.ResolveReference(ref)
	if next.Host != f.base.Host || next.User != nil || (next.Scheme != f.base.Scheme && next.Scheme != "https") || next.Scheme == "http" && !f.allowHTTP {
		return nil, false, strongroom.Errorf(strongroom.EINVALID,
			"The next page's URL at %s leads away from %s://%s; pages are fetched only from the configured host.", p, f.base.Scheme, f.base.Host)
	}
	f.keyParam(next)
	return next, true, nil
}

// get fetches one page and decodes it.
func (f *fetch) get(ctx context.Context, u *url.URL) (any, error) {
	var body io.Reader
	if f.c.Method == "POST" && f.c.Body != "" {
		body = strings.NewReader(f.c.Body)
	}
	req, err := http.NewRequestWithContext(ctx, f.c.Method, u.String(), body)
	if err != nil {
		return nil, strongroom.Errorf(strongroom.EINVALID, "The request to %s could not be made.", safeURL(u))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "Strongroom-Integrations/1")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range f.c.Headers {
		req.Header.Set(k, v)
	}
	f.authorize(req)
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, transportError(ctx, err, u.Host, f.policy)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		return nil, statusError(resp, u)
	}
	raw, err := readBounded(resp, f.policy.maxResponse())
	if err != nil {
		return nil, transportError(ctx, err, u.Host, f.policy)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, strongroom.Errorf(strongroom.EINVALID, "The response of %s is not JSON.", safeURL(u))
	}
	return doc, nil
}

func (f *fetch) authorize(req *http.Request) {
	a := f.c.Auth
	switch a.Kind {
	case AuthAPIKey:
		if a.Header != "" {
			req.Header.Set(a.Header, f.secret)
		}
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+f.secret)
	case AuthBasic:
		req.SetBasicAuth(a.Username, f.secret)
	case AuthOAuth2:
		req.Header.Set("Authorization", "Bearer "+f.bearer)
	}
}

// token gets an access token by the client credentials grant, through the
// same client: the token URL is held to the same addresses and TLS.
func (f *fetch) token(ctx context.Context) error {
	a := f.c.Auth
	cc := clientcredentials.Config{ClientID: a.ClientID, ClientSecret: f.secret, TokenURL: a.TokenURL, Scopes: a.Scopes}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, f.client))
	host := a.TokenURL
	if u, perr := url.Parse(a.TokenURL); perr == nil {
		host = u.Host
	}
	if err != nil {
		if re, ok := err.(*oauth2.RetrieveError); ok && re.Response != nil {
			return strongroom.Errorf(strongroom.EUNAVAILABLE,
				"The token request to %s was refused (%d %s): check the client id and secret.", host, re.Response.StatusCode, http.StatusText(re.Response.StatusCode))
		}
		return transportError(ctx, err, host, f.policy)
	}
	f.bearer = tok.AccessToken
	return nil
}

// readBounded reads a body of at most max bytes, refusing a larger one
// without reading past the limit.
func readBounded(resp *http.Response, max int64) ([]byte, error) {
	if resp.ContentLength > max {
		return nil, errTooLarge
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, err
	}
	if n > max {
		return nil, errTooLarge
	}
	return buf.Bytes(), nil
}

// extractor turns response documents into points.
type extractor struct {
	c      Connector
	now    time.Time
	items  *Path
	value  Path
	at     *Path
	dims   map[string]Path
	points []Point
}

func newExtractor(c Connector, now time.Time) (*extractor, error) {
	ex := &extractor{c: c, now: now, dims: map[string]Path{}}
	var err error
	if ex.value, err = ParsePath(c.Value); err != nil {
		return nil, strongroom.FieldError(fieldPrefix+"value", "The value path is not valid.")
	}
	if c.Items != "" {
		p, err := ParsePath(c.Items)
		if err != nil {
			return nil, strongroom.FieldError(fieldPrefix+"items", "The items path is not valid.")
		}
		ex.items = &p
	}
	if c.Time != "" {
		p, err := ParsePath(c.Time)
		if err != nil {
			return nil, strongroom.FieldError(fieldPrefix+"time", "The time path is not valid.")
		}
		ex.at = &p
	}
	for name, s := range c.Dims {
		p, err := ParsePath(s)
		if err != nil {
			return nil, strongroom.FieldError(fieldPrefix+"dims", "The path of dimension %s is not valid.", name)
		}
		ex.dims[name] = p
	}
	return ex, nil
}

// add reads the points of one page and returns how many items it held.
func (ex *extractor) add(doc any, page int) (int, error) {
	items := []any{doc}
	if ex.items != nil {
		items = ex.items.Select(doc, maxPoints+1)
	}
	for i, item := range items {
		for _, v := range ex.value.Select(item, maxPoints+1) {
			value, ok, err := number(v)
			if err != nil {
				return 0, strongroom.Errorf(strongroom.EINVALID, "Page %d, item %d: the value at %s %s.", page, i+1, ex.value, err.Error())
			}
			if !ok {
				continue // null or absent: an open deal without an amount
			}
			pt := Point{Metric: ex.c.Metric, At: ex.now, Value: value}
			if ex.at != nil {
				t, err := pointTime(ex.at, item)
				if err != nil {
					return 0, strongroom.Errorf(strongroom.EINVALID, "Page %d, item %d: the time at %s %s.", page, i+1, ex.at, err.Error())
				}
				pt.At = t
			}
			if len(ex.dims) > 0 {
				pt.Dims = make(map[string]string, len(ex.dims))
				for name, p := range ex.dims {
					d, _ := p.First(item)
					pt.Dims[name] = dimText(d)
				}
			}
			ex.points = append(ex.points, pt)
			if len(ex.points) > maxPoints {
				return 0, strongroom.Errorf(strongroom.EINVALID, "The API gave more than %d values; nothing was kept.", maxPoints)
			}
		}
	}
	return len(items), nil
}

// number reads a JSON number or a string holding one (HubSpot sends
// amounts as strings). null is no value.
func number(v any) (float64, bool, error) {
	var f float64
	switch x := v.(type) {
	case nil:
		return 0, false, nil
	case float64:
		f = x
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, false, nil
		}
		var err error
		if f, err = strconv.ParseFloat(s, 64); err != nil {
			return 0, false, fmt.Errorf("is not a number")
		}
	default:
		return 0, false, fmt.Errorf("is not a number")
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, fmt.Errorf("is not a finite number")
	}
	return f, true, nil
}

// timeLayouts are the written times a time path may find.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02"}

// pointTime reads a time: RFC 3339 text (a time without zone is UTC), a
// date, Unix seconds or milliseconds as a number, or the "/Date(ms+zone)/"
// form of Microsoft JSON (Xero).
func pointTime(p *Path, item any) (time.Time, error) {
	v, ok := p.First(item)
	switch x := v.(type) {
	case string:
		if ms, ok := msDate(x); ok {
			return time.UnixMilli(ms).UTC(), nil
		}
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, x); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("is not a time (RFC 3339, a date, or Unix seconds)")
	case float64:
		if x > 1e11 { // past the year 5138 in seconds: milliseconds
			return time.UnixMilli(int64(x)).UTC(), nil
		}
		return time.Unix(int64(x), 0).UTC(), nil
	}
	if !ok {
		return time.Time{}, fmt.Errorf("is missing")
	}
	return time.Time{}, fmt.Errorf("is not a time")
}

// msDate reads "/Date(1518685950940+0000)/".
func msDate(s string) (int64, bool) {
	inner, ok := strings.CutPrefix(s, "/Date(")
	if !ok {
		return 0, false
	}
	inner, ok = strings.CutSuffix(inner, ")/")
	if !ok {
		return 0, false
	}
	if i := strings.IndexAny(inner[min(1, len(inner)):], "+-"); i >= 0 {
		inner = inner[:i+1]
	}
	ms, err := strconv.ParseInt(inner, 10, 64)
	return ms, err == nil
}

func dimText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if len(x) > 200 {
			return x[:200]
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}
