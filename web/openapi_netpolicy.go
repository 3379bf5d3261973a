package web

import (
	"fmt"

	"strongroom/netpolicy"
)

func ipAllowlistSchema() *schema {
	entry := object("An allowed network.",
		f("cidr", str("A network (192.0.2.0/24, 2001:db8::/48); a single address is a /32 or /128.")),
		f("label", str("What the network is (\"London office\"); may be empty.")))
	return object("The tenant's IP allowlist. With no entries every address is allowed.",
		f("entries", arrayOf(entry, "In the order saved.")),
		f("version", integer("Send it back with PUT.")),
		f("updated_at", nullable(timestamp("null: never changed."))),
		f("your_address", str("The address this request came from, as the server sees it.")))
}

func (d *apiDocBuilder) netpolicyOps() {
	const tag = "Administration"
	list := wrap("ip_allowlist", ipAllowlistSchema())
	d.op("GET", "ip-allowlist", tag, "The IP allowlist").
		describe("Administrators only. A request from an address outside a non-empty list is answered 404 on every route of the tenant, as an unknown tenant is.").
		ok(200, "", list)
	entry := body("", f("cidr!", str("A network or one address.")), f("label", str(fmt.Sprintf("Up to %d characters.", netpolicy.MaxLabel))))
	d.op("PUT", "ip-allowlist", tag, "Replace the IP allowlist").
		describe(fmt.Sprintf("Administrators only; the whole list, at most %d entries, checked whole: each problem names its field (entries[2].cidr). "+
			"A non-empty list that leaves out the caller's own address is refused (400 naming entries) unless confirm_lockout is true. "+
			"A list changed since version is refused with 409. The operator's `strongroom tenant ip-allowlist SLUG --clear` lifts a list that locked everyone out.", netpolicy.MaxEntries)).
		json(body("", f("entries!", arrayOf(entry, "An empty list allows every address.")),
			f("version!", integer("The version being edited.")),
			f("confirm_lockout", boolean("true: save even though the caller's own address is left out.")))).
		ok(200, "Saved.", list)
}
