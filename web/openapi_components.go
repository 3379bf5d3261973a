package web

import (
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/reports"
)

// apiSchemas are the named schemas of the API document: what the API
// answers (closed objects: every field is listed) and the error body.
func apiSchemas() map[string]*schema {
	areas := []string{}
	for _, a := range access.Areas() {
		areas = append(areas, string(a))
	}
	recordTypes := []string{}
	for _, t := range cases.RecordTypes() {
		recordTypes = append(recordTypes, string(t))
	}
	classes := ids("Ids of the security classes on the record; only users cleared for every one of them see it.")
	return map[string]*schema{
		"Error": object("Every refusal and fault has this body; the HTTP status says which kind it is.",
			f("error", object("",
				f("code", enum("What kind of error this is.", strongroom.EINVALID, strongroom.EUNAUTHORIZED, strongroom.EFORBIDDEN,
					strongroom.EDISABLED, strongroom.ENOTFOUND, strongroom.ECONFLICT, strongroom.ETOOMANY, strongroom.EPASSWORD,
					strongroom.EUNAVAILABLE, strongroom.ESTORAGE, strongroom.EINTERNAL)),
				f("message", str("A sentence for people; it never holds internal detail.")),
				f("field?", str("The input at fault: a JSON field (a.b for a nested one), a query or form parameter, or \"body\".")),
				f("errors?", arrayOf(object("", f("field", str("")), f("message", str(""))),
					"Every field at fault, when more than one is; field and message above are the first.")),
			))),
		"Deleted": object("", f("deleted", boolean("Always true."))),
		"Tenant":  object("", f("slug", str("")), f("display_name", str("The firm's name."))),

		"User": object("A user account.",
			f("id", integer("")), f("username", str("")), f("display_name", str("")), f("email", str("")),
			f("status", enum("", "active", "disabled")),
			f("restricted", boolean("A restricted user sees only records whose every security class they hold.")),
			f("password_temporary", boolean("The user must choose a new password at the next sign-in.")),
			f("locked", boolean("Locked after too many failed sign-ins.")),
			f("locked_at?", timestamp("When the account was locked; only while it is.")),
			f("failed_logins", integer("Failed sign-ins since the last success.")),
			f("totp_enabled", boolean("Two-factor sign-in is set up.")),
			f("roles", ids("Ids of the user's roles.")), f("classes", ids("Ids of the security classes the user holds.")),
			f("version", integer("Send it back with an edit; an edit based on an older version is refused (409).")),
			f("created_at", timestamp(""))),
		"Session": object("A signed-in browser session.",
			f("id", str("")), f("created_at", timestamp("")), f("last_seen_at", timestamp("")), f("expires_at", timestamp("")),
			f("source_ip", str("")), f("user_agent", str("")), f("current", boolean("The session this request came with."))),
		"Token": object("An API token (its secret is shown only once, when it is made).",
			f("id", integer("")), f("name", str("")), f("created_at", timestamp("")), f("expires_at", timestamp("")),
			f("revoked", boolean("")), f("scope", enum("What the token may do.", "full", "metrics:write")),
			f("last_used_at?", timestamp("Left out until the token is first used."))),
		"Role": object("A role: what it grants in each data area.",
			f("id", integer("")), f("name", str("")), f("description", str("")), f("builtin", boolean("Built-in roles cannot be deleted.")),
			f("grants", mapOf(enum("", "deny", "read", "edit"), "Grant by data area ("+strings.Join(areas, ", ")+"); an area left out grants nothing."))),
		"Class": object("A security class.", f("id", integer("")), f("name", str("")), f("description", str(""))),
		"Settings": object("The workspace's settings: sign-in, formatting and documents.",
			f("lockout_threshold", integer("Failed sign-ins that lock an account.")),
			f("auto_unlock_after_minutes", integer("A locked account unlocks itself after this long; 0: only an administrator unlocks it.")),
			f("mfa", enum("Who must sign in with a second factor: nobody (optional), administrators, or everyone.", "optional", "admins", "everyone")),
			f("idle_timeout_minutes", integer("A session ends after this long without a request.")),
			f("absolute_timeout_minutes", integer("A session ends this long after sign-in.")),
			f("locale", str("How numbers and dates are written on pages, e.g. en-GB.")),
			f("time_zone", str("The IANA time zone dates and times are shown in, e.g. Europe/London.")),
			f("currency", str("ISO 4217 code of the default currency of new financial records.")),
			f("max_upload_bytes", integer("The largest document upload, at most max_upload_ceiling_bytes.")),
			f("max_upload_ceiling_bytes", integer("The operator's limit on max_upload_bytes; read-only."))),

		"Case": object("A case (a matter).",
			f("id", integer("")), f("number", str("The firm's case number.")), f("title", str("")), f("client", str("")),
			f("practice_group", str("")), f("status", enum("", cases.Statuses()...)),
			f("opened_on", date("")), f("closed_on", date("Empty while the case is open.")),
			f("mdl_id", nullable(integer("The MDL group the case belongs to, or null."))),
			f("tags", arrayOf(str(""), "")), f("responsible", ids("Ids of the users responsible.")), f("classes", classes),
			f("version", integer("Send it back with an edit or a deletion.")), f("created_at", timestamp("")), f("updated_at", timestamp(""))),
		"CaseRef": object("A case named in another record.", f("id", integer("")), f("number", str("")), f("title", str("")),
			f("opened_on?", date("In search hits: the day the case was opened."))),
		"MDLGroup": object("A multi-district litigation group of cases.", f("id", integer("")), f("code", str("")), f("name", str(""))),
		"FinancialRecord": recordSchema("A financial record of a case.",
			f("kind", enum("", cases.FinancialKinds()...)),
			f("amount", &schema{Type: "string", Pattern: `^-?\d+(\.\d{1,4})?$`, Description: "An exact decimal amount, as a string.", Examples: []any{"1250.00"}}),
			f("currency", str("ISO 4217 code, e.g. GBP.")), f("occurred_on", date("")), f("description", str(""))),
		"ContactRecord": recordSchema("A contact's part in a case.",
			f("role", str("The contact's part in the case: client, opposing party, counsel, witness…")),
			f("contact", object("The contact, which may take part in several cases.", f("id", integer("")),
				f("kind", enum("", cases.ContactKinds()...)), f("name", str("")), f("email", str("")), f("phone", str("")),
				f("address", str(""))))),
		"Note": recordSchema("A note of a case.",
			f("title", str("")), f("body", str("Markdown.")), f("body_html?", str("The body rendered as safe HTML."))),
		"Event": recordSchema("An event or deadline of a case.",
			f("kind", enum("", cases.EventKinds()...)), f("title", str("")), f("due_on", date("")),
			f("remind_on", date("")), f("done", boolean(""))),
		"ImportReport": object("What an import did, or would do.",
			f("dry_run", boolean("")), f("valid", boolean("Every row can be imported.")), f("rows", integer("")),
			f("created", integer("Rows made; 0 for a dry run or a refusal.")), f("error_count", integer("")),
			f("errors", arrayOf(object("", f("line", integer("The line of the CSV file.")), f("field", str("The column.")),
				f("message", str(""))), "The errors found (capped; error_count has them all)."))),

		"Document": object("A document of a case: its current file and the record around it.",
			f("id", integer("")), f("case_id", integer("")), f("title", str("")), f("description", str("")),
			f("classes", classes), f("own_classes", boolean("The classes are the document's own, not its case's.")),
			f("current_version", integer("Number of the current file version.")), f("file", ref("FileVersion")),
			f("created_at", timestamp("")), f("updated_at", timestamp("")), f("version", integer("Send it back with an edit."))),
		"FileVersion": object("One uploaded file of a document.",
			f("number", integer("")), f("filename", str("")), f("content_type", str("As sniffed from the content.")),
			f("size", integer("Bytes.")), f("sha256", str("Hex SHA-256 of the content.")), f("created_at", timestamp("")),
			f("created_by", integer("Id of the user who uploaded it."))),

		"AuditEvent": object("An event of the audit trail.",
			f("seq", integer("Its number; events are numbered from 1 without gaps.")), f("time", timestamp("")),
			f("actor", object("", f("kind", str("user, token, operator, system or anonymous.")), f("id", str("")))),
			f("source_ip", str("")), f("action", str("e.g. case.update, auth.login")),
			f("object", object("", f("type", str("")), f("id", str("")))),
			f("redacted", boolean("Always false here; see AuditWithheld.")),
			f("subject?", str("The person whose personal data the event holds.")),
			f("changes", arrayOf(object("", f("field", str("")), f("before", anyValue("The value before; null when there was none.")), f("after", anyValue("The value after.")),
				f("personal", boolean("The values are personal data."))), "")),
			f("details", mapOf(str(""), "")), f("personal", mapOf(str(""), "Personal values, erasable on request.")),
			f("erased", boolean("The subject's personal values were erased on request."))),
		"AuditWithheld": object("An event its reader may not read: its number only.",
			f("seq", integer("")), f("redacted", boolean("Always true."))),
		"AuditEventOrWithheld": {OneOf: []*schema{ref("AuditEvent"), ref("AuditWithheld")}},
		"AuditPage": object("A page of events, newest first.",
			f("events", arrayOf(ref("AuditEventOrWithheld"), "")),
			f("next_before_seq?", integer("Pass as before_seq for the next page; left out on the last."))),

		"SearchHit": object("A record that matches.",
			f("type", enum("", recordTypes...)), f("id", integer("")), f("title", str("")),
			f("title_highlights", highlights("Where the searched words stand in the title.")),
			f("snippet", str("A piece of the text around the first word found, as plain text (escape it to show it).")),
			f("snippet_highlights", highlights("Where the searched words stand in the snippet.")),
			f("rank", &schema{Type: "number", Description: "Higher is better, within one search; 0 sorted by date."}),
			f("case", nullable(ref("CaseRef")))),
		"FacetCount":  object("", f("value", str("")), f("count", integer(""))),
		"ReportCount": object("", f("label", str("")), f("count", integer(""))),
		"MoneyTotal":  object("", f("currency", str("")), f("total", str("Exact decimal.")), f("count", integer(""))),
	}
}

// recordSchema is a record inside a case: its own fields and the ones
// every record has.
func recordSchema(desc string, own ...field) *schema {
	return object(desc, append(own,
		f("id", integer("")), f("case_id", integer("")),
		f("classes", ids("Ids of the record's security classes (its own, or its case's).")),
		f("own_classes", boolean("The classes are the record's own, not inherited from its case.")),
		f("version", integer("Send it back with an edit or a deletion.")),
		f("created_at", timestamp("")), f("updated_at", timestamp("")))...)
}

// financialGroupings are the groupings of the financial report.
func financialGroupings() []string { return reports.Groupings() }

// highlights are [start, end) places in a text, counted in Unicode code points.
func highlights(desc string) *schema {
	return arrayOf(&schema{Type: "array", Items: &schema{Type: "integer"}, Description: "[start, end), in code points."}, desc)
}
