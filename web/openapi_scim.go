package web

func scimTokenSchema() *schema {
	return object("A SCIM token: never its secret.",
		f("id", integer("")),
		f("name", str("What holds it (\"Entra ID\").")),
		f("created_at", timestamp("")),
		f("created_by", integer("The administrator who made it.")),
		f("last_used_at", nullable(timestamp("null: never used."))),
		f("revoked_at", nullable(timestamp("null: live."))))
}

func scimGroupSchema() *schema {
	return object("A group the identity provider keeps, with the roles its members hold because of it.",
		f("group_id", integer("")),
		f("group_name", str("")),
		f("members", integer("How many users belong to it.")),
		f("role_ids", arrayOf(integer(""), "Ascending.")))
}

func (d *apiDocBuilder) scimOps() {
	const tag = "Administration"
	d.op("GET", "scim/tokens", tag, "SCIM tokens").
		describe("Administrators only. The tokens an identity provider provisions users and groups with, at base_url (/scim/v2/t/{slug}), newest first.").
		ok(200, "", object("", f("scim_tokens", arrayOf(scimTokenSchema(), "")), f("base_url", str("The SCIM base URL to give the provider."))))
	d.op("POST", "scim/tokens", tag, "Make a SCIM token").
		describe("Administrators signed in (an API token cannot make one). The secret is in this answer only; send it as Authorization: Bearer to the SCIM endpoint.").
		json(body("", f("name!", str("Up to 100 characters.")))).
		ok(201, "Made.", object("", f("scim_token", scimTokenSchema()), f("secret", str("Shown once.")), f("base_url", str(""))))
	d.op("POST", "scim/tokens/{id}/revoke", tag, "Revoke a SCIM token").
		describe("Administrators only. The next SCIM request with it is refused with 401. A token already revoked is 404.").
		ok(200, "Revoked.", wrap("scim_token", scimTokenSchema()))
	d.op("GET", "scim/groups", tag, "Provider groups and their roles").
		describe("Administrators only.").
		ok(200, "", object("", f("scim_groups", arrayOf(scimGroupSchema(), ""))))
	d.op("PUT", "scim/groups/{id}/roles", tag, "Map a provider group to roles").
		describe("Administrators only. Replaces the roles; every member gains or loses them at once (a role an administrator gave directly is never taken away). Unknown role ids are refused with 400 naming roles.").
		json(body("", f("role_ids!", arrayOf(integer(""), "An empty list gives none.")))).
		ok(200, "Saved.", wrap("scim_group", scimGroupSchema()))
}
