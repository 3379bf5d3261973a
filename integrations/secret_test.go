package integrations_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"strongroom"
	"strongroom/integrations"
)

// leak is a credential distinctive enough to find anywhere it ends up.
const leak = "LEAK-7f3a9c1e-credential"

// echoServer misbehaves as badly as an API can: it echoes the request's
// credentials in its error bodies and puts the key in the URLs it sends
// back (a redirect, a next page on another host).
func echoServer(t *testing.T) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		echo := fmt.Sprintf("auth=%s key=%s query=%s form=%v", r.Header.Get("Authorization"), r.Header.Get("X-Key"), r.URL.RawQuery, r.PostForm)
		switch r.URL.Path {
		case "/token":
			r.ParseForm()
			http.Error(w, `{"error": "invalid_client", "error_description": "`+echo+`"}`, http.StatusUnauthorized)
		case "/redirect":
			http.Redirect(w, r, "https://127.0.0.2:1/"+url.PathEscape(leak)+"?k="+url.QueryEscape(leak), http.StatusFound)
		case "/next":
			fmt.Fprintf(w, `{"items": [{"v": 1}], "next": "https://elsewhere.example/%s?key=%s"}`, leak, leak)
		case "/value":
			fmt.Fprintf(w, `{"items": [{"v": %q}]}`, leak+" "+echo)
		default:
			http.Error(w, echo, http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func testSecretNeverShown(t *testing.T, f *fixture) {
	ctx := context.Background()
	srv := echoServer(t)
	f.trust(srv)
	var outputs []string
	keep := func(what string, v any) {
		switch x := v.(type) {
		case error:
			if x == nil {
				return
			}
			b, _ := json.Marshal(strongroom.ErrorProblems(x))
			outputs = append(outputs, what+": "+x.Error()+" "+strongroom.ErrorMessage(x)+" "+string(b))
		default:
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			outputs = append(outputs, what+": "+string(b))
		}
	}
	auths := map[string]integrations.Auth{
		"header": {Kind: integrations.AuthAPIKey, Header: "X-Key"},
		"query":  {Kind: integrations.AuthAPIKey, QueryParam: "key"},
		"bearer": {Kind: integrations.AuthBearer},
		"basic":  {Kind: integrations.AuthBasic, Username: "alice"},
		"oauth":  {Kind: integrations.AuthOAuth2, ClientID: "client", TokenURL: srv.URL + "/token"},
	}
	n := len(f.events())
	for name, auth := range auths {
		for _, path := range []string{"/fail", "/redirect", "/next", "/value"} {
			in := integrations.Input{Name: name + strings.ReplaceAll(path, "/", "-"), Label: name, Enabled: true, Secret: secret(leak),
				Connector: integrations.Connector{URL: srv.URL + path, Items: "items[*]", Value: "v", Metric: "leak.test", Auth: auth,
					Pagination: integrations.Pagination{Kind: integrations.PageNext, NextURL: "next"}}}
			it, err := f.svc.Create(ctx, f.h, f.admin, in)
			if err != nil {
				t.Fatalf("%s: %v", in.Name, err)
			}
			keep("create", it)
			pts, err := f.svc.Test(ctx, f.h, f.admin, it.ID)
			keep("test", err)
			keep("test points", pts)
			keep("pull", f.svc.Pull(ctx, f.h, it.ID))
			in.Version, in.Secret = it.Version, secret(leak+"-2")
			up, err := f.svc.Update(ctx, f.h, f.admin, it.ID, in)
			keep("update", err)
			keep("updated", up)
			got, err := f.svc.Get(ctx, f.h, f.admin, it.ID)
			keep("get", err)
			keep("got", got)
			outputs = append(outputs, "last_error: "+got.LastError)
		}
	}
	// A refused input names its fields, never the secret typed with it.
	bad := integrations.Input{Name: "BAD", Secret: secret(leak + "\n"), Connector: integrations.Connector{URL: "http://x/" + "y"}}
	_, err := f.svc.Create(ctx, f.h, f.admin, bad)
	keep("refused", err)
	list, err := f.svc.List(ctx, f.h, f.reader)
	keep("list", list)
	keep("list err", err)
	keep("audit", f.eventsSince(n))
	outputs = append(outputs, "log: "+f.logs.String())
	rows, err := f.h.DB.QueryContext(ctx, `SELECT config, last_error, sealed_credentials FROM integrations`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var config, lastErr string
		var sealed []byte
		if err := rows.Scan(&config, &lastErr, &sealed); err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, "stored: "+config+" "+lastErr+" "+string(sealed))
	}
	rows.Close()

	basic := base64.StdEncoding.EncodeToString([]byte("alice:" + leak))
	for _, out := range outputs {
		for _, form := range []string{leak, url.QueryEscape(leak), base64.StdEncoding.EncodeToString([]byte(leak)), basic} {
			if strings.Contains(out, form) {
				t.Errorf("the credential shows in %.300s", out)
			}
		}
	}
	if !strings.Contains(f.logs.String(), "integration pull failed") || len(outputs) < 100 {
		t.Fatalf("too little was looked at: %d outputs, log %q", len(outputs), f.logs.String())
	}
	var listed []map[string]any
	b, _ := json.Marshal(list)
	if err := json.Unmarshal(b, &listed); err != nil || len(listed) != len(list) {
		t.Fatalf("listing as JSON: %v", err)
	}
	for _, it := range listed {
		if it["credentials"] != "set" || it["interval_seconds"] != 3600.0 {
			t.Errorf("%s: credentials %v, interval %v", it["name"], it["credentials"], it["interval_seconds"])
		}
	}
}

// A sealed credential opens only in the row it was sealed for.
func testSealBinding(t *testing.T, f *fixture) {
	ctx := context.Background()
	srv := apiServer(t, nil)
	f.trust(srv)
	a := f.create(input(srv, "a"))
	other := input(srv, "b")
	other.Secret = secret("tok-bad")
	b := f.create(other)
	if _, err := f.h.DB.ExecContext(ctx, `UPDATE integrations SET sealed_credentials = (SELECT sealed_credentials FROM integrations WHERE id = ?) WHERE id = ?`, a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	err := f.svc.Pull(ctx, f.h, b.ID)
	if err == nil || !strings.Contains(strongroom.ErrorMessage(err), "cannot be opened") {
		t.Fatalf("a credential moved to another integration: %v", err)
	}
	if err := f.svc.Pull(ctx, f.h, a.ID); err != nil {
		t.Fatalf("in its own row: %v", err)
	}
}
