package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// MaxBody bounds a request body.
const MaxBody = 1 << 20

// decodeObject reads a JSON object; anything else is invalidSyntax.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, errSyntax("The request body is not a JSON object.")
	}
	if dec.More() {
		return nil, errSyntax("The request body holds more than one JSON value.")
	}
	return obj, nil
}

// Op is one PATCH operation.
type Op struct {
	Op    string
	Path  string
	Value any
}

// decodePatch reads a PatchOp message. Operation names are taken in any
// case ("Replace", as Entra ID sends them).
func decodePatch(body []byte) ([]Op, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	raw, ok := obj["Operations"].([]any)
	if !ok {
		raw, ok = obj["operations"].([]any)
	}
	if !ok || len(raw) == 0 {
		return nil, errValue("Operations", "Operations must be a non-empty array of operations.")
	}
	if len(raw) > MaxOperations {
		return nil, typed("tooMany", "Operations", "A PATCH may hold at most %d operations.", MaxOperations)
	}
	ops := make([]Op, 0, len(raw))
	for i, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, errValue("Operations", "Operation %d is not an object.", i+1)
		}
		var op Op
		for k, v := range m {
			switch strings.ToLower(k) {
			case "op":
				op.Op, _ = v.(string)
			case "path":
				p, ok := v.(string)
				if !ok {
					return nil, typed("invalidPath", "path", "The path of operation %d is not a string.", i+1)
				}
				op.Path = p
			case "value":
				op.Value = v
			}
		}
		op.Op = strings.ToLower(op.Op)
		switch op.Op {
		case "add", "replace":
			if op.Value == nil {
				return nil, errValue("value", "Operation %d (%s) needs a value.", i+1, op.Op)
			}
		case "remove":
			if op.Path == "" {
				return nil, typed("noTarget", "path", "Operation %d (remove) needs a path.", i+1)
			}
		default:
			return nil, errValue("op", "Operation %d: op must be add, replace or remove.", i+1)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// str reads a string attribute; null clears it.
func str(attr string, v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	}
	return "", errValue(attr, "%s must be a string.", attr)
}

// boolean reads a boolean, also as the strings "True" and "False" (any
// case), as Entra ID sends them.
func boolean(attr string, v any) (bool, error) {
	switch v := v.(type) {
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(v) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, errValue(attr, "%s must be true or false.", attr)
}

// setUser sets every attribute of obj on u, as a POST, a PUT or a
// path-less PATCH value sends them.
func setUser(u *User, obj map[string]any) error {
	for k, v := range obj {
		if err := setUserAttr(u, k, v); err != nil {
			return err
		}
	}
	return nil
}

// setUserAttr sets one attribute. Attributes Strongroom does not keep
// (titles, addresses, phone numbers, the enterprise extension) are
// accepted and dropped: providers send their whole mapping, and a firm's
// system holds no more personal data than it needs.
func setUserAttr(u *User, path string, v any) error {
	key := attrKey(path)
	var err error
	switch {
	case key == "username":
		u.UserName, err = str("userName", v)
	case key == "displayname":
		u.DisplayName, err = str("displayName", v)
	case key == "externalid":
		u.ExternalID, err = str("externalId", v)
	case key == "active":
		u.Active, err = boolean("active", v)
	case key == "name":
		m, ok := v.(map[string]any)
		if v != nil && !ok {
			return errValue("name", "name must be an object.")
		}
		if v == nil {
			u.GivenName, u.FamilyName = "", ""
		}
		for k, sub := range m {
			if err := setUserAttr(u, "name."+k, sub); err != nil {
				return err
			}
		}
	case key == "name.givenname":
		u.GivenName, err = str("name.givenName", v)
	case key == "name.familyname":
		u.FamilyName, err = str("name.familyName", v)
	case key == "emails":
		u.Email, err = pickEmail(v)
	case isWorkEmail(key):
		u.Email, err = str("emails", v)
	}
	return err
}

// isWorkEmail: the paths that name the one address kept.
func isWorkEmail(key string) bool {
	switch key {
	case "emails.value", `emails[type eq "work"].value`, `emails[primary eq true].value`:
		return true
	}
	return false
}

// pickEmail takes the address kept from a list of emails: the primary,
// else the work one, else the first.
func pickEmail(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	list, ok := v.([]any)
	if !ok {
		if m, isObj := v.(map[string]any); isObj {
			list = []any{m}
		} else {
			return "", errValue("emails", "emails must be a list of objects with a value.")
		}
	}
	var first, work, primary string
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return "", errValue("emails", "emails must be a list of objects with a value.")
		}
		value, err := str("emails.value", m["value"])
		if err != nil {
			return "", err
		}
		if first == "" {
			first = value
		}
		if t, _ := m["type"].(string); strings.EqualFold(t, "work") && work == "" {
			work = value
		}
		if p, err := boolean("emails.primary", m["primary"]); err == nil && p {
			primary = value
		}
	}
	switch {
	case primary != "":
		return primary, nil
	case work != "":
		return work, nil
	}
	return first, nil
}

// patchUser applies one operation to u.
func patchUser(u *User, op Op) error {
	if op.Op == "remove" {
		return removeUserAttr(u, op.Path)
	}
	if op.Path == "" {
		m, ok := op.Value.(map[string]any)
		if !ok {
			return errValue("value", "An %s without a path needs an object of attributes as its value.", op.Op)
		}
		return setUser(u, m)
	}
	if err := checkPath(op.Path); err != nil {
		return err
	}
	return setUserAttr(u, op.Path, op.Value)
}

func removeUserAttr(u *User, path string) error {
	if err := checkPath(path); err != nil {
		return err
	}
	switch key := attrKey(path); {
	case key == "username":
		return typed("mutability", "userName", "userName is required and cannot be removed.")
	case key == "active":
		return typed("mutability", "active", "active cannot be removed; set it to false.")
	default:
		return setUserAttr(u, path, nil)
	}
}

// checkPath refuses a path that cannot be read (an unclosed filter).
func checkPath(path string) error {
	if strings.Count(path, "[") != strings.Count(path, "]") || len(path) > 300 {
		return typed("invalidPath", "path", "The path %s cannot be read.", fmt.Sprintf("%q", path))
	}
	return nil
}
