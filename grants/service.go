package grants

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/operators"
	"strongroom/store"
	"strongroom/tenancy"
)

// Tenants hands out a tenant's handle (tenancy.Registry does).
type Tenants interface {
	Get(ctx context.Context, slug string) (*tenancy.Handle, func(), error)
}

// Service files, decides and enforces operators' access to tenants.
type Service struct {
	Control *store.DB // the control database: access_grants
	Tenants Tenants
	// Identity finds the tenant's administrators for break-glass e-mail;
	// nil sends none.
	Identity *identity.Service
	// Mail sends break-glass alerts; nil sends none (the notice is shown
	// all the same).
	Mail Mailer
	Now  func() time.Time
	Log  *slog.Logger
}

// New returns a service on the control database and the tenants' registry.
func New(control *store.DB, tenants Tenants, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{Control: control, Tenants: tenants, Now: time.Now, Log: log}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Second) }

// operatorActor is how the tenant's trail names an operator.
func operatorActor(op *operators.Operator) audit.Actor {
	return audit.Actor{Kind: audit.ActorOperator, ID: op.Name}
}

// Actor is how the trail names the decider of a grant ("user:3").
func actorText(a audit.Actor) string { return a.Kind + ":" + a.ID }

// check reads a request whole; classes are checked against the tenant.
func check(ctx context.Context, h *tenancy.Handle, in *Request) error {
	var ps strongroom.Problems
	if !in.Reason.Valid() {
		ps.Addf("reason", "Choose a reason: support, incident, legal or break_glass.")
	}
	in.Ticket = strings.TrimSpace(in.Ticket)
	switch {
	case in.Ticket == "":
		ps.Addf("ticket", "Give the ticket or case reference this access is for.")
	case len([]rune(in.Ticket)) > MaxTicket:
		ps.Addf("ticket", "Keep the ticket reference to %d characters.", MaxTicket)
	case strings.IndexFunc(in.Ticket, unicode.IsControl) >= 0:
		ps.Addf("ticket", "The ticket reference may not hold control characters.")
	}
	switch {
	case in.Duration < MinDuration:
		ps.Addf("duration", "Ask for at least one minute.")
	case in.Duration > MaxDuration:
		ps.Addf("duration", "Ask for at most 8 hours.")
	case in.Duration%time.Second != 0:
		ps.Addf("duration", "Give the duration in whole seconds.")
	}
	seen := map[access.Area]bool{}
	var areas []access.Area
	for _, a := range in.Scope.Areas {
		switch {
		case !a.Valid():
			ps.Addf("scope.areas", "Unknown data area %q.", truncate(string(a), 30))
		case a == access.Administration:
			ps.Addf("scope.areas", "No grant reaches administration: operators use their own console for that.")
		case !seen[a]:
			seen[a] = true
			areas = append(areas, a)
		}
	}
	in.Scope.Areas = areas
	if len(in.Scope.Classes) > 0 && h != nil {
		known, err := classIDs(ctx, h)
		if err != nil {
			return err
		}
		for _, c := range in.Scope.Classes {
			if !known[c] {
				ps.Addf("scope.classes", "No security class %d in this workspace.", c)
			}
		}
	}
	return ps.Err()
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func classIDs(ctx context.Context, h *tenancy.Handle) (map[int64]bool, error) {
	rows, err := h.DB.QueryContext(ctx, `SELECT id FROM security_classes`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// tenant opens the tenant of a request. An unknown or disabled tenant is
// one error for the operator: they learn nothing of tenants they may not
// name.
func (s *Service) tenant(ctx context.Context, slug string) (*tenancy.Handle, func(), error) {
	h, release, err := s.Tenants.Get(ctx, slug)
	if err != nil {
		switch strongroom.ErrorCode(err) {
		case strongroom.ENOTFOUND, strongroom.EDISABLED:
			return nil, nil, strongroom.FieldError("tenant", "No such workspace.")
		}
		return nil, nil, err
	}
	return h, release, nil
}

// change writes a grant's new state to the control database and its event
// to the tenant's trail. The tenant's transaction commits inside the
// control one, before it: should the control commit then fail, the trail
// holds an event for a change that did not take, never a change without
// its event.
func (s *Service) change(ctx context.Context, h *tenancy.Handle, fn func(ctl *store.Tx) ([]audit.Event, error), after func(tx *store.Tx) error) error {
	return s.Control.InTx(ctx, func(ctl *store.Tx) error {
		evs, err := fn(ctl)
		if err != nil {
			return err
		}
		return h.DB.InTx(ctx, func(tx *store.Tx) error {
			if _, err := h.Audit.AppendBatch(ctx, tx, evs); err != nil {
				return err
			}
			if after != nil {
				return after(tx)
			}
			return nil
		})
	})
}

// event is a provider_access event about g.
func event(g *Grant, action string, actor audit.Actor, ip string, details map[string]string) audit.Event {
	d := map[string]string{
		"operator": g.OperatorName, "reason": string(g.Reason), "ticket": g.Ticket,
		"scope": g.Scope.Text(), "grant": strconv.FormatInt(g.ID, 10),
	}
	if !g.EndsAt.IsZero() {
		d["until"] = g.EndsAt.UTC().Format(time.RFC3339)
	}
	for k, v := range details {
		d[k] = v
	}
	return audit.Event{Actor: actor, SourceIP: ip, Action: action, ObjectType: "access_grant",
		ObjectID: strconv.FormatInt(g.ID, 10), Details: d}
}

// File files an operator's request. Break-glass is granted at once and
// alerts the administrators; customer-initiated support is granted at once
// while the tenant's approval setting is automatic; every other request
// waits for a tenant administrator for PendingFor.
func (s *Service) File(ctx context.Context, op *operators.Operator, ip string, in Request) (*Grant, error) {
	if op == nil || op.Name == "" {
		return nil, strongroom.Errorf(strongroom.EUNAUTHORIZED, "Please sign in.")
	}
	if in.Tenant == "" {
		return nil, mergeTenant(check(ctx, nil, &in))
	}
	h, release, err := s.tenant(ctx, in.Tenant)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := check(ctx, h, &in); err != nil {
		return nil, err
	}
	approval, err := s.approval(ctx, h)
	if err != nil {
		return nil, err
	}
	now := s.now()
	g := &Grant{Tenant: h.Tenant.Slug, OperatorID: op.ID, OperatorName: op.Name, Reason: in.Reason, Ticket: in.Ticket,
		Scope: in.Scope, Duration: in.Duration, State: Pending, RequestedAt: now}
	automatic := in.Reason == BreakGlass || (in.Reason == Support && approval == Automatic)
	if automatic {
		g.State, g.StartsAt, g.EndsAt = Active, now, now.Add(in.Duration)
	}
	actor := operatorActor(op)
	var after func(tx *store.Tx) error
	if in.Reason == BreakGlass {
		after = func(tx *store.Tx) error { return insertNotice(ctx, tx, g, now) }
	}
	err = s.change(ctx, h, func(ctl *store.Tx) ([]audit.Event, error) {
		if err := insertGrant(ctx, ctl, g); err != nil {
			return nil, err
		}
		evs := []audit.Event{event(g, "provider_access.requested", actor, ip, map[string]string{"duration": in.Duration.String()})}
		switch {
		case in.Reason == BreakGlass:
			evs = append(evs, event(g, "provider_access.break_glass", actor, ip, map[string]string{"review": "required"}))
		case automatic:
			evs = append(evs, event(g, "provider_access.granted", audit.Actor{Kind: audit.ActorSystem}, ip,
				map[string]string{"approval": "automatic"}))
		}
		return evs, nil
	}, after)
	if err != nil {
		return nil, err
	}
	if in.Reason == BreakGlass {
		s.alert(ctx, h, g)
	}
	return g, nil
}

// mergeTenant adds the missing tenant to a check's problems.
func mergeTenant(err error) error {
	var ps strongroom.Problems
	ps.Addf("tenant", "Name the workspace.")
	if err == nil {
		return ps.Err()
	}
	for _, p := range strongroom.ErrorProblems(err) {
		ps.Addf(p.Field, "%s", p.Message)
	}
	return ps.Err()
}

// Get returns one of the tenant's grants, for its administrators.
func (s *Service) Get(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) (*Grant, error) {
	if err := requireTenantAdmin(p, access.Read); err != nil {
		return nil, err
	}
	s.sweepTenant(ctx, h)
	g, err := getGrant(ctx, s.Control, id)
	if err != nil {
		return nil, err
	}
	if g.Tenant != h.Tenant.Slug {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "No such access request.")
	}
	return g, nil
}

// List returns every grant of the tenant, newest first, for its
// administrators. Requests past their time are written expired or ended
// first.
func (s *Service) List(ctx context.Context, h *tenancy.Handle, p *identity.Principal) ([]*Grant, error) {
	if err := requireTenantAdmin(p, access.Read); err != nil {
		return nil, err
	}
	s.sweepTenant(ctx, h)
	return listGrants(ctx, s.Control, `tenant_slug = ?`, h.Tenant.Slug)
}

// Own returns the operator's own requests, newest first.
func (s *Service) Own(ctx context.Context, op *operators.Operator) ([]*Grant, error) {
	if op == nil {
		return nil, strongroom.Errorf(strongroom.EUNAUTHORIZED, "Please sign in.")
	}
	if _, err := s.Sweep(ctx); err != nil {
		s.Log.Warn("sweep access grants", "err", err)
	}
	return listGrants(ctx, s.Control, `operator_id = ?`, op.ID)
}

// requireTenantAdmin admits the tenant's own administrators only: an
// operator's principal is never one, whatever its grant.
func requireTenantAdmin(p *identity.Principal, need access.Level) error {
	if p == nil || p.Operator != "" {
		return strongroom.Errorf(strongroom.EFORBIDDEN, "Only the workspace's own administrators decide on access by the service provider.")
	}
	return p.Subject.Require(access.Administration, need)
}

// Approve grants a pending request from now for its duration.
func (s *Service) Approve(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) (*Grant, error) {
	return s.decide(ctx, h, p, id, true)
}

// Deny refuses a pending request.
func (s *Service) Deny(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) (*Grant, error) {
	return s.decide(ctx, h, p, id, false)
}

func (s *Service) decide(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64, approve bool) (*Grant, error) {
	if err := requireTenantAdmin(p, access.Edit); err != nil {
		return nil, err
	}
	g, err := s.Get(ctx, h, p, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if g.StateAt(now) != Pending {
		return nil, strongroom.Errorf(strongroom.ECONFLICT, "This request is no longer waiting for a decision (it is %s).", g.StateAt(now))
	}
	actor := p.AuditActor()
	g.DecidedAt, g.DecidedBy = now, actorText(actor)
	action := "provider_access.approved"
	if approve {
		g.State, g.StartsAt, g.EndsAt = Active, now, now.Add(g.Duration)
	} else {
		g.State, g.ClosedAt, action = Denied, now, "provider_access.denied"
	}
	err = s.change(ctx, h, func(ctl *store.Tx) ([]audit.Event, error) {
		if ok, err := moveGrant(ctx, ctl, g, Pending); err != nil || !ok {
			return nil, conflictOr(err)
		}
		return []audit.Event{event(g, action, actor, p.IP, nil)}, nil
	}, nil)
	if err != nil {
		return nil, err
	}
	return g, nil
}

func conflictOr(err error) error {
	if err != nil {
		return err
	}
	return strongroom.Errorf(strongroom.ECONFLICT, "This request changed meanwhile; look at it again.")
}

// Revoke ends an active grant at once, by a tenant administrator.
func (s *Service) Revoke(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) (*Grant, error) {
	if err := requireTenantAdmin(p, access.Edit); err != nil {
		return nil, err
	}
	g, err := s.Get(ctx, h, p, id)
	if err != nil {
		return nil, err
	}
	return g, s.close(ctx, h, g, Revoked, "provider_access.revoked", p.AuditActor(), p.IP)
}

// End ends the operator's own grant early, or withdraws their pending
// request.
func (s *Service) End(ctx context.Context, op *operators.Operator, ip string, id int64) (*Grant, error) {
	if op == nil {
		return nil, strongroom.Errorf(strongroom.EUNAUTHORIZED, "Please sign in.")
	}
	g, err := getGrant(ctx, s.Control, id)
	if err != nil {
		return nil, err
	}
	if g.OperatorID != op.ID {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "No such access request.")
	}
	h, release, err := s.tenant(ctx, g.Tenant)
	if err != nil {
		return nil, err
	}
	defer release()
	return g, s.close(ctx, h, g, Ended, "provider_access.ended", operatorActor(op), ip)
}

func (s *Service) close(ctx context.Context, h *tenancy.Handle, g *Grant, to State, action string, actor audit.Actor, ip string) error {
	now := s.now()
	from := g.State
	if st := g.StateAt(now); st != Active && !(st == Pending && to == Ended) {
		return strongroom.Errorf(strongroom.ECONFLICT, "This access is not running (it is %s).", st)
	}
	g.State, g.ClosedAt = to, now
	if from == Active && now.Before(g.EndsAt) {
		g.EndsAt = now
	}
	return s.change(ctx, h, func(ctl *store.Tx) ([]audit.Event, error) {
		if ok, err := moveGrant(ctx, ctl, g, from); err != nil || !ok {
			return nil, conflictOr(err)
		}
		return []audit.Event{event(g, action, actor, ip, nil)}, nil
	}, nil)
}

// Active returns the operator's running grant for the tenant at now (to
// the second), or nil when there is none.
func (s *Service) Active(ctx context.Context, tenant string, op *operators.Operator, now time.Time) (*Grant, error) {
	if op == nil {
		return nil, nil
	}
	gs, err := listGrants(ctx, s.Control, `tenant_slug = ? AND operator_id = ? AND state = ?`, tenant, op.ID, string(Active))
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		if g.ActiveAt(now) {
			return g, nil
		}
	}
	return nil, nil
}

// RequireActive is the check before an operator's command reads a
// tenant's data: the running grant whose scope covers need ("" for any),
// or EFORBIDDEN saying what is missing.
func (s *Service) RequireActive(ctx context.Context, tenant string, op *operators.Operator, need access.Area) (*Grant, error) {
	if op == nil {
		return nil, strongroom.Errorf(strongroom.EUNAUTHORIZED, "Please sign in as an operator.")
	}
	g, err := s.Active(ctx, tenant, op, s.now())
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, strongroom.Errorf(strongroom.EFORBIDDEN,
			"You have no running access grant for workspace %q. File a request in the operator console (/operator/access) and wait for it to be granted.", tenant)
	}
	if need != "" && !g.Scope.Covers(need) {
		return nil, strongroom.Errorf(strongroom.EFORBIDDEN, "Grant #%d does not cover %s.", g.ID, need.Label())
	}
	return g, nil
}

// Principal is the tenant principal of an operator under grant g: read
// only, the grant's scope, named operator:NAME in the trail.
func Principal(op *operators.Operator, g *Grant, ip string) *identity.Principal {
	return &identity.Principal{
		User:     &identity.User{ID: OperatorUserID(g.ID), Username: "operator:" + op.Name, DisplayName: op.DisplayName, Status: "active"},
		Subject:  g.Scope.Subject(g.ID),
		IP:       ip,
		Operator: op.Name,
		GrantID:  g.ID,
	}
}

// Sweep writes every pending request past PendingFor as expired and every
// active grant past its end as ended, each with its event in its tenant's
// trail. It is the periodic job's work and runs lazily before lists.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now()
	gs, err := listGrants(ctx, s.Control, `(state = ? AND requested_at <= ?) OR (state = ? AND ends_at <= ?)`,
		string(Pending), formatTime(now.Add(-PendingFor)), string(Active), formatTime(now))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, g := range gs {
		if err := s.sweepOne(ctx, g, now); err != nil {
			return n, fmt.Errorf("sweep access grant %d: %w", g.ID, err)
		}
		n++
	}
	return n, nil
}

// SweepTenant is Sweep for one tenant: the periodic job's work, one
// tenant a job.
func (s *Service) SweepTenant(ctx context.Context, h *tenancy.Handle) error {
	now := s.now()
	gs, err := listGrants(ctx, s.Control, `tenant_slug = ? AND ((state = ? AND requested_at <= ?) OR (state = ? AND ends_at <= ?))`,
		h.Tenant.Slug, string(Pending), formatTime(now.Add(-PendingFor)), string(Active), formatTime(now))
	if err != nil {
		return err
	}
	for _, g := range gs {
		if err := s.close1(ctx, h, g, now); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) sweepTenant(ctx context.Context, h *tenancy.Handle) {
	if err := s.SweepTenant(ctx, h); err != nil {
		s.Log.Warn("sweep access grants", "tenant", h.Tenant.Slug, "err", err)
	}
}

func (s *Service) sweepOne(ctx context.Context, g *Grant, now time.Time) error {
	h, release, err := s.Tenants.Get(ctx, g.Tenant)
	if err != nil {
		return err
	}
	defer release()
	return s.close1(ctx, h, g, now)
}

var errMoved = errors.New("access grant changed meanwhile")

// close1 writes the lapse of one grant: a pending request expired at
// PendingFor, an active grant ended at its end.
func (s *Service) close1(ctx context.Context, h *tenancy.Handle, g *Grant, now time.Time) error {
	from := g.State
	action, details := "provider_access.expired", map[string]string{"pending_for": PendingFor.String()}
	if from == Pending {
		g.State, g.ClosedAt = Expired, g.RequestedAt.Add(PendingFor)
	} else {
		g.State, g.ClosedAt = Ended, g.EndsAt
		action, details = "provider_access.ended", map[string]string{"by": "time"}
	}
	err := s.change(ctx, h, func(ctl *store.Tx) ([]audit.Event, error) {
		ok, err := moveGrant(ctx, ctl, g, from)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errMoved
		}
		return []audit.Event{event(g, action, audit.Actor{Kind: audit.ActorSystem}, "", details)}, nil
	}, nil)
	if errors.Is(err, errMoved) {
		return nil // changed meanwhile: whoever changed it wrote its event
	}
	return err
}
