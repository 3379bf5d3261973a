package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"strongroom/audit"
	"strongroom/store"
)

// storageFlags are the storage flags of a running Main, for commands run
// beside it.
func storageFlags(m *Main) []string {
	s := []string{"--data-dir", m.Config.Storage.DataDir, "--master-key-file", m.Config.Storage.MasterKeyFile}
	if m.Config.Storage.Database != "" {
		s = append(s, "--database", m.Config.Storage.Database)
	}
	return s
}

// mustCLI runs a command that has to succeed and returns its output.
func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := cli(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d, %q %q", args, code, out, errs)
	}
	return out
}

// failCLI runs a command that has to fail with exit 1 saying want.
func failCLI(t *testing.T, want string, args ...string) {
	t.Helper()
	code, out, errs := cli(t, args...)
	if code != 1 || !strings.Contains(out+errs, want) {
		t.Fatalf("%v: exit %d, %q %q; want exit 1 saying %q", args, code, out, errs, want)
	}
}

// withDemo runs fn with the demo tenant's handle from the running server.
func withDemo(t *testing.T, m *Main, fn func(ctx context.Context, db *store.DB, log *audit.Log)) {
	t.Helper()
	ctx := context.Background()
	h, release, err := m.registry.Get(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	fn(ctx, h.DB, h.Audit)
}

// appendEvent appends e to the demo tenant's log, as a change would.
func appendEvent(t *testing.T, m *Main, e audit.Event) int64 {
	t.Helper()
	var seq int64
	withDemo(t, m, func(ctx context.Context, db *store.DB, log *audit.Log) {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			seq, err = log.Append(ctx, tx, e)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	return seq
}

// TestAuditCommands runs the audit commands beside a running server, after
// sign-ins and a new user: verify, key, proof, checkpoint, archive and
// their offline checks, bad input, and tampering found by verify.
func TestAuditCommands(t *testing.T) {
	forEachServer(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		temp := admin.must("POST", "users", map[string]any{"username": "clerk", "display_name": "Clerk"})["temporary_password"].(string)
		newAPIClient(t, m).signIn("clerk", temp)
		s := storageFlags(m)
		with := func(args ...string) []string { return append(args, s...) }
		operatorSignedIn(t, s...)
		operatorGranted(t, "demo", s...)

		if out := mustCLI(t, with("audit", "verify", "demo")...); !strings.Contains(out, "OK") {
			t.Fatalf("verify: %q", out)
		}
		key := strings.TrimSpace(mustCLI(t, with("audit", "key", "demo")...))
		if !strings.HasPrefix(key, "strongroom/tenant/demo+") {
			t.Fatalf("key: %q", key)
		}
		if cp := mustCLI(t, with("audit", "checkpoint", "demo")...); !strings.HasPrefix(cp, "strongroom/tenant/demo\n") || !strings.Contains(cp, "\n— strongroom/tenant/demo ") {
			t.Fatalf("checkpoint: %q", cp)
		}

		t.Run("Proof", func(t *testing.T) {
			dir := t.TempDir()
			proof := filepath.Join(dir, "proof.json")
			mustCLI(t, with("audit", "proof", "demo", "3", "--out", proof)...)
			if st, err := os.Stat(proof); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("proof file: %v %v", st, err)
			}
			if out := mustCLI(t, "audit", "verify-proof", proof, "--key", key); !strings.Contains(out, "The proof verifies: event 3") {
				t.Fatalf("verify-proof: %q", out)
			}
			keyFile := filepath.Join(dir, "demo.key")
			os.WriteFile(keyFile, []byte(key+"\n"), 0o600)
			mustCLI(t, "audit", "verify-proof", proof, "--key", keyFile)
			// On standard output too.
			stdoutProof := filepath.Join(dir, "stdout.json")
			os.WriteFile(stdoutProof, []byte(mustCLI(t, with("audit", "proof", "demo", "1")...)), 0o600)
			mustCLI(t, "audit", "verify-proof", stdoutProof, "--key", key)

			mustCLI(t, with("tenant", "create", "other")...)
			other := strings.TrimSpace(mustCLI(t, with("audit", "key", "other")...))
			failCLI(t, "does not verify", "audit", "verify-proof", proof, "--key", other)
			failCLI(t, "key:", "audit", "verify-proof", proof)
			failCLI(t, "key:", "audit", "verify-proof", proof, "--key", "not a key")
			failCLI(t, "seq:", with("audit", "proof", "demo", "three")...)
			failCLI(t, "There is no audit event 999999.", with("audit", "proof", "demo", "999999")...)
			failCLI(t, `No tenant "no-such".`, with("audit", "verify", "no-such")...)
		})

		t.Run("Archive", func(t *testing.T) {
			id, err := age.GenerateX25519Identity()
			if err != nil {
				t.Fatal(err)
			}
			wrong, _ := age.GenerateX25519Identity()
			dir := t.TempDir()
			tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
			out := mustCLI(t, with("audit", "archive", "demo", "--before", tomorrow, "--to", dir, "--recipient", id.Recipient().String())...)
			file := filepath.Join(dir, "demo-audit-before-"+tomorrow+".jsonl.gz.age")
			if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 || !strings.Contains(out, file) {
				t.Fatalf("archive file: %v %v; said %q", st, err, out)
			}
			idFile, wrongFile := filepath.Join(dir, "id.txt"), filepath.Join(dir, "wrong.txt")
			os.WriteFile(idFile, []byte("# the archive's identity\n"+id.String()+"\n"), 0o600)
			os.WriteFile(wrongFile, []byte(wrong.String()+"\n"), 0o600)
			if out := mustCLI(t, "audit", "archive-verify", file, "--identity", idFile, "--key", key); !strings.Contains(out, "The archive verifies: events 1–") {
				t.Fatalf("archive-verify: %q", out)
			}
			failCLI(t, "does not decrypt", "audit", "archive-verify", file, "--identity", wrongFile, "--key", key)
			failCLI(t, "identity:", "audit", "archive-verify", file, "--identity", file, "--key", key)

			// A recipients file works alone; an existing archive is never overwritten.
			recipients := filepath.Join(dir, "recipients.txt")
			os.WriteFile(recipients, []byte("# office safe\n"+id.Recipient().String()+"\n"), 0o600)
			dir2 := t.TempDir()
			mustCLI(t, with("audit", "archive", "demo", "--before", tomorrow, "--to", dir2, "--recipients-file", recipients)...)
			failCLI(t, "never overwritten", with("audit", "archive", "demo", "--before", tomorrow, "--to", dir2, "--recipients-file", recipients)...)

			failCLI(t, "before:", with("audit", "archive", "demo", "--before", "2024-13-01", "--to", dir, "--recipient", id.Recipient().String())...)
			failCLI(t, "recipient:", with("audit", "archive", "demo", "--before", tomorrow, "--to", dir)...)
			failCLI(t, "recipient:", with("audit", "archive", "demo", "--before", tomorrow, "--to", dir, "--recipient", "age1notarecipient")...)
			failCLI(t, "to:", with("audit", "archive", "demo", "--before", tomorrow, "--recipient", id.Recipient().String())...)
			failCLI(t, `No tenant "no-such".`, with("audit", "archive", "no-such", "--before", tomorrow, "--to", t.TempDir(), "--recipient", id.Recipient().String())...)
		})

		t.Run("Usage", func(t *testing.T) {
			if code, _, errs := cli(t, "audit"); code != 2 || !strings.Contains(errs, "audit verify TENANT") {
				t.Fatalf("audit: %d %q", code, errs)
			}
			if code, _, errs := cli(t, "audit", "frobnicate"); code != 2 || !strings.Contains(errs, "unknown subcommand") {
				t.Fatalf("audit frobnicate: %d %q", code, errs)
			}
		})

		// Last: an attacker edits one byte of a stored event.
		t.Run("Tamper", func(t *testing.T) {
			const seq = 4
			withDemo(t, m, func(ctx context.Context, db *store.DB, _ *audit.Log) {
				unguard(t, ctx, db)
				var body []byte
				if err := db.QueryRowContext(ctx, `SELECT body FROM audit_events WHERE seq = ?`, seq).Scan(&body); err != nil {
					t.Fatal(err)
				}
				body[len(body)-3] ^= 0x01
				if _, err := db.ExecContext(ctx, `UPDATE audit_events SET body = ? WHERE seq = ?`, body, seq); err != nil {
					t.Fatal(err)
				}
			})
			code, out, errs := cli(t, with("audit", "verify", "demo")...)
			if code != 1 || !strings.Contains(errs, fmt.Sprintf("first bad event is seq %d", seq)) || !strings.Contains(out, "does NOT verify") {
				t.Fatalf("verify after tampering: exit %d, %q %q", code, out, errs)
			}
		})
	})
}

// unguard removes the append-only guard of audit_events, as an attacker
// with the database's owner rights could.
func unguard(t *testing.T, ctx context.Context, db *store.DB) {
	t.Helper()
	stmts := []string{"DROP TRIGGER audit_events_no_update"}
	if db.Dialect == store.Postgres {
		stmts = []string{"ALTER TABLE audit_events DISABLE TRIGGER USER"}
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
}

// page fetches a page (not the API) with the client's session.
func (c *apiClient) page(path string) (int, http.Header, string) {
	c.t.Helper()
	u := strings.TrimSuffix(c.base, "api/v1/t/demo/") + "t/demo/" + path
	resp, err := c.http.Get(u)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// auditEvents returns the events of an audit list query.
func auditEvents(t *testing.T, c *apiClient, query string) ([]map[string]any, map[string]any) {
	t.Helper()
	out := c.must("GET", "audit/events?"+query, nil)
	var events []map[string]any
	for _, e := range out["events"].([]any) {
		events = append(events, e.(map[string]any))
	}
	return events, out
}

// TestAuditAPI checks the audit trail's API, pages and exports: who may
// read them, filters and paging, exports that are themselves audited,
// redaction of records the reader may not see, and no stored user names
// for failed sign-ins.
func TestAuditAPI(t *testing.T) {
	forEachServerAtOnce(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		class := num(admin.must("POST", "classes", map[string]string{"name": "Sealed matters"})["class"].(map[string]any)["id"])
		auditor := num(admin.must("POST", "roles", map[string]any{"name": "Auditor", "grants": map[string]string{"audit": "read"}})["role"].(map[string]any)["id"])
		user := func(name string, body map[string]any) *apiClient {
			body["username"], body["display_name"] = name, "Person "+name
			temp := admin.must("POST", "users", body)["temporary_password"].(string)
			c := newAPIClient(t, m)
			c.signIn(name, temp)
			return c
		}
		plain := user("plain", map[string]any{})
		noClass := user("auditor-a", map[string]any{"roles": []int64{auditor}})
		withClass := user("auditor-b", map[string]any{"roles": []int64{auditor}, "classes": []int64{class}})
		restricted := user("auditor-r", map[string]any{"roles": []int64{auditor}, "restricted": true})

		// A failed sign-in under an unknown name, which must not be stored.
		const typedName = "Hunter2-Typed-Into-The-Name-Field"
		if status, _ := newAPIClient(t, m).do("POST", "login", map[string]string{"username": typedName, "password": "whatever it is"}); status != 401 {
			t.Fatalf("unknown user sign-in: %d", status)
		}

		// A change to a case that carries the class, and one to a case
		// that carries none.
		withDemo(t, m, func(ctx context.Context, db *store.DB, _ *audit.Log) {
			if _, err := db.ExecContext(ctx, `INSERT INTO record_classes (record_type, record_id, class_id) VALUES (?, ?, ?)`, "case", 4242, class); err != nil {
				t.Fatal(err)
			}
		})
		sealed := appendEvent(t, m, audit.Event{Actor: audit.Actor{Kind: audit.ActorUser, ID: "1"}, SourceIP: "198.51.100.7",
			Action: "case.update", ObjectType: "case", ObjectID: "4242",
			Changes: []audit.Change{{Field: "title", Before: "Smith v. Jones (sealed)", After: "Smith v. Jones settlement"}},
			Details: map[string]string{"via": "sealed-detail"}})
		open := appendEvent(t, m, audit.Event{Actor: audit.Actor{Kind: audit.ActorUser, ID: "1"}, Action: "case.update",
			ObjectType: "case", ObjectID: "777", Changes: []audit.Change{{Field: "title", Before: "Open matter", After: "Open matter, renamed"}}})

		t.Run("Forbidden", func(t *testing.T) {
			paths := []string{"audit/events", "audit/events/1", "audit/records/user/1", "audit/export.csv", "audit/export.jsonl",
				"audit/checkpoint", "audit/proof/1", "audit/verifier-key", "audit/verify"}
			for _, p := range paths {
				status, body := plain.do("GET", p, nil)
				if status != 403 || !strings.HasPrefix(body, `{"error":{"code":"forbidden"`) || strings.Contains(body, "auth.login") {
					t.Errorf("GET %s without the audit area: %d %s", p, status, body)
				}
			}
			for _, p := range []string{"audit", "audit?action=auth.login", "audit/events/1", "audit/records/user/1", "audit/export.csv",
				"audit/export.jsonl", "audit/checkpoint", "audit/proof/1", "audit/verifier-key"} {
				status, _, body := plain.page(p)
				if status != 403 || strings.Contains(body, "auth.login") || strings.Contains(body, "strongroom/tenant/") {
					t.Errorf("page %s without the audit area: %d", p, status)
				}
			}
			// Auditors read; only administrators run a verification.
			if status, _ := withClass.do("GET", "audit/verify", nil); status != 403 {
				t.Errorf("verify by a reader who is no administrator: %d", status)
			}
		})

		t.Run("Filters", func(t *testing.T) {
			logins, _ := auditEvents(t, admin, "action=auth.login&limit=500")
			if len(logins) < 5 {
				t.Fatalf("%d sign-ins", len(logins))
			}
			for i, e := range logins {
				if e["action"] != "auth.login" || (i > 0 && num(e["seq"]) >= num(logins[i-1]["seq"])) {
					t.Fatalf("action=auth.login gave %v (newest first?)", e)
				}
			}
			adminLogins, _ := auditEvents(t, admin, "action=auth.login&actor=user:1")
			if len(adminLogins) == 0 || len(adminLogins) >= len(logins) {
				t.Fatalf("admin's sign-ins: %d of %d", len(adminLogins), len(logins))
			}
			for _, e := range adminLogins {
				if a := e["actor"].(map[string]any); a["kind"] != "user" || a["id"] != "1" {
					t.Fatalf("actor=user:1 gave %v", e)
				}
			}
			if bare, _ := auditEvents(t, admin, "action=auth.login&actor=1"); len(bare) != len(adminLogins) {
				t.Fatalf("actor=1 gave %d, actor=user:1 %d", len(bare), len(adminLogins))
			}
			hist, _ := auditEvents(t, admin, "object_type=case&object_id=777")
			if len(hist) != 1 || num(hist[0]["seq"]) != open {
				t.Fatalf("record filter: %v", hist)
			}
			past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
			future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
			if es, _ := auditEvents(t, admin, "from="+future); len(es) != 0 {
				t.Fatalf("from the future: %d events", len(es))
			}
			if es, _ := auditEvents(t, admin, "to="+past); len(es) != 0 {
				t.Fatalf("until an hour ago: %d events", len(es))
			}
			if es, _ := auditEvents(t, admin, "from="+past+"&to="+future+"&action=auth.login&limit=500"); len(es) != len(logins) {
				t.Fatalf("within the last hour: %d sign-ins, want %d", len(es), len(logins))
			}

			// Paging by seq, newest first, without gaps or overlaps.
			all, _ := auditEvents(t, admin, "limit=500")
			var paged []map[string]any
			query := "limit=3"
			for range 1000 {
				es, out := auditEvents(t, admin, query)
				paged = append(paged, es...)
				next, ok := out["next_before_seq"]
				if !ok {
					break
				}
				query = fmt.Sprintf("limit=3&before_seq=%d", num(next))
			}
			if len(paged) != len(all) || num(paged[0]["seq"]) != num(all[0]["seq"]) || num(paged[len(paged)-1]["seq"]) != 1 {
				t.Fatalf("paged %d events, listed %d", len(paged), len(all))
			}
			if _, out := auditEvents(t, admin, ""); len(out["events"].([]any)) != min(100, len(all)) {
				t.Fatalf("default page: %d events", len(out["events"].([]any)))
			}

			for _, bad := range []struct{ query, field string }{
				{"from=yesterday", "from"}, {"to=2024-02-30", "to"}, {"limit=501", "limit"}, {"limit=0", "limit"},
				{"limit=ten", "limit"}, {"before_seq=abc", "before_seq"}, {"before_seq=-4", "before_seq"},
				{"actor=robot:3", "actor"}, {"from=2024-05-02&to=2024-05-01", "to"},
			} {
				status, body := admin.do("GET", "audit/events?"+bad.query, nil)
				if status != 400 || !strings.Contains(body, `"field":"`+bad.field+`"`) {
					t.Errorf("?%s: %d %s", bad.query, status, body)
				}
			}
			if status, body := admin.do("GET", "audit/events/abc", nil); status != 400 || !strings.Contains(body, `"field":"seq"`) {
				t.Errorf("events/abc: %d %s", status, body)
			}
			if status, _ := admin.do("GET", "audit/events/999999", nil); status != 404 {
				t.Errorf("events/999999: %d", status)
			}
		})

		t.Run("PersonalValues", func(t *testing.T) {
			created, _ := auditEvents(t, admin, "action=user.create&object_id=2")
			if len(created) != 1 {
				t.Fatalf("user.create of user 2: %v", created)
			}
			found := false
			for _, c := range created[0]["changes"].([]any) {
				c := c.(map[string]any)
				if c["field"] == "username" && c["after"] == "plain" && c["personal"] == true {
					found = true
				}
			}
			if !found {
				t.Fatalf("the personal change is not shown opened: %v", created[0])
			}
		})

		t.Run("Redaction", func(t *testing.T) {
			secrets := []string{"Smith v. Jones", "sealed-detail"}
			leaks := func(body string) bool {
				for _, s := range secrets {
					if strings.Contains(body, s) {
						return true
					}
				}
				return false
			}
			for name, c := range map[string]*apiClient{"administrator without the class": admin, "auditor without the class": noClass} {
				status, body := c.do("GET", fmt.Sprintf("audit/events/%d", sealed), nil)
				if want := fmt.Sprintf(`{"event":{"seq":%d,"redacted":true}}`, sealed); status != 200 || strings.TrimSpace(body) != want {
					t.Errorf("%s, event %d: %d %s", name, sealed, status, body)
				}
				for _, p := range []string{"audit/events?object_type=case", "audit/records/case/4242", "audit/export.jsonl", "audit/export.csv",
					"audit/events?limit=500"} {
					if status, body := c.do("GET", p, nil); status != 200 || leaks(body) {
						t.Errorf("%s, %s: %d, leaks: %v", name, p, status, leaks(body))
					}
				}
				if status, _, body := c.page(fmt.Sprintf("audit/events/%d", sealed)); status != 200 || leaks(body) || !strings.Contains(body, "may not read") {
					t.Errorf("%s, event page: %d %v", name, status, leaks(body))
				}
				if status, _, body := c.page("audit/records/case/4242"); status != 200 || leaks(body) || !strings.Contains(body, "No events match") {
					t.Errorf("%s, history page: %d %v", name, status, leaks(body))
				}
				if status, body := c.do("GET", fmt.Sprintf("audit/proof/%d", sealed), nil); status != 403 || leaks(body) {
					t.Errorf("%s, proof of a redacted event: %d", name, status)
				}
				// A case without classes is theirs to read.
				if _, body := c.do("GET", fmt.Sprintf("audit/events/%d", open), nil); !strings.Contains(body, "Open matter, renamed") {
					t.Errorf("%s, unclassified case: %s", name, body)
				}
			}
			status, body := withClass.do("GET", fmt.Sprintf("audit/events/%d", sealed), nil)
			if status != 200 || !strings.Contains(body, "Smith v. Jones settlement") || !strings.Contains(body, `"redacted":false`) {
				t.Errorf("auditor with the class: %d %s", status, body)
			}
			if _, _, body := withClass.page(fmt.Sprintf("audit/events/%d", sealed)); !strings.Contains(body, "Smith v. Jones settlement") {
				t.Errorf("auditor with the class, event page lacks the change")
			}
			// A restricted reader without a class loses even unclassified
			// records, and still sees events about users.
			if _, body := restricted.do("GET", fmt.Sprintf("audit/events/%d", open), nil); strings.Contains(body, "Open matter") || !strings.Contains(body, `"redacted":true`) {
				t.Errorf("restricted auditor, unclassified case: %s", body)
			}
			if es, _ := auditEvents(t, restricted, "action=user.create&object_id=2"); len(es) != 1 || es[0]["redacted"] != false {
				t.Errorf("restricted auditor, user event: %v", es)
			}
		})

		t.Run("Exports", func(t *testing.T) {
			earlier, _ := auditEvents(t, admin, "action=audit.export&limit=500")
			logins, _ := auditEvents(t, admin, "action=auth.login&limit=500")
			status, body := admin.do("GET", "audit/export.csv?action=auth.login", nil)
			if status != 200 {
				t.Fatalf("CSV: %d %s", status, body)
			}
			rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil || len(rows) != len(logins)+1 || rows[0][0] != "seq" || rows[0][5] != "action" {
				t.Fatalf("CSV: %d rows for %d sign-ins, %v", len(rows), len(logins), err)
			}
			for i, r := range rows[1:] {
				if r[5] != "auth.login" || r[0] != fmt.Sprint(num(logins[i]["seq"])) {
					t.Fatalf("CSV row %d: %v", i, r)
				}
			}

			status, body = admin.do("GET", "audit/export.jsonl", nil)
			if status != 200 {
				t.Fatalf("JSONL: %d %s", status, body)
			}
			lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
			var failed []map[string]any
			for _, l := range lines {
				var e map[string]any
				if err := json.Unmarshal([]byte(l), &e); err != nil {
					t.Fatalf("JSONL line %q: %v", l, err)
				}
				if e["action"] == "auth.login_failed" {
					failed = append(failed, e)
				}
			}
			if num(mustFirst(t, lines)["seq"]) <= 1 || len(failed) == 0 {
				t.Fatalf("JSONL: %d lines, %d failed sign-ins", len(lines), len(failed))
			}
			// The unknown name is kept only as a keyed hash.
			if strings.Contains(strings.ToLower(body), strings.ToLower(typedName)) {
				t.Fatal("the export holds the user name typed at a failed sign-in")
			}
			if d := failed[0]["details"].(map[string]any); d["reason"] != "unknown_user" || len(fmt.Sprint(d["name_hash"])) != 64 {
				t.Fatalf("failed sign-in of an unknown user: %v", failed[0])
			}

			exports, _ := auditEvents(t, admin, "action=audit.export&limit=500")
			if len(exports) != len(earlier)+2 {
				t.Fatalf("%d export events after %d, want 2 more", len(exports), len(earlier))
			}
			if d := exports[0]["details"].(map[string]any); d["format"] != "jsonl" || exports[0]["actor"].(map[string]any)["id"] != "1" {
				t.Fatalf("the JSON Lines export's event: %v", exports[0])
			}
			if d := exports[1]["details"].(map[string]any); d["format"] != "csv" || d["filter_action"] != "auth.login" {
				t.Fatalf("the CSV export's event: %v", exports[1])
			}
			// The page download says it is one.
			status, header, _ := admin.page("audit/export.csv?action=auth.login")
			if status != 200 || !strings.HasPrefix(header.Get("Content-Disposition"), `attachment; filename="demo-audit-`) {
				t.Fatalf("page export: %d %v", status, header)
			}
		})

		t.Run("Tree", func(t *testing.T) {
			key := admin.must("GET", "audit/verifier-key", nil)["verifier_key"].(string)
			cp := admin.must("GET", "audit/checkpoint", nil)["checkpoint"].(string)
			if !strings.HasPrefix(cp, "strongroom/tenant/demo\n") {
				t.Fatalf("checkpoint: %q", cp)
			}
			status, bundle := admin.do("GET", "audit/proof/2", nil)
			if status != 200 || audit.VerifyProofBundle([]byte(bundle), key) != nil {
				t.Fatalf("proof: %d %s", status, bundle)
			}
			if status, header, body := admin.page("audit/proof/2"); status != 200 || !strings.Contains(header.Get("Content-Disposition"), "demo-audit-proof-2.json") ||
				audit.VerifyProofBundle([]byte(body), key) != nil {
				t.Fatalf("proof download: %d %v", status, header)
			}
			if status, header, body := admin.page("audit/checkpoint"); status != 200 || !strings.HasPrefix(header.Get("Content-Disposition"), "attachment") ||
				!strings.HasPrefix(body, "strongroom/tenant/demo\n") || !strings.HasPrefix(header.Get("Content-Type"), "text/plain") {
				t.Fatalf("checkpoint download: %d %v %q", status, header, body)
			}
			if _, _, body := admin.page("audit/verifier-key"); strings.TrimSpace(body) != key {
				t.Fatalf("verifier key page: %q", body)
			}
			rep := admin.must("GET", "audit/verify", nil)
			if rep["ok"] != true || num(rep["events"]) < 10 {
				t.Fatalf("verify: %v", rep)
			}
		})

		t.Run("Pages", func(t *testing.T) {
			status, _, body := admin.page("audit?action=auth.login")
			if status != 200 || !strings.Contains(body, "Audit trail") || !strings.Contains(body, "auth.login") || strings.Contains(body, "user.create") {
				t.Fatalf("list: %d", status)
			}
			status, _, body = admin.page("audit?limit=2")
			if status != 200 || !strings.Contains(body, "Older events") || !strings.Contains(body, "before_seq=") {
				t.Fatalf("paged list: %d", status)
			}
			status, _, body = admin.page("audit?from=yesterday")
			if status != 400 || !strings.Contains(body, `id="f-from-error"`) || !strings.Contains(body, `value="yesterday"`) {
				t.Fatalf("bad filter: %d %s", status, body)
			}
			status, _, body = admin.page(fmt.Sprintf("audit/events/%d", open))
			if status != 200 || !strings.Contains(body, "Open matter, renamed") || !strings.Contains(body, `<td class="value">Open matter</td>`) {
				t.Fatalf("event page: %d", status)
			}
			status, _, body = admin.page("audit/records/case/777")
			if status != 200 || !strings.Contains(body, "History of Case 777") || !strings.Contains(body, "Open matter, renamed") {
				t.Fatalf("history page: %d", status)
			}
			if status, _, _ := admin.page("audit/events/nope"); status != 400 {
				t.Fatalf("event page with a bad number: %d", status)
			}
		})
	})
}

func mustFirst(t *testing.T, lines []string) map[string]any {
	t.Helper()
	var e map[string]any
	if err := json.NewDecoder(bytes.NewReader([]byte(lines[0]))).Decode(&e); err != nil {
		t.Fatal(err)
	}
	return e
}
