package web

// The part of the OpenAPI 3.1 object model that Strongroom's API
// reference uses. The document is built in Go (openapi_doc.go), served as
// JSON (api_openapi.go) and rendered as the reference page from these
// same values, so that the page and the document cannot disagree.

type openAPIDoc struct {
	OpenAPI           string                `json:"openapi"`
	JSONSchemaDialect string                `json:"jsonSchemaDialect,omitempty"`
	Info              openAPIInfo           `json:"info"`
	Servers           []openAPIServer       `json:"servers"`
	Security          []securityRequirement `json:"security"`
	Tags              []openAPITag          `json:"tags"`
	Paths             map[string]pathItem   `json:"paths"`
	Components        openAPIComponents     `json:"components"`
}

type openAPIInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Summary     string `json:"summary,omitempty"`
	Description string `json:"description,omitempty"`
}

type openAPIServer struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

type openAPITag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// securityRequirement names a scheme of components.securitySchemes.
type securityRequirement map[string][]string

// pathItem maps a lower-case method to its operation.
type pathItem map[string]*apiOperation

type apiOperation struct {
	OperationID string                  `json:"operationId"`
	Tags        []string                `json:"tags"`
	Summary     string                  `json:"summary"`
	Description string                  `json:"description,omitempty"`
	Security    *[]securityRequirement  `json:"security,omitempty"` // set and empty: public
	Parameters  []apiParameter          `json:"parameters,omitempty"`
	RequestBody *apiRequestBody         `json:"requestBody,omitempty"`
	Responses   map[string]*apiResponse `json:"responses"`
}

type apiParameter struct {
	Name        string  `json:"name"`
	In          string  `json:"in"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Schema      *schema `json:"schema"`
}

type apiRequestBody struct {
	Description string               `json:"description,omitempty"`
	Required    bool                 `json:"required,omitempty"`
	Content     map[string]mediaType `json:"content"`
}

type mediaType struct {
	Schema *schema `json:"schema,omitempty"`
}

type apiResponse struct {
	Ref         string               `json:"$ref,omitempty"` // a response of components.responses
	Description string               `json:"description,omitempty"`
	Headers     map[string]apiHeader `json:"headers,omitempty"`
	Content     map[string]mediaType `json:"content,omitempty"`
}

type apiHeader struct {
	Description string  `json:"description,omitempty"`
	Schema      *schema `json:"schema"`
}

type openAPIComponents struct {
	Schemas         map[string]*schema        `json:"schemas"`
	Responses       map[string]*apiResponse   `json:"responses"`
	SecuritySchemes map[string]securityScheme `json:"securitySchemes"`
}

type securityScheme struct {
	Type         string `json:"type"`
	Scheme       string `json:"scheme,omitempty"`
	BearerFormat string `json:"bearerFormat,omitempty"`
	In           string `json:"in,omitempty"`
	Name         string `json:"name,omitempty"`
	Description  string `json:"description,omitempty"`
}

// schema is a JSON Schema 2020-12 schema, as OpenAPI 3.1 takes it.
type schema struct {
	Ref         string             `json:"$ref,omitempty"`
	Type        any                `json:"type,omitempty"` // a name, or a list of names ("null" for nullable)
	Format      string             `json:"format,omitempty"`
	Description string             `json:"description,omitempty"`
	Enum        []any              `json:"enum,omitempty"` // strings, and nil when null is allowed
	Pattern     string             `json:"pattern,omitempty"`
	Minimum     *int64             `json:"minimum,omitempty"`
	Maximum     *int64             `json:"maximum,omitempty"`
	Properties  map[string]*schema `json:"properties,omitempty"`
	Required    []string           `json:"required,omitempty"`
	// AdditionalProperties is false (a closed object) or a schema.
	AdditionalProperties any       `json:"additionalProperties,omitempty"`
	Items                *schema   `json:"items,omitempty"`
	OneOf                []*schema `json:"oneOf,omitempty"`
	ContentMediaType     string    `json:"contentMediaType,omitempty"`
	Examples             []any     `json:"examples,omitempty"`

	// order keeps the properties in the order they were given, for the
	// reference page; JSON objects have none.
	order []string
}
