package integrations

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"strongroom"
)

var errTooLarge = errors.New("response too large")

// safeURL names a URL in a message: scheme, host and path, never the
// query (an API key may be a parameter) or user information.
func safeURL(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// statusError says what a non-2xx answer means, without its body: a body
// may echo the request, credentials included.
func statusError(resp *http.Response, u *url.URL) error {
	code := resp.StatusCode
	hint := ""
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		hint = ": check the credentials and their permissions"
	case code == http.StatusTooManyRequests:
		hint = ": the API limits how often it may be asked; pull less often"
	case code == http.StatusNotFound:
		hint = ": check the URL"
	case code >= 300 && code < 400:
		hint = ": a redirect that was not followed"
	}
	return strongroom.Errorf(strongroom.EUNAVAILABLE, "%s answered %d %s%s.", safeURL(u), code, http.StatusText(code), hint)
}

// transportError describes a request that got no answer. The error itself
// is not passed on: a *url.Error quotes the whole URL, query included.
func transportError(ctx context.Context, err error, host string, p Policy) error {
	var ae *addrError
	var dns *net.DNSError
	var verr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	var cerr x509.CertificateInvalidError
	var nerr net.Error
	msg := ""
	switch {
	case errors.As(err, &ae):
		msg = "The address " + ae.addr.String() + " of " + host + " is loopback, private, link-local or otherwise internal; integrations do not reach it unless the operator allows its network (--integration-allow-cidr)."
	case errors.Is(err, ErrAddressRefused):
		msg = "The address of " + host + " is not one integrations may reach."
	case errors.Is(err, errTooLarge):
		return strongroom.Errorf(strongroom.EINVALID, "The response of %s is larger than %d MiB; refused.", host, p.maxResponse()>>20)
	case errors.Is(err, errTooManyRedirects):
		msg = host + " redirected more than " + strconv.Itoa(p.maxRedirects()) + " times."
	case errors.Is(err, errRedirectHTTP):
		msg = host + " redirected to plain http://, which this integration does not allow."
	case errors.Is(err, errRedirectOrigin):
		msg = host + " redirected to another host; integrations follow redirects only on the same host."
	case errors.As(err, &verr), errors.As(err, &uerr), errors.As(err, &herr), errors.As(err, &cerr):
		msg = "The TLS certificate of " + host + " could not be verified; the connection was not used."
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || errors.As(err, &nerr) && nerr.Timeout():
		msg = host + " did not answer within " + p.timeout().String() + "."
	case errors.As(err, &dns):
		msg = "The name " + host + " could not be resolved."
	default:
		msg = "Could not connect to " + host + "."
	}
	return strongroom.Errorf(strongroom.EUNAVAILABLE, "%s", msg)
}

// redact removes secret, and the forms it is sent in (URL-encoded, in a
// basic authorization), from s.
func redact(s, secret string) string {
	if len(secret) < 4 {
		return s // too short to find without mangling other text
	}
	for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret), base64.StdEncoding.EncodeToString([]byte(secret))} {
		s = strings.ReplaceAll(s, form, "[redacted]")
	}
	return s
}

// redactErr returns err with its safe message redacted; anything else
// than a *strongroom.Error becomes a plain failure.
func redactErr(err error, secret string) error {
	if err == nil {
		return nil
	}
	var e *strongroom.Error
	if !errors.As(err, &e) {
		return strongroom.Errorf(strongroom.EUNAVAILABLE, "The pull failed.")
	}
	out := *e
	out.Message = redact(e.Message, secret)
	out.Problems = nil
	for _, p := range e.Problems {
		out.Problems = append(out.Problems, strongroom.Problem{Field: p.Field, Message: redact(p.Message, secret)})
	}
	return &out
}
