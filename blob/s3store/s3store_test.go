package s3store_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"strongroom"
	"strongroom/blob/s3store"
)

// sharedFiles points the SDK at shared files of the test's own (with the
// given credentials file), so that the machine's ~/.aws and AWS_*
// variables cannot change what a test sees.
func sharedFiles(t *testing.T, credentials string) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte(credentials), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION"} {
		t.Setenv(v, "")
	}
}

// client opens rawURL (no request is made) and returns the S3 client
// underneath.
func client(t *testing.T, rawURL string) *s3.Client {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s3store.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	var c *s3.Client
	if !b.As(&c) {
		t.Fatal("not an S3 bucket")
	}
	return c
}

func TestCredentialsOfTheirOwn(t *testing.T) {
	sharedFiles(t, "")
	ctx := context.Background()
	// Two targets in one process, each with its own keys.
	a := client(t, "s3://a?region=eu-1&access_key_id=ID-A&secret_access_key=SECRET-A&use_path_style=true")
	b := client(t, "s3://b?region=us-east-1&access_key_id=ID-B&secret_access_key=SECRET-B&session_token=TOKEN-B")
	ca, err := a.Options().Credentials.Retrieve(ctx)
	if err != nil || ca.AccessKeyID != "ID-A" || ca.SecretAccessKey != "SECRET-A" {
		t.Errorf("target a: %+v, %v", ca, err)
	}
	cb, err := b.Options().Credentials.Retrieve(ctx)
	if err != nil || cb.AccessKeyID != "ID-B" || cb.SecretAccessKey != "SECRET-B" || cb.SessionToken != "TOKEN-B" {
		t.Errorf("target b: %+v, %v", cb, err)
	}
	if o := a.Options(); !o.UsePathStyle || o.Region != "eu-1" {
		t.Errorf("target a: path style %v, region %q", o.UsePathStyle, o.Region)
	}
	if b.Options().UsePathStyle {
		t.Error("target b: path style without asking")
	}
}

func TestProfileFromSharedFiles(t *testing.T) {
	sharedFiles(t, "[offsite]\naws_access_key_id = ID-P\naws_secret_access_key = SECRET-P\n")
	c := client(t, "s3://p?region=eu-1&profile=offsite")
	creds, err := c.Options().Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "ID-P" || creds.SecretAccessKey != "SECRET-P" {
		t.Errorf("profile offsite: %+v, %v", creds, err)
	}
}

func TestURLErrors(t *testing.T) {
	sharedFiles(t, "")
	for _, raw := range []string{
		"s3://b?region=r&access_key_id=ID",
		"s3://b?region=r&secret_access_key=S",
		"s3://b?access_key_id=ID&secret_access_key=S", // no region
		"s3://b?region=r&ssetype=rot13",
		"s3://b?region=r&disable_https=maybe",
		"s3://b?region=r&profile=no-such-profile",
		"s3://b?region=r&unknown=1",
	} {
		u, _ := url.Parse(raw)
		b, err := s3store.Open(context.Background(), u)
		if err == nil {
			b.Close()
			t.Errorf("Open(%s) succeeded", raw)
			continue
		}
		if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != "url" {
			t.Errorf("Open(%s): %v; want EINVALID naming the url", raw, err)
		}
	}
}
