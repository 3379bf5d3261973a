package web

import (
	"slices"
	"strings"
)

// Helpers that build the schemas of the API document.

func str(desc string) *schema { return &schema{Type: "string", Description: desc} }

func strFormat(format, desc string) *schema {
	return &schema{Type: "string", Format: format, Description: desc}
}

func date(desc string) *schema {
	return &schema{Type: "string", Description: desc, Pattern: `^(\d{4}-\d{2}-\d{2})?$`, Examples: []any{"2026-03-31"}}
}

func timestamp(desc string) *schema { return strFormat("date-time", desc) }

func integer(desc string) *schema { return &schema{Type: "integer", Description: desc} }

func boolean(desc string) *schema { return &schema{Type: "boolean", Description: desc} }

func enum(desc string, values ...string) *schema {
	s := &schema{Type: "string", Description: desc}
	for _, v := range values {
		s.Enum = append(s.Enum, v)
	}
	return s
}

func arrayOf(items *schema, desc string) *schema {
	return &schema{Type: "array", Items: items, Description: desc}
}

func ids(desc string) *schema { return arrayOf(&schema{Type: "integer"}, desc) }

func ref(name string) *schema { return &schema{Ref: "#/components/schemas/" + name} }

// nullable lets s also be null.
func nullable(s *schema) *schema {
	if s.Ref != "" {
		return &schema{OneOf: []*schema{s, {Type: "null"}}, Description: s.Description}
	}
	c := *s
	if t, ok := s.Type.(string); ok {
		c.Type = []string{t, "null"}
	}
	if len(s.Enum) > 0 {
		c.Enum = append(slices.Clone(s.Enum), nil)
	}
	return &c
}

// anyValue is any JSON value, null included.
func anyValue(desc string) *schema {
	return &schema{Type: []string{"string", "number", "integer", "boolean", "array", "object", "null"}, Description: desc}
}

// mapOf is an object whose every value is values, under any key.
func mapOf(values *schema, desc string) *schema {
	return &schema{Type: "object", AdditionalProperties: values, Description: desc}
}

// field is one property of an object. A name ending in "?" is optional:
// in a response it may be left out, in a request it need not be sent.
type field struct {
	name   string
	schema *schema
}

func f(name string, s *schema) field { return field{name, s} }

// object is a closed object: a property that is not listed is an error,
// so that a response or a request that grows a field fails the conformance
// test until the field is described.
func object(desc string, fields ...field) *schema {
	s := &schema{Type: "object", Description: desc, Properties: map[string]*schema{}, AdditionalProperties: false}
	for _, fl := range fields {
		name, optional := strings.CutSuffix(fl.name, "?")
		s.Properties[name] = fl.schema
		s.order = append(s.order, name)
		if !optional {
			s.Required = append(s.Required, name)
		}
	}
	return s
}

// body is a request body object: every field optional unless marked "!".
// An optional field may also be null, which is the same as leaving it out.
func body(desc string, fields ...field) *schema {
	for i, fl := range fields {
		if name, ok := strings.CutSuffix(fl.name, "!"); ok {
			fields[i].name = name
		} else {
			fields[i].name += "?"
			fields[i].schema = nullable(fl.schema)
		}
	}
	return object(desc, fields...)
}
