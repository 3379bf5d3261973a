package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strings"
	"time"

	"strongroom"
	"strongroom/identity/password"
)

// loginBench is what "strongroom bench login" is told.
type loginBench struct {
	rate      int           // failed sign-ins a second the flood asks for
	addresses int           // distinct X-Forwarded-For addresses of the flood
	workers   int           // flood requests in flight at most
	duration  time.Duration // length of each phase
	every     time.Duration // how often the known user signs in
	signIn    SignInConfig
	profile   string // where to write a CPU profile of both phases
}

// runBenchLogin is "strongroom bench login": a throwaway installation
// served over HTTPS on loopback behind a trusted proxy (the benchmark
// itself), a known user signing in again and again on a browser that has
// signed in before, first alone and then during a flood of failed sign-ins
// from many addresses; it prints the known user's p50/p99 and the hashes
// computed a second in both phases.
func runBenchLogin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o loginBench
	fs := newFlagSet("bench login", stderr, "strongroom bench login [flags]\n\nTimes a known user's sign-in alone and during a flood of failed sign-ins\nfrom many addresses, on a throwaway installation served on loopback.")
	fs.IntVar(&o.rate, "flood-rate", 600, "failed sign-ins a second the flood sends")
	fs.IntVar(&o.addresses, "addresses", 2000, "distinct addresses (X-Forwarded-For) the flood comes from")
	fs.IntVar(&o.workers, "flood-workers", 64, "flood requests in flight at most")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "length of each phase")
	fs.DurationVar(&o.every, "every", 100*time.Millisecond, "how often the known user signs in")
	fs.StringVar(&o.profile, "cpu-profile", "", "write a CPU profile of the server and the benchmark to this file")
	o.signIn.register(fs)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if o.rate <= 0 || o.addresses <= 0 || o.addresses > 60000 || o.workers <= 0 || o.duration <= 0 || o.every <= 0 {
		return strongroom.FieldError("flood-rate", "The rate, workers, duration and interval must be positive, and the addresses between 1 and 60000.")
	}
	dir, err := os.MkdirTemp("", "strongroom-bench-login-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b, err := startLoginBench(ctx, dir, o)
	if err != nil {
		return err
	}
	defer b.m.Close(context.Background())
	if o.profile != "" {
		f, err := os.Create(o.profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	return b.run(stdout)
}

// benchServer is the server under test and the known user's browser.
type benchServer struct {
	o       loginBench
	m       *Main
	hasher  *password.Hasher
	client  *http.Client // the known user's browser
	flood   *http.Client // the proxy the flood comes through
	login   string       // the sign-in form's URL
	pw      string       // the known user's password
	device  *http.Cookie
	deviceN string // the device cookie's name
}

func startLoginBench(ctx context.Context, dir string, o loginBench) (*benchServer, error) {
	var out bytes.Buffer
	m := &Main{Stdout: &out, Log: slog.New(slog.DiscardHandler), Config: ServeConfig{
		Storage: StorageConfig{DataDir: filepath.Join(dir, "data"), MasterKeyFile: filepath.Join(dir, "master.key")},
		Addr:    "127.0.0.1:0", IdleClose: time.Hour, Demo: true, DemoEmpty: true,
		TrustedProxies: "127.0.0.1", SignIn: o.signIn,
	}}
	if err := m.Run(ctx); err != nil {
		return nil, err
	}
	b := &benchServer{o: o, m: m, hasher: m.app.hasher, login: m.URL() + "t/demo/login", deviceN: "__Host-srdevice-demo"}
	pemBytes, err := os.ReadFile(filepath.Join(m.Config.Storage.DataDir, "tls", "cert.pem"))
	if err != nil {
		m.Close(context.Background())
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	newClient := func(conns int) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: conns},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	b.client, b.flood = newClient(2), newClient(o.workers)
	temp := regexp.MustCompile(`temporary password\n  (\S+)`).FindStringSubmatch(out.String())
	if temp == nil {
		m.Close(context.Background())
		return nil, fmt.Errorf("the demo tenant printed no temporary password")
	}
	if err := b.ownPassword(temp[1]); err != nil {
		m.Close(context.Background())
		return nil, err
	}
	return b, nil
}

// ownPassword changes the administrator's temporary password, as a new
// user does at the first sign-in, and keeps the device cookie.
func (b *benchServer) ownPassword(temp string) error {
	b.pw = "saffron glacier ledger orchard 2041"
	api := b.m.URL() + "api/v1/t/demo/"
	resp, err := b.post(b.client, api+"login", "application/json", fmt.Sprintf(`{"username":"admin","password":%q}`, temp), "192.0.2.10")
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("first sign-in: %s", resp.Status)
	}
	b.keepDevice(resp)
	body, _ := json.Marshal(map[string]string{"current_password": temp, "new_password": b.pw})
	req, _ := http.NewRequest("POST", api+"me/password", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for _, ck := range resp.Cookies() {
		req.AddCookie(ck)
	}
	resp, err = b.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("password change: %s", resp.Status)
	}
	return nil
}

// post sends a request as the proxy would, naming the client's address.
func (b *benchServer) post(c *http.Client, target, contentType, body, from string, cookies ...*http.Cookie) (*http.Response, error) {
	req, err := http.NewRequest("POST", target, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Forwarded-For", from)
	for _, ck := range cookies {
		if ck != nil {
			req.AddCookie(ck)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

func (b *benchServer) keepDevice(resp *http.Response) {
	for _, ck := range resp.Cookies() {
		if ck.Name == b.deviceN && ck.Value != "" {
			b.device = ck
		}
	}
}

// knownSignIn signs the known user in through the form, with the device
// cookie of the last sign-in, and times it.
func (b *benchServer) knownSignIn() (time.Duration, error) {
	form := url.Values{"username": {"admin"}, "password": {b.pw}}.Encode()
	start := time.Now()
	resp, err := b.post(b.client, b.login, "application/x-www-form-urlencoded", form, "192.0.2.10", b.device)
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return 0, fmt.Errorf("known user's sign-in: %s", resp.Status)
	}
	b.keepDevice(resp)
	return d, nil
}
