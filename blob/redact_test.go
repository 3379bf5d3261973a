package blob_test

import (
	"strings"
	"testing"

	"strongroom"
	"strongroom/blob"
)

// Every URL below hides the word "hunter2" (or its escaped forms)
// somewhere a credential could be; Redact must drop it and keep what
// names the store.
func TestRedactHostileURLs(t *testing.T) {
	cases := []struct{ url, keep string }{
		{"s3://bucket?access_key_id=AKID&secret_access_key=hunter2&region=eu-west-1", "s3://bucket?access_key_id=AKID&region=eu-west-1&secret_access_key=REDACTED"},
		{"s3://bucket?session_token=hunter2", "session_token=REDACTED"},
		{"s3://bucket?Secret_Access_Key=hunter2", "Secret_Access_Key=REDACTED"},
		{"s3://bucket?secret%5Faccess%5Fkey=hunter2", "secret_access_key=REDACTED"},
		{"s3://bucket?x=hunter2&x=hunter2", "x=REDACTED&x=REDACTED"},
		{"s3://user:hunter2@bucket", "s3://REDACTED@bucket"},
		{"s3://hunter2@bucket", "s3://REDACTED@bucket"},
		{"s3://bucket#hunter2", "s3://bucket"},
		{"s3://bucket?endpoint=https://user:hunter2@minio.example:9000/path?token=hunter2", "endpoint=https%3A%2F%2Fminio.example%3A9000%2Fpath"},
		{"s3://bucket?endpoint=" + "https%3A%2F%2Fk%3Ahunter2%40host", "endpoint=https%3A%2F%2Fhost"},
		{"s3://bucket?endpoint=%zzhunter2", ""}, // cannot be parsed: refused whole
		{"azblob://container?storage_account=acct&sig=hunter2&sv=2022-11-02", "azblob://container?sig=REDACTED&storage_account=acct&sv=REDACTED"},
		{"gs://bucket?access_id=svc@proj.iam&private_key_path=/etc/k.pem&credentials=hunter2", "credentials=REDACTED"},
		{"file:///srv/backups?password=hunter2", "file:///srv/backups?password=REDACTED"},
		{"file:///srv/backups?base_url=http://u:hunter2@h/x", "base_url=http%3A%2F%2Fh%2Fx"},
		{"s3:hunter2", ""}, // opaque
		{"s3://bucket?secret_access_key=hunter2%zz", ""}, // malformed escape
		{"://hunter2", ""},
		{"s3://buck\x00et?secret_access_key=hunter2", ""},
		{"hunter2", ""}, // no scheme
	}
	for _, c := range cases {
		got, err := blob.Redact(c.url)
		if c.keep == "" {
			if err == nil || strongroom.ErrorField(err) != "url" {
				t.Errorf("Redact(%q) = %q, %v; want an error naming url", c.url, got, err)
			}
		} else if err != nil || !strings.Contains(got, c.keep) {
			t.Errorf("Redact(%q) = %q, %v; want it to contain %q", c.url, got, err, c.keep)
		}
		for _, leak := range []string{"hunter2", "hunter%32"} {
			if strings.Contains(got, leak) || (err != nil && strings.Contains(err.Error(), leak)) {
				t.Errorf("Redact(%q) leaks the secret: %q, %v", c.url, got, err)
			}
		}
	}
}

// What names a store stays readable: the settings a person checks.
func TestRedactKeepsSettings(t *testing.T) {
	raw := "s3://backups?endpoint=https://s3.eu.example&region=eu-1&use_path_style=true&profile=offsite&kmskeyid=arn:aws:kms:k"
	got, err := blob.Redact(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"s3://backups", "endpoint=https%3A%2F%2Fs3.eu.example", "region=eu-1", "use_path_style=true", "profile=offsite", "kmskeyid=arn"} {
		if !strings.Contains(got, want) {
			t.Errorf("Redact = %q; want it to keep %q", got, want)
		}
	}
}
