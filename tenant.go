package strongroom

import (
	"regexp"
	"time"
)

// TenantStatus is where a tenant stands in its life.
type TenantStatus string

const (
	// TenantProvisioning marks a tenant whose creation has not finished. Such
	// a tenant is invisible to every caller; a restart removes it whole.
	TenantProvisioning TenantStatus = "provisioning"
	TenantActive       TenantStatus = "active"
	TenantDisabled     TenantStatus = "disabled"
)

// Tenant is one customer (a firm) whose data lives in a database of its own.
type Tenant struct {
	ID          int64
	Slug        string
	DisplayName string
	Status      TenantStatus
	// Placement says where the tenant's database lives: a file name under
	// the data directory on SQLite, a database name on PostgreSQL.
	Placement string
	CreatedAt time.Time
	// WrappedKey is the tenant's data key, encrypted by the master key.
	WrappedKey []byte
}

var slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)

// reservedSlugs would be confusing or dangerous as tenant names: they collide
// with paths, host names or database names that Strongroom or PostgreSQL use.
var reservedSlugs = map[string]bool{
	"admin": true, "api": true, "app": true, "assets": true, "auth": true,
	"control": true, "default": true, "demo-admin": true, "healthz": true,
	"login": true, "logout": true, "metrics": true, "operator": true,
	"postgres": true, "public": true, "readyz": true, "root": true,
	"static": true, "strongroom": true, "system": true, "template0": true,
	"template1": true, "tenant": true, "tenants": true, "test": true, "www": true,
}

// ValidateSlug checks a tenant slug: lowercase letters, digits and hyphens,
// 3 to 40 characters, not starting or ending with a hyphen, not reserved.
func ValidateSlug(slug string) error {
	switch {
	case slug == "":
		return FieldError("slug", "A tenant slug is required.")
	case len(slug) < 3 || len(slug) > 40:
		return FieldError("slug", "A tenant slug must be 3 to 40 characters long.")
	case !slugPattern.MatchString(slug):
		return FieldError("slug", "A tenant slug may hold only lowercase letters, digits and hyphens, and may not start or end with a hyphen.")
	case reservedSlugs[slug]:
		return FieldError("slug", "%q is reserved; choose another tenant slug.", slug)
	}
	return nil
}

// MaxDisplayNameLength bounds a tenant's display name, in characters.
const MaxDisplayNameLength = 200

// ValidateDisplayName checks a tenant's display name.
func ValidateDisplayName(name string) error {
	switch {
	case name == "":
		return FieldError("display_name", "A display name is required.")
	case len([]rune(name)) > MaxDisplayNameLength:
		return FieldError("display_name", "A display name may be at most %d characters long.", MaxDisplayNameLength)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return FieldError("display_name", "A display name may not hold control characters.")
		}
	}
	return nil
}
