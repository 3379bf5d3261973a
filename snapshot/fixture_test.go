package snapshot

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"strongroom/audit"
	"strongroom/seed"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/tenancy"
)

// source is a tenant full of demo data, with a row in every table the
// demo leaves empty.
type source struct {
	h   *tenancy.Handle
	key []byte
}

func newSource(t *testing.T, e store.Engine, cases int) *source {
	t.Helper()
	ctx := context.Background()
	h, ids := seedtest.Tenant(t, e)
	if cases > 0 {
		if _, err := seed.Demo(store.WithTimeout(ctx, 0), h, ids, seed.DemoOptions{Cases: cases, Now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
	}
	fillGaps(t, h)
	return &source{h: h, key: h.DataKey()}
}

// fillGaps writes what the demo does not: sessions, tokens, recovery
// codes, failed sign-ins, a document version, settings, viewed cases, a
// subject key, enough audit events for the tree's stored nodes, and a
// signed checkpoint.
func fillGaps(t *testing.T, h *tenancy.Handle) {
	t.Helper()
	ctx := context.Background()
	var user int64
	if err := h.DB.QueryRowContext(ctx, `SELECT MIN(id) FROM users`).Scan(&user); err != nil {
		t.Fatal(err)
	}
	var doc, kase int64
	_ = h.DB.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 0) FROM documents`).Scan(&doc)
	_ = h.DB.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 0) FROM cases`).Scan(&kase)
	now := store.FormatTime(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	stmts := [][]any{
		{`INSERT INTO sessions (id_hash, public_id, user_id, stage, created_at, last_seen_at, expires_at, source_ip, user_agent)
			VALUES ('h1', 'p1', ?, 'full', ?, ?, ?, '192.0.2.1', 'test')`, user, now, now, now},
		{`INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES (?, 'ci', 'th1', ?, ?)`, user, now, now},
		{`INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, 'rc1')`, user},
		{`INSERT INTO login_failures (user_id, at, source_ip) VALUES (?, ?, '198.51.100.7')`, user, now},
		{`INSERT INTO tenant_settings (name, value) VALUES ('locale', 'de-DE')`},
		{`INSERT INTO security_settings (name, value) VALUES ('snapshot_test', 'ü – ✓')`},
		{`INSERT INTO metrics (id, name, label, unit, source, created_at, updated_at) VALUES (1, 'crm.pipeline', 'Pipeline €', 'EUR', 'pushed', ?, ?)`, now, now},
		{`INSERT INTO metric_points (metric_id, at, value, dims, dims_key) VALUES (1, ?, 1234.5678, '{"region":"north"}', 'k1'), (1, ?, -0.1, '{}', 'k2')`, now, now},
		{`UPDATE users SET totp_secret = ? WHERE id = ?`, []byte{0, 1, 2, 255}, user},
		{`INSERT INTO integrations (name, label, config, sealed_credentials, allow_http, interval_seconds, enabled, next_run_at,
			created_at, updated_at) VALUES ('crm', 'CRM', '{"url":"https://api.example.com/"}', ?, 1, 3600, 1, ?, ?, ?)`,
			[]byte{1, 9, 255}, now, now, now},
		{`INSERT INTO kiosk_links (label, token_hash, public_id, rotation_seconds, allowed_cidrs, areas, restricted, created_by, created_at, updated_at, view_count)
			VALUES ('Reception TV', 'kh1', 'ab12cd34', 30, '192.0.2.0/24', 'dashboards', 1, ?, ?, ?, 7)`, user, now, now},
		{`INSERT INTO kiosk_link_dashboards (link_id, dashboard_id, position) SELECT id, 3, 0 FROM kiosk_links WHERE token_hash = 'kh1'`},
		{`INSERT INTO security_classes (name, name_key) VALUES ('Lobby', 'lobby-kiosk-snapshot')`},
		{`INSERT INTO kiosk_link_classes (link_id, class_id) SELECT k.id, c.id FROM kiosk_links k, security_classes c
			WHERE k.token_hash = 'kh1' AND c.name_key = 'lobby-kiosk-snapshot'`},
		// The IP allowlist (migration 0016), its state row changed from the migration's.
		{`INSERT INTO ip_allowlist (position, cidr, label) VALUES (1, '192.0.2.0/24', 'Office'), (2, '2001:db8::/32', '')`},
		{`UPDATE ip_allowlist_state SET version = 3, updated_at = ? WHERE id = 1`, now},
		// A passkey (migration 0019).
		{`INSERT INTO passkey_users (user_id, handle) VALUES (?, 'uh1')`, user},
		{`INSERT INTO passkeys (user_id, credential_id, name, credential, sign_count, created_at) VALUES (?, 'c1', 'Laptop ✓', '{}', 4294967295, ?)`, user, now},
		// Single sign-on (migration 0017): a provider, a link and the policy changed.
		{`INSERT INTO sso_providers (id, kind, name, issuer, client_id, sealed_secret, allowed_domains, created_at, updated_at)
			VALUES (1, 'google', 'Google', '', 'client', ?, 'firm.example', ?, ?)`, []byte{3, 1, 4}, now, now},
		{`INSERT INTO sso_links (provider_id, issuer, subject, user_id, created_at) VALUES (1, 'https://accounts.google.com', 'g-1', ?, ?)`, user, now},
		{`UPDATE sso_policy SET provider_mfa = 1, version = 2, updated_at = ? WHERE id = 1`, now},
		// The provider access setting and a break-glass notice (migration 0020).
		{`INSERT INTO provider_access_settings (id, approval, updated_at) VALUES (1, 'required', ?)`, now},
		{`INSERT INTO provider_access_notices (grant_id, operator, reason, ticket, created_at) VALUES (12, 'jane.doe', 'break_glass', 'INC-7', ?)`, now},
		// A witness's size and cosignature (migration 0021).
		{`INSERT INTO witness_state (witness, url, size, updated_at) VALUES ('w1.example', 'https://w1.example', 4294967296, ?)`, now},
		{`INSERT INTO witness_cosignatures (witness, size, cosignature, created_at) VALUES ('w1.example', 4294967296, '— w1.example AAAA', ?)`, now},
	}
	// A group, a dashboard with a widget, shared with the group (migration 0011).
	stmts = append(stmts,
		[]any{`INSERT INTO user_groups (id, name, name_key, created_at, updated_at) VALUES (1, 'Partners', 'partners', ?, ?)`, now, now},
		[]any{`INSERT INTO user_group_members (group_id, user_id) VALUES (1, ?)`, user},
		[]any{`INSERT INTO dashboards (id, name, owner_id, created_at, updated_at) VALUES (1, 'Pipeline', ?, ?, ?)`, user, now, now},
		[]any{`INSERT INTO dashboard_widgets (id, dashboard_id, position, kind, title, source, options)
			VALUES (1, 1, 0, 'kpi', 'Open', 'case:open_by_status', '{"period":"last_30_days"}')`},
		[]any{`INSERT INTO dashboard_shares (dashboard_id, group_id, permission) VALUES (1, 1, 'view')`})
	// SCIM provisioning (migration 0018): a token, the user and the group
	// as the provider knows them, the group's role and the role it gave.
	stmts = append(stmts,
		[]any{`INSERT INTO scim_tokens (name, token_hash, created_at, created_by, last_used_at) VALUES ('Entra ID', 'sh1', ?, ?, ?)`, now, user, now},
		[]any{`INSERT INTO scim_users (user_id, sealed, created_at, updated_at) VALUES (?, ?, ?, ?)`, user, []byte{7, 0, 255}, now, now},
		[]any{`INSERT INTO scim_groups (group_id, external_id) VALUES (1, 'grp-1')`},
		[]any{`INSERT INTO scim_group_roles (group_id, role_id) SELECT 1, MIN(id) FROM roles`},
		[]any{`INSERT INTO scim_user_roles (user_id, role_id) SELECT ?, MIN(id) FROM roles`, user})
	if kase != 0 {
		stmts = append(stmts, []any{`INSERT INTO case_views (user_id, case_id, viewed_at) VALUES (?, ?, ?)`, user, kase, now},
			[]any{`INSERT INTO case_users (case_id, user_id) VALUES (?, ?)`, kase, user})
	}
	if doc != 0 {
		stmts = append(stmts, []any{`INSERT INTO document_versions (document_id, number, filename, content_type, size_bytes,
			sha256, storage_key, wrapped_key, created_at, created_by) VALUES (?, 1, 'a.pdf', 'application/pdf', 12, 'ab', 'k/1', ?, ?, ?)`,
			doc, []byte("wrapped"), now, user})
	}
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s[0].(string), s[1:]...); err != nil {
				return fmt.Errorf("%s: %w", s[0], err)
			}
		}
		events := make([]audit.Event, 300)
		for i := range events {
			events[i] = audit.Event{Actor: audit.Actor{Kind: audit.ActorSystem}, Action: "test.fill",
				ObjectType: "test", ObjectID: strconv.Itoa(i), SubjectID: "contact:1", Personal: map[string]string{"name": "Ann"}}
		}
		_, err := h.Audit.AppendBatch(ctx, tx, events)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Audit.SignTail(ctx); err != nil {
		t.Fatal(err)
	}
}

// target makes a new, migrated tenant database named slug on e.
func target(t testing.TB, e store.Engine, slug string) *store.DB {
	t.Helper()
	ctx := context.Background()
	placement, err := e.CreateTenantDB(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	db, err := e.OpenTenantDB(ctx, slug, placement)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exportT(t *testing.T, db *store.DB) ([]byte, Summary) {
	t.Helper()
	var buf bytes.Buffer
	sum, err := Export(context.Background(), db, t.TempDir(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Bytes != int64(buf.Len()) {
		t.Fatalf("summary says %d bytes, stream has %d", sum.Bytes, buf.Len())
	}
	return buf.Bytes(), sum
}

// dump returns a table's rows as sorted canonical strings: the same on
// both engines for the same values.
func dump(t *testing.T, db *store.DB, table string) []string {
	t.Helper()
	ctx := context.Background()
	tables, err := loadSchema(ctx, db, db.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	info := tables[table]
	if info == nil {
		t.Fatalf("no table %s in %s", table, db.Name)
	}
	rows, err := db.QueryContext(ctx, `SELECT `+quoteList(info.colNames())+` FROM `+quote(table))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	vals := make([]any, len(info.cols))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		for i, v := range vals {
			fmt.Fprintf(&b, "%s=%s ", info.cols[i].name, canonical(v))
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func canonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int64:
		return "i" + strconv.FormatInt(x, 10)
	case float64:
		return "f" + strconv.FormatUint(math.Float64bits(x), 16)
	case bool:
		if x {
			return "i1"
		}
		return "i0"
	case string:
		return "s" + strconv.Quote(x)
	case []byte:
		return "b" + hex.EncodeToString(x)
	}
	return fmt.Sprintf("?%T", v)
}

// sameTables compares every exported table of a and b row by row.
func sameTables(t *testing.T, a, b *store.DB) {
	t.Helper()
	names, err := ExportedTables(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		ra, rb := dump(t, a, n), dump(t, b, n)
		if !slices.Equal(ra, rb) {
			t.Errorf("table %s differs: %d rows in %s, %d in %s", n, len(ra), a.Name, len(rb), b.Name)
			for i := range min(len(ra), len(rb)) {
				if ra[i] != rb[i] {
					t.Errorf("first difference:\n%s\n%s", ra[i], rb[i])
					break
				}
			}
		}
	}
}

// verifyAudit opens the audit log of db as the tenant "firm" and checks
// the whole trail against its checkpoints.
func verifyAudit(t *testing.T, db *store.DB, key []byte) {
	t.Helper()
	ctx := context.Background()
	l, err := audit.Open(ctx, db, "firm", key, filepath.Join(t.TempDir(), "checkpoints"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := l.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("audit trail does not verify after import: %+v", rep.Problems)
	}
}
