package blob

import (
	"net/url"
	"strings"

	"strongroom"
)

// shown are the query parameters whose values Redact keeps: the drivers'
// settings that name places and modes, never credentials. Anything else —
// secret_access_key, session_token, an Azure SAS "sig", a parameter some
// future driver adds — is hidden, so that a name never leaks what a list of
// forbidden words did not foresee.
var shown = map[string]bool{
	// fileblob
	"create_dir": true, "dir_file_mode": true, "no_tmp_dir": true, "metadata": true,
	"base_url": true, "secret_key_path": true,
	// s3blob and gocloud.dev/aws, and the access key's id (an identifier:
	// the secret is secret_access_key)
	"region": true, "endpoint": true, "use_path_style": true, "s3ForcePathStyle": true,
	"disable_https": true, "profile": true, "role": true, "anonymous": true,
	"hostname_immutable": true, "dualstack": true, "fips": true, "rate_limiter_capacity": true,
	"request_checksum_calculation": true, "response_checksum_validation": true,
	"ssetype": true, "kmskeyid": true, "accelerate": true, "awssdk": true,
	"access_key_id": true,
	// gcsblob
	"access_id": true, "private_key_path": true, "universe_domain": true, "grpc": true, "zonal": true,
	// azureblob (and azstore's account_key and sas_token stay hidden)
	"domain": true, "protocol": true, "cdn": true, "localemu": true, "storage_account": true,
}

// urlValued are shown parameters whose values are URLs themselves, which
// may carry credentials of their own.
var urlValued = map[string]bool{"endpoint": true, "base_url": true}

const redacted = "REDACTED"

// Redact returns rawURL without user information, fragment, or the value
// of any query parameter that is not known to be harmless, so that a
// target can be named in logs, metrics and pages.
func Redact(rawURL string) (string, error) {
	name, _, err := redact(rawURL)
	return name, err
}

// redact is Redact that also returns the values it hid, for scrubbing
// driver messages that quote them.
func redact(rawURL string) (string, []string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		// The input is not echoed: it may be a URL with a secret in it
		// that is malformed elsewhere.
		return "", nil, strongroom.FieldError("url", "This is not an object store URL (file:///path, s3://bucket, gs://bucket, azblob://container).")
	}
	var secrets []string
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p)
		}
		secrets = append(secrets, u.User.Username())
		u.User = url.User(redacted)
	}
	u.Fragment, u.RawFragment = "", ""
	// Query would drop a malformed pair silently, and so would every
	// driver: a secret_access_key with a bad escape would vanish and the
	// default credentials take its place.
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", nil, strongroom.FieldError("url", "The object store URL has a malformed query (a bad %%-escape or ';').")
	}
	for k, vs := range q {
		for i, v := range vs {
			switch {
			case !shown[k]:
				secrets = append(secrets, v)
				vs[i] = redacted
			case urlValued[k]:
				clean, hidden := redactInner(v)
				secrets = append(secrets, hidden...)
				vs[i] = clean
			}
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), secrets, nil
}

// redactInner cleans a URL given as a query value (an endpoint): it keeps
// scheme, host and path and drops the rest.
func redactInner(v string) (string, []string) {
	u, err := url.Parse(v)
	if err != nil {
		return redacted, []string{v}
	}
	if u.User == nil && u.RawQuery == "" && u.Fragment == "" && u.Opaque == "" {
		return v, nil
	}
	hidden := []string{u.Opaque, u.RawQuery, u.Fragment}
	if u.User != nil {
		p, _ := u.User.Password()
		hidden = append(hidden, u.User.Username(), p)
	}
	clean := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	if u.Opaque != "" {
		return redacted, hidden
	}
	return clean.String(), hidden
}

// scrub replaces every hidden value, as written or URL-escaped, in a
// driver's message, which may quote the URL it was given.
func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if len(s) < 4 {
			// Too short to be a credential, and replacing it everywhere
			// would garble the message.
			continue
		}
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			msg = strings.ReplaceAll(msg, form, redacted)
		}
	}
	return msg
}
