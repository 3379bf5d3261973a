package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// scimClient speaks to a tenant's SCIM endpoint with a bearer token, as an
// identity provider does, from an address it can move (X-Forwarded-For
// through the trusted loopback proxy).
type scimClient struct {
	t     *testing.T
	http  *http.Client
	base  string // https://127.0.0.1:PORT/scim/v2/t/SLUG
	token string
	ip    *string
}

func newSCIMClient(t *testing.T, m *Main, slug, token, ip string) *scimClient {
	t.Helper()
	api := newAPIClient(t, m)
	api.http.Transport = fromAddr{ip: &ip, next: api.http.Transport}
	return &scimClient{t: t, http: api.http, base: m.URL() + "scim/v2/t/" + slug, token: token, ip: &ip}
}

func (c *scimClient) from(ip string) *scimClient { *c.ip = ip; return c }

// do sends body (a JSON string) and returns the status, the content type
// and the decoded answer.
func (c *scimClient) do(method, path, body string) (int, string, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	req.Header.Set("Accept", "application/scim+json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			c.t.Fatalf("%s %s: %d, not JSON: %q", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), out
}

func (c *scimClient) must(method, path, body string, want int) map[string]any {
	c.t.Helper()
	status, ct, out := c.do(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s: %d %v, want %d", method, path, status, out, want)
	}
	if want != http.StatusNoContent && !strings.HasPrefix(ct, "application/scim+json") {
		c.t.Fatalf("%s %s: content type %q", method, path, ct)
	}
	return out
}

// refused checks a SCIM error message: status, scimType and no internals.
func (c *scimClient) refused(method, path, body string, status int, scimType string) map[string]any {
	c.t.Helper()
	got, ct, out := c.do(method, path, body)
	if got != status || !strings.HasPrefix(ct, "application/scim+json") || out["status"] != fmt.Sprint(status) ||
		!hasSchema(out, "urn:ietf:params:scim:api:messages:2.0:Error") || (scimType != "" && out["scimType"] != scimType) {
		c.t.Fatalf("%s %s: %d %q %v, want %d %s", method, path, got, ct, out, status, scimType)
	}
	if d := fmt.Sprint(out["detail"]); strings.Contains(d, "SQL") || strings.Contains(d, "sql") || strings.Contains(d, ".go") {
		c.t.Fatalf("%s %s: internal detail in %q", method, path, d)
	}
	return out
}

func hasSchema(out map[string]any, s string) bool {
	list, _ := out["schemas"].([]any)
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func q(filter string) string { return "?filter=" + url.QueryEscape(filter) }

// SCIM provisioning end to end over HTTPS, on both engines: Entra ID's
// and Okta's request sequences, group membership driving a mapped role,
// deactivation ending an open session, and the refusals: no, wrong,
// revoked and other tenants' tokens, bad bodies, a taken userName, and a
// client outside the tenant's IP allowlist.
func TestSCIMOverHTTPS(t *testing.T) {
	forEachServerAtOnce(t, func(c *ServeConfig) { c.TrustedProxies = "127.0.0.1" }, testSCIM)
}

func testSCIM(t *testing.T, m *Main, adminTemp string) {
	admin := newAddrClient(t, m, "192.0.2.7")
	admin.signIn("admin", adminTemp)
	made := admin.must("POST", "scim/tokens", map[string]any{"name": "Entra ID"})
	secret := made["secret"].(string)
	tokID := num(made["scim_token"].(map[string]any)["id"])
	if !strings.HasSuffix(made["base_url"].(string), "/scim/v2/t/demo") {
		t.Fatalf("base url: %v", made["base_url"])
	}
	entra := newSCIMClient(t, m, "demo", secret, "192.0.2.20")

	// Discovery.
	cfg := entra.must("GET", "/ServiceProviderConfig", "", 200)
	if cfg["patch"].(map[string]any)["supported"] != true {
		t.Fatalf("config: %v", cfg)
	}
	if rt := entra.must("GET", "/ResourceTypes", "", 200); num(rt["totalResults"]) != 2 {
		t.Fatalf("resource types: %v", rt)
	}
	entra.must("GET", "/Schemas", "", 200)
	if s := entra.must("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "", 200); s["name"] != "User" {
		t.Fatalf("schema: %v", s)
	}
	entra.must("GET", "/ResourceTypes/Group", "", 200)

	// Entra ID: look up, create, look up by externalId, patch, deactivate.
	if l := entra.must("GET", "/Users"+q(`userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"`), "", 200); num(l["totalResults"]) != 0 || len(l["Resources"].([]any)) != 0 {
		t.Fatalf("lookup: %v", l)
	}
	u := entra.must("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_dfeef4c5-5681-4387-b016-bdf221e82081","active":true,
		"emails":[{"primary":true,"type":"work","value":"Test_User_11bb6a7b@firm.example"}],"meta":{"resourceType":"User"},
		"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},"roles":[]}`, 201)
	id := u["id"].(string)
	if u["active"] != true || u["userName"] != "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081" || !strings.HasSuffix(u["meta"].(map[string]any)["location"].(string), "/Users/"+id) {
		t.Fatalf("created: %v", u)
	}
	if l := entra.must("GET", "/Users"+q(`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`), "", 200); num(l["totalResults"]) != 1 {
		t.Fatalf("by externalId: %v", l)
	}
	u = entra.must("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Replace","path":"name.familyName","value":"Jensen"},{"op":"Replace","path":"emails[type eq \"work\"].value","value":"bj@firm.example"},
		{"op":"Add","path":"displayName","value":"Barbara Jensen"}]}`, 200)
	if u["displayName"] != "Barbara Jensen" || u["name"].(map[string]any)["familyName"] != "Jensen" {
		t.Fatalf("patched: %v", u)
	}

	// Groups, mapped to a role: membership gives and takes it.
	roles := admin.must("GET", "roles", nil)["roles"].([]any)
	var roleID int64
	for _, r := range roles {
		if r.(map[string]any)["name"] != "Administrator" && roleID == 0 {
			roleID = num(r.(map[string]any)["id"])
		}
	}
	g := entra.must("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Litigation team","externalId":"8f6f-group"}`, 201)
	gid := g["id"].(string)
	if l := entra.must("GET", "/Groups"+q(`displayName eq "Litigation team"`), "", 200); num(l["totalResults"]) != 1 {
		t.Fatalf("group lookup: %v", l)
	}
	admin.must("PUT", "scim/groups/"+gid+"/roles", map[string]any{"role_ids": []int64{roleID}})
	holds := func() bool {
		user := admin.must("GET", "users/"+id, nil)["user"].(map[string]any)
		for _, r := range user["roles"].([]any) {
			if num(r) == roleID {
				return true
			}
		}
		return false
	}
	entra.must("PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":"`+id+`"}]}]}`, 200)
	if !holds() {
		t.Fatal("a member of the mapped group does not hold the role")
	}
	if l := entra.must("GET", "/Groups"+q(`displayName eq "Litigation team"`)+"&excludedAttributes=members", "", 200); l["Resources"].([]any)[0].(map[string]any)["members"] != nil {
		t.Fatalf("excludedAttributes=members: %v", l)
	}
	entra.must("PATCH", "/Groups/"+gid, `{"Operations":[{"op":"Remove","path":"members","value":[{"value":"`+id+`"}]}]}`, 200)
	if holds() {
		t.Fatal("leaving the group kept the role")
	}

	// Deactivation ends an open session at once.
	temp := admin.must("POST", "users/"+id+"/reset-password", nil)["temporary_password"].(string)
	person := newAddrClient(t, m, "192.0.2.30")
	person.signIn("Test_User_dfeef4c5-5681-4387-b016-bdf221e82081", temp)
	if status, _ := person.do("GET", "me", nil); status != 200 {
		t.Fatalf("session before: %d", status)
	}
	// SCIM tokens are administrators' only.
	if status, body := person.do("GET", "scim/tokens", nil); status != http.StatusForbidden || strings.Contains(body, "Entra") {
		t.Fatalf("a user without administration lists SCIM tokens: %d %s", status, body)
	}
	if status, _ := person.do("POST", "scim/tokens", map[string]any{"name": "mine"}); status != http.StatusForbidden {
		t.Fatalf("a user without administration makes a SCIM token: %d", status)
	}
	entra.must("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`, 200)
	if status, _ := person.do("GET", "me", nil); status != http.StatusUnauthorized {
		t.Fatalf("session after deactivation: %d", status)
	}
	entra.must("DELETE", "/Users/"+id, "", 204)
	entra.refused("GET", "/Users/"+id, "", 404, "")
	entra.must("DELETE", "/Groups/"+gid, "", 204)

	// Okta: look up, create, get, PUT with active=false, page.
	okta := newSCIMClient(t, m, "demo", secret, "2001:db8:5::9")
	if l := okta.must("GET", "/Users"+q(`userName eq "jdoe@firm.example"`)+"&startIndex=1&count=100", "", 200); num(l["totalResults"]) != 0 {
		t.Fatalf("okta lookup: %v", l)
	}
	ou := okta.must("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jdoe@firm.example",
		"name":{"givenName":"John","familyName":"Doe"},"emails":[{"primary":true,"value":"jdoe@firm.example","type":"work"}],
		"displayName":"John Doe","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`, 201)
	oid := ou["id"].(string)
	if got := okta.must("GET", "/Users/"+oid, "", 200); got["userName"] != "jdoe@firm.example" || got["name"].(map[string]any)["givenName"] != "John" {
		t.Fatalf("okta get: %v", got)
	}
	put := okta.must("PUT", "/Users/"+oid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"`+oid+`","userName":"jdoe@firm.example",
		"name":{"givenName":"Johnny","familyName":"Doe"},"emails":[{"primary":true,"value":"jdoe@firm.example","type":"work"}],"displayName":"Johnny Doe","active":false}`, 200)
	if put["active"] != false || put["name"].(map[string]any)["givenName"] != "Johnny" {
		t.Fatalf("okta put: %v", put)
	}
	page := okta.must("GET", "/Users?startIndex=1&count=2", "", 200)
	if len(page["Resources"].([]any)) != 2 || num(page["itemsPerPage"]) != 2 || num(page["startIndex"]) != 1 || num(page["totalResults"]) != 2 {
		t.Fatalf("paging: %v", page)
	}
	if next := okta.must("GET", "/Users?startIndex=2&count=1", "", 200); len(next["Resources"].([]any)) != 1 || next["Resources"].([]any)[0].(map[string]any)["id"] != oid {
		t.Fatalf("second page: %v", next)
	}
	// The provider's password is never stored: the account has none.
	if status, _ := newAddrClient(t, m, "192.0.2.31").do("POST", "login", map[string]string{"username": "jdoe@firm.example", "password": "1mz050nq"}); status != http.StatusUnauthorized {
		t.Fatalf("password from the provider signs in: %d", status)
	}

	// Bad input: named, nothing changed.
	okta.refused("POST", "/Users", `{"userName":"JDOE@firm.example"}`, 409, "uniqueness")
	okta.refused("POST", "/Users", `{"userName":`, 400, "invalidSyntax")
	if out := okta.refused("PATCH", "/Users/"+oid, `{"Operations":[{"op":"Replace","path":"displayName","value":"X"},{"op":"replace","path":"active","value":"perhaps"}]}`, 400, "invalidValue"); !strings.Contains(out["detail"].(string), "active") {
		t.Fatalf("detail names the attribute: %v", out)
	}
	if got := okta.must("GET", "/Users/"+oid, "", 200); got["displayName"] != "Johnny Doe" {
		t.Fatalf("a refused PATCH changed the user: %v", got)
	}
	okta.refused("GET", "/Users"+q(`userName gt "a"`), "", 400, "invalidFilter")
	okta.refused("GET", "/Users/not-a-number", "", 404, "")

	// Tokens: none, wrong, another tenant's, revoked.
	(&scimClient{t: t, http: okta.http, base: okta.base, ip: okta.ip}).refused("GET", "/Users", "", 401, "")
	(&scimClient{t: t, http: okta.http, base: okta.base, token: "srs_wrong", ip: okta.ip}).refused("GET", "/Users", "", 401, "")
	if code, out, errs := cli(t, append([]string{"tenant", "create", "other"}, allowlistStorage(m)...)...); code != 0 {
		t.Fatalf("create other: %s %s", out, errs)
	} else {
		otherTemp := regexp.MustCompile(`temporary password\n  (\S+)`).FindStringSubmatch(out)
		other := newAddrClient(t, m, "192.0.2.7")
		other.base = strings.Replace(other.base, "/t/demo/", "/t/other/", 1)
		other.signIn("admin", otherTemp[1])
		otherSecret := other.must("POST", "scim/tokens", map[string]any{"name": "Okta"})["secret"].(string)
		theirs := newSCIMClient(t, m, "other", otherSecret, "192.0.2.21")
		newSCIMClient(t, m, "other", secret, "192.0.2.21").refused("GET", "/Users", "", 401, "")
		newSCIMClient(t, m, "demo", otherSecret, "192.0.2.21").refused("GET", "/Users", "", 401, "")
		// A user of the other tenant is not reachable by its id here.
		ot := theirs.must("POST", "/Users", `{"userName":"only-other@other.example"}`, 201)
		if status, _, out := entra.do("GET", "/Users/"+ot["id"].(string), ""); status == 200 && out["userName"] == "only-other@other.example" {
			t.Fatal("another tenant's user reached by id")
		}
		if l := entra.must("GET", "/Users"+q(`userName eq "only-other@other.example"`), "", 200); num(l["totalResults"]) != 0 {
			t.Fatalf("another tenant's user listed: %v", l)
		}
	}
	// Guesses from one address are throttled.
	guess := newSCIMClient(t, m, "demo", "srs_guess", "192.0.2.99")
	for range 10 {
		guess.do("GET", "/Users", "")
	}
	guess.refused("GET", "/Users", "", 429, "")

	// The tenant's IP allowlist applies to the provider.
	admin.must("PUT", "ip-allowlist", map[string]any{"version": 1, "entries": []map[string]string{{"cidr": "192.0.2.0/24"}, {"cidr": "2001:db8:5::/48"}}})
	entra.from("203.0.113.9").refused("GET", "/Users", "", 404, "")
	entra.from("2001:db8:6::1").refused("GET", "/Users", "", 404, "")
	entra.from("192.0.2.50").must("GET", "/Users", "", 200)
	okta.from("2001:db8:5::10").must("GET", "/Users/"+oid, "", 200)

	// Revoked: refused at once.
	admin.must("POST", fmt.Sprintf("scim/tokens/%d/revoke", tokID), nil)
	entra.refused("GET", "/Users", "", 401, "")
	toks := admin.must("GET", "scim/tokens", nil)["scim_tokens"].([]any)
	if len(toks) != 1 || toks[0].(map[string]any)["revoked_at"] == nil || toks[0].(map[string]any)["last_used_at"] == nil {
		t.Fatalf("tokens: %v", toks)
	}

	// The audit trail names the SCIM client, and a refused token once.
	evs := admin.must("GET", "audit/events?action=user.create&limit=50", nil)
	b, _ := json.Marshal(evs)
	if !strings.Contains(string(b), `"kind":"scim"`) {
		t.Fatalf("user.create by the SCIM client: %s", b)
	}
	if _, page := admin.csPage("GET", "audit?action=user.create"); !strings.Contains(page, "Provisioning (SCIM token Entra ID)") {
		t.Fatalf("the audit page does not name the SCIM token: %s", page)
	}
	failed := admin.must("GET", "audit/events?action=scim.auth_failed&limit=50", nil)
	if b, _ := json.Marshal(failed); !strings.Contains(string(b), "192.0.2.99") {
		t.Fatalf("scim.auth_failed: %s", b)
	}
}
