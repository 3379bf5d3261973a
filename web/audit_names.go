package web

// What the audit pages call the people and records of the events they
// show. The trail stores ids (authentication events keep nothing else);
// a page names them as people read them: a user by display name, a case
// by its number, a role or class by its name. Only the events a reader
// may read are named, and a case's number is read through the same access
// predicate that let its events be read (the audit area's, over the case's
// classes), so nothing is named that the reader may not see. What cannot
// be named (a deleted user, say) keeps its id.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"strongroom/access"
	"strongroom/audit"
	"strongroom/cases"
	"strongroom/format"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// auditNames maps "kind:id" (an actor kind or an object type) to a name.
type auditNames map[string]string

// nameAudit names the actors and objects of items in place.
func nameAudit(ctx context.Context, t *tenancy.Handle, s *access.Subject, items []auditItem) error {
	want := map[string][]int64{}
	for _, it := range items {
		if it.Redacted {
			continue
		}
		if id, ok := auditID(it.Actor.ID); ok && (it.Actor.Kind == audit.ActorUser || it.Actor.Kind == audit.ActorToken || it.Actor.Kind == audit.ActorSCIM) {
			want[it.Actor.Kind] = appendNew(want[it.Actor.Kind], id)
		}
		if id, ok := auditID(it.ObjectID); ok {
			want[it.ObjectType] = appendNew(want[it.ObjectType], id)
		}
		for _, c := range it.Changes {
			if kind := idFields[c.Field]; kind != "" {
				for _, v := range []any{c.Before, c.After} {
					for _, id := range idsOf(v) {
						want[kind] = appendNew(want[kind], id)
					}
				}
			}
		}
	}
	names := auditNames{}
	casePred := s.Predicate(access.Audit, access.Read, string(cases.TypeCase), "c.id")
	lookups := []struct {
		kind, sql string
		args      []any
	}{
		{"api_token", `SELECT k.id, k.name FROM api_tokens k WHERE k.id IN (%s)`, nil},
		{"role", `SELECT id, name FROM roles WHERE id IN (%s)`, nil},
		{audit.ActorSCIM, `SELECT id, name FROM scim_tokens WHERE id IN (%s)`, nil},
		{"scim_token", `SELECT id, name FROM scim_tokens WHERE id IN (%s)`, nil},
		{"class", `SELECT id, name FROM security_classes WHERE id IN (%s)`, nil},
		{"case", `SELECT c.id, c.number FROM cases c WHERE c.id IN (%s) AND ` + casePred.SQL, casePred.Args},
	}
	for _, l := range lookups {
		ids := want[l.kind]
		if len(ids) == 0 {
			continue
		}
		in, list := store.IDList(ids)
		args := append(list, l.args...)
		if err := names.read(ctx, t, l.kind, fmt.Sprintf(l.sql, in), args); err != nil {
			return err
		}
	}
	if err := names.users(ctx, t, want["user"], want["token"]); err != nil {
		return err
	}
	for i := range items {
		items[i].names = names
	}
	return nil
}

// users adds the display names of users and of API tokens' owners. The
// names are sealed at rest, so they are read through identity, which opens
// them (an erased user reads as such).
func (n auditNames) users(ctx context.Context, t *tenancy.Handle, userIDs, tokenIDs []int64) error {
	owners := map[int64]int64{}
	if len(tokenIDs) > 0 {
		in, list := store.IDList(tokenIDs)
		rows, err := t.DB.QueryContext(ctx, `SELECT id, user_id FROM api_tokens WHERE id IN (`+in+`)`, list...)
		if err != nil {
			return fmt.Errorf("names for the audit trail of %s: %w", t.Tenant.Slug, err)
		}
		for rows.Next() {
			var id, user int64
			if err := rows.Scan(&id, &user); err != nil {
				rows.Close()
				return fmt.Errorf("names for the audit trail of %s: %w", t.Tenant.Slug, err)
			}
			owners[id] = user
			userIDs = appendNew(userIDs, user)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("names for the audit trail of %s: %w", t.Tenant.Slug, err)
		}
	}
	if len(userIDs) == 0 {
		return nil
	}
	display, err := identity.DisplayNames(ctx, t, userIDs)
	if err != nil {
		return fmt.Errorf("names for the audit trail of %s: %w", t.Tenant.Slug, err)
	}
	for id, name := range display {
		n["user:"+strconv.FormatInt(id, 10)] = name
	}
	for token, user := range owners {
		if name, ok := display[user]; ok {
			n["token:"+strconv.FormatInt(token, 10)] = name
		}
	}
	return nil
}

// read adds the names a query gives (id, name) under kind.
func (n auditNames) read(ctx context.Context, t *tenancy.Handle, kind, query string, args []any) error {
	rows, err := t.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("names for the audit trail of %s: %w", t.Tenant.Slug, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return fmt.Errorf("names for the audit trail of %s: %w", t.Tenant.Slug, err)
		}
		n[kind+":"+strconv.FormatInt(id, 10)] = name
	}
	return rows.Err()
}

func auditID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

func appendNew(ids []int64, id int64) []int64 {
	if slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}

// ActorText names the actor: a user by display name, an API token by its
// owner's, the system, an operator or an anonymous caller. An item whose
// names were never read (nameAudit) keeps the plain "user 42".
func (it auditItem) ActorText() string {
	if it.names == nil {
		if it.Actor.ID == "" {
			return it.Actor.Kind
		}
		return it.Actor.Kind + " " + it.Actor.ID
	}
	name := it.names[it.Actor.Kind+":"+it.Actor.ID]
	switch it.Actor.Kind {
	case audit.ActorUser:
		if name != "" {
			return name
		}
		return "User " + it.Actor.ID + " (no longer exists)"
	case audit.ActorToken:
		if name != "" {
			return "API token of " + name
		}
		return "API token " + it.Actor.ID
	case audit.ActorSystem:
		return "Strongroom"
	case audit.ActorOperator:
		return "Operator " + it.Actor.ID
	case audit.ActorSCIM:
		if name != "" {
			return "Provisioning (SCIM token " + name + ")"
		}
		return "Provisioning (SCIM token " + it.Actor.ID + ")"
	case audit.ActorAnonymous:
		return "Someone not signed in"
	}
	return format.Words(it.Actor.Kind) + " " + it.Actor.ID
}

// objectLabels name the kinds of object an event may be about.
var objectLabels = map[string]string{
	"user": "User", "role": "Role", "class": "Security class", "api_token": "API token", "settings": "Security settings",
	"tenant": "Workspace", "ip_allowlist": "Network access list", "mdl": "MDL group", "search": "Search", "report": "Report", "audit_log": "Audit trail", "request": "Request",
	string(cases.TypeCase): "Case", string(cases.TypeDocument): "Document", string(cases.TypeFinancial): "Financial record",
	string(cases.TypeContact): "Contact", string(cases.TypeNote): "Note", string(cases.TypeEvent): "Event",
	"sso_provider": "Identity provider", "sso_policy": "Single sign-on policy",
	"scim_token": "SCIM token", "user_group": "User group",
}

// RecordText names what the event is about: "Case LIT-2021-00012", "User
// Jane Roe", "Note 31", "Report financial".
func (it auditItem) RecordText() string {
	if it.ObjectType == "" {
		return ""
	}
	label := objectLabels[it.ObjectType]
	if label == "" {
		label = format.Words(it.ObjectType)
	}
	if name := it.names[it.ObjectType+":"+it.ObjectID]; name != "" {
		return label + " " + name
	}
	return strings.TrimSpace(label + " " + it.ObjectID)
}

// actionLabels name the actions people most often read; others are
// written from their names ("case.update" → "Case: update").
var actionLabels = map[string]string{
	"auth.login": "Signed in", "auth.logout": "Signed out", "auth.login_failed": "Failed sign-in",
	"auth.lockout": "Account locked", "auth.unlock": "Account unlocked", "auth.password_change": "Changed password",
	"auth.password_reset": "Password reset", "auth.totp_enrol": "Set up two-factor sign-in",
	"auth.totp_reset": "Two-factor sign-in reset", "auth.session_end": "Session ended", "auth.refused": "Refused",
	"auth.passkey_register": "Added a passkey", "auth.passkey_rename": "Renamed a passkey", "auth.passkey_remove": "Removed a passkey",
	"auth.passkey_admin_remove": "Removed a user's passkey", "auth.passkey_counter_regression": "Passkey refused: its counter went backwards",
	"auth.sso_ok": "Signed in at the identity provider, second factor pending", "sso.refused": "Single sign-on refused",
	"sso.link": "Linked an identity", "sso.unlink": "Unlinked an identity", "sso.provider_create": "Added an identity provider",
	"sso.provider_update": "Changed an identity provider", "sso.provider_delete": "Deleted an identity provider", "sso.policy_update": "Changed the single sign-on policy",
	"scim.token_create": "Made a SCIM token", "scim.token_revoke": "Revoked a SCIM token", "scim.auth_failed": "Refused a SCIM token",
	"scim.user_update": "Provisioning: user updated", "scim.user_delete": "Provisioning: user deleted (deactivated)", "scim.group_roles": "Mapped a group to roles",
	"search.query": "Searched", "data.generate": "Generated sample data", "report.export": "Exported a report", "audit.export": "Exported the audit trail",
}

// ActionText is the action for people.
func (it auditItem) ActionText() string {
	if l, ok := actionLabels[it.Action]; ok {
		return l
	}
	area, verb, ok := strings.Cut(it.Action, ".")
	if !ok {
		return format.Words(it.Action)
	}
	label := objectLabels[area]
	if label == "" {
		label = format.Words(area)
	}
	return label + ": " + strings.ReplaceAll(verb, "_", " ")
}

// auditFieldLabels name the fields a change or a detail may be about; others
// are written from their names ("practice_group" → "Practice group").
var auditFieldLabels = map[string]string{
	"given_name": "Given name", "family_name": "Family name", "external_id": "Identity provider's id",
	"display_name": "Display name", "username": "User name", "email": "Email address", "new_password": "Password",
	"failed_logins": "Failed sign-ins", "restricted": "Restricted to their classes", "roles": "Roles", "grants": "Grants",
	"classes": "Security classes", "own_classes": "Own security classes", "case_id": "Case", "contact_id": "Contact",
	"mdl_id": "Multi-district litigation group", "opened_on": "Opened on", "closed_on": "Closed on", "due_on": "Due on",
	"occurred_on": "Occurred on", "amount_e4": "Amount", "size_bytes": "Size (bytes)", "content_type": "Type of content",
	"current_version": "Current version", "deleted_at": "Deleted at", "q": "Words searched", "by": "Grouped by",
	"from": "From", "to": "To", "rows": "Rows", "format": "Format", "report": "Report", "types": "Record types",
	"sso_only": "Single sign-on only", "break_glass_user_id": "Break-glass administrator", "provider_mfa": "Provider's second factor counts",
	"jit": "Users created at first sign-in", "jit_role_ids": "Roles of new users", "jit_class_ids": "Classes of new users",
	"client_id": "Client id", "client_secret": "Client secret", "allowed_domains": "Allowed domains", "directory_id": "Directory id",
	"practice_group": "Practice group", "responsible": "Responsible", "mfa_required": "Two-factor sign-in required",
	"lockout_threshold": "Failed sign-ins before locking",
	"passkey_sign_in":   "Passkey sign-in without password", "passkey": "Passkey", "second_factor": "Second factor",
}

// auditFieldLabel is a field's name for people.
func auditFieldLabel(field string) string {
	if l, ok := auditFieldLabels[field]; ok {
		return l
	}
	return format.Words(field)
}

// idFields are the changed fields whose values are lists of ids, and what
// the ids name.
var idFields = map[string]string{"roles": "role", "classes": "class", "own_classes": "class"}

// idsOf reads a changed value that is a list of ids (as JSON decodes it).
func idsOf(v any) []int64 {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	var out []int64
	for _, x := range list {
		if f, ok := x.(float64); ok && f > 0 && f == float64(int64(f)) {
			out = append(out, int64(f))
		}
	}
	return out
}

// changedValue writes a changed value for people: a list of role or class
// ids by their names (an id with no name left as it is), anything else
// as auditValue does.
func (it auditItem) changedValue(field string, v any) string {
	kind := idFields[field]
	list, ok := v.([]any)
	if kind == "" || !ok || len(idsOf(v)) != len(list) {
		return auditValue(v)
	}
	if len(list) == 0 {
		return "none"
	}
	var names []string
	for _, id := range idsOf(v) {
		n := strconv.FormatInt(id, 10)
		if name := it.names[kind+":"+n]; name != "" {
			n = name
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}
