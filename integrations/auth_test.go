package integrations

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"strongroom"
)

const testSecret = "s3cr3t-Value/+="

// authServer answers the data only to a request that carries the
// credential as the kind says, and issues OAuth2 tokens for client
// credentials at /token.
func authServer(t *testing.T) (*httptest.Server, *int) {
	t.Helper()
	tokens := 0
	srv := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := false
		switch r.URL.Path {
		case "/token":
			id, secret, _ := r.BasicAuth()
			if r.FormValue("client_id") != "" {
				id, secret = r.FormValue("client_id"), r.FormValue("client_secret")
			}
			if r.Method != "POST" || r.FormValue("grant_type") != "client_credentials" || id != "client-1" || secret != testSecret {
				http.Error(w, `{"error": "invalid_client"}`, http.StatusUnauthorized)
				return
			}
			tokens++
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"access_token": "issued-token", "token_type": "bearer", "expires_in": 3600})
			return
		case "/none":
			ok = r.Header.Get("Authorization") == ""
		case "/header":
			ok = r.Header.Get("X-Key") == testSecret
		case "/query":
			ok = r.URL.Query().Get("key") == testSecret
		case "/bearer":
			ok = r.Header.Get("Authorization") == "Bearer "+testSecret
		case "/basic":
			u, pw, has := r.BasicAuth()
			ok = has && u == "alice" && pw == testSecret
		case "/oauth":
			ok = r.Header.Get("Authorization") == "Bearer issued-token"
		}
		if !ok {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"items": [{"v": 7}]}`)
	}))
	return srv, &tokens
}

func TestAuthKinds(t *testing.T) {
	srv, tokens := authServer(t)
	for _, tc := range []struct {
		path string
		auth Auth
	}{
		{"/none", Auth{Kind: AuthNone}},
		{"/header", Auth{Kind: AuthAPIKey, Header: "X-Key"}},
		{"/query", Auth{Kind: AuthAPIKey, QueryParam: "key"}},
		{"/bearer", Auth{Kind: AuthBearer}},
		{"/basic", Auth{Kind: AuthBasic, Username: "alice"}},
		{"/oauth", Auth{Kind: AuthOAuth2, ClientID: "client-1", TokenURL: srv.URL + "/token", Scopes: []string{"read"}}},
	} {
		t.Run(tc.path[1:], func(t *testing.T) {
			c := simple(srv)
			c.URL, c.Auth = srv.URL+tc.path, tc.auth
			mustValid(t, &c, false)
			secret := testSecret
			if tc.auth.Kind == AuthNone {
				secret = ""
			}
			pts, err := trusting(srv).Fetch(context.Background(), c, secret, false, time.Now())
			if err != nil || len(pts) != 1 || pts[0].Value != 7 {
				t.Fatalf("right credential: %v %v", pts, err)
			}
			if tc.auth.Kind == AuthNone {
				return
			}
			_, err = trusting(srv).Fetch(context.Background(), c, "wrong-credential", false, time.Now())
			if err == nil {
				t.Fatal("a wrong credential was accepted")
			}
			if msg := strongroom.ErrorMessage(err); strings.Contains(msg, "wrong-credential") || !strings.Contains(msg, "401") {
				t.Fatalf("wrong credential: %q", msg)
			}
		})
	}
	if *tokens == 0 {
		t.Error("no token was issued")
	}
}

// The token request is held to the same addresses: without the
// loopback allowance, a token URL on loopback is refused.
func TestTokenURLChecked(t *testing.T) {
	srv, tokens := authServer(t)
	c := simple(srv)
	c.URL = srv.URL + "/oauth"
	c.Auth = Auth{Kind: AuthOAuth2, ClientID: "client-1", TokenURL: srv.URL + "/token"}
	mustValid(t, &c, false)
	p := trusting(srv)
	p.Allow = nil
	_, err := p.Fetch(context.Background(), c, testSecret, false, time.Now())
	if err == nil || !strings.Contains(strongroom.ErrorMessage(err), "internal") || *tokens != 0 {
		t.Fatalf("token from loopback: %v (%d tokens)", err, *tokens)
	}
	c.Auth.TokenURL = strings.Replace(srv.URL, "https", "http", 1) + "/token"
	if err := c.Validate(false); strongroom.ErrorField(err) != "config.auth.token_url" {
		t.Fatalf("http token URL: %v", err)
	}
}

func TestPagination(t *testing.T) {
	var srv *httptest.Server
	srv = tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/next":
			n := q.Get("after")
			next := map[string]string{"": "p2", "p2": "p3"}[n]
			link := ""
			if next != "" {
				link = srv.URL + "/next?after=" + next
			}
			fmt.Fprintf(w, `{"items": [{"v": 1}, {"v": 2}], "next": %q}`, link)
		case "/away":
			fmt.Fprint(w, `{"items": [{"v": 1}], "next": "https://127.0.0.1:1/elsewhere"}`)
		case "/page":
			if q.Get("page") > "3" {
				fmt.Fprint(w, `{"items": []}`)
				return
			}
			fmt.Fprintf(w, `{"items": [{"v": %s}]}`, q.Get("page"))
		case "/offset":
			if q.Get("offset") >= "4" {
				fmt.Fprint(w, `{"items": []}`)
				return
			}
			fmt.Fprint(w, `{"items": [{"v": 1}, {"v": 1}]}`)
		}
	}))
	run := func(path string, pg Pagination) ([]Point, error) {
		c := simple(srv)
		c.URL, c.Pagination = srv.URL+path, pg
		mustValid(t, &c, false)
		return trusting(srv).Fetch(context.Background(), c, "", false, time.Now())
	}
	if pts, err := run("/next", Pagination{Kind: PageNext, NextURL: "next"}); err != nil || len(pts) != 6 {
		t.Errorf("next_url: %d points, %v", len(pts), err)
	}
	if _, err := run("/next", Pagination{Kind: PageNext, NextURL: "next", MaxPages: 2}); strongroom.ErrorField(err) != "config.pagination.max_pages" {
		t.Errorf("next_url past max pages: %v", err)
	}
	if _, err := run("/away", Pagination{Kind: PageNext, NextURL: "next"}); err == nil || !strings.Contains(err.Error(), "leads away") {
		t.Errorf("next page on another host: %v", err)
	}
	pts, err := run("/page", Pagination{Kind: PageNumber, Param: "page"})
	if err != nil || len(pts) != 3 || pts[2].Value != 3 {
		t.Errorf("page: %v %v", pts, err)
	}
	if _, err := run("/page", Pagination{Kind: PageNumber, Param: "page", MaxPages: 3}); err == nil {
		t.Error("page: items on the last allowed page are not refused")
	}
	if pts, err := run("/offset", Pagination{Kind: PageOffset, Param: "offset"}); err != nil || len(pts) != 4 {
		t.Errorf("offset: %v %v", pts, err)
	}
}

func TestValuesTimesDims(t *testing.T) {
	srv := tlsServer(t, dataHandler(`{"rows": [
		{"amount": "12.50", "at": "2026-03-01T10:00:00Z", "cur": "EUR", "n": 3},
		{"amount": 4, "at": "/Date(1518685950940+0000)/", "cur": "USD"},
		{"amount": null, "at": 1700000000, "cur": "EUR"},
		{"amount": 1, "at": 1700000000123}]}`))
	c := Connector{URL: srv.URL, Items: "rows[*]", Value: "amount", Time: "at", Dims: map[string]string{"currency": "cur", "n": "n"}, Metric: "x.y"}
	mustValid(t, &c, false)
	pts, err := trusting(srv).Fetch(context.Background(), c, "", false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 3 {
		t.Fatalf("%d points: %v", len(pts), pts)
	}
	want := []struct {
		v   float64
		at  time.Time
		cur string
	}{
		{12.5, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), "EUR"},
		{4, time.UnixMilli(1518685950940).UTC(), "USD"},
		{1, time.UnixMilli(1700000000123).UTC(), ""},
	}
	for i, w := range want {
		if pts[i].Value != w.v || !pts[i].At.Equal(w.at) || pts[i].Dims["currency"] != w.cur || pts[i].Metric != "x.y" {
			t.Errorf("point %d: %+v, want %+v", i, pts[i], w)
		}
	}
	if pts[0].Dims["n"] != "3" {
		t.Errorf("number dimension: %q", pts[0].Dims["n"])
	}
	bad := tlsServer(t, dataHandler(`{"rows": [{"amount": "lots"}]}`))
	c.URL = bad.URL
	if _, err := trusting(bad).Fetch(context.Background(), c, "", false, time.Now()); err == nil || !strings.Contains(err.Error(), "not a number") {
		t.Errorf("a value that is not a number: %v", err)
	}
}

func TestConnectorValidation(t *testing.T) {
	c := Connector{URL: "ftp://x", Method: "DELETE", Headers: map[string]string{"Authorization": "Bearer x", "X-Api-Key": "k"},
		Query: map[string]string{"access_token": "t"}, Value: "a..b", Metric: "Bad Name", Dims: map[string]string{"Bad": "x"},
		Pagination: Pagination{Kind: "sideways"}, Auth: Auth{Kind: AuthAPIKey}}
	err := c.Validate(false)
	fields := map[string]bool{}
	for _, p := range strongroom.ErrorProblems(err) {
		fields[p.Field] = true
	}
	for _, f := range []string{"config.url", "config.method", "config.headers", "config.query", "config.value", "config.metric",
		"config.dims", "config.pagination.kind", "config.auth.header"} {
		if !fields[f] {
			t.Errorf("no problem named %s: %v", f, strongroom.ErrorProblems(err))
		}
	}
	u := Connector{URL: "https://user:pw@api.example.com/", Value: "v", Metric: "m"}
	if strongroom.ErrorField(u.Validate(false)) != "config.url" {
		t.Error("a URL with a password is accepted")
	}
}
