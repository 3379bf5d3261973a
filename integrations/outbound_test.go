package integrations

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"strongroom"
)

func TestPermits(t *testing.T) {
	refusedAddrs := []string{"127.0.0.1", "127.9.9.9", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"100.64.0.1", "169.254.1.1", "169.254.169.254", "0.0.0.0", "::", "224.0.0.1", "255.255.255.255", "ff02::1",
		"fe80::1", "fc00::1", "fd00:ec2::254", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "64:ff9b::a00:1", "64:ff9b::7f00:1",
		"fe80::1%eth0", "::1%lo"} // a zone must not hide an address from the prefixes
	var none Policy
	for _, s := range refusedAddrs {
		if none.Permits(netip.MustParseAddr(s)) {
			t.Errorf("%s is permitted by default", s)
		}
	}
	for _, s := range []string{"93.184.215.14", "8.8.8.8", "2606:4700::1111", "172.32.0.1", "64:ff9b::808:808"} {
		if !none.Permits(netip.MustParseAddr(s)) {
			t.Errorf("%s is refused", s)
		}
	}
	lan := Policy{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("169.254.0.0/16")}}
	if !lan.Permits(netip.MustParseAddr("10.20.30.40")) || lan.Permits(netip.MustParseAddr("192.168.1.1")) {
		t.Error("an allowed prefix opens exactly itself")
	}
	if lan.Permits(netip.MustParseAddr("169.254.169.254")) {
		t.Error("the metadata service is reachable through a wider allowed prefix")
	}
	exact := Policy{Allow: []netip.Prefix{netip.MustParsePrefix("169.254.169.254/32")}}
	if !exact.Permits(netip.MustParseAddr("169.254.169.254")) {
		t.Error("the metadata address allowed by itself is refused")
	}
}

func dataHandler(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}
}

func TestLoopbackRefusedWithoutAllowance(t *testing.T) {
	srv := tlsServer(t, dataHandler(`{"items": [{"v": 1}]}`))
	c := simple(srv)
	mustValid(t, &c, false)
	p := trusting(srv)
	if pts, err := p.Fetch(context.Background(), c, "", false, time.Now()); err != nil || len(pts) != 1 {
		t.Fatalf("allowed: %v %v", pts, err)
	}
	p.Allow = nil
	_, err := p.Fetch(context.Background(), c, "", false, time.Now())
	if err == nil || !strings.Contains(strongroom.ErrorMessage(err), "127.0.0.1") || !strings.Contains(strongroom.ErrorMessage(err), "internal") {
		t.Fatalf("without the allowance: %v", err)
	}
}

// A redirect is dialled through the same check: the first server is
// allowed (127.0.0.1 only), the one it redirects to (127.0.0.2) is not.
// The same-host rule is lifted here so that the dial check is what
// refuses.
func TestRedirectDialChecked(t *testing.T) {
	inner := ownServer(t, "127.0.0.2:0", dataHandler(`{"items": [{"v": 1}]}`))
	outer := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inner.URL+"/data", http.StatusFound)
	}))
	p := trusting(outer, inner)
	p.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	client := p.client(false)
	client.CheckRedirect = nil
	req, _ := http.NewRequest("GET", outer.URL, nil)
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("the redirect to 127.0.0.2 was followed")
	}
	if !strings.Contains(err.Error(), "127.0.0.2") || !strings.Contains(err.Error(), ErrAddressRefused.Error()) {
		t.Fatalf("refused for another reason: %v", err)
	}
	// Allowed, the same redirect goes through: the check was the refusal.
	p.Allow = loopback
	client = p.client(false)
	client.CheckRedirect = nil
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestRedirects(t *testing.T) {
	other := tlsServer(t, dataHandler(`{"items": [{"v": 1}]}`))
	var srv *httptest.Server
	srv = tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/data", http.StatusFound)
		case "/plain":
			http.Redirect(w, r, "http://"+strings.TrimPrefix(srv.URL, "https://")+"/data", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/data", http.StatusFound)
		default:
			dataHandler(`{"items": [{"v": 2}]}`)(w, r)
		}
	}))
	p := trusting(srv, other)
	for path, want := range map[string]string{"/away": "another host", "/plain": "plain http", "/loop": "more than 5", "/here": ""} {
		c := simple(srv)
		c.URL = srv.URL + path
		mustValid(t, &c, false)
		pts, err := p.Fetch(context.Background(), c, "", false, time.Now())
		if want == "" {
			if err != nil || len(pts) != 1 || pts[0].Value != 2 {
				t.Errorf("%s: %v %v", path, pts, err)
			}
		} else if err == nil || !strings.Contains(strongroom.ErrorMessage(err), want) {
			t.Errorf("%s: %v, want %q", path, err, want)
		}
	}
}

func TestHugeResponseRefused(t *testing.T) {
	big := strings.Repeat(" ", DefaultMaxResponse+1)
	srv := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("chunked") != "" {
			w.(http.Flusher).Flush() // no Content-Length: refused while reading
		}
		fmt.Fprint(w, `{"items": [{"v": 1}]}`+big)
	}))
	for _, q := range []string{"", "?chunked=1"} {
		c := simple(srv)
		c.URL += q
		mustValid(t, &c, false)
		_, err := trusting(srv).Fetch(context.Background(), c, "", false, time.Now())
		if err == nil || !strings.Contains(strongroom.ErrorMessage(err), "larger than 8 MiB") {
			t.Errorf("%q: %v", q, err)
		}
	}
	// Just under the bound is read.
	srv2 := tlsServer(t, dataHandler(`{"items": [{"v": 1}]}`+strings.Repeat(" ", DefaultMaxResponse-100)))
	c := simple(srv2)
	mustValid(t, &c, false)
	if _, err := trusting(srv2).Fetch(context.Background(), c, "", false, time.Now()); err != nil {
		t.Errorf("under the bound: %v", err)
	}
}

func TestSlowResponseTimesOut(t *testing.T) {
	// The handler waits for the test to end, not for the request's
	// context: a handler that returned when the client gave up could send
	// its empty 200 in the moment between the two timeouts and be read as
	// an answer.
	release := make(chan struct{})
	srv := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer close(release)
	c := simple(srv)
	mustValid(t, &c, false)
	p := trusting(srv)
	p.Timeout = 200 * time.Millisecond
	_, err := p.Fetch(context.Background(), c, "", false, time.Now())
	if err == nil || !strings.Contains(strongroom.ErrorMessage(err), "did not answer within") {
		t.Fatalf("slow server: %v", err)
	}
}

func TestCertificateVerified(t *testing.T) {
	srv := tlsServer(t, dataHandler(`{"items": [{"v": 1}]}`))
	stranger := ownServer(t, "127.0.0.1:0", dataHandler(`{}`)) // another certificate
	c := simple(srv)
	mustValid(t, &c, false)
	p := trusting(stranger)
	_, err := p.Fetch(context.Background(), c, "", false, time.Now())
	if err == nil || !strings.Contains(strongroom.ErrorMessage(err), "could not be verified") {
		t.Fatalf("untrusted certificate: %v", err)
	}
	p.RootCAs = nil // the system's roots do not hold a test certificate either
	if _, err := p.Fetch(context.Background(), c, "", false, time.Now()); err == nil {
		t.Fatal("the system roots accepted a test certificate")
	}
}

func TestPlainHTTPOnlyWhenAllowed(t *testing.T) {
	srv := httptest.NewServer(dataHandler(`{"items": [{"v": 3}]}`))
	t.Cleanup(srv.Close)
	c := Connector{URL: srv.URL + "/data", Items: "items[*]", Value: "v", Metric: "test.value"}
	err := c.Validate(false)
	if strongroom.ErrorField(err) != "config.url" {
		t.Fatalf("http:// without the allowance: %v", err)
	}
	mustValid(t, &c, true)
	pts, err := Policy{Allow: loopback}.Fetch(context.Background(), c, "", true, time.Now())
	if err != nil || len(pts) != 1 {
		t.Fatalf("allowed http: %v %v", pts, err)
	}
}
