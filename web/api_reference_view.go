package web

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// What the API reference page shows, taken from the API document.

type referenceView struct {
	Title     string
	Summary   string
	Intro     []referencePara
	Groups    []referenceGroup
	Schemas   []referenceSchema
	Errors    []referenceStatus
	Operation int // number of operations

	// The layout's fields: the page is public, no one is signed in.
	Me     *struct{}
	Tenant *struct{ DisplayName string }
	Notice string
}

// referencePara is a paragraph of the introduction, with its title.
type referencePara struct{ Title, Text string }

type referenceGroup struct {
	Name, Anchor, Description string
	Ops                       []referenceOp
}

type referenceOp struct {
	Method, Path, Anchor, Summary, Description string
	Public                                     bool
	Params                                     []schemaRow
	Body                                       *referenceBody
	Responses                                  []referenceResponse
	ErrorStatuses                              []string
}

type referenceBody struct {
	MediaType string
	Required  bool
	Rows      []schemaRow
}

type referenceResponse struct {
	Status, Description, MediaType string
	Rows                           []schemaRow
}

type referenceSchema struct {
	Name, Anchor, Description string
	Rows                      []schemaRow
}

type referenceStatus struct{ Status, Description string }

// schemaRow is one field of a schema, flattened: a nested field's name
// is its path (contact.name, errors[].field).
type schemaRow struct {
	Name, Type, TypeRef, Description string
	Required                         bool
}

func newReferenceView(doc *openAPIDoc) referenceView {
	v := referenceView{Title: doc.Info.Title, Summary: doc.Info.Summary}
	for _, p := range strings.Split(doc.Info.Description, "\n\n") {
		text := strings.Join(strings.Fields(p), " ")
		// "Errors. Every error…": the first words name the paragraph.
		if title, rest, ok := strings.Cut(text, ". "); ok && len(strings.Fields(title)) <= 2 {
			v.Intro = append(v.Intro, referencePara{Title: title, Text: rest})
		} else {
			v.Intro = append(v.Intro, referencePara{Text: text})
		}
	}
	byTag := map[string]*referenceGroup{}
	for _, t := range doc.Tags {
		v.Groups = append(v.Groups, referenceGroup{Name: t.Name, Anchor: "tag-" + anchor(t.Name), Description: t.Description})
	}
	for i := range v.Groups {
		byTag[v.Groups[i].Name] = &v.Groups[i]
	}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, path := range paths {
		for _, method := range []string{"get", "post", "put", "delete"} {
			op := doc.Paths[path][method]
			if op == nil {
				continue
			}
			v.Operation++
			g := byTag[op.Tags[0]]
			g.Ops = append(g.Ops, newReferenceOp(method, path, op))
		}
	}
	names := make([]string, 0, len(doc.Components.Schemas))
	for n := range doc.Components.Schemas {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		s := doc.Components.Schemas[n]
		v.Schemas = append(v.Schemas, referenceSchema{Name: n, Anchor: "schema-" + n, Description: s.Description, Rows: schemaRows(s, "")})
	}
	for _, st := range []int{400, 401, 403, 404, 409, 429, 500, 503, 507} {
		v.Errors = append(v.Errors, referenceStatus{strconv.Itoa(st), statusText[st]})
	}
	return v
}

func newReferenceOp(method, path string, op *apiOperation) referenceOp {
	r := referenceOp{Method: strings.ToUpper(method), Path: path, Anchor: "op-" + op.OperationID, Summary: op.Summary,
		Description: op.Description, Public: op.Security != nil && len(*op.Security) == 0}
	for _, p := range op.Parameters {
		typ, _ := typeName(p.Schema)
		d := describe(p.Schema)
		if p.Description != "" {
			d = strings.TrimSpace(p.Description + " " + d)
		}
		r.Params = append(r.Params, schemaRow{Name: p.Name, Type: p.In + ", " + typ, Description: d, Required: p.Required})
	}
	if b := op.RequestBody; b != nil {
		for mt, m := range b.Content {
			r.Body = &referenceBody{MediaType: mt, Required: b.Required, Rows: schemaRows(m.Schema, "")}
		}
	}
	statuses := make([]string, 0, len(op.Responses))
	for st := range op.Responses {
		statuses = append(statuses, st)
	}
	slices.Sort(statuses)
	for _, st := range statuses {
		resp := op.Responses[st]
		if resp.Ref != "" {
			r.ErrorStatuses = append(r.ErrorStatuses, st)
			continue
		}
		rr := referenceResponse{Status: st, Description: resp.Description}
		for mt, m := range resp.Content {
			rr.MediaType = mt
			if mt == "application/json" {
				rr.Rows = schemaRows(m.Schema, "")
			}
		}
		r.Responses = append(r.Responses, rr)
	}
	return r
}

// schemaRows flattens a schema into the rows of a table. A schema that
// is not an object with properties is one row named by prefix (or "body").
func schemaRows(s *schema, prefix string) []schemaRow {
	if s == nil {
		return nil
	}
	if len(s.Properties) == 0 {
		name := prefix
		if name == "" {
			name = "(body)"
		}
		typ, typeRef := typeName(s)
		return []schemaRow{{Name: name, Type: typ, TypeRef: typeRef, Description: describe(s), Required: true}}
	}
	var rows []schemaRow
	for _, name := range s.order {
		p := s.Properties[name]
		typ, typeRef := typeName(p)
		rows = append(rows, schemaRow{Name: prefix + name, Type: typ, TypeRef: typeRef, Description: describe(p),
			Required: slices.Contains(s.Required, name)})
		switch {
		case len(p.Properties) > 0:
			rows = append(rows, schemaRows(p, prefix+name+".")...)
		case p.Items != nil && len(p.Items.Properties) > 0:
			rows = append(rows, schemaRows(p.Items, prefix+name+"[].")...)
		}
	}
	return rows
}

// typeName names a schema's type for people, and the component schema it
// refers to, if any.
func typeName(s *schema) (string, string) {
	switch {
	case s.Ref != "":
		name := strings.TrimPrefix(s.Ref, "#/components/schemas/")
		return name, name
	case len(s.OneOf) > 0:
		var parts []string
		ref := ""
		for _, o := range s.OneOf {
			n, r := typeName(o)
			parts = append(parts, n)
			if ref == "" {
				ref = r
			}
		}
		return strings.Join(parts, " or "), ref
	case s.Items != nil:
		n, r := typeName(s.Items)
		return "array of " + n, r
	case s.AdditionalProperties != nil && s.AdditionalProperties != false:
		if vs, ok := s.AdditionalProperties.(*schema); ok {
			n, r := typeName(vs)
			return "map of " + n, r
		}
	}
	switch t := s.Type.(type) {
	case string:
		if s.Format != "" {
			return t + " (" + s.Format + ")", ""
		}
		return t, ""
	case []string:
		return strings.Join(t, " or "), ""
	}
	return "any", ""
}

// describe is a schema's description with its allowed values.
func describe(s *schema) string {
	d := s.Description
	enum := s.Enum
	if vs, ok := s.AdditionalProperties.(*schema); ok && len(vs.Enum) > 0 {
		enum = vs.Enum
	}
	var values []string
	for _, v := range enum {
		if v != nil {
			values = append(values, fmt.Sprint(v))
		}
	}
	if len(values) > 0 {
		d = strings.TrimSpace(d + " One of: " + strings.Join(values, ", ") + ".")
	}
	if s.Minimum != nil && s.Maximum != nil {
		d = strings.TrimSpace(d + fmt.Sprintf(" From %d to %d.", *s.Minimum, *s.Maximum))
	}
	return d
}

func anchor(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, s)
}
