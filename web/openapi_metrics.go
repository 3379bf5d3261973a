package web

import (
	"fmt"

	"strongroom/metrics"
)

// metricsOps describes the metrics API: definitions, pushes and series.
func (d *apiDocBuilder) metricsOps() {
	const tag = "Metrics"
	num := func(desc string) *schema { return &schema{Type: "number", Description: desc} }
	metric := object("A stored metric.", f("name", str("")), f("label", str("")), f("unit", str("")),
		f("source", enum("", string(metrics.Pushed), string(metrics.Integration))), f("created_at", timestamp("")), f("updated_at", timestamp("")))
	var kinds []string
	for _, k := range metrics.CaseMetrics() {
		kinds = append(kinds, string(k))
	}
	d.op("GET", "metrics", tag, "The tenant's metrics").
		describe("Stored metrics, and the figures computed from case data (case_metrics), which are read by name like stored ones. Needs read access to dashboards.").
		ok(200, "", object("", f("metrics", arrayOf(metric, "By name.")),
			f("case_metrics", arrayOf(object("", f("name", enum("", kinds...)), f("label", str("")),
				f("current", boolean("A figure of now (one bucket), not of a period."))), ""))))
	d.op("POST", "metrics", tag, "Define a metric, or change its label and unit").
		describe("Needs edit access to dashboards. Names starting with case. are the case figures. A metric keeps its source.").
		json(body("", f("name!", &schema{Type: "string", Pattern: `^[a-z][a-z0-9_.]{0,62}$`}), f("label", str("")), f("unit", str("")),
			f("source", enum("pushed (default): written through metrics/points; integration: written by an integration.", string(metrics.Pushed), string(metrics.Integration))))).
		ok(200, "Defined.", wrap("metric", metric))
	d.op("POST", "metrics/points", tag, "Push metric points").
		describe(fmt.Sprintf("At most %d points, all stored or none; each problem is named by the point (points[3].value). "+
			"A point is keyed by metric, time and dimensions: pushing it again replaces its value. The metric must be defined, with source pushed. "+
			"Times at most a day ahead and ten years back; finite values; at most %d dimensions. "+
			"Needs edit access to dashboards. The one route an API token of scope metrics:write may use.", metrics.MaxPoints, metrics.MaxDims)).
		json(body("", f("points!", arrayOf(object("",
			f("metric", str("A defined metric's name.")), f("at", timestamp("RFC 3339.")), f("value", num("")),
			f("dimensions?", mapOf(str(""), fmt.Sprintf("Up to %d, e.g. {\"region\": \"north\"}; names lowercase.", metrics.MaxDims)))), "")))).
		ok(200, "Stored.", object("", f("points", integer("Points written.")), f("metrics", mapOf(integer(""), "Points per metric."))))
	del := d.op("DELETE", "metrics/{name}", tag, "Delete a metric and its points").
		describe("Needs edit access to dashboards.").ok(200, "Deleted.", flag("deleted", "Always true."))
	del.Parameters[1].Description = "The metric's name."

	value := object("One bucket.", f("start", timestamp("")), f("value", num("0 when count is 0.")), f("count", integer("Points or records in the bucket.")))
	ranged := func(o *apiOperation) *apiOperation {
		o.Parameters[1].Description = "A stored metric's name, or a case figure's (case.open …)."
		return o.query("from", str(""), "Start, included: RFC 3339, or YYYY-MM-DD (midnight in the tenant's time zone). Default: 30 days before to.").
			query("to", str(""), "End, excluded. Default: now.").
			query("dim", str(""), "Only points with this dimension, as key:value; repeat for more.")
	}
	ranged(d.op("GET", "metrics/{name}/series", tag, "A metric's series")).
		describe("Case figures count only the records the caller may read, and need read access to their area (cases, financial records, documents) besides dashboards. Amounts are grouped by currency unless one is chosen.").
		query("bucket", enum("", "day", "week", "month", "quarter", "year", "none"), "Default none: one value for the range. Buckets begin at midnight in the tenant's time zone.").
		query("agg", enum("", "sum", "avg", "min", "max", "last", "count"), "Default sum; a case figure has its own.").
		query("group_by", str(""), "A dimension: one series per value.").
		ok(200, "", object("", f("metric", str("")), f("label", str("")), f("unit", str("")), f("bucket", str("")), f("agg", str("")),
			f("from", timestamp("")), f("to", timestamp("")), f("group_by", str("")), f("current", boolean("A figure of now.")),
			f("groups", arrayOf(object("", f("key", str("The dimension's value (empty without group_by).")), f("buckets", arrayOf(value, ""))), ""))))
	ranged(d.op("GET", "metrics/{name}/kpi", tag, "A metric's value beside the period before")).
		describe("The value over [from, to) and over the same length of time just before. An amount needs dim=currency:XXX.").
		ok(200, "", object("", f("metric", str("")), f("label", str("")), f("unit", str("")), f("current", value), f("previous", value),
			f("change", num("current − previous.")), f("percent", nullable(num("The change over previous, in percent; null when previous is 0."))))).
		query("agg", enum("", "sum", "avg", "min", "max", "last", "count"), "Default sum.")
	ranged(d.op("GET", "metrics/{name}/latest", tag, "A metric's newest value")).
		describe("A stored metric's newest point (from and to are not used); a case figure's value now, or over its last 30 days.").
		ok(200, "", object("", f("metric", str("")), f("found", boolean("")), f("at", nullable(timestamp(""))), f("value", nullable(num("")))))
}
