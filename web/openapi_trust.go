package web

func trustReportSchema() *schema {
	section := func(desc string) *schema { return mapOf(anyValue(""), desc) }
	report := object("The report. Its canonical encoding (these fields, in this order, as Go's encoding/json writes them) is what is signed.",
		f("format", str("\"strongroom trust report v1\".")),
		f("tenant", str("The tenant's slug.")),
		f("origin", str("The audit log's checkpoint origin, strongroom/tenant/SLUG.")),
		f("generated_at", timestamp("When the report was made.")),
		f("verifier_key", str("The tenant's public key, informational: verify with the key you pinned.")),
		f("audit", section("The audit tree verified up to a signed checkpoint: verified, events, problems, tree_size, root_hash, checkpoint (the signed note) and the witnesses' cosignatures.")),
		f("consistency?", section("Present when a kept checkpoint was checked: old_size, old_root, new_size, verified, result, proof.")),
		f("operator_access", section("since, and events: each audit event by the operator's staff or about their access (seq, time, actor, action, object, source_ip, details).")),
		f("tls", section("mode, min_version, cipher_suites, notes.")),
		f("policies", arrayOf(section("area, name, value."), "Sign-in lockout, two-factor, sessions, IP allowlist and single sign-on.")),
		f("backups", section("targets (name, last_backup, ok, detail), last_drill, drill_ok, notes.")),
		f("erasures", section("applied, reapplied, entries.")),
		f("build", section("module, version, go_version, vcs_revision, vcs_time, vcs_modified, dependencies, vuln_scan (null: not scanned), scan_note.")))
	return object("A trust report signed with the tenant's audit key. Verify it offline: `strongroom verify --offline FILE --key KEY [--witness-key K]…`.",
		f("report", report),
		f("signature", str("A signed note (golang.org/x/mod/sumdb/note) by the tenant's audit key over the text \"strongroom trust report v1\\nsha256 HEX\\n\", HEX the SHA-256 of the report's canonical encoding.")))
}

func (d *apiDocBuilder) trustOps() {
	const tag = "Administration"
	d.op("GET", "trust-report", tag, "The trust report").
		describe("Administrators only. Verifies the audit trail and returns the signed report of every promise: the audit tree and its witnesses' cosignatures, operator accesses since `since` (a day, YYYY-MM-DD; default 90 days ago), TLS, sign-in and network policies, backups, erasures and the build. Audited as trust.report.").
		query("since", date("Operator accesses from this day."), "").
		ok(200, "", trustReportSchema())
}
