package web

import (
	"fmt"

	"strongroom/sso"
)

func (d *apiDocBuilder) ssoOps() {
	const tag = "Administration"
	prov := object("An OpenID Connect identity provider of the tenant.",
		f("id", integer("")),
		f("kind", enum("google, entra (Microsoft Entra ID) or oidc (any other provider by its issuer).", sso.KindGoogle, sso.KindEntra, sso.KindOIDC)),
		f("name", str("Shown on the sign-in button: \"Sign in with <name>\".")),
		f("issuer", str("The issuer ID tokens must carry: Google's, the directory's own for Entra (never the multi-tenant common one), or the one configured.")),
		f("client_id", str("The client id registered at the provider.")),
		f("client_secret", str("\"set\" when a secret is stored; the secret itself is never shown again.")),
		f("allowed_domains", arrayOf(str(""), "Google: the hosted domains (hd) allowed; others: the e-mail domains identities must belong to (and just-in-time users are created for).")),
		f("directory_id", str("Entra only: the firm's directory (tenant) id, checked against the tid claim.")),
		f("mfa_acr", arrayOf(str(""), "acr values that count as a second factor done at the provider (besides amr mfa, otp, hwk, sc).")),
		f("redirect_uri", str("The redirect URI to register at the provider for this tenant.")),
		f("version", integer("Send it back with PUT.")),
		f("updated_at", timestamp("")))
	provBody := body("",
		f("kind", enum("Required on POST; an update keeps the kind.", sso.KindGoogle, sso.KindEntra, sso.KindOIDC)),
		f("name!", str("1 to 60 characters, unique in the tenant.")),
		f("issuer", str("oidc only: the issuer URL, https:// only.")),
		f("client_id!", str("")),
		f("client_secret", str("Required on POST. On PUT, empty keeps the stored one. Sealed with the tenant's key.")),
		f("allowed_domains", arrayOf(str(""), fmt.Sprintf("Domain names, at most %d; required for Google.", sso.MaxDomains))),
		f("directory_id", str("Entra only: 8-4-4-4-12 hexadecimal digits; common, organizations and consumers are refused.")),
		f("mfa_acr", arrayOf(str(""), "")),
		f("version", integer("Required on PUT: the version edited; an older one is refused with 409.")))
	pre := "sso/providers"
	d.op("GET", pre, tag, "List identity providers").describe("Administrators only.").
		ok(200, "", wrap("providers", arrayOf(prov, "By name.")))
	d.op("POST", pre, tag, "Add an identity provider").
		describe("Administrators only; audited as sso.provider_create (never the secret). Every problem names its field.").
		json(provBody).ok(201, "Created.", wrap("provider", prov))
	d.op("GET", pre+"/{id}", tag, "An identity provider").describe("Administrators only.").ok(200, "", wrap("provider", prov))
	d.op("PUT", pre+"/{id}", tag, "Change an identity provider").
		describe("Administrators only; audited as sso.provider_update. A provider changed since version is refused with 409.").
		json(provBody).ok(200, "Changed.", wrap("provider", prov))
	d.op("DELETE", pre+"/{id}", tag, "Delete an identity provider").
		describe("Administrators only; its links go with it (audited as sso.provider_delete with their number).").
		ok(200, "Deleted.", ref("Deleted"))

	pol := object("The tenant's single sign-on policy.",
		f("sso_only", boolean("Password sign-in is refused to everyone but the break-glass user.")),
		f("break_glass_user_id", integer("The administrator still allowed a password (0: none).")),
		f("provider_mfa", boolean("The provider's second factor (amr or a configured acr) stands for Strongroom's own.")),
		f("jit", boolean("Unknown identities of a provider's allowed domains, with a verified e-mail, are created as users at their first sign-in.")),
		f("jit_role_ids", ids("Roles of users created just in time.")),
		f("jit_class_ids", ids("Security classes of users created just in time.")),
		f("version", integer("Send it back with PUT.")))
	d.op("GET", "sso/policy", tag, "The single sign-on policy").describe("Administrators only.").ok(200, "", wrap("policy", pol))
	d.op("PUT", "sso/policy", tag, "Change the single sign-on policy").
		describe("Administrators only; audited as sso.policy_update. sso_only needs break_glass_user_id naming an active, unlocked administrator (400 naming the field); jit needs a role. A policy changed since version is refused with 409.").
		json(body("", f("sso_only", boolean("")), f("break_glass_user_id", integer("")), f("provider_mfa", boolean("")),
			f("jit", boolean("")), f("jit_role_ids", ids("")), f("jit_class_ids", ids("")), f("version!", integer("The version edited.")))).
		ok(200, "Saved.", wrap("policy", pol))

	link := object("An identity at a provider, named by issuer and subject (never by e-mail), linked to a user.",
		f("id", integer("")), f("provider_id", integer("")), f("issuer", str("")), f("subject", str("The sub claim.")),
		f("user_id", integer("")), f("created_at", timestamp("")), f("last_used_at", nullable(timestamp("null: never used."))))
	d.op("GET", "sso/links", tag, "List linked identities").describe("Administrators only.").
		query("user_id", &schema{Type: "string", Pattern: `^\d+$`}, "Only this user's links.").
		ok(200, "", wrap("links", arrayOf(link, "By user.")))
	d.op("POST", "sso/links", tag, "Link an identity to a user").
		describe("Administrators only; audited as sso.link. An identity linked already, to this user or another, is refused with 409 (field subject).").
		json(body("", f("provider_id!", integer("")), f("subject!", str("The identity's sub claim, at most 255 characters.")), f("user_id!", integer("")))).
		ok(201, "Linked.", wrap("link", link))
	d.op("DELETE", "sso/links/{id}", tag, "Unlink an identity").
		describe("Administrators only; audited as sso.unlink. The identity can no longer sign in.").ok(200, "Deleted.", ref("Deleted"))
}
