// Package grants holds the service provider's access to a tenant's data:
// an operator files a request (a reason, a ticket, a read-only scope and a
// duration of at most eight hours), a tenant administrator approves or
// denies it, and while the grant runs the operator may read, and only
// read, what its scope names. Break-glass access is granted at once and
// alerts the tenant's administrators (a notice on every page until one
// acknowledges it, and e-mail where the server has SMTP settings).
//
// The control database's access_grants row is the working copy the server
// decides by; the record is the tenant's own audit log, where every change
// of state is written (provider_access.*), so that the tenant audits its
// provider as it audits its staff, and no operator can edit or remove it.
package grants

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"strongroom/access"
)

// Reason is why an operator asks for access.
type Reason string

// The reasons.
const (
	// Support is help the customer asked for. With the tenant's approval
	// setting left at "automatic" it is granted at once (and audited).
	Support Reason = "support"
	// Incident is the provider's own investigation of a fault or attack;
	// it always waits for a tenant administrator.
	Incident Reason = "incident"
	// Legal is an order or request of an authority; it always waits for a
	// tenant administrator.
	Legal Reason = "legal"
	// BreakGlass is an emergency: granted at once whatever the setting,
	// the administrators alerted, the event flagged for review.
	BreakGlass Reason = "break_glass"
)

var reasons = []struct {
	r     Reason
	label string
}{
	{Support, "Customer-initiated support"},
	{Incident, "Incident"},
	{Legal, "Legal request"},
	{BreakGlass, "Break-glass emergency"},
}

// Valid reports whether r is a known reason.
func (r Reason) Valid() bool {
	return slices.ContainsFunc(reasons, func(x struct {
		r     Reason
		label string
	}) bool {
		return x.r == r
	})
}

// Label is the reason in words.
func (r Reason) Label() string {
	for _, x := range reasons {
		if x.r == r {
			return x.label
		}
	}
	return string(r)
}

// Reasons lists the reasons in display order.
func Reasons() []Reason {
	out := make([]Reason, len(reasons))
	for i, x := range reasons {
		out[i] = x.r
	}
	return out
}

// State is where a request stands.
type State string

// The states. Pending, then Active (approved, automatic or break-glass) or
// Denied or Expired (nobody acted within PendingFor); an active grant is
// Revoked by an administrator or Ended by the operator or by its time.
const (
	Pending State = "pending"
	Active  State = "active"
	Denied  State = "denied"
	Expired State = "expired"
	Revoked State = "revoked"
	Ended   State = "ended"
)

// Approval is the tenant's setting for support requests.
type Approval string

// The settings.
const (
	// Automatic grants customer-initiated support at once (the default);
	// incidents and legal requests still wait for an administrator.
	Automatic Approval = "automatic"
	// Required makes every request but break-glass wait for an
	// administrator.
	Required Approval = "required"
)

// Bounds.
const (
	MaxDuration = 8 * time.Hour
	MinDuration = time.Minute
	// PendingFor is how long a request waits for an administrator before
	// it expires.
	PendingFor = 12 * time.Hour
	MaxTicket  = 100
)

// Scope is what a grant lets the operator read: always read-only.
type Scope struct {
	// Areas are the data areas; none means every area but administration,
	// which no grant ever reaches.
	Areas []access.Area
	// Classes are the security classes whose records the operator may see;
	// none means classified records stay hidden.
	Classes []int64
}

// All reports whether the scope covers every area a grant can reach.
func (s Scope) All() bool { return len(s.Areas) == 0 }

// Covers reports whether the scope reaches area a.
func (s Scope) Covers(a access.Area) bool {
	if a == access.Administration {
		return false
	}
	return s.All() || slices.Contains(s.Areas, a)
}

// Subject is the access subject of an operator under this scope: read on
// each covered area, the scope's classes, never edit, never administration.
// Its user id is negative, so it never matches a real user's.
func (s Scope) Subject(grantID int64) *access.Subject {
	levels := map[access.Area]access.Level{}
	for _, a := range access.Areas() {
		if s.Covers(a) {
			levels[a] = access.Read
		}
	}
	cs := slices.Clone(s.Classes)
	slices.Sort(cs)
	return &access.Subject{UserID: OperatorUserID(grantID), Classes: slices.Compact(cs), Levels: levels}
}

// OperatorUserID is the user id an operator's principal carries under the
// grant: below zero, where no user's id ever is.
func OperatorUserID(grantID int64) int64 { return -grantID }

// Text writes the scope as the trail and pages show it.
func (s Scope) Text() string {
	a := "all areas"
	if !s.All() {
		names := make([]string, len(s.Areas))
		for i, x := range s.Areas {
			names[i] = string(x)
		}
		a = strings.Join(names, ", ")
	}
	c := "no classified records"
	if len(s.Classes) > 0 {
		c = "classes " + joinIDs(s.Classes)
	}
	return "read-only: " + a + "; " + c
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func splitIDs(s string) []int64 {
	if s == "" {
		return nil
	}
	var out []int64
	for p := range strings.SplitSeq(s, ",") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

func joinAreas(as []access.Area) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = string(a)
	}
	return strings.Join(parts, ",")
}

func splitAreas(s string) []access.Area {
	if s == "" {
		return nil
	}
	var out []access.Area
	for p := range strings.SplitSeq(s, ",") {
		out = append(out, access.Area(p))
	}
	return out
}

// Grant is one request and, once granted, the access it gives.
type Grant struct {
	ID           int64
	Tenant       string
	OperatorID   int64
	OperatorName string
	Reason       Reason
	Ticket       string
	Scope        Scope
	Duration     time.Duration
	State        State
	RequestedAt  time.Time
	DecidedAt    time.Time // zero: nobody decided (automatic, break-glass, pending)
	DecidedBy    string    // the audit actor who approved or denied ("user:3")
	StartsAt     time.Time // zero until granted
	EndsAt       time.Time
	ClosedAt     time.Time // denied, expired, revoked or ended
}

// ActiveAt reports whether the grant gives access at now: active, started,
// and not yet at its end (to the second).
func (g *Grant) ActiveAt(now time.Time) bool {
	return g.State == Active && !now.Before(g.StartsAt) && now.Before(g.EndsAt)
}

// StateAt is the state as a page shows it at now: an active grant past
// its end is ended, a pending request past PendingFor expired, whether or
// not the sweep has written it yet.
func (g *Grant) StateAt(now time.Time) State {
	switch {
	case g.State == Active && !now.Before(g.EndsAt):
		return Ended
	case g.State == Pending && !now.Before(g.RequestedAt.Add(PendingFor)):
		return Expired
	}
	return g.State
}

// Request is what an operator files.
type Request struct {
	Tenant   string
	Reason   Reason
	Ticket   string
	Scope    Scope
	Duration time.Duration
}
