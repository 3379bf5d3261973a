package web

import (
	"testing"

	"strongroom/audit"
)

// TestAuditLabels checks how the pages name what an event holds as ids and
// raw names: people by display name, records by name or number, actions
// and fields by label, role and class ids by name, and the fallbacks when
// nothing is known.
func TestAuditLabels(t *testing.T) {
	names := auditNames{"user:7": "Jane Roe", "case:12": "LIT-2024-00012", "role:3": "Paralegal", "token:4": "Sam Lee"}
	it := auditItem{Event: audit.Event{Actor: audit.Actor{Kind: audit.ActorUser, ID: "7"}, Action: "case.update",
		ObjectType: "case", ObjectID: "12", Changes: []audit.Change{
			{Field: "practice_group", Before: "Tax", After: "Litigation"},
			{Field: "roles", Before: []any{float64(3), float64(9)}, After: []any{}},
		}}, names: names}
	for _, c := range []struct{ got, want string }{
		{it.ActorText(), "Jane Roe"},
		{it.RecordText(), "Case LIT-2024-00012"},
		{it.ActionText(), "Case: update"},
		{it.Summary(), "Changed Practice group, Roles"},
		{it.Diffs()[1].Before, "Paralegal, 9"},
		{it.Diffs()[1].After, "none"},
		{it.Diffs()[0].Field, "Practice group"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	unknown := auditItem{Event: audit.Event{Actor: audit.Actor{Kind: audit.ActorUser, ID: "8"}, Action: "auth.login",
		ObjectType: "case", ObjectID: "13"}, names: names}
	if unknown.ActorText() != "User 8 (no longer exists)" || unknown.RecordText() != "Case 13" || unknown.ActionText() != "Signed in" {
		t.Errorf("unnamed: %q %q %q", unknown.ActorText(), unknown.RecordText(), unknown.ActionText())
	}
	if plain := (auditItem{Event: audit.Event{Actor: audit.Actor{Kind: audit.ActorUser, ID: "8"}}}); plain.ActorText() != "user 8" {
		t.Errorf("never named: %q", plain.ActorText())
	}
	token := auditItem{Event: audit.Event{Actor: audit.Actor{Kind: audit.ActorToken, ID: "4"}}, names: names}
	if token.ActorText() != "API token of Sam Lee" {
		t.Errorf("token: %q", token.ActorText())
	}
}

// TestAuditLabelsNetPolicy checks that the IP allowlist's events read as
// what happened, not as their raw action names.
func TestAuditLabelsNetPolicy(t *testing.T) {
	names := auditNames{}
	for _, c := range []struct {
		ev          audit.Event
		actor, text string
	}{
		{audit.Event{Actor: audit.Actor{Kind: audit.ActorOperator, ID: "ops"}, Action: "netpolicy.clear", ObjectType: "ip_allowlist"},
			"Operator ops", "Cleared the IP allowlist (operator)"},
		{audit.Event{Actor: audit.Actor{Kind: audit.ActorAnonymous}, Action: "netpolicy.refused", ObjectType: "ip_allowlist"},
			"Someone not signed in", "Request refused by the IP allowlist"},
		{audit.Event{Actor: audit.Actor{Kind: audit.ActorUser, ID: "7"}, Action: "netpolicy.update", ObjectType: "ip_allowlist",
			Changes: []audit.Change{{Field: "entries", Before: "", After: "192.0.2.0/24 office"}}},
			"User 7 (no longer exists)", "Changed the IP allowlist"},
	} {
		it := auditItem{Event: c.ev, names: names}
		if it.ActorText() != c.actor || it.ActionText() != c.text || it.RecordText() != "Network access list" {
			t.Errorf("%s: %q %q %q", c.ev.Action, it.ActorText(), it.ActionText(), it.RecordText())
		}
	}
	upd := auditItem{Event: audit.Event{Action: "netpolicy.update", Changes: []audit.Change{{Field: "entries", After: "x"}}}, names: names}
	if d := upd.Diffs(); len(d) != 1 || d[0].Field != "Allowed networks" {
		t.Errorf("diffs: %+v", d)
	}
}
