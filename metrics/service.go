package metrics

import (
	"context"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Service defines, stores and reads the metrics of the tenant a request
// names.
type Service struct {
	// Now is the clock pushes are checked against and case metrics
	// measured by (open deadlines, case age).
	Now   func() time.Time
	cache *Cache
}

// New returns the metrics service with a cache of computed series that
// keeps each for CacheTTL.
func New() *Service {
	s := &Service{Now: time.Now}
	s.cache = NewCache(CacheTTL, func() time.Time { return s.Now() })
	return s
}

// Cache returns the service's cache of computed values.
func (s *Service) Cache() *Cache { return s.cache }

// notFound is the answer for a metric that is missing: the same whether it
// was never defined or was deleted.
func notFound() error { return strongroom.Errorf(strongroom.ENOTFOUND, "No such metric.") }

// appendEvent writes one audit event in tx.
func appendEvent(ctx context.Context, tx *store.Tx, h *tenancy.Handle, p *identity.Principal, action, objectID string, details map[string]string) error {
	_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: action,
		ObjectType: "metric", ObjectID: objectID, Details: details})
	return err
}

// requireRead checks the principal may read dashboards.
func requireRead(p *identity.Principal) error {
	return p.Subject.Require(access.Dashboards, access.Read)
}

// requireEdit checks the principal may change dashboards.
func requireEdit(p *identity.Principal) error {
	return p.Subject.Require(access.Dashboards, access.Edit)
}
