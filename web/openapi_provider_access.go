package web

func (d *apiDocBuilder) providerAccessOps() {
	const tag = "Administration"
	action := object("An event of the tenant's audit trail under a grant.",
		f("seq", integer("The event's sequence number in the trail.")),
		f("at", timestamp("When it was written.")),
		f("actor", str("Who: operator:NAME, user:ID or system:.")),
		f("action", str("provider_access.*, operator.request (a page or API call) or operator.cli (a command).")),
		f("method?", str("For operator.request: the HTTP method.")),
		f("path?", str("For operator.request: the path (never the query).")),
		f("status?", str("For operator.request: the status answered.")))
	grant := object("An operator's request for access and the grant it became.",
		f("id", integer("The grant's number.")),
		f("operator", str("The operator's sign-in name.")),
		f("reason", enum("Why.", "support", "incident", "legal", "break_glass")),
		f("ticket", str("The ticket or case reference.")),
		f("scope", str("What it reaches, always read-only.")),
		f("state", enum("Where it stands.", "pending", "active", "denied", "expired", "revoked", "ended")),
		f("requested_at", timestamp("When it was filed.")),
		f("from", str("When access began; empty until granted.")),
		f("until", str("When access ends or ended; empty until granted.")),
		f("decided_by", str("Who approved or denied it (user:ID); empty otherwise.")),
		f("actions", arrayOf(action, "Empty in this answer; see the events operation.")))
	d.op("GET", "provider-access", tag, "Access by the service provider").
		describe("Administrators only (never an operator under a grant). The approval setting, every grant newest first, and the break-glass notices not yet acknowledged.").
		ok(200, "", object("", f("provider_access", object("", f("approval", enum("", "automatic", "required")), f("grants", arrayOf(grant, "")))),
			f("notices", arrayOf(object("A break-glass notice.", f("id", integer("")), f("grant", integer("")), f("operator", str("")),
				f("reason", str("")), f("ticket", str("")), f("created_at", timestamp(""))), ""))))
	d.op("PUT", "provider-access/approval", tag, "Set the approval of support requests").
		describe("automatic: customer-initiated support is granted at once; required: every request but break-glass waits for an administrator. Incidents and legal requests always wait.").
		json(body("", f("approval!", enum("", "automatic", "required")))).
		ok(200, "Saved.", object("", f("approval", str(""))))
	d.op("GET", "provider-access/grants/{id}/events", tag, "The trail of one grant").
		describe("Every change of state and every request the operator made under the grant, oldest first.").
		ok(200, "", object("", f("events", arrayOf(action, ""))))
	for _, a := range []struct{ verb, summary string }{{"approve", "Approve a pending request"}, {"deny", "Deny a pending request"}, {"revoke", "Revoke a running grant"}} {
		d.op("POST", "provider-access/grants/{id}/"+a.verb, tag, a.summary).
			describe("Administrators only; an operator's principal never decides. A request that is no longer pending (or a grant no longer running) is 409.").
			ok(200, "", object("", f("grant", grant)))
	}
	d.op("POST", "provider-access/notices/{id}/acknowledge", tag, "Acknowledge a break-glass notice").
		describe("The notice stops showing on administrators' pages; audited as provider_access.acknowledged.").
		ok(200, "", object("", f("acknowledged", boolean(""))))
}
