package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"regexp"
	"strings"
	"syscall"

	"gocloud.dev/gcerrors"

	"strongroom"
)

// s3Refusals are the S3 error codes that mean the store did not accept
// the credentials (or what they may do). S3 reports them with codes of its
// own that gocloud maps to Unknown, so they are read here through the
// ErrorCode method of the SDK's API errors.
var s3Refusals = map[string]bool{
	"AccessDenied": true, "Forbidden": true, "InvalidAccessKeyId": true,
	"SignatureDoesNotMatch": true, "ExpiredToken": true, "InvalidToken": true,
	"TokenRefreshRequired": true, "AuthorizationHeaderMalformed": true,
	"InvalidSecurity": true, "AccountProblem": true, "AllAccessDisabled": true,
	"XAdminUserNotFound": true, // versitygw's word for an unknown access key
}

// problem is what went wrong with a store, in words a person can act on.
type problem struct {
	code string // strongroom error code
	what string // a phrase: "it refused the credentials (SignatureDoesNotMatch)"
}

// diagnose classifies a driver error. What it returns never holds the
// driver's own text, which may quote the URL and its secrets.
func diagnose(err error) problem {
	var api interface{ ErrorCode() string }
	var status interface{ HTTPStatusCode() int }
	var dns *net.DNSError
	var opErr *net.OpError // not net.Error: a bare syscall.Errno is one too
	if p, ok := registeredDiagnosis(err); ok {
		return p
	}
	switch {
	case errors.As(err, &api) && s3Refusals[api.ErrorCode()]:
		return problem{strongroom.EINVALID, fmt.Sprintf("it refused the credentials or what they may do (%s)", api.ErrorCode())}
	case errors.As(err, &api) && api.ErrorCode() == "NoSuchBucket":
		return problem{strongroom.EINVALID, "it has no such bucket"}
	case gcerrors.Code(err) == gcerrors.NotFound:
		return problem{strongroom.ENOTFOUND, "no such object"}
	case gcerrors.Code(err) == gcerrors.PermissionDenied,
		errors.As(err, &status) && (status.HTTPStatusCode() == 401 || status.HTTPStatusCode() == 403):
		return problem{strongroom.EINVALID, "it refused the credentials or what they may do"}
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return problem{strongroom.ESTORAGE, "it is full"}
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return problem{strongroom.EINVALID, "it may not be written to (permission denied or read-only)"}
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EISDIR),
		errors.Is(err, syscall.ENOTEMPTY), errors.Is(err, syscall.EEXIST):
		return problem{strongroom.EINVALID, "a directory store cannot hold both an object and other objects under its name followed by a slash"}
	case noCredentials(err):
		return problem{strongroom.EINVALID, "no credentials for it could be found or used"}
	case errors.As(err, &dns):
		return problem{strongroom.EUNAVAILABLE, fmt.Sprintf("it cannot be reached: no address for %s", dns.Name)}
	case errors.Is(err, syscall.ECONNREFUSED):
		return problem{strongroom.EUNAVAILABLE, "it cannot be reached: connection refused"}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &opErr) && opErr.Timeout():
		return problem{strongroom.EUNAVAILABLE, "it did not answer in time"}
	case errors.As(err, &opErr):
		return problem{strongroom.EUNAVAILABLE, "it cannot be reached"}
	}
	return problem{strongroom.EUNAVAILABLE, "it did not answer as expected"}
}

// noCredentials recognises the Google and Azure SDKs' failures to find
// credentials in the environment, which they report as plain text (their
// error types would pull their SDKs into every user of this package).
func noCredentials(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "failed to acquire a token") || // azidentity
		strings.Contains(msg, "could not find default credentials") // golang.org/x/oauth2/google
}

// fail turns a driver error from an operation on an object into
// Strongroom's: the message names the store and the object and says what
// went wrong; the driver's text, with every secret of the URL scrubbed,
// follows in Error() for the log. A cancelled context stays recognisable
// with errors.Is.
func (s *bucket) fail(op, key string, err error) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s %s in %s: %w", op, key, s.name, context.Canceled)
	}
	p := diagnose(err)
	var e *strongroom.Error
	if p.code == strongroom.ENOTFOUND {
		e = strongroom.Errorf(strongroom.ENOTFOUND, "No object %s in %s.", key, s.name)
	} else {
		e = strongroom.Errorf(p.code, "Cannot %s in the object store %s: %s.", what(op, key), s.name, p.what)
	}
	return &driverError{e: e, detail: scrub(err.Error(), s.secrets), cause: err}
}

// what is the object of a failed operation, for its message.
func what(op, key string) string {
	switch {
	case op == "list" && key == "":
		return "list the objects"
	case op == "list":
		return fmt.Sprintf("list the objects under %s", key)
	}
	return op + " " + key
}

// openBucketPrefix is how gocloud's openers start their errors, quoting
// the URL again.
var openBucketPrefix = regexp.MustCompile(`^open bucket \S*: `)

// openFail is fail for Open, where there is no object yet. The driver's
// opener checks only the URL and, for a directory, that it exists; the
// probe that follows is the first call to reach a store.
func openFail(name string, secrets []string, err error, probing bool) error {
	var p problem
	var se *strongroom.Error
	switch {
	case probing:
		p = diagnose(err)
		if p.code == strongroom.ENOTFOUND {
			p = problem{strongroom.EINVALID, "it has no such bucket, container or directory"}
		}
	case errors.As(err, &se):
		p = problem{se.Code, strings.TrimSuffix(se.Message, ".")}
	case errors.Is(err, fs.ErrNotExist):
		p = problem{strongroom.EINVALID, "the directory does not exist (it is not created: a missing disk must not be written around)"}
	default:
		// gocloud's openers fail only on what the URL says; their words
		// name the parameter at fault.
		msg := openBucketPrefix.ReplaceAllString(scrub(err.Error(), secrets), "")
		p = problem{strongroom.EINVALID, "the URL is not valid: " + strings.TrimSuffix(msg, ".")}
	}
	e := strongroom.Errorf(p.code, "Cannot open the object store %s: %s.", name, p.what)
	e.Field = "url"
	return &driverError{e: e, detail: scrub(err.Error(), secrets), cause: err}
}

// driverError is a Strongroom error with the driver's scrubbed text for
// the log. It unwraps to both, so that errors.Is still finds the driver's
// causes (syscall.ENOSPC, context.DeadlineExceeded, …); its Error() never
// shows the raw driver text.
type driverError struct {
	e      *strongroom.Error
	detail string
	cause  error
}

func (d *driverError) Error() string   { return d.e.Error() + " (" + d.detail + ")" }
func (d *driverError) Unwrap() []error { return []error{d.e, d.cause} }
