package web

import (
	"fmt"

	"strongroom/integrations"
)

// connectorSchema is how an integration fetches its metric: everything
// but the credential. In a request every field may be left out (the
// service names what is missing); in an answer the settings a connector
// always has are always there.
func connectorSchema(request bool) *schema {
	need := func(name string) string {
		if request {
			return name + "?"
		}
		return name
	}
	text := func(desc string) *schema { return str(desc) }
	pagination := object("How every page of a response is fetched.",
		f(need("kind"), enum("", integrations.PageNone, integrations.PageNext, integrations.PageNumber, integrations.PageOffset)),
		f("next_url?", text("For next_url: the path to the next page's URL in a response.")),
		f("param?", text("For page and offset: the parameter that carries it.")),
		f("start?", integer("The first page number (default 1) or offset (0).")),
		f("max_pages?", integer(fmt.Sprintf("The most pages fetched (1 to %d, default %d); a pull with more fails rather than stop short.", integrations.MaxMaxPages, integrations.DefaultMaxPages))))
	auth := object("The authentication, without its secret (that is the credential).",
		f(need("kind"), enum("", integrations.AuthNone, integrations.AuthAPIKey, integrations.AuthBearer, integrations.AuthBasic, integrations.AuthOAuth2)),
		f("header?", text("api_key: the header the key goes in …")),
		f("query_param?", text("… or the query parameter.")),
		f("username?", text("basic: the user name.")),
		f("client_id?", text("oauth2: the client id.")),
		f("token_url?", text("oauth2: the token endpoint, https:// only unless allow_http.")),
		f("scopes?", arrayOf(str(""), "oauth2: the scopes asked for.")))
	return object("How the integration fetches one metric. It never holds a credential: header and parameter names that look like one are refused.",
		f(need("url"), text("https:// only, unless allow_http is true.")),
		f(need("method"), enum("Default GET.", "GET", "POST")),
		f("headers?", mapOf(str(""), "Extra request headers.")),
		f("query?", mapOf(str(""), "Extra query parameters.")),
		f("body?", text("A JSON body, sent with POST.")),
		f("items?", text("The path to the elements of the response that become values (results[*]); absent: the whole response is one.")),
		f(need("value"), text("The path to the value within each item (properties.amount).")),
		f("time?", text("The path to the value's time within each item; absent: the time of the pull.")),
		f("dims?", mapOf(str(""), "Dimensions: name → path within each item.")),
		f(need("metric"), text("The metric the values are written to (crm.deal_amount).")),
		f(need("pagination"), pagination),
		f(need("auth"), auth))
}

// integrationOps describes the integrations API.
func (d *apiDocBuilder) integrationOps() {
	const tag = "Administration"
	credential := enum("Whether a credential is stored, sealed; the credential itself is never shown again.", credentialSet, credentialNotSet)
	it := object("An integration: a metric pulled from a third-party JSON API on a schedule. Never its credential.",
		f("id", integer("")), f("name", str("A short key: lower-case letters, digits and '-'.")), f("label", str("")),
		f("preset", str("The preset it was made from, or empty.")), f("config", connectorSchema(false)),
		f("allow_http", boolean("An administrator allowed plain http:// for this integration: its credential and data travel unencrypted.")),
		f("interval_seconds", integer("How often it is pulled.")), f("enabled", boolean("")), f("credential", credential),
		f("last_run_at?", timestamp("")), f("last_success_at?", timestamp("")),
		f("last_error", str("Why the last pull failed, with the credential redacted; empty after a success.")),
		f("failures", integer("Failed pulls in a row.")), f("next_run_at?", timestamp("")),
		f("created_at", timestamp("")), f("updated_at", timestamp("")),
		f("version", integer("Send it back with PUT.")))
	itBody := body("On PUT, fields left out keep their values.",
		f("name", str("")), f("label", str("")), f("preset", str("A preset's name: fills config when config.url is empty.")),
		f("config", connectorSchema(true)),
		f("allow_http", boolean("Allow plain http:// URLs for this integration (audited as integration.allow_http).")),
		f("interval_seconds", integer(fmt.Sprintf("From %d (15 minutes) to %d (7 days); default %d.",
			int(integrations.MinInterval.Seconds()), int(integrations.MaxInterval.Seconds()), int(integrations.DefaultInterval.Seconds())))),
		f("enabled", boolean("Default true on POST.")),
		f("credential", str("The API key, access token, password or client secret, as config.auth.kind says. Given, it replaces the one stored; left out or null, it is kept. Stored sealed; never shown again.")),
		f("version", integer("Required on PUT: the version the change was made from; an older one is refused with 409 conflict. Not read on POST.")))
	point := object("A value the pull would write.", f("metric", str("")), f("at", timestamp("")),
		f("value", &schema{Type: "number", Description: ""}), f("dimensions", mapOf(str(""), "")))
	pre := "integrations"
	d.op("GET", pre, tag, "List integrations").describe("Needs read access to administration.").
		ok(200, "", wrap("integrations", arrayOf(it, "By label.")))
	d.op("POST", pre, tag, "Create an integration").
		describe("Administrators only. A plain http:// URL is refused (400, field config.url) unless allow_http is true. The credential is sealed with the tenant's key; answers only say it is set. The new integration is due at once.").
		json(itBody).ok(201, "Created.", wrap("integration", it))
	d.op("GET", pre+"/{id}", tag, "An integration").describe("Needs read access to administration.").
		ok(200, "", wrap("integration", it))
	d.op("PUT", pre+"/{id}", tag, "Change an integration").
		describe("Administrators only. Send the version read: an integration changed since is refused with 409 conflict (field version) and left as it is. A changed config, or one enabled again, is due at once.").
		json(itBody).ok(200, "Changed.", wrap("integration", it))
	d.op("DELETE", pre+"/{id}", tag, "Delete an integration and its credential").
		describe("Administrators only. Values it already wrote stay.").ok(200, "Deleted.", ref("Deleted"))
	d.op("POST", pre+"/{id}/test", tag, "Test an integration").
		describe(fmt.Sprintf("Administrators only. Fetches once, as a pull would, and answers with the values it would write (the first %d), "+
			"writing none and leaving the integration's status as it was; or why the pull failed, with the credential redacted. "+
			"The test is audited (integration.test): it sent the credential out.", maxTestPoints)).
		ok(200, "The test ran.", object("", f("ok", boolean("The pull would have succeeded.")),
			f("total", integer("Values the pull would write.")), f("points", arrayOf(point, "")),
			f("error?", object("Why the pull failed.", f("code", enum("", "unavailable", "invalid")), f("message", str(""))))))
}
