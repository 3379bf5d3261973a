// Package identity holds who may sign in to a tenant and what they may do:
// users, passwords, lockout, sessions, API tokens, two-factor, roles,
// security classes and the tenant's security settings. Every change is
// written with its audit event in one transaction of the tenant's database.
// Package access decides what a signed-in user may see; this package only
// stores the roles and classes that access reads.
package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity/password"
	"strongroom/store"
	"strongroom/tenancy"
)

// Service runs identity operations on the tenant a request names.
type Service struct {
	hasher   *password.Hasher
	throttle *Throttle
	// Budget is each tenant's allowance of failed sign-ins from browsers
	// without a device cookie, keyed by tenant slug (see budget.go).
	Budget *Throttle
	// Devices counts failed sign-ins per device cookie (see device.go).
	Devices *Throttle
	refused refusals
	lanes   lanes
	log     *slog.Logger
	// PasswordGate, when set, may refuse password sign-in (external.go).
	PasswordGate PasswordGate
	// Now is the clock; tests replace it to reach expiry without waiting.
	Now func() time.Time
}

// New returns the identity service.
func New(hasher *password.Hasher, throttle *Throttle, log *slog.Logger) *Service {
	return &Service{hasher: hasher, throttle: throttle, log: log, Now: time.Now,
		Budget: NewThrottle(DefaultBudgetBurst, DefaultBudgetRefill), Devices: NewDeviceThrottle()}
}

// Principal is who is making a request: a signed-in user, through a
// session or an API token, with the access their roles and classes give.
type Principal struct {
	User    *User
	Subject *access.Subject
	// SessionID is the public id of the session (empty for an API token).
	SessionID string
	// TokenID is the API token used (0 for a session).
	TokenID int64
	// TokenScope is the scope of that token ("" for a session, which
	// acts as ScopeFull).
	TokenScope TokenScope
	IP         string
	// MustEnrolTOTP is set when the tenant requires a second factor of
	// this user and none is enrolled: until then, enrolling is all they may do.
	MustEnrolTOTP bool
	// Operator is the name of the service provider's operator acting under
	// access grant GrantID (package grants); empty for the tenant's own
	// users and tokens. Such a principal reads only, and the trail names it
	// operator:NAME.
	Operator string
	GrantID  int64
	// GrantText says, for the banner of every page, which grant the
	// operator works under ("grant #4 (support, SUP-1) until …").
	GrantText string
	// ProviderNotices is the number of break-glass notices an administrator
	// has not yet acknowledged, shown on every page (set by the web layer).
	ProviderNotices int
}

// Restricted reports whether the principal may only change a temporary
// password or enrol a second factor, and nothing else yet.
func (p *Principal) Restricted() bool {
	return p.User.PasswordTemporary || p.MustEnrolTOTP
}

// AuditActor is how the audit log names the principal.
func (p *Principal) AuditActor() audit.Actor { return p.actor() }

// actor is how the audit log names the principal.
func (p *Principal) actor() audit.Actor {
	if p == nil {
		return audit.Actor{Kind: audit.ActorAnonymous}
	}
	if p.Operator != "" {
		return audit.Actor{Kind: audit.ActorOperator, ID: p.Operator}
	}
	if p.TokenID != 0 {
		return audit.Actor{Kind: audit.ActorToken, ID: strconv.FormatInt(p.TokenID, 10)}
	}
	return audit.Actor{Kind: audit.ActorUser, ID: strconv.FormatInt(p.User.ID, 10)}
}

func (p *Principal) ip() string {
	if p == nil {
		return ""
	}
	return p.IP
}

// RequireAdmin refuses principals without edit on administration.
func (p *Principal) RequireAdmin() error {
	if p != nil && p.Operator != "" {
		return strongroom.Errorf(strongroom.EFORBIDDEN, "Access by the service provider is read-only and never reaches administration.")
	}
	return p.Subject.Require(access.Administration, access.Edit)
}

// event is an audit event about to be written by record.
type event struct {
	action     string
	objectType string
	objectID   any
	changes    []audit.Change
	details    map[string]string
	// subject is the person personal values in changes are about
	// ("user:42"), so that erasing them later leaves the log verifiable.
	subject string
}

// record writes ev into the audit log in tx, the transaction of the change.
func record(ctx context.Context, tx *store.Tx, h *tenancy.Handle, actor audit.Actor, ip string, ev event) error {
	id := ""
	if ev.objectID != nil {
		id = fmt.Sprint(ev.objectID)
	}
	_, err := h.Audit.Append(ctx, tx, audit.Event{
		Actor: actor, SourceIP: ip, Action: ev.action,
		ObjectType: ev.objectType, ObjectID: id, Changes: ev.changes, Details: ev.details, SubjectID: ev.subject,
	})
	return err
}

// inTx runs fn in a transaction of the tenant's database.
func inTx(ctx context.Context, h *tenancy.Handle, fn func(*store.Tx) error) error {
	return h.DB.InTx(ctx, fn)
}

// randomToken returns n random bytes, URL-safe base64 encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is how session ids and API tokens are stored: they carry 256
// bits of randomness, so a plain SHA-256 is enough to make a stolen
// database useless for signing in.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// errSignIn is the one answer to every failed sign-in: a wrong password, an
// unknown user, a locked or disabled account all look the same.
func errSignIn() error {
	return strongroom.Errorf(strongroom.EUNAUTHORIZED, "The user name or password is not right, or the account is locked. Ask your administrator if you cannot sign in.")
}

// notFound is the answer for an object that is absent or hidden.
func notFound(what string) error {
	return strongroom.Errorf(strongroom.ENOTFOUND, "No such %s.", what)
}

// checkText validates a short single-line text field.
func checkText(field, value string, min, max int) error {
	n := len([]rune(value))
	if n < min {
		if min == 1 {
			return strongroom.FieldError(field, "This field is required.")
		}
		return strongroom.FieldError(field, "Must be at least %d characters long.", min)
	}
	if n > max {
		return strongroom.FieldError(field, "Must be at most %d characters long.", max)
	}
	for _, r := range value {
		if r < 0x20 || r == 0x7f {
			return strongroom.FieldError(field, "May not hold control characters.")
		}
	}
	if strings.TrimSpace(value) != value {
		return strongroom.FieldError(field, "May not start or end with spaces.")
	}
	return nil
}
