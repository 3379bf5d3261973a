package blob_test

import (
	"context"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"strongroom"
	"strongroom/blob"
	"strongroom/blob/blobtest"
)

// openFails opens rawURL, expecting an error with code whose message names
// the store (redacted) and says want, and in which no secret appears.
func openFails(t *testing.T, rawURL, code, want string, secrets ...string) {
	t.Helper()
	s, err := blob.Open(context.Background(), rawURL)
	if err == nil {
		s.Close()
		t.Fatalf("Open(%s) succeeded", rawURL)
	}
	msg := strongroom.ErrorMessage(err)
	if strongroom.ErrorCode(err) != code || !strings.Contains(msg, want) {
		t.Errorf("Open: %v\nwant code %s and a message saying %q", err, code, want)
	}
	if name, rerr := blob.Redact(rawURL); rerr == nil && !strings.Contains(msg, name) {
		t.Errorf("message %q does not name the store %s", msg, name)
	}
	for _, secret := range secrets {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows the secret %q: %v", secret, err)
		}
	}
}

func TestOpenUnknownScheme(t *testing.T) {
	openFails(t, "ftp://backup.example/strongroom", strongroom.EINVALID, `no object store of kind "ftp" (it knows file, s3)`)
	openFails(t, "gs://bucket", strongroom.EINVALID, `of kind "gs"`) // its driver is not in this test binary
	openFails(t, "not a url at all", strongroom.EINVALID, "not an object store URL")
}

func TestOpenFileErrors(t *testing.T) {
	dir := t.TempDir()
	openFails(t, fileURL(filepath.Join(dir, "not-mounted")), strongroom.EINVALID, "the directory does not exist")
	openFails(t, fileURL(dir)+"?bogus=1", strongroom.EINVALID, `invalid query parameter "bogus"`)
	openFails(t, fileURL(dir)+"?metadata=perhaps", strongroom.EINVALID, "unsupported value for query parameter 'metadata'")
}

func TestOpenS3Errors(t *testing.T) {
	srv := blobtest.StartS3(t)
	good := srv.URL(blobtest.S3Bucket)
	with := func(raw string, set ...string) string {
		u, _ := url.Parse(raw)
		q := u.Query()
		for i := 0; i < len(set); i += 2 {
			if set[i+1] == "" {
				q.Del(set[i])
			} else {
				q.Set(set[i], set[i+1])
			}
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	const wrong = "wrongSecretValue123"
	openFails(t, with(good, "secret_access_key", wrong), strongroom.EINVALID, "refused the credentials or what they may do (SignatureDoesNotMatch)", wrong, srv.Secret)
	openFails(t, with(good, "access_key_id", "AKNOSUCHKEY"), strongroom.EINVALID, "refused the credentials", srv.Secret)
	openFails(t, strings.Replace(good, "s3://"+blobtest.S3Bucket, "s3://no-such-bucket", 1), strongroom.EINVALID, "it has no such bucket", srv.Secret)
	openFails(t, with(good, "endpoint", "http://"+closedPort(t)), strongroom.EUNAVAILABLE, "it cannot be reached: connection refused", srv.Secret)
	openFails(t, with(good, "secret_access_key", ""), strongroom.EINVALID, "needs both access_key_id and secret_access_key")
	openFails(t, with(good, "region", ""), strongroom.EINVALID, "needs region=", srv.Secret)
	openFails(t, with(good, "use_path_style", "sometimes"), strongroom.EINVALID, "use_path_style must be true or false", srv.Secret)
	openFails(t, with(good, "colour", "blue"), strongroom.EINVALID, `unknown query parameter "colour"`, srv.Secret)
}

// A store that goes away after Open answers EUNAVAILABLE, naming itself.
func TestS3ServerGoesAway(t *testing.T) {
	srv := blobtest.StartS3(t)
	s, err := blob.Open(context.Background(), srv.URL(blobtest.S3Bucket))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv.Stop()
	_, err = s.Put(context.Background(), "k", strings.NewReader("v"))
	if strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE || !strings.Contains(strongroom.ErrorMessage(err), "cannot be reached") ||
		strings.Contains(err.Error(), srv.Secret) {
		t.Errorf("Put to a stopped server: %v", err)
	}
	if _, err := s.Stat(context.Background(), "k"); strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE {
		t.Errorf("Stat on a stopped server: %v", err)
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
