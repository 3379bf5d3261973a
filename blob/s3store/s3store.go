// Package s3store lets an s3:// target carry credentials of its own, so
// that several backup targets can be several providers or accounts at once.
// gocloud's s3blob takes credentials only from the environment, a shared
// profile or a role, the same for every bucket in the process; importing
// this package makes blob.Open accept, besides everything s3blob reads:
//
//	s3://BUCKET?endpoint=https://HOST&region=REGION&use_path_style=true
//	    &access_key_id=ID&secret_access_key=SECRET[&session_token=TOKEN]
//
// Without access_key_id the URL means exactly what it means to s3blob
// (default credentials, or profile=NAME from the shared files). blob.Redact
// hides the secret and the token.
package s3store

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/logging"
	gcaws "gocloud.dev/aws"
	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"

	"strongroom"
	"strongroom/blob"
)

func init() { blob.RegisterScheme(s3blob.Scheme, Open) }

// Open opens the bucket an s3:// URL names. It reads the parameters
// s3blob.URLOpener reads (v0.47: ssetype, kmskeyid, accelerate,
// use_path_style, s3ForcePathStyle, disable_https, and gocloud.dev/aws's:
// region, endpoint, profile, role, …) the same way, plus the credentials.
func Open(ctx context.Context, u *url.URL) (*gcblob.Bucket, error) {
	q := u.Query()
	id, secret, token := take(q, "access_key_id"), take(q, "secret_access_key"), take(q, "session_token")
	if (id == "") != (secret == "") {
		return nil, strongroom.FieldError("url", "An s3:// URL needs both access_key_id and secret_access_key, or neither.")
	}
	var opts s3blob.Options
	var clientOpts []func(*s3.Options)
	if v := take(q, "ssetype"); v != "" {
		t, err := sseType(v)
		if err != nil {
			return nil, err
		}
		opts.EncryptionType = t
	}
	opts.KMSEncryptionID = take(q, "kmskeyid")
	for _, p := range []struct {
		name string
		set  func(*s3.Options, bool)
	}{
		{"accelerate", func(o *s3.Options, v bool) { o.UseAccelerate = v }},
		{"disable_https", func(o *s3.Options, v bool) { o.EndpointOptions.DisableHTTPS = v }},
		{"use_path_style", func(o *s3.Options, v bool) { o.UsePathStyle = v }},
		{"s3ForcePathStyle", func(o *s3.Options, v bool) { o.UsePathStyle = v }},
	} {
		raw := take(q, p.name)
		if raw == "" {
			continue
		}
		v, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, strongroom.FieldError("url", "The s3:// URL parameter %s must be true or false.", p.name)
		}
		set := p.set
		clientOpts = append(clientOpts, func(o *s3.Options) { set(o, v) })
	}
	cfg, err := gcaws.V2ConfigFromURLParams(ctx, q)
	if err != nil {
		// gocloud's words name the parameter at fault, never a value.
		return nil, strongroom.FieldError("url", "The s3:// URL is not valid: %v.", err)
	}
	if cfg.Region == "" {
		return nil, strongroom.FieldError("url", "An s3:// URL needs region=… (any value the server accepts, us-east-1 for most S3-compatible ones).")
	}
	if id != "" {
		cfg.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, token))
	}
	cfg.Logger = sdkLog
	// As s3blob does: its upload manager does not read this from the client.
	opts.RequestChecksumCalculation = cfg.RequestChecksumCalculation
	return s3blob.OpenBucket(ctx, s3.NewFromConfig(cfg, clientOpts...), u.Host, &opts)
}

// sdkLog sends the SDK's own messages to slog at debug level. Left to
// itself it prints to stderr, and its one common warning ("Skipped
// validation of multipart checksum", on every read of an object uploaded in
// parts) is no news: Strongroom checks objects by its own SHA-256.
var sdkLog = logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
	slog.Debug("s3: "+fmt.Sprintf(format, v...), "level", string(c))
})

// take removes the parameter name from q and returns its value.
func take(q url.Values, name string) string {
	v := q.Get(name)
	q.Del(name)
	return v
}

func sseType(v string) (types.ServerSideEncryption, error) {
	for _, t := range types.ServerSideEncryptionAes256.Values() {
		if strings.EqualFold(string(t), v) {
			return t, nil
		}
	}
	return "", strongroom.FieldError("url", "The s3:// URL parameter ssetype must be AES256, aws:kms or aws:kms:dsse.")
}
