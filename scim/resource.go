package scim

import (
	"strconv"
	"time"
)

// The JSON the provider reads. base is the tenant's SCIM base URL
// (https://host/scim/v2/t/SLUG), for meta.location.

func meta(kind, base, path string, id int64, created, modified time.Time, version int) map[string]any {
	return map[string]any{
		"resourceType": kind,
		"created":      created.UTC().Format(time.RFC3339),
		"lastModified": modified.UTC().Format(time.RFC3339),
		"location":     base + "/" + path + "/" + strconv.FormatInt(id, 10),
		"version":      `W/"` + strconv.Itoa(version) + `"`,
	}
}

// UserJSON is a user resource.
func UserJSON(u *User, base string) map[string]any {
	out := map[string]any{
		"schemas":     []string{SchemaUser},
		"id":          strconv.FormatInt(u.ID, 10),
		"userName":    u.UserName,
		"displayName": u.DisplayName,
		"active":      u.Active,
		"name": map[string]any{"givenName": u.GivenName, "familyName": u.FamilyName,
			"formatted": joinName(u.GivenName, u.FamilyName)},
		"emails": []any{},
		"meta":   meta("User", base, "Users", u.ID, u.Created, u.Modified, u.Version),
	}
	if u.ExternalID != "" {
		out["externalId"] = u.ExternalID
	}
	if u.Email != "" {
		out["emails"] = []any{map[string]any{"value": u.Email, "type": "work", "primary": true}}
	}
	groups := []any{}
	for _, g := range u.Groups {
		groups = append(groups, map[string]any{"value": strconv.FormatInt(g.ID, 10), "display": g.DisplayName,
			"$ref": base + "/Groups/" + strconv.FormatInt(g.ID, 10)})
	}
	out["groups"] = groups
	return out
}

// GroupJSON is a group resource.
func GroupJSON(g *Group, base string) map[string]any {
	members := []any{}
	for _, m := range g.Members {
		members = append(members, map[string]any{"value": strconv.FormatInt(m, 10), "$ref": base + "/Users/" + strconv.FormatInt(m, 10)})
	}
	out := map[string]any{
		"schemas":     []string{SchemaGroup},
		"id":          strconv.FormatInt(g.ID, 10),
		"displayName": g.DisplayName,
		"members":     members,
		"meta":        meta("Group", base, "Groups", g.ID, g.Created, g.Modified, g.Version),
	}
	if g.ExternalID != "" {
		out["externalId"] = g.ExternalID
	}
	return out
}

// ListJSON is a ListResponse.
func ListJSON[T any](l *List[T], render func(T) map[string]any) map[string]any {
	rs := make([]any, 0, len(l.Resources))
	for _, r := range l.Resources {
		rs = append(rs, render(r))
	}
	return map[string]any{"schemas": []string{SchemaListResponse}, "totalResults": l.Total,
		"startIndex": l.StartIdx, "itemsPerPage": len(rs), "Resources": rs}
}

// ErrorJSON is a SCIM error message.
func ErrorJSON(status int, scimType, detail string) map[string]any {
	out := map[string]any{"schemas": []string{SchemaError}, "status": strconv.Itoa(status), "detail": detail}
	if scimType != "" {
		out["scimType"] = scimType
	}
	return out
}

// ServiceProviderConfig says what this provider supports.
func ServiceProviderConfig(base string) map[string]any {
	no := map[string]any{"supported": false}
	return map[string]any{
		"schemas":          []string{SchemaSPConfig},
		"documentationUri": "",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": MaxCount},
		"changePassword":   no,
		"sort":             no,
		"etag":             no,
		"authenticationSchemes": []any{map[string]any{"type": "oauthbearertoken", "name": "Bearer token",
			"description": "A SCIM token made on the workspace's Provisioning page, sent as Authorization: Bearer.", "primary": true}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"},
	}
}

// ResourceTypes lists Users and Groups.
func ResourceTypes(base string) []map[string]any {
	rt := func(id, endpoint, schema string) map[string]any {
		return map[string]any{"schemas": []string{SchemaResourceType}, "id": id, "name": id, "endpoint": endpoint,
			"schema": schema, "meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/" + id}}
	}
	return []map[string]any{rt("User", "/Users", SchemaUser), rt("Group", "/Groups", SchemaGroup)}
}

func attr(name, typ string, required bool, uniqueness string, sub ...map[string]any) map[string]any {
	a := map[string]any{"name": name, "type": typ, "multiValued": false, "required": required, "caseExact": false,
		"mutability": "readWrite", "returned": "default", "uniqueness": uniqueness}
	if len(sub) > 0 {
		a["subAttributes"] = sub
	}
	return a
}

// Schemas describes the attributes kept of users and groups.
func Schemas(base string) []map[string]any {
	emails := attr("emails", "complex", false, "none", attr("value", "string", false, "none"), attr("type", "string", false, "none"), attr("primary", "boolean", false, "none"))
	emails["multiValued"] = true
	members := attr("members", "complex", false, "none", attr("value", "string", false, "none"), attr("display", "string", false, "none"))
	members["multiValued"] = true
	user := map[string]any{"schemas": []string{SchemaSchema}, "id": SchemaUser, "name": "User", "description": "User account",
		"attributes": []any{attr("userName", "string", true, "server"), attr("displayName", "string", false, "none"),
			attr("name", "complex", false, "none", attr("givenName", "string", false, "none"), attr("familyName", "string", false, "none")),
			emails, attr("active", "boolean", false, "none"), attr("externalId", "string", false, "none")},
		"meta": map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + SchemaUser}}
	group := map[string]any{"schemas": []string{SchemaSchema}, "id": SchemaGroup, "name": "Group", "description": "Group",
		"attributes": []any{attr("displayName", "string", true, "server"), members, attr("externalId", "string", false, "none")},
		"meta":       map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + SchemaGroup}}
	return []map[string]any{user, group}
}
