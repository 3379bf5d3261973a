// Package scim is Strongroom's SCIM 2.0 service provider (RFC 7643, RFC
// 7644): an identity provider's provisioning client (Microsoft Entra ID,
// Okta) creates, updates and deactivates the tenant's users and keeps its
// groups, authenticated by a bearer token of the tenant that an
// administrator made (tokens.go). Administrators map the provider's groups
// to roles: joining such a group gives the role, leaving it takes it away
// (groups.go).
//
// Every change is written with its audit event in one transaction, done by
// the client (audit.ActorSCIM, the token's id). A DELETE of a user does not
// remove the account: it is deactivated (its sessions end at once) and
// hidden from the provider, so that the audit trail and the matters the
// person worked on keep naming them; an administrator may delete it.
//
// Filters, paging and patches are applied in memory over the tenant's
// users: names and e-mail addresses are sealed at rest, so SQL cannot
// compare them, and a firm's users number in the thousands at most.
package scim

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/dashboards"
	"strongroom/identity"
)

// Schema URNs.
const (
	SchemaUser         = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup        = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaEnterprise   = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaPatchOp      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaError        = "urn:ietf:params:scim:api:messages:2.0:Error"
	SchemaSPConfig     = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	SchemaResourceType = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema       = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// Paging bounds.
const (
	DefaultCount = 100
	MaxCount     = 200
	// MaxOperations bounds the operations of one PATCH, and MaxMembers
	// the members one request may name.
	MaxOperations = 100
	MaxMembers    = 1000
)

// Service answers SCIM requests for every tenant.
type Service struct {
	Identity *identity.Service
	// Dashboards hears of group and membership changes (nil: no one).
	Dashboards *dashboards.Service
	Now        func() time.Time
	log        *slog.Logger
	guard      *guard
}

// New returns the service.
func New(id *identity.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{Identity: id, Now: time.Now, log: log}
	s.guard = newGuard(s)
	return s
}

// Client is an authenticated provisioning client: the token it used and
// the address it came from.
type Client struct {
	TokenID int64
	IP      string
}

func (c *Client) actor() audit.Actor {
	return audit.Actor{Kind: audit.ActorSCIM, ID: strconv.FormatInt(c.TokenID, 10)}
}

// Error is an error with a SCIM error type (RFC 7644 §3.12) beside its
// Strongroom code, which decides the HTTP status.
type Error struct {
	Type string // invalidSyntax, invalidValue, invalidFilter, invalidPath, uniqueness, mutability, tooMany, noTarget
	Err  *strongroom.Error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// TypeOf returns the SCIM error type of err: its own, or one that follows
// from its code ("" when none fits).
func TypeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Type
	}
	switch strongroom.ErrorCode(err) {
	case strongroom.EINVALID:
		return "invalidValue"
	case strongroom.ECONFLICT:
		if strongroom.ErrorField(err) != "" {
			return "uniqueness"
		}
		return "mutability"
	}
	return ""
}

func typed(typ, field, format string, args ...any) error {
	e := strongroom.FieldError(field, format, args...)
	return &Error{Type: typ, Err: e}
}

func errUnique(field, format string, args ...any) error {
	return &Error{Type: "uniqueness", Err: &strongroom.Error{Code: strongroom.ECONFLICT, Field: field, Message: fmt.Sprintf(format, args...)}}
}

func errSyntax(format string, args ...any) error {
	return typed("invalidSyntax", "body", format, args...)
}

func errValue(attr, format string, args ...any) error {
	return typed("invalidValue", attr, format, args...)
}

func errNotFound(what string) error {
	return strongroom.Errorf(strongroom.ENOTFOUND, "No such %s.", what)
}
