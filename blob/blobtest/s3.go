package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	_ "strongroom/blob/s3store" // the URLs S3 returns carry their own credentials
)

// S3Bucket is the bucket S3 creates.
const S3Bucket = "strongroom-test"

// startWithin bounds how long a fresh versitygw may take to answer.
const startWithin = 30 * time.Second

// S3Server is a running versitygw: a real S3-compatible server on loopback
// whose objects are files in a directory of the test's own.
type S3Server struct {
	Endpoint  string // http://127.0.0.1:PORT
	AccessKey string
	Secret    string
	Dir       string // the posix backend's root: one directory per bucket

	stop func()
}

// Stop stops the server now, for tests of a store that goes away; it is
// stopped anyway when the test ends.
func (s *S3Server) Stop() { s.stop() }

// URL is the s3:// URL of bucket on the server, with its credentials.
func (s *S3Server) URL(bucket string) string {
	q := url.Values{
		"endpoint":          {s.Endpoint},
		"region":            {"us-east-1"},
		"use_path_style":    {"true"},
		"disable_https":     {"true"},
		"access_key_id":     {s.AccessKey},
		"secret_access_key": {s.Secret},
	}
	return "s3://" + bucket + "?" + q.Encode()
}

// CreateBucket makes a new, empty bucket on the server.
func (s *S3Server) CreateBucket(ctx context.Context, bucket string) error {
	_, err := s.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	return err
}

// PendingUploads counts the multipart uploads begun in bucket and neither
// completed nor aborted: parts a failed Put left behind, which take space
// without being objects.
func (s *S3Server) PendingUploads(ctx context.Context, bucket string) (int, error) {
	out, err := s.client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		return 0, err
	}
	return len(out.Uploads), nil
}

func (s *S3Server) client() *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.Secret, ""),
	})
}

// S3 starts versitygw on a free loopback port with a data directory under
// t.TempDir(), creates the bucket S3Bucket, and returns its s3:// URL
// (endpoint, region, path-style addressing, plain HTTP, credentials). The
// server stops when the test ends. Without a versitygw binary the test is
// skipped, or fails when STRONGROOM_REQUIRE_S3=1.
func S3(t testing.TB) string {
	t.Helper()
	return StartS3(t).URL(S3Bucket)
}

// StartS3 is S3 for tests that want the server itself: more buckets, its
// directory, its credentials.
func StartS3(t testing.TB) *S3Server {
	t.Helper()
	bin := versitygw(t)
	var last error
	// A port found free can be taken by someone else before versitygw
	// binds it; then it exits at once, and another port is tried.
	for range 3 {
		srv, err := startS3(t, bin)
		if err == nil {
			return srv
		}
		last = err
	}
	t.Fatalf("versitygw (%s) did not start: %v", bin, last)
	return nil
}

// knownPlaces are where a developer's machine may have versitygw built.
var knownPlaces = []string{"/work/tools/bin/versitygw"}

// versitygw finds the server's binary: $STRONGROOM_VERSITYGW, then
// knownPlaces, then $PATH.
func versitygw(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("STRONGROOM_VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("STRONGROOM_VERSITYGW=%s: %v", p, err)
		}
		return p
	}
	for _, p := range knownPlaces {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	msg := "no versitygw binary (set STRONGROOM_VERSITYGW=/path/to/versitygw or put it on PATH; " +
		"go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 builds it): S3 tests not run"
	if os.Getenv("STRONGROOM_REQUIRE_S3") == "1" {
		t.Fatal(msg + ", and STRONGROOM_REQUIRE_S3=1")
	}
	t.Skip(msg)
	return ""
}

func startS3(t testing.TB, bin string) (*S3Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	srv := &S3Server{
		Endpoint:  "http://" + port,
		AccessKey: "AK" + randomHex(9),
		Secret:    randomHex(20),
		Dir:       filepath.Join(t.TempDir(), "versitygw"),
	}
	if err := os.Mkdir(srv.Dir, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--port", port, "--quiet", "posix", srv.Dir)
	// The credentials go by environment, not argv, where any process
	// listing would show them.
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+srv.AccessKey, "ROOT_SECRET_ACCESS_KEY="+srv.Secret)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
	}
	srv.stop = stop
	if err := waitForS3(srv, exited); err != nil {
		stop()
		return nil, fmt.Errorf("%w; its output: %s", err, out.String())
	}
	t.Cleanup(stop)
	return srv, nil
}

// waitForS3 creates the bucket, retrying until the server answers.
func waitForS3(srv *S3Server, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(context.Background(), startWithin)
	defer cancel()
	for {
		err := srv.CreateBucket(ctx, S3Bucket)
		if err == nil {
			return nil
		}
		var opErr *net.OpError
		if !errors.As(err, &opErr) {
			return fmt.Errorf("creating bucket %s: %w", S3Bucket, err)
		}
		select {
		case werr := <-exited:
			return fmt.Errorf("versitygw exited: %v", werr)
		case <-ctx.Done():
			return fmt.Errorf("versitygw did not answer within %v: %w", startWithin, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer collects a child's output, written from its own goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
