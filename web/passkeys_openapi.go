package web

func passkeySchema() *schema {
	return object("A passkey (WebAuthn credential) of a user; its key never leaves the user's device.",
		f("id", integer("")), f("name", str("Up to 100 characters.")), f("created_at", timestamp("")),
		f("last_used_at?", timestamp("Left out until the passkey is first used.")))
}

func (d *apiDocBuilder) passkeyOps() {
	list := wrap("passkeys", arrayOf(passkeySchema(), ""))
	session := "Needs a session, not an API token. Adding a passkey takes the browser's WebAuthn call: it is done on the account page."
	d.op("GET", "me/passkeys", "Sign-in", "The user's passkeys").ok(200, "", list)
	d.op("PUT", "me/passkeys/{id}", "Sign-in", "Rename a passkey").describe(session).
		json(body("", f("name!", str("1 to 100 characters.")))).ok(200, "Renamed.", wrap("passkey", passkeySchema()))
	d.op("DELETE", "me/passkeys/{id}", "Sign-in", "Remove a passkey").describe(session).ok(200, "Removed.", flag("removed", "Always true."))
	d.op("GET", "users/{id}/passkeys", "Administration", "A user's passkeys").ok(200, "", list)
	d.op("DELETE", "users/{id}/passkeys/{rid}", "Administration", "Remove a user's passkey").
		describe("Administrators, with a session: for a lost or stolen device. It stops signing the user in at once.").
		ok(200, "Removed.", flag("removed", "Always true."))
	setting := object("", f("passkey_sign_in", boolean("Users may sign in with a passkey alone, without their password.")))
	d.op("GET", "settings/passkeys", "Administration", "The passkey setting").ok(200, "", setting)
	d.op("PUT", "settings/passkeys", "Administration", "Change the passkey setting").
		describe("Administrators only; audited as a settings change.").
		json(body("", f("passkey_sign_in!", boolean("")))).ok(200, "Saved.", setting)
}
