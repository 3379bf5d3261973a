package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"strongroom/identity/totp"
	"strongroom/operators"
	"strongroom/trust"
	"strongroom/witness"
)

// TestSupportSessionEndToEnd follows one support session from outside,
// over HTTPS: an operator signs in to the console with a second factor,
// is refused the firm's data without a grant, files a request the firm's
// setting holds for approval, an administrator approves it, the operator
// reads pages (read-only), the administrator sees every action on the
// access page, and the trust report, its checkpoint cosigned by a witness
// running elsewhere, verifies offline with only the firm's and the
// witness's public keys.
func TestSupportSessionEndToEnd(t *testing.T) {
	m, adminTemp := engineServer(t, "sqlite", nil)
	ctx := context.Background()
	admin := newAPIClient(t, m)
	admin.signIn("admin", adminTemp)
	admin.must("PUT", "provider-access/approval", map[string]any{"approval": "required"})

	// The operator's first console sign-in, with the authenticator app.
	const name = "jane.doe"
	if _, err := m.app.operators.CreateFirst(ctx, operators.NewOperator{Name: name, DisplayName: "Jane Doe", Password: testOperatorPassword}); err != nil {
		t.Fatal(err)
	}
	op := newAPIClient(t, m)
	root := strings.TrimSuffix(op.base, "api/v1/t/demo/")
	form := func(path string, v url.Values) (int, string) {
		t.Helper()
		return op.csSend("POST", root+path, "application/x-www-form-urlencoded", []byte(v.Encode()))
	}
	if status, _ := form("operator/sign-in", url.Values{"name": {name}, "password": {testOperatorPassword}}); status != 303 {
		t.Fatalf("sign-in: %d", status)
	}
	_, enrol := op.csSend("GET", root+"operator/enrol", "", nil)
	secret := regexp.MustCompile(`user-select-all">([A-Z2-7]+)<`).FindStringSubmatch(enrol)
	if secret == nil {
		t.Fatalf("no secret on the enrolment page: %.300s", enrol)
	}
	// The previous step's code, so that the current one is left for the command line.
	code, _ := totp.CodeAt(secret[1], time.Now().Add(-30*time.Second))
	if status, _ := form("operator/enrol", url.Values{"code": {code}}); status != 303 {
		t.Fatalf("enrol: %d", status)
	}
	if status, _ := form("operator/password", url.Values{"current_password": {testOperatorPassword},
		"new_password": {ownOperatorPassword}, "confirm": {ownOperatorPassword}}); status != 303 {
		t.Fatalf("choosing her own password: %d", status)
	}

	// Signed in to the console, but no grant: the firm's pages treat the
	// operator as a stranger, and the command line refuses them.
	for _, p := range []string{"t/demo/", "t/demo/cases", "t/demo/admin/users"} {
		if status, body := op.csSend("GET", root+p, "", nil); status != 303 || strings.Contains(body, "Demo") {
			t.Fatalf("GET %s without a grant: %d %.200s", p, status, body)
		}
	}
	code, _ = totp.CodeAt(secret[1], time.Now())
	token := strings.TrimSpace(mustCLI(t, append([]string{"operator", "token", "--operator", name, "--code", code}, storageFlags(m)...)...))
	t.Setenv(operatorTokenEnv, token)
	failCLI(t, "no running access grant", append([]string{"tenant", "show", "demo"}, storageFlags(m)...)...)

	// The request, held for the firm's approval.
	status, body := op.csSend("POST", root+"operator/api/access-requests", "application/json",
		[]byte(`{"tenant": "demo", "reason": "support", "ticket": "SR-1042", "duration_minutes": 60}`))
	var filed struct {
		Request struct {
			ID    int64  `json:"id"`
			State string `json:"state"`
		} `json:"access_request"`
	}
	if json.Unmarshal([]byte(body), &filed); status != 201 || filed.Request.State != "pending" {
		t.Fatalf("file a request: %d %s", status, body)
	}
	t.Logf("1. jane.doe files access request #%d (support, SR-1042, 60 min): %s", filed.Request.ID, filed.Request.State)
	if status, _ := op.csSend("GET", root+"t/demo/cases", "", nil); status != 303 {
		t.Fatalf("a pending request opened the firm's pages: %d", status)
	}
	admin.must("POST", fmt.Sprintf("provider-access/grants/%d/approve", filed.Request.ID), nil)
	t.Logf("2. the firm's administrator approves #%d on Access by the service provider", filed.Request.ID)

	// Under the grant: pages read, with the banner; nothing changed.
	for _, p := range []string{"t/demo/", "t/demo/cases", "t/demo/search?q=contract"} {
		status, body := op.csSend("GET", root+p, "", nil)
		if status != 200 || !strings.Contains(body, "as operator") || !strings.Contains(body, name) {
			t.Fatalf("GET %s under the grant: %d %.300s", p, status, body)
		}
	}
	if status, _ := op.csSend("GET", root+"t/demo/admin/users", "", nil); status != 403 {
		t.Fatalf("administration under a read-only grant: %d", status)
	}
	if status, _ := form("t/demo/cases/new", url.Values{"title": {"Operator's case"}}); status != 403 {
		t.Fatalf("a write under a read-only grant: %d", status)
	}
	mustCLI(t, append([]string{"tenant", "show", "demo"}, storageFlags(m)...)...)
	t.Log("3. under the grant: /t/demo/, /t/demo/cases and a search read (200, with the banner); administration and a new case refused (403); strongroom tenant show demo on the command line")

	// The firm's access page lists the grant and every action under it.
	pa := admin.must("GET", "provider-access", nil)["provider_access"].(map[string]any)
	b, _ := json.Marshal(map[string]any{"grants": pa, "events": admin.must("GET", fmt.Sprintf("provider-access/grants/%d/events", filed.Request.ID), nil)})
	for _, want := range []string{`"operator":"jane.doe"`, `"ticket":"SR-1042"`, `"decided_by":`, `"path":"/t/demo/cases"`,
		`"path":"/t/demo/search"`, `"path":"/t/demo/admin/users"`, `"action":"operator.cli"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the access page lacks %s: %.2000s", want, b)
		}
	}
	_, csv := admin.csPage("GET", "admin/provider-access/export/csv")
	if !strings.Contains(csv, "SR-1042") || !strings.Contains(csv, "/t/demo/cases") {
		t.Errorf("export: %.500s", csv)
	}
	t.Logf("4. the firm's access page, exported as CSV:\n%s", csv)

	// A witness run elsewhere, knowing only the firm's log key.
	key := strings.TrimSpace(mustCLI(t, append([]string{"audit", "key", "demo"}, storageFlags(m)...)...))
	logV, err := note.NewVerifier(key)
	if err != nil {
		t.Fatal(err)
	}
	skey, vkey, err := witness.GenerateKey("witness.example")
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New(skey, []witness.Log{{Origin: logV.Name(), Verifier: logV}}, filepath.Join(t.TempDir(), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	ws := httptest.NewServer(w.Handler())
	defer ws.Close()

	report := filepath.Join(t.TempDir(), "report.json")
	mustCLI(t, append([]string{"verify", "demo", "--witness", ws.URL + "=" + vkey, "--out", report}, storageFlags(m)...)...)
	signed, _ := os.ReadFile(report)
	v, err := trust.Verify(signed, key, []string{vkey})
	if err != nil {
		t.Fatalf("offline verification: %v", err)
	}
	if !v.Report.Audit.Verified || len(v.Witnessed) == 0 || len(v.Problems) > 0 {
		t.Fatalf("report: audit %+v, witnessed %v, problems %v", v.Report.Audit, v.Witnessed, v.Problems)
	}
	if rb, _ := json.Marshal(v.Report.OperatorAccess); !bytes.Contains(rb, []byte(name)) {
		t.Errorf("the report's operator accesses lack the operator: %s", rb)
	}
	out := mustCLI(t, "verify", "--offline", report, "--key", key, "--witness-key", vkey)
	if !strings.Contains(out, "signature verified") {
		t.Fatalf("verify --offline: %s", out)
	}
	t.Logf("5. strongroom verify --offline, with the firm's key and the witness's only:\n%s", out)
	// The report is evidence only while whole.
	tampered := bytes.Replace(signed, []byte("SR-1042"), []byte("SR-1043"), 1)
	if bytes.Equal(tampered, signed) {
		tampered = bytes.Replace(signed, []byte(name), []byte("john.doe"), 1)
	}
	if _, err := trust.Verify(tampered, key, []string{vkey}); err == nil {
		t.Fatal("a changed report verified")
	}
	// And the trail the report vouches for verifies as a whole.
	if out := mustCLI(t, append([]string{"audit", "verify", "demo"}, storageFlags(m)...)...); !strings.Contains(out, "OK") {
		t.Fatalf("audit verify: %s", out)
	}
}
