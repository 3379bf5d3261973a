package server

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLoadOrCreateSelfSigned(t *testing.T) {
	now := time.Now()
	t.Run("CreatesThenReuses", func(t *testing.T) {
		dir := t.TempDir()
		first, err := LoadOrCreateSelfSigned(dir, now)
		if err != nil {
			t.Fatal(err)
		}
		leaf := first.Leaf
		if leaf.Subject.CommonName != "localhost" || len(leaf.IPAddresses) != 2 || leaf.DNSNames[0] != "localhost" {
			t.Fatalf("names: %v %v", leaf.DNSNames, leaf.IPAddresses)
		}
		if d := leaf.NotAfter.Sub(now); d < 364*24*time.Hour || d > 366*24*time.Hour {
			t.Fatalf("validity %v", d)
		}
		for name, want := range map[string]os.FileMode{"tls": 0o700 | os.ModeDir, "tls/key.pem": 0o600} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != want {
				t.Errorf("%s mode %v, want %v", name, fi.Mode(), want)
			}
		}
		again, err := LoadOrCreateSelfSigned(dir, now.Add(300*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if fingerprint(again.Certificate[0]) != fingerprint(first.Certificate[0]) {
			t.Fatal("certificate regenerated while still valid")
		}
		renewed, err := LoadOrCreateSelfSigned(dir, now.Add(360*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if fingerprint(renewed.Certificate[0]) == fingerprint(first.Certificate[0]) {
			t.Fatal("certificate within 7 days of expiry not regenerated")
		}
	})
	t.Run("MissingKeyRegenerates", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := LoadOrCreateSelfSigned(dir, now); err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(dir, "tls", "key.pem"))
		if _, err := LoadOrCreateSelfSigned(dir, now); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("CorruptFileIsAnError", func(t *testing.T) {
		for _, name := range []string{"cert.pem", "key.pem"} {
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				if _, err := LoadOrCreateSelfSigned(dir, now); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(dir, "tls", name)
				if err := os.WriteFile(path, []byte("not a pem file"), 0o600); err != nil {
					t.Fatal(err)
				}
				_, err := LoadOrCreateSelfSigned(dir, now)
				if err == nil || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), filepath.Join(dir, "tls")) {
					t.Fatalf("err = %v", err)
				}
				if b, _ := os.ReadFile(path); string(b) != "not a pem file" {
					t.Fatal("corrupt file overwritten")
				}
				s, _ := New(Config{Addr: "127.0.0.1:0", DataDir: dir}, routes())
				if err := s.Open(); err == nil {
					t.Fatal("Open succeeded with a corrupt certificate")
				}
			})
		}
	})
	t.Run("UnwritableDataDir", func(t *testing.T) {
		tmp := t.TempDir()
		dir := filepath.Join(tmp, "ro")
		if os.Geteuid() == 0 {
			// root ignores permission bits; a path under a regular file fails for anyone.
			if err := os.WriteFile(filepath.Join(tmp, "afile"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			dir = filepath.Join(tmp, "afile", "sub")
		} else {
			if err := os.Mkdir(dir, 0o500); err != nil {
				t.Fatal(err)
			}
		}
		_, err := LoadOrCreateSelfSigned(dir, now)
		if err == nil || !strings.Contains(err.Error(), dir) {
			t.Fatalf("err = %v, want one naming %s", err, dir)
		}
		s, err := New(Config{Addr: "127.0.0.1:0", DataDir: dir}, routes())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Open(); err == nil || !strings.Contains(err.Error(), dir) {
			t.Fatalf("Open err = %v", err)
		}
	})
}

func TestServer_Certificates(t *testing.T) {
	t.Run("PersistedAcrossRestarts", func(t *testing.T) {
		dir := t.TempDir()
		first := MustOpen(t, Config{DataDir: dir}, routes())
		second := MustOpen(t, Config{DataDir: dir}, routes())
		if first.Fingerprint() == "" || first.Fingerprint() != second.Fingerprint() {
			t.Fatalf("fingerprints %q and %q", first.Fingerprint(), second.Fingerprint())
		}
		resp, _ := second.MustGet(t, "/", nil)
		if fingerprint(resp.TLS.PeerCertificates[0].Raw) != first.Fingerprint() {
			t.Fatal("second server serves another certificate")
		}
	})
	t.Run("CertificateFiles", func(t *testing.T) {
		certDir := t.TempDir()
		want, err := LoadOrCreateSelfSigned(certDir, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		dataDir := t.TempDir()
		ts := MustOpen(t, Config{
			TLSCert: filepath.Join(certDir, "tls", "cert.pem"),
			TLSKey:  filepath.Join(certDir, "tls", "key.pem"),
			DataDir: dataDir,
		}, routes())
		resp, _ := ts.MustGet(t, "/", nil)
		if got := fingerprint(resp.TLS.PeerCertificates[0].Raw); got != fingerprint(want.Certificate[0]) || got != ts.Fingerprint() {
			t.Fatal("configured certificate not served")
		}
		if _, err := os.Stat(filepath.Join(dataDir, "tls")); err == nil {
			t.Fatal("self-signed certificate created although files were given")
		}
	})
	t.Run("MissingCertificateFile", func(t *testing.T) {
		s, _ := New(Config{Addr: "127.0.0.1:0", TLSCert: "/nonexistent/c.pem", TLSKey: "/nonexistent/k.pem"}, routes())
		if err := s.Open(); err == nil || !strings.Contains(err.Error(), "/nonexistent/c.pem") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestServer_ACME(t *testing.T) {
	// Certificates are only requested at the first handshake, so opening the
	// server needs no ACME directory; this checks the wiring around it.
	dataDir := t.TempDir()
	s, err := New(Config{Addr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", ACMEDomains: []string{"strongroom.example"}, DataDir: dataDir}, routes())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })

	if fi, err := os.Stat(filepath.Join(dataDir, "acme")); err != nil || fi.Mode() != 0o700|os.ModeDir {
		t.Fatalf("acme cache dir: %v %v", fi, err)
	}
	if s.Fingerprint() != "" {
		t.Fatal("fingerprint for an ACME certificate")
	}
	port := strconv.Itoa(s.Addr().(*net.TCPAddr).Port)
	if s.URL() != "https://strongroom.example:"+port+"/" {
		t.Fatalf("URL = %q", s.URL())
	}
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct {
		path     string
		status   int
		location string
	}{
		{"/.well-known/acme-challenge/unknown-token", http.StatusNotFound, ""},
		{"/cases?id=1", http.StatusMovedPermanently, "https://strongroom.example:" + port + "/cases?id=1"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "http://"+s.HTTPListenAddr().String()+tt.path, nil)
			req.Host = "strongroom.example"
			resp, err := plain.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.location {
				t.Fatalf("got %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}
