// Package operators holds the service provider's staff: personal operator
// accounts in the control plane, their sign-in (password and a mandatory
// second factor), their console sessions and their short-lived CLI tokens.
// An operator reaches no tenant's data by being one; that takes a grant
// (package grants).
package operators

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"strongroom/identity"
	"strongroom/identity/password"
	"strongroom/keys"
	"strongroom/store"
)

// Role is what an operator may do in the console.
type Role string

const (
	// RoleOwner may also create and disable other operators.
	RoleOwner Role = "owner"
	// RoleStaff runs the console and files access requests.
	RoleStaff Role = "staff"
)

// Operator is one member of the provider's staff.
type Operator struct {
	ID          int64
	Name        string // the sign-in name, unique; how tenants' audit trails name them
	DisplayName string
	Role        Role
	// MustChangePassword: the operator still has the password their
	// account was made with, which its maker knows; the console lets them
	// do nothing else until they choose their own.
	MustChangePassword bool
}

// Limits of the realm. They are fixed, not settings: the provider's staff
// hold the keys to every tenant's door, so their rules are the strict ones.
const (
	IdleTimeout     = 15 * time.Minute // a console session unused this long ends
	AbsoluteTimeout = 8 * time.Hour    // and any session ends this long after sign-in
	// SecondFactorWindow is how long a half-signed-in session waits for
	// the code (or the enrolment).
	SecondFactorWindow = 10 * time.Minute
	// TokenLifetime is the longest a CLI token lives.
	TokenLifetime = 15 * time.Minute
	// LockoutThreshold failed sign-ins in a row lock an operator for
	// LockoutPeriod.
	LockoutThreshold = 5
	LockoutPeriod    = 15 * time.Minute
)

// Service is the operator realm.
type Service struct {
	db     *store.DB
	keeper keys.Keeper
	hasher *password.Hasher
	log    *slog.Logger
	// Throttle counts failed sign-ins per source address (identity's
	// token bucket, its own instance).
	Throttle *identity.Throttle
	// Now is the clock; tests replace it to reach expiry without waiting.
	Now func() time.Time

	mu       sync.Mutex
	realmKey []byte
}

// New returns the operator realm kept in the control plane's database db.
// The keeper (the master key) wraps the realm key that seals TOTP secrets.
func New(db *store.DB, keeper keys.Keeper, hasher *password.Hasher, log *slog.Logger) *Service {
	return &Service{db: db, keeper: keeper, hasher: hasher, log: log, Now: time.Now,
		Throttle: identity.NewThrottle(10, 30*time.Second)}
}

// Authenticate returns the operator of a console session whose second
// factor is done, refreshing its idle time; EUNAUTHORIZED otherwise.
func (s *Service) Authenticate(ctx context.Context, sessionToken, ip string) (*Operator, error) {
	sess, err := s.session(ctx, sessionToken)
	if err != nil {
		return nil, err
	}
	if sess.stage != stageFull {
		return nil, errSessionEnded()
	}
	if err := s.touch(ctx, sessionToken, sess); err != nil {
		return nil, err
	}
	return sess.op, nil
}
