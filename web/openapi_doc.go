package web

import (
	"fmt"
	"net/http"
	"strings"

	"strongroom/cases"
	"strongroom/reports"
	"strongroom/search"
)

// apiDocBuilder collects the operations of the API document.
type apiDocBuilder struct{ doc *openAPIDoc }

// Tags group the operations, on the reference page in this order.
var apiTags = []openAPITag{
	{Name: "Reference", Description: "This document and its page. Public: no tenant data."},
	{Name: "Sign-in", Description: "Signing in and out, and the signed-in user's own account, sessions and API tokens."},
	{Name: "Administration", Description: "Users, roles, security classes and the workspace's settings (the administration area)."},
	{Name: "Cases", Description: "Cases, MDL groups and CSV imports."},
	{Name: "Case records", Description: "The records inside a case: financial records, contacts, notes and events."},
	{Name: "Documents", Description: "Documents of a case and their file versions."},
	{Name: "Search", Description: "Full-text search over everything the user may see."},
	{Name: "Reports", Description: "Counts, totals and deadlines, as JSON or CSV."},
	{Name: "Audit", Description: "The tamper-evident audit trail (read access to the audit area)."},
	{Name: "Metrics", Description: "Business metrics for dashboards: pushed points and figures computed from case data."},
	dashboardTag,
}

const apiDescription = `Strongroom's JSON API, version 1. Every tenant (firm) has its own API under
/api/v1/t/{slug}/; when the server addresses tenants by host name (--tenant-host-suffix),
https://SLUG.SUFFIX/api/v1/… is the same as /api/v1/t/SLUG/….

Authentication. Send an API token as "Authorization: Bearer <token>" (make one with
POST /api/v1/t/{slug}/me/tokens or on the API tokens page), or the session cookie
__Host-sr-{slug} that signing in sets (POST …/login, then …/login/code when two-factor sign-in
is on). A token acts as its user, with the same access; it cannot change the password or sign out.
A token of scope metrics:write may only push metric points; every other route refuses it (403).
A user whose password is temporary, or who must still set up two-factor sign-in, is refused
everything else with 403 password_change_required.

Cross-site requests. A state-changing request (POST, PUT, DELETE) that a browser sends from
another site is refused with 403 forbidden: the server checks Sec-Fetch-Site and Origin
against the request's host. Clients other than browsers send neither header and are not affected;
no CSRF token is needed. The session cookie is also SameSite=Lax.

Access. Every answer holds only what the caller may see: a record hidden from them by a security
class answers exactly like one that does not exist (404 not_found), in lists, counts and facets too.

Errors. Every error has the body {"error": {"code", "message", "field", "errors"}}; field names the
input at fault (a JSON field, a query parameter, or "body"), errors lists every field at fault when
there are several. 503 unavailable and 507 storage_full are faults of the server, with a Retry-After
header: try again later; nothing was changed.

Edits. Records carry a version. Send it back with PUT (and as ?version= with DELETE); an edit based
on an older version is refused with 409 conflict. In a PUT, a field left out keeps its value.`

// apiDocument builds the API document.
func apiDocument() *openAPIDoc {
	d := &apiDocBuilder{doc: &openAPIDoc{
		OpenAPI:           "3.1.0",
		JSONSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
		Info:              openAPIInfo{Title: "Strongroom API", Version: "1", Summary: "Cases, records, documents, search, reports and the audit trail of a firm.", Description: apiDescription},
		Servers:           []openAPIServer{{URL: "/", Description: "This Strongroom server"}},
		Security:          []securityRequirement{{"bearerToken": {}}, {"sessionCookie": {}}},
		Tags:              apiTags,
		Paths:             map[string]pathItem{},
		Components: openAPIComponents{Schemas: apiSchemas(), Responses: errorResponses(), SecuritySchemes: map[string]securityScheme{
			"bearerToken": {Type: "http", Scheme: "bearer", BearerFormat: "Strongroom API token",
				Description: "An API token of the tenant: Authorization: Bearer <token>. It expires after the days it was made for and can be revoked."},
			"sessionCookie": {Type: "apiKey", In: "cookie", Name: "__Host-sr-{slug}",
				Description: "The session cookie that signing in sets (its name ends in the tenant's slug). State-changing requests from other sites are refused."},
		}},
	}}
	d.referenceOps()
	d.signInOps()
	d.adminOps()
	d.erasureOps()
	d.backupOps()
	d.kioskOps()
	d.integrationOps()
	d.caseOps()
	for _, r := range recordDocs {
		d.recordOps(r)
	}
	d.documentOps()
	d.searchOps()
	d.reportOps()
	d.auditOps()
	d.metricsOps()
	d.dashboardOps()
	d.netpolicyOps()
	d.providerAccessOps()
	d.trustOps()
	d.passkeyOps()
	d.ssoOps()
	d.scimOps()
	return d.doc
}

// op adds an operation on path (under /api/v1/t/{slug}/ unless it starts
// with a slash) and returns it for the caller to complete. Every tenant
// operation may answer with the usual errors.
func (d *apiDocBuilder) op(method, path, tag, summary string) *apiOperation {
	if !strings.HasPrefix(path, "/") {
		path = "/api/v1/t/{slug}/" + path
	}
	o := &apiOperation{Tags: []string{tag}, Summary: summary, Responses: map[string]*apiResponse{},
		OperationID: operationID(method, path)}
	for _, name := range pathWildcards(path) {
		o.Parameters = append(o.Parameters, apiParameter{Name: name, In: "path", Required: true, Schema: pathParamSchema(name),
			Description: pathParamDescription(name)})
	}
	if strings.HasPrefix(path, "/api/v1/t/{slug}/") {
		for _, status := range []int{400, 401, 403, 404, 409, 500, 503, 507} {
			o.Responses[fmt.Sprint(status)] = errorResponse(status)
		}
	}
	if d.doc.Paths[path] == nil {
		d.doc.Paths[path] = pathItem{}
	}
	d.doc.Paths[path][strings.ToLower(method)] = o
	return o
}

// operationID names an operation from its method and path:
// GET /api/v1/t/{slug}/cases/{id} → get_cases_id.
func operationID(method, path string) string {
	rest := strings.TrimPrefix(strings.TrimPrefix(path, "/api/v1/t/{slug}"), "/api/v1")
	rest = strings.NewReplacer("{", "", "}", "", ".", "_", "-", "_").Replace(rest)
	parts := []string{strings.ToLower(method)}
	for _, p := range strings.Split(rest, "/") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 1 {
		parts = append(parts, "reference")
	}
	return strings.Join(parts, "_")
}

func pathParamSchema(name string) *schema {
	switch name {
	case "slug":
		return &schema{Type: "string", Pattern: "^[a-z0-9][a-z0-9-]*$"}
	case "id", "seq":
		return &schema{Type: "string", Pattern: `^\d+$`} // a malformed id is "not found", not a type error
	}
	return &schema{Type: "string"}
}

func pathParamDescription(name string) string {
	switch name {
	case "slug":
		return "The tenant (firm), as in /t/{slug}/."
	case "id":
		return "The record's id."
	case "seq":
		return "The audit event's number."
	}
	return ""
}

var statusText = map[int]string{
	400: "The input is not right: error.field names it. Nothing was changed.",
	401: "Not signed in, or the token or session is not valid (any more).",
	403: "Not allowed: no access, the workspace is disabled, or a temporary password must be changed first.",
	404: "No such record, or one the caller may not see; an unknown tenant answers the same.",
	409: "The record changed since the version sent, or a name is taken. Read it again and retry.",
	429: "Too many failed sign-ins; wait before trying again.",
	500: "Something unexpected failed; it is logged. Nothing internal is shown.",
	503: "The database did not answer in time. Retry after the Retry-After seconds; nothing was changed.",
	507: "The server's disk is full; nothing was saved. Retry after the Retry-After seconds.",
}

// errorResponse refers to the shared answer of an error status
// (components.responses, errorResponses).
func errorResponse(status int) *apiResponse {
	return &apiResponse{Ref: "#/components/responses/" + errorResponseName(status)}
}

func errorResponseName(status int) string { return "Error" + fmt.Sprint(status) }

// errorResponses are the answers of every error status, with the Error body.
func errorResponses() map[string]*apiResponse {
	out := map[string]*apiResponse{}
	for status := range statusText {
		r := &apiResponse{Description: statusText[status], Content: jsonContent(ref("Error"))}
		if status == 503 || status == 507 {
			r.Headers = map[string]apiHeader{"Retry-After": {Description: "Seconds to wait.", Schema: integer("")}}
		}
		out[errorResponseName(status)] = r
	}
	return out
}

func jsonContent(s *schema) map[string]mediaType {
	return map[string]mediaType{"application/json": {Schema: s}}
}

// ok sets the success answer: status with a JSON body.
func (o *apiOperation) ok(status int, desc string, s *schema) *apiOperation {
	if desc == "" {
		desc = "Done."
		if status == 200 {
			desc = "The answer."
		}
	}
	o.Responses[fmt.Sprint(status)] = &apiResponse{Description: desc, Content: jsonContent(s)}
	return o
}

// file sets the success answer: a file of the given media type.
func (o *apiOperation) file(desc string, mediaTypes ...string) *apiOperation {
	r := &apiResponse{Description: desc, Content: map[string]mediaType{},
		Headers: map[string]apiHeader{"Content-Disposition": {Description: "attachment; filename=…", Schema: str("")}}}
	for _, mt := range mediaTypes {
		r.Content[mt] = mediaType{Schema: &schema{Type: "string", ContentMediaType: mt}}
	}
	o.Responses["200"] = r
	return o
}

// json sets the request body: a JSON object, required.
func (o *apiOperation) json(s *schema) *apiOperation {
	o.RequestBody = &apiRequestBody{Required: true, Content: jsonContent(s)}
	return o
}

// query adds a query parameter.
func (o *apiOperation) query(name string, s *schema, desc string) *apiOperation {
	o.Parameters = append(o.Parameters, apiParameter{Name: name, In: "query", Schema: s, Description: desc})
	return o
}

// describe sets the operation's description.
func (o *apiOperation) describe(desc string) *apiOperation {
	o.Description = desc
	return o
}

// public marks an operation that needs no sign-in.
func (o *apiOperation) public() *apiOperation {
	o.Security = &[]securityRequirement{}
	delete(o.Responses, "401")
	for _, status := range []int{400, 500} { // the input check runs before every route
		o.Responses[fmt.Sprint(status)] = errorResponse(status)
	}
	return o
}

func (o *apiOperation) throttled() *apiOperation {
	o.Responses["429"] = errorResponse(429)
	return o
}

func (o *apiOperation) paged() *apiOperation {
	return o.query("cursor", str(""), "The next_cursor of the page before.").
		query("limit", &schema{Type: "string", Pattern: `^\d+$`}, fmt.Sprintf("Items per page (default %d, at most %d).", cases.DefaultPageSize, cases.MaxPageSize))
}

// wrap is an object with one property.
func wrap(name string, s *schema) *schema { return object("", f(name, s)) }

func flag(name, desc string) *schema { return object("", f(name, boolean(desc))) }

func (d *apiDocBuilder) referenceOps() {
	d.op(http.MethodGet, "/api/v1/openapi.json", "Reference", "This API document (OpenAPI 3.1)").public().
		describe("The same for every tenant: it holds no tenant data. Cached for an hour; send If-None-Match with its ETag to revalidate.").
		ok(200, "The document.", &schema{Type: "object", Description: "An OpenAPI 3.1 document."}).
		Responses["304"] = &apiResponse{Description: "Not modified (If-None-Match matched)."}
	d.op(http.MethodGet, "/api/v1/", "Reference", "The API reference page").public().
		describe("This document as a page for people.").
		Responses["200"] = &apiResponse{Description: "An HTML page.", Content: map[string]mediaType{"text/html": {Schema: str("")}}}
	d.op(http.MethodGet, "status", "Reference", "The tenant's status").public().
		describe("Whether the tenant's database answers. An unknown or disabled tenant answers 404 or 403.").
		ok(200, "The tenant answers.", object("", f("tenant", ref("Tenant")), f("status", enum("", "ok"))))
}

func (d *apiDocBuilder) signInOps() {
	const tag = "Sign-in"
	d.op("POST", "login", tag, "Sign in with a user name and password").public().throttled().
		describe("Sets the session cookie. When second_factor is true, send the code with POST login/code next; until then the session can do nothing else.").
		json(body("", f("username!", str("")), f("password!", str("")))).
		ok(200, "Signed in (or half-way: see second_factor).", object("", f("second_factor", boolean("A two-factor code must follow.")))).
		Responses["401"] = errorResponse(401)
	d.op("POST", "login/code", tag, "Finish signing in with a two-factor or recovery code").public().throttled().
		json(body("", f("code!", str("Six digits from the authenticator app, or a recovery code.")))).
		ok(200, "Signed in.", flag("signed_in", "Always true.")).
		Responses["401"] = errorResponse(401)
	d.op("POST", "logout", tag, "Sign out (ends this session)").ok(200, "Signed out; the cookie is cleared.", flag("signed_out", "Always true."))
	d.op("GET", "me", tag, "The signed-in user and their access").
		ok(200, "", object("", f("user", ref("User")),
			f("access", mapOf(enum("", "none", "read", "edit"), "The user's effective access to each data area.")),
			f("must_change_password", boolean("The password is temporary: change it before anything else.")),
			f("must_enrol_totp", boolean("Two-factor sign-in is required and not set up yet."))))
	d.op("POST", "me/password", tag, "Change the password").
		describe("Needs a session, not an API token. Ends the user's other sessions and sets a new cookie.").
		json(body("", f("current_password!", str("")), f("new_password!", str("At least 15 characters, not a common one.")))).
		ok(200, "Changed.", flag("changed", "Always true."))
	d.op("POST", "me/totp", tag, "Begin setting up two-factor sign-in").
		ok(200, "A new secret; confirm it with a code from the app.", object("", f("secret", str("Base32.")), f("url", str("otpauth:// URL for a QR code."))))
	d.op("POST", "me/totp/confirm", tag, "Confirm two-factor sign-in with a first code").
		json(body("", f("code!", str("")))).
		ok(200, "Two-factor sign-in is on; keep the recovery codes.", object("", f("recovery_codes", arrayOf(str(""), "Each works once, instead of a code."))))
	d.op("GET", "me/sessions", tag, "The user's sessions").ok(200, "", wrap("sessions", arrayOf(ref("Session"), "")))
	d.op("DELETE", "sessions/{id}", tag, "End a session").ok(200, "Ended.", flag("ended", "Always true."))
	d.op("GET", "me/tokens", tag, "The user's API tokens").ok(200, "", wrap("tokens", arrayOf(ref("Token"), "")))
	newToken := recordCopy(apiSchemas()["Token"], f("token", str("The secret: send it as Authorization: Bearer <token>. Shown only this once.")))
	d.op("POST", "me/tokens", tag, "Make an API token").
		json(body("", f("name!", str("What it is for.")), f("expires_in_days!", &schema{Type: "integer", Minimum: ptr(1), Maximum: ptr(366)}),
			f("scope", enum("full (default): acts with all the user's access; metrics:write: may only push metric points (POST metrics/points), every other route answers 403.", "full", "metrics:write")))).
		ok(201, "Made.", newToken)
	d.op("DELETE", "tokens/{id}", tag, "Revoke an API token").ok(200, "Revoked.", flag("revoked", "Always true."))
}

// erasureOps describes the subject access export and the erasure of a
// data subject (package erasure).
func (d *apiDocBuilder) erasureOps() {
	const tag = "Administration"
	kinds := func(o *apiOperation) *apiOperation {
		for i := range o.Parameters {
			switch o.Parameters[i].Name {
			case "type":
				o.Parameters[i].Schema = enum("", "contact", "user")
				o.Parameters[i].Description = "contact: a contact of cases; user: a user account that is disabled (or deleted)."
			case "id":
				o.Parameters[i].Description = "The contact's or the user's id."
			}
		}
		return o
	}
	change := object("", f("field", str("")), f("before?", anyValue("")), f("after?", anyValue("")))
	event := object("", f("seq", integer("")), f("time", timestamp("")), f("action", str("")),
		f("actor", str("kind:id, as user:3, or system.")), f("source_ip?", str("")), f("object_type", str("")), f("object_id", str("")),
		f("changes?", arrayOf(change, "Personal values opened.")), f("details?", mapOf(str(""), "")),
		f("personal?", mapOf(str(""), "Personal values of the event, opened.")))
	export := object("Everything the workspace holds about one person.",
		f("subject", str("contact:12 or user:3.")), f("kind", enum("", "contact", "user")), f("id", integer("")),
		f("exported_at", timestamp("")),
		f("fields", mapOf(str(""), "The person's fields: a contact's kind, name, email, phone, address and notes; a user's username, display_name, email, status and created_at.")),
		f("cases", arrayOf(object("", f("case_id", integer("")), f("number", str("")), f("title", str("")),
			f("role", str("The contact's role, or responsible for a user.")), f("record_id?", integer("The contact's part in the case.")),
			f("deleted", boolean("The part or the case is deleted (kept for 30 days)."))), "The cases that name them, those the caller may see.")),
		f("documents", arrayOf(object("", f("document_id", integer("")), f("version", integer("")), f("filename", str("")),
			f("uploaded_at", timestamp(""))), "File versions a user uploaded.")),
		f("audit_events", arrayOf(event, "Audit events about them, oldest first, those the caller may read.")),
		f("more_audit_events", boolean("There were more audit events than the export holds (10,000).")))
	kinds(d.op("GET", "subjects/{type}/{id}/export", tag, "Export a person's personal data (subject access)")).
		describe("Administrators only. Audited as subject.export (the subject id only). A person already erased, or one that only cases hidden from the caller name, is 404.").
		ok(200, "", export)
	kinds(d.op("POST", "subjects/{type}/{id}/erase", tag, "Erase a person's personal data")).
		describe("Administrators only; cannot be undone. The person's key is destroyed, so their fields and the personal values of audit events about them can no longer be read, here or in any backup; their parts in cases, search entries and mentions in documents, notes and other free text are removed or rewritten to [erased]. An active user must be disabled first (409). Audited as subject.erase with the subject id only, and kept in the erasure ledger that a restore reapplies.").
		ok(200, "Erased.", object("", f("subject", str("contact:12 or user:3.")), f("erased_at", timestamp(""))))
}

func (d *apiDocBuilder) adminOps() {
	const tag = "Administration"
	userBody := func(required bool) *schema {
		name := "username"
		if required {
			name += "!"
		}
		return body("Fields left out keep their values.", f(name, str("")), f("display_name", str("")), f("email", str("")),
			f("restricted", boolean("")), f("roles", ids("Role ids.")), f("classes", ids("Security class ids.")),
			f("version", integer("Required with PUT: the version being edited.")))
	}
	d.op("GET", "users", tag, "List users").ok(200, "", wrap("users", arrayOf(ref("User"), "")))
	d.op("POST", "users", tag, "Create a user").describe("The user gets a temporary password, shown once, to change at the first sign-in.").
		json(userBody(true)).ok(201, "Created.", object("", f("user", ref("User")), f("temporary_password", str("Shown only this once."))))
	d.op("GET", "users/{id}", tag, "A user").ok(200, "", wrap("user", ref("User")))
	d.op("PUT", "users/{id}", tag, "Change a user").json(userBody(false)).ok(200, "Changed.", wrap("user", ref("User")))
	d.op("DELETE", "users/{id}", tag, "Delete a user").ok(200, "Deleted.", ref("Deleted"))
	act := d.op("POST", "users/{id}/{action}", tag, "Disable, enable, unlock a user or reset their password or two-factor sign-in").
		describe("reset-password answers with a new temporary password; the others with the action done.").
		ok(200, "Done.", &schema{OneOf: []*schema{object("", f("done", enum("", "disable", "enable", "unlock", "reset-totp"))),
			object("", f("temporary_password", str("Shown only this once.")))}})
	act.Parameters[len(act.Parameters)-1].Schema = enum("", "disable", "enable", "unlock", "reset-totp", "reset-password")
	d.op("GET", "users/{id}/sessions", tag, "A user's sessions").ok(200, "", wrap("sessions", arrayOf(ref("Session"), "")))
	d.op("GET", "users/{id}/login-failures", tag, "A user's recent failed sign-ins").
		ok(200, "", wrap("failures", arrayOf(object("", f("at", timestamp("")), f("source_ip", str(""))), "")))

	roleBody := body("", f("name!", str("")), f("description", str("")),
		f("grants", mapOf(enum("", "none", "deny", "read", "edit"), "Grant by data area; deny overrides what other roles grant.")))
	d.op("GET", "roles", tag, "List roles").ok(200, "", wrap("roles", arrayOf(ref("Role"), "")))
	d.op("POST", "roles", tag, "Create a role").json(roleBody).ok(201, "Created.", wrap("role", ref("Role")))
	d.op("GET", "roles/{id}", tag, "A role").ok(200, "", wrap("role", ref("Role")))
	d.op("PUT", "roles/{id}", tag, "Change a role").describe("Replaces the role's name, description and grants.").
		json(roleBody).ok(200, "Changed.", wrap("role", ref("Role")))
	d.op("DELETE", "roles/{id}", tag, "Delete a role").ok(200, "Deleted.", ref("Deleted"))

	d.op("GET", "classes", tag, "List security classes").ok(200, "", wrap("classes", arrayOf(ref("Class"), "")))
	d.op("POST", "classes", tag, "Create a security class").json(body("", f("name!", str("")), f("description", str("")))).
		ok(201, "Created.", wrap("class", ref("Class")))
	d.op("DELETE", "classes/{id}", tag, "Delete a security class").ok(200, "Deleted.", ref("Deleted"))

	settings := body("Fields left out keep their values; every field sent is checked before any is saved.",
		f("lockout_threshold", integer("")), f("auto_unlock_after_minutes", integer("")),
		f("mfa", enum("Who must sign in with a second factor: nobody (optional), administrators, or everyone.", "optional", "admins", "everyone")), f("idle_timeout_minutes", integer("")), f("absolute_timeout_minutes", integer("")),
		f("locale", str("")), f("time_zone", str("")), f("currency", str("")), f("max_upload_bytes", integer("")))
	d.op("GET", "settings", tag, "The workspace's settings").ok(200, "", wrap("settings", ref("Settings")))
	d.op("PUT", "settings", tag, "Change the workspace's settings").json(settings).ok(200, "Changed.", wrap("settings", ref("Settings")))
}

func (d *apiDocBuilder) caseOps() {
	const tag = "Cases"
	caseBody := body("On PUT, fields left out keep their values.",
		f("number", str("Left empty on create: the next number is given.")), f("title", str("")), f("client", str("")),
		f("practice_group", str("")), f("status", enum("", cases.Statuses()...)), f("opened_on", date("")), f("closed_on", date("")),
		f("mdl_id", integer("The MDL group; 0 takes the case out of its group.")), f("tags", arrayOf(str(""), "")),
		f("responsible", ids("User ids.")), f("classes", ids("Security class ids.")),
		f("version", integer("Required with PUT: the version being edited.")))
	listCases := func(o *apiOperation) *apiOperation {
		return o.query("q", str(""), "Cases whose number, title or client contains this, in any case.").
			query("status", enum("", cases.Statuses()...), "").
			query("practice_group", str(""), "In any case.").query("tag", str(""), "").
			query("mdl_id", &schema{Type: "string", Pattern: `^\d+$`}, "Cases of this MDL group.").
			query("responsible", &schema{Type: "string", Pattern: `^\d+$`}, "Cases this user (id) is responsible for; not for restricted users.").
			query("mine", enum("", "true", "false", "1", "0"), "Only cases the caller is responsible for.").
			query("sort", enum("", cases.SortNumber, cases.SortTitle, cases.SortClient, cases.SortStatus, cases.SortOpened, cases.SortUpdated),
				"The order (default: number); dates sort newest first unless dir says otherwise.").
			query("dir", enum("", cases.Asc, cases.Desc), "The direction of the order.")
	}
	listCases(d.op("GET", "cases", tag, "List cases")).
		query("page", &schema{Type: "string", Pattern: `^-?\d+$`}, "A page by number (from 1), instead of a cursor.").
		paged().
		ok(200, "A page of cases.", object("",
			f("cases", arrayOf(ref("Case"), "")), f("next_cursor", str("Empty on the last page.")),
			f("total", integer("How many cases match, counted up to a limit.")), f("more", boolean("The total stopped at its limit; there are more.")),
			f("limit", integer("Cases a page.")), f("page?", integer("With page: this page's number.")), f("pages?", integer("With page: how many pages."))))
	listCases(d.op("GET", "cases/export.csv", tag, "Export the case list as CSV")).
		describe("Every case the filter selects, in its order, one a row after a header line. The export is recorded in the audit trail first. Cells that a spreadsheet would read as a formula start with '.").
		file("The cases.", "text/csv")
	d.op("POST", "cases", tag, "Create a case").json(caseBody).ok(201, "Created.", wrap("case", ref("Case")))
	d.op("GET", "cases/{id}", tag, "A case").ok(200, "", wrap("case", ref("Case")))
	d.op("PUT", "cases/{id}", tag, "Change a case").json(caseBody).ok(200, "Changed.", wrap("case", ref("Case")))
	d.op("DELETE", "cases/{id}", tag, "Delete a case (it can be restored for 30 days)").
		query("version", &schema{Type: "string", Pattern: `^\d+$`}, "The version being deleted.").
		ok(200, "Deleted.", ref("Deleted"))
	d.op("GET", "mdl-groups", tag, "List MDL groups").ok(200, "", wrap("mdl_groups", arrayOf(ref("MDLGroup"), "")))
	d.op("POST", "mdl-groups", tag, "Create an MDL group").json(body("", f("code!", str("")), f("name!", str("")))).
		ok(201, "Created.", wrap("mdl_group", ref("MDLGroup")))
	for _, what := range []string{"cases", "financial"} {
		o := d.op("POST", "import/"+what, tag, "Import "+what+" from CSV").
			describe("The body is the CSV file (text/csv). All rows are imported or none; a refusal carries the report with every error. With dry_run=true the file is only checked.").
			query("dry_run", enum("", "true", "false", "1", "0"), "Only check the file.").
			ok(200, "Imported, or checked.", wrap("import", ref("ImportReport")))
		o.RequestBody = &apiRequestBody{Required: true, Content: map[string]mediaType{"text/csv": {Schema: &schema{Type: "string", ContentMediaType: "text/csv"}}}}
		refusal := &schema{OneOf: []*schema{ref("Error"), object("The import was refused: the report says why.",
			f("error", apiSchemas()["Error"].Properties["error"]), f("import", ref("ImportReport")))}}
		for _, status := range []int{400, 409} {
			o.Responses[fmt.Sprint(status)] = &apiResponse{Description: statusText[status] + " A refusal of the file carries its report.",
				Content: jsonContent(refusal)}
		}
	}
}

// recordDoc describes one type of record inside a case for the document.
type recordDoc struct {
	path, one, schema, name string
	body                    *schema
}

var recordDocs = []recordDoc{
	{"financial", "financial_record", "FinancialRecord", "financial record", body("classes [] makes the record inherit its case's; left out, they stay.",
		f("kind", enum("", cases.FinancialKinds()...)), f("amount", str("A decimal string, e.g. \"1250.00\"; never a JSON number.")),
		f("currency", str("")), f("occurred_on", date("")), f("description", str("")), f("classes", ids("")), f("version", integer("Required with PUT.")))},
	{"contacts", "contact", "ContactRecord", "contact", body("On create, contact_id adds a contact the user already sees in another case.",
		f("contact_id", integer("")), f("kind", enum("", cases.ContactKinds()...)), f("name", str("")), f("email", str("")),
		f("phone", str("")), f("address", str("")), f("role", str("")), f("classes", ids("")), f("version", integer("Required with PUT.")))},
	{"notes", "note", "Note", "note", body("", f("title", str("")), f("body", str("Markdown.")), f("classes", ids("")),
		f("version", integer("Required with PUT.")))},
	{"events", "event", "Event", "event", body("", f("kind", enum("", cases.EventKinds()...)), f("title", str("")),
		f("due_on", date("")), f("remind_on", date("")), f("done", boolean("")), f("classes", ids("")), f("version", integer("Required with PUT.")))},
}

func (d *apiDocBuilder) recordOps(r recordDoc) {
	const tag = "Case records"
	d.op("GET", "cases/{id}/"+r.path, tag, "List a case's "+plural(r.name)).paged().
		ok(200, "A page.", object("", f(r.path, arrayOf(ref(r.schema), "")), f("next_cursor", str("Empty on the last page."))))
	d.op("POST", "cases/{id}/"+r.path, tag, "Add a "+r.name+" to a case").json(r.body).ok(201, "Added.", wrap(r.one, ref(r.schema)))
	d.op("GET", r.path+"/{id}", tag, "A "+r.name).ok(200, "", wrap(r.one, ref(r.schema)))
	d.op("PUT", r.path+"/{id}", tag, "Change a "+r.name).json(r.body).ok(200, "Changed.", wrap(r.one, ref(r.schema)))
	d.op("DELETE", r.path+"/{id}", tag, "Delete a "+r.name).
		query("version", &schema{Type: "string", Pattern: `^\d+$`}, "The version being deleted.").ok(200, "Deleted.", ref("Deleted"))
}

func plural(name string) string {
	if name == "financial record" {
		return "financial records"
	}
	return name + "s"
}

func (d *apiDocBuilder) documentOps() {
	const tag = "Documents"
	upload := func(desc string, fields ...field) *apiRequestBody {
		fields = append(fields, f("file!", &schema{Type: "string", ContentMediaType: "application/octet-stream", Description: "The file: the last part of the form."}))
		return &apiRequestBody{Required: true, Description: desc, Content: map[string]mediaType{"multipart/form-data": {Schema: body("", fields...)}}}
	}
	d.op("GET", "cases/{id}/documents", tag, "List a case's documents").ok(200, "", wrap("documents", arrayOf(ref("Document"), "")))
	o := d.op("POST", "cases/{id}/documents", tag, "Upload a document").
		describe("multipart/form-data; the file must be the last part. The tenant's upload limit applies.").
		ok(201, "Uploaded.", wrap("document", ref("Document")))
	o.RequestBody = upload("", f("title", str("Default: the file name.")), f("description", str("")),
		f("classes", str("Comma-separated security class ids (or the field repeated).")))
	d.op("GET", "documents/{id}", tag, "A document").ok(200, "", wrap("document", ref("Document")))
	d.op("PUT", "documents/{id}", tag, "Change a document's title, description or classes").
		json(body("", f("title", str("")), f("description", str("")), f("classes", ids("")), f("version!", integer("The version being changed.")))).
		ok(200, "Changed.", wrap("document", ref("Document")))
	del := d.op("DELETE", "documents/{id}", tag, "Delete a document (it can be restored for 30 days)").
		describe("Send the version as ?version=N or as the body {\"version\": N}.").
		query("version", &schema{Type: "string", Pattern: `^\d+$`}, "The version being deleted.").ok(200, "Deleted.", ref("Deleted"))
	del.RequestBody = &apiRequestBody{Content: jsonContent(body("", f("version!", integer(""))))}
	d.op("GET", "documents/{id}/versions", tag, "A document's file versions").ok(200, "", wrap("versions", arrayOf(ref("FileVersion"), "")))
	o = d.op("POST", "documents/{id}/versions", tag, "Upload a new file version").ok(201, "Uploaded.", wrap("document", ref("Document")))
	o.RequestBody = upload("", f("version!", str("The document's version being changed.")))
	d.op("GET", "documents/{id}/download", tag, "Download a document's file").
		describe("Always an attachment, with the sniffed type; never cached. The download is in the audit trail.").
		query("version", &schema{Type: "string", Pattern: `^\d+$`}, "A file version's number; default the current.").
		file("The file.", "*/*")
}

func (d *apiDocBuilder) searchOps() {
	types := []string{}
	for _, t := range cases.RecordTypes() {
		types = append(types, string(t))
	}
	facets := func(desc string) *schema { return arrayOf(ref("FacetCount"), desc) }
	d.op("GET", "search", "Search", "Search everything the user may see").
		query("q", str(""), "Words to find; \"quoted phrases\" too.").
		query("type", str(""), "Record types, comma-separated or repeated: "+strings.Join(types, ", ")+".").
		query("status", enum("", cases.Statuses()...), "Of the case.").
		query("practice_group", str(""), "Of the case.").
		query("opened_from", date(""), "Cases opened on or after.").query("opened_to", date(""), "Cases opened on or before.").
		query("class", &schema{Type: "string", Pattern: `^\d+$`}, "Records with this security class.").
		query("sort", enum("", search.SortRelevance, search.SortDate), "relevance (best match first, the default) or date (newest case first; hits whose case you may not see come last).").
		query("cursor", str(""), "The next_cursor of the page before, in the same order.").
		query("limit", &schema{Type: "string", Pattern: `^\d+$`}, fmt.Sprintf("Hits per page (default %d, at most %d).", search.DefaultLimit, search.MaxLimit)).
		ok(200, "Hits, best first.", object("",
			f("hits", arrayOf(ref("SearchHit"), "")), f("sort", enum("", search.SortRelevance, search.SortDate)),
			f("total", integer("Hits in all.")), f("more", boolean("There are more pages.")),
			f("ranked_in_windows", boolean("So many matched that ranking was done page by page.")),
			f("next_cursor", str("Empty on the last page.")),
			f("facets", object("Counts by type, case status and practice group.", f("types", facets("")), f("statuses", facets("")),
				f("practice_groups", facets(""))))))
}

func (d *apiDocBuilder) reportOps() {
	const tag = "Reports"
	// Every report covers a range of days; without from and to, every day.
	dated := func(o *apiOperation, what string) *apiOperation {
		return o.query("from", date(""), what+" on or after (YYYY-MM-DD).").query("to", date(""), what+" on or before (YYYY-MM-DD).")
	}
	rng := f("range", object("The days covered (null: no bound).", f("from", nullable(date(""))), f("to", nullable(date("")))))
	dated(d.op("GET", "reports/cases", tag, "Cases by status and practice group"), "Cases opened").
		ok(200, "", object("", rng, f("total", integer("")),
			f("rows", arrayOf(object("", f("status", str("")), f("practice_group", str("")), f("count", integer(""))), "")),
			f("statuses", arrayOf(ref("ReportCount"), "")), f("practice_groups", arrayOf(ref("ReportCount"), ""))))
	dated(d.op("GET", "reports/financial", tag, "Financial totals"), "Records that occurred").
		query("by", enum("", financialGroupings()...), "How to group (default kind; by month the newest first).").
		ok(200, "Exact decimal totals by currency.", object("", f("by", enum("", financialGroupings()...)), rng,
			f("rows", arrayOf(object("", f("key", str("")), f("currency", str("")), f("total", str("")), f("count", integer("")),
				f("case_id?", integer("With by=case.")), f("label?", str("With by=case: the case's number and title."))), "")),
			f("totals", arrayOf(ref("MoneyTotal"), ""))))
	dated(d.op("GET", "reports/deadlines", tag, "Open deadlines, soonest first"), "Deadlines due").
		query("limit", &schema{Type: "string", Pattern: `^\d+$`}, fmt.Sprintf("1 to %d (default %d); the CSV has them all.", maxDeadlines, defaultDeadlines)).
		ok(200, "", object("", f("today", date("")), rng, f("total", integer("")), f("buckets", arrayOf(ref("ReportCount"), "Overdue, this week, …")),
			f("deadlines", arrayOf(object("", f("id", integer("")), f("title", str("")), f("due_on", date("")), f("overdue", boolean("")),
				f("case", nullable(ref("CaseRef")))), ""))))
	o := d.op("GET", "reports/{name}/csv", tag, "A report as CSV").
		describe("The export is recorded in the audit trail first.").
		query("by", str(""), "For the financial report: "+strings.Join(financialGroupings(), ", ")+"; the other reports ignore it.").
		query("from", date(""), "The first day covered (as the report's own from).").query("to", date(""), "The last day covered.").
		file("The report.", "text/csv")
	o.Parameters[1].Schema = enum("", reports.CasesReport, reports.FinancialReport, reports.DeadlinesReport)
}

func (d *apiDocBuilder) auditOps() {
	const tag = "Audit"
	filter := func(o *apiOperation, record bool) *apiOperation {
		if !record {
			o.query("object_type", str(""), "e.g. case, document, user.").query("object_id", str(""), "")
		}
		return o.query("actor", str(""), "user:ID, token:ID, operator:ID, system or anonymous.").
			query("action", str(""), "e.g. case.update.").
			query("from", str(""), "From this time or date (RFC 3339, or YYYY-MM-DD).").
			query("to", str(""), "Up to this time or date.").
			query("before_seq", &schema{Type: "string", Pattern: `^\d+$`}, "Events before this number: the next page.").
			query("limit", &schema{Type: "string", Pattern: `^\d+$`}, fmt.Sprintf("1 to %d (default %d).", auditMaxPage, auditPageSize))
	}
	filter(d.op("GET", "audit/events", tag, "List audit events, newest first"), false).
		describe("Events the reader may not read are listed by number only (AuditWithheld).").ok(200, "", ref("AuditPage"))
	d.op("GET", "audit/events/{seq}", tag, "An audit event").ok(200, "", wrap("event", ref("AuditEventOrWithheld")))
	rec := filter(d.op("GET", "audit/records/{type}/{id}", tag, "A record's history"), true).ok(200, "", ref("AuditPage"))
	rec.Parameters[1].Description = "The record's type, as in object.type."
	rec.Parameters[2].Schema = str("")
	rec.Parameters[2].Description = "The record's id, as in object.id."
	filter(d.op("GET", "audit/export.csv", tag, "Export events as CSV"), false).
		describe("Every event the filter selects (limit is ignored). The export is itself recorded first.").file("CSV, one event a row.", "text/csv")
	filter(d.op("GET", "audit/export.jsonl", tag, "Export events as JSON Lines"), false).
		describe("As the CSV export, one AuditEvent or AuditWithheld a line.").file("JSON Lines.", "application/x-ndjson")
	d.op("GET", "audit/checkpoint", tag, "The latest signed checkpoint").
		ok(200, "", object("", f("checkpoint", str("A signed note: the tree size and root hash.")), f("verifier_key", str("The note verifier key."))))
	d.op("GET", "audit/proof/{seq}", tag, "An event's proof bundle").
		describe("The event's stored bytes, its inclusion proof and the checkpoint, for checking offline. Refused for an event the reader may not read.").
		ok(200, "", &schema{Type: "object", Description: "The proof bundle."})
	d.op("GET", "audit/verifier-key", tag, "The key that checkpoints are signed with").
		ok(200, "", object("", f("verifier_key", str("")), f("origin", str("The checkpoint's origin line."))))
	d.op("GET", "audit/verify", tag, "Verify the whole trail (administrators)").
		ok(200, "", object("", f("ok", boolean("")), f("events", integer("Events read and hashed.")),
			f("checkpoints", integer("Signed checkpoints checked.")), f("first_bad_seq", integer("0 when no event is at fault.")),
			f("problems", arrayOf(str(""), ""))))
}

// recordCopy is s with more fields.
func recordCopy(s *schema, more ...field) *schema {
	c := *s
	c.Properties = map[string]*schema{}
	for k, v := range s.Properties {
		c.Properties[k] = v
	}
	c.order = append([]string(nil), s.order...)
	c.Required = append([]string(nil), s.Required...)
	for _, fl := range more {
		c.Properties[fl.name] = fl.schema
		c.order = append(c.order, fl.name)
		c.Required = append(c.Required, fl.name)
	}
	return &c
}

func ptr(n int64) *int64 { return &n }
