package web

import (
	"fmt"

	"strongroom/dashboards"
)

// dashboardTag groups the operations on dashboards, widgets and shares.
var dashboardTag = openAPITag{Name: "Dashboards",
	Description: "Dashboards, their widgets and the groups they are shared with. A dashboard is visible to its owner and to members of the groups it is shared with, to users who hold the dashboards area; to anyone else it does not exist (404)."}

func widgetOptionsSchema() *schema {
	return object("How the widget shows its source; on input every option may be left out for its default.",
		f("period", enum("Default last_30_days.", dashboards.Periods()...)),
		f("from?", date("Start of a custom period.")),
		f("to?", date("End of a custom period: after from, at most 5 years later.")),
		f("bucket?", enum("timeseries, bar and table only; default month.", dashboards.Buckets()...)),
		f("aggregation", enum("Default sum.", dashboards.Aggregations()...)),
		f("style?", enum("timeseries only; default line.", dashboards.Styles()...)),
		f("target?", &schema{Type: "string", Pattern: `^-?[0-9]{1,15}(\.[0-9]{1,6})?$`, Description: "kpi only: the goal, a decimal number written exactly."}),
		f("refresh_seconds", &schema{Type: "integer", Minimum: ptr(dashboards.MinRefreshSeconds), Maximum: ptr(dashboards.MaxRefreshSeconds), Description: "Default 300."}),
		f("width", &schema{Type: "integer", Minimum: ptr(1), Maximum: ptr(dashboards.MaxWidth), Description: "Grid columns; default 1 for a kpi, 2 otherwise."}),
		f("group_by?", &schema{Type: "string", Pattern: `^[a-z][a-z0-9_]{0,39}$`, Description: "Not for a kpi: split the figures by this dimension of the source (status, practice_group, or a pushed metric's own)."}),
		f("currency?", &schema{Type: "string", Pattern: `^[A-Z]{3}$`, Description: "Money figures only: the ISO 4217 currency shown; default the tenant's currency for a kpi, one series per currency for a chart."}))
}

// widgetOptionsInput is the options object as a request sends it: every
// option optional.
func widgetOptionsInput() *schema {
	s := widgetOptionsSchema()
	s.Required = nil
	return s
}

func widgetSchema() *schema {
	return object("A panel of a dashboard.",
		f("id", integer("")), f("position", integer("From 0, in the dashboard's order.")),
		f("kind", enum("", dashboards.Kinds()...)), f("title", str("")),
		f("source", str("A stored metric (crm.pipeline) or case data (case:open).")),
		f("options", widgetOptionsSchema()), f("version", integer("")))
}

func shareSchema() *schema {
	return object("A share of the dashboard with a group.",
		f("group_id", integer("")), f("group_name", str("")), f("permission", enum("", "view", "edit")))
}

func dashboardSchema() *schema {
	return object("A dashboard.",
		f("id", integer("")), f("name", str("")), f("description", str("")),
		f("owner_id", nullable(integer("The user who made it; null once that account is deleted."))),
		f("permission", enum("The caller's: owner, or the share of a group of theirs.", "owner", "edit", "view")),
		f("can_edit", boolean("The caller may change it now.")),
		f("widget_count", integer("")), f("version", integer("")),
		f("created_at", timestamp("")), f("updated_at", timestamp("")),
		f("widgets?", arrayOf(widgetSchema(), "In order; not in lists.")),
		f("shares?", arrayOf(shareSchema(), "Only for a caller who may change the dashboard; not in lists.")))
}

func groupSchema() *schema {
	return object("A group of users that dashboards are shared with.",
		f("id", integer("")), f("name", str("Unique whatever its letter case.")), f("description", str("")),
		f("source", enum("sso: kept by single sign-on; its members are not changed here.", dashboards.SourceLocal, dashboards.SourceSSO)),
		f("members", integer("How many users belong to it.")), f("version", integer("")),
		f("created_at", timestamp("")), f("updated_at", timestamp("")))
}

func (d *apiDocBuilder) dashboardOps() {
	tag := dashboardTag.Name
	dash := wrap("dashboard", dashboardSchema())
	dashBody := func(required bool) *schema {
		name := "name"
		if required {
			name += "!"
		}
		return body("", f(name, str("1 to 100 characters.")), f("description", str("Up to 500 characters.")),
			f("version", integer("Required with PUT: the version being edited.")))
	}
	d.op("GET", "dashboards", tag, "List the dashboards the caller may see").
		describe("Their own and those shared with a group of theirs, by name. 403 without the dashboards area.").
		ok(200, "", wrap("dashboards", arrayOf(dashboardSchema(), "")))
	d.op("POST", "dashboards", tag, "Create a dashboard").describe("Needs the dashboards area at edit. The caller owns it; it is shared with nobody.").
		json(dashBody(true)).ok(201, "Created.", dash)
	d.op("GET", "dashboards/{id}", tag, "A dashboard with its widgets").ok(200, "", dash)
	d.op("PUT", "dashboards/{id}", tag, "Rename or describe a dashboard").
		describe("Owner, or a group share with edit, and the dashboards area at edit; a viewer is refused with 403.").
		json(dashBody(false)).ok(200, "Changed.", dash)
	d.op("DELETE", "dashboards/{id}", tag, "Delete a dashboard").
		describe("Takes its widgets and shares with it and cannot be undone, so it needs confirm=true (400 naming confirm otherwise) and the version seen.").
		query("version", &schema{Type: "string", Pattern: `^\d+$`}, "The version being deleted.").
		query("confirm", enum("", "true", "false"), "true: the caller confirmed the deletion.").
		ok(200, "Deleted.", ref("Deleted"))
	d.op("POST", "dashboards/{id}/duplicate", tag, "Copy a dashboard").
		describe("Any dashboard the caller may see, with the dashboards area at edit. The copy has the widgets, no shares, and the caller as owner.").
		json(body("", f("name", str("Default: Copy of the original's name.")))).ok(201, "Copied.", dash)
	d.op("PUT", "dashboards/{id}/order", tag, "Put the widgets in a new order").
		json(body("", f("order!", ids("Every widget id of the dashboard, once, in the order wanted.")),
			f("version!", integer("The dashboard's version; the order moves it on.")))).ok(200, "Reordered.", dash)
	widgetBody := func(create bool) *schema {
		mark := ""
		if create {
			mark = "!"
		}
		return body("On PUT, fields left out keep their values; options, when sent, are taken whole.",
			f("kind"+mark, enum("", dashboards.Kinds()...)), f("title"+mark, str("1 to 100 characters.")),
			f("source"+mark, str("A stored metric (lower-case dotted words, crm.pipeline) or case:KIND (case:open).")),
			f("options", widgetOptionsInput()), f("version", integer("Required with PUT: the widget's version.")))
	}
	d.op("POST", "dashboards/{id}/widgets", tag, "Add a widget").
		describe(fmt.Sprintf("At the end. A dashboard holds at most %d widgets (400 naming widgets).", dashboards.MaxWidgets)).
		json(widgetBody(true)).ok(201, "Added.", wrap("widget", widgetSchema()))
	d.op("PUT", "dashboards/{id}/widgets/{widget}", tag, "Change a widget").
		json(widgetBody(false)).ok(200, "Changed.", wrap("widget", widgetSchema()))
	d.op("DELETE", "dashboards/{id}/widgets/{widget}", tag, "Remove a widget").ok(200, "Removed.", ref("Deleted"))
	d.op("GET", "dashboards/{id}/shares", tag, "The groups a dashboard is shared with").
		describe("For those who may change the dashboard; a viewer is refused with 403.").
		ok(200, "", wrap("shares", arrayOf(shareSchema(), "")))
	d.op("PUT", "dashboards/{id}/shares/{group}", tag, "Share a dashboard with a group, or change the share").
		json(body("", f("permission!", enum("", "view", "edit")))).ok(200, "Shared; the dashboard's shares.", wrap("shares", arrayOf(shareSchema(), "")))
	d.op("DELETE", "dashboards/{id}/shares/{group}", tag, "End a share").
		describe("The group's members who see the dashboard through nothing else stop seeing it at once.").ok(200, "Unshared.", ref("Deleted"))
	d.groupOps()
}

func (d *apiDocBuilder) groupOps() {
	const tag = "Administration"
	group := wrap("group", groupSchema())
	groups := wrap("groups", arrayOf(groupSchema(), "By name."))
	groupBody := func(required bool) *schema {
		name := "name"
		if required {
			name += "!"
		}
		return body("", f(name, str("1 to 100 characters.")), f("description", str("Up to 500 characters.")),
			f("version", integer("Required with PUT: the version being edited.")))
	}
	d.op("GET", "groups", tag, "List groups").describe("Administrators, and users who may share dashboards (dashboards area at edit).").ok(200, "", groups)
	d.op("POST", "groups", tag, "Create a group").describe("Administrators only.").json(groupBody(true)).ok(201, "Created.", group)
	d.op("GET", "groups/{id}", tag, "A group").ok(200, "", group)
	d.op("PUT", "groups/{id}", tag, "Rename or describe a group").json(groupBody(false)).ok(200, "Changed.", group)
	d.op("DELETE", "groups/{id}", tag, "Delete a group").
		describe("Its memberships and dashboard shares go with it: its members stop seeing what was shared with them through it.").
		ok(200, "Deleted.", ref("Deleted"))
	d.op("GET", "groups/{id}/members", tag, "A group's members").describe("Administrators (read) only.").
		ok(200, "", wrap("members", arrayOf(object("", f("user_id", integer("")), f("display_name", str(""))), "By user id.")))
	member := object("", f("member", boolean("Whether the user is now a member.")))
	d.op("PUT", "groups/{id}/members/{user}", tag, "Add a user to a group").
		describe("Administrators only; 409 for a group kept by single sign-on.").ok(200, "A member.", member)
	d.op("DELETE", "groups/{id}/members/{user}", tag, "Take a user out of a group").
		describe("Administrators only; 409 for a group kept by single sign-on.").ok(200, "Not a member.", member)
	d.op("GET", "users/{id}/groups", tag, "The groups a user belongs to").describe("Administrators, or the user themself.").ok(200, "", groups)
	d.op("GET", "me/groups", "Sign-in", "The groups the signed-in user belongs to").ok(200, "", groups)
}
