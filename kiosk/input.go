package kiosk

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Input is a kiosk link as an administrator creates or updates it.
type Input struct {
	Label           string
	RotationSeconds int
	ExpiresAt       time.Time // zero: never
	AllowedCIDRs    []string  // "192.0.2.0/24" or one address; none: any address
	Dashboards      []int64   // in the order shown
	Areas           []string  // what the kiosk identity may read
	Classes         []int64   // its security classes
	Restricted      bool      // only records carrying one of Classes
	// Version is the version of the link an update was made from; an
	// update from any other is refused (ECONFLICT on "version"). Create
	// ignores it.
	Version int
}

// kioskAreas are the areas a kiosk identity may be given: everything a
// screen could show, never the audit trail (addresses, names of people)
// or administration.
func kioskArea(a access.Area) bool { return a != access.Audit && a != access.Administration }

// checked is an Input that passed check, in stored form.
type checked struct {
	label      string
	rotation   int
	expiresAt  time.Time
	cidrs      []netip.Prefix
	dashboards []int64
	identity   Identity
}

// check checks an input whole, reporting every problem at once.
func (s *Service) check(ctx context.Context, h *tenancy.Handle, p *identity.Principal, in Input) (*checked, error) {
	var ps strongroom.Problems
	c := &checked{label: in.Label, rotation: in.RotationSeconds, expiresAt: in.ExpiresAt, identity: Identity{Restricted: in.Restricted}}
	ps.Add(checkLabel(in.Label))
	if in.RotationSeconds < int(MinRotation/time.Second) || in.RotationSeconds > int(MaxRotation/time.Second) {
		ps.Addf("rotation_seconds", "Show each dashboard for between %d and %d seconds.", int(MinRotation/time.Second), int(MaxRotation/time.Second))
	}
	if !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(s.Now()) {
		ps.Addf("expires_at", "The expiry must be in the future, or left empty for a link that does not expire.")
	}
	var err error
	if c.cidrs, err = parseCIDRs(in.AllowedCIDRs); err != nil {
		ps.Add(err)
	}
	if c.identity.Areas, err = parseAreas(in.Areas); err != nil {
		ps.Add(err)
	}
	if c.dashboards, err = s.checkDashboards(ctx, h, p, in.Dashboards); err != nil {
		ps.Add(err)
	}
	if c.identity.Classes, err = checkClasses(ctx, h, in.Classes, in.Restricted); err != nil {
		ps.Add(err)
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

func checkLabel(v string) error {
	n := len([]rune(v))
	switch {
	case n == 0:
		return strongroom.FieldError("label", "This field is required.")
	case n > maxLabel:
		return strongroom.FieldError("label", "Must be at most %d characters long.", maxLabel)
	case strings.TrimSpace(v) != v:
		return strongroom.FieldError("label", "May not start or end with spaces.")
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return strongroom.FieldError("label", "May not hold control characters.")
		}
	}
	return nil
}

// parseCIDRs reads an allowlist: networks, or single addresses (a /32 or
// /128), made canonical (host bits cleared) and unique.
func parseCIDRs(list []string) ([]netip.Prefix, error) {
	if len(list) > MaxCIDRs {
		return nil, strongroom.FieldError("allowed_cidrs", "At most %d networks may be allowed.", MaxCIDRs)
	}
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil || a.Zone() != "" {
				return nil, strongroom.FieldError("allowed_cidrs", "Write each network as an address or an address range such as 192.0.2.0/24 or 2001:db8::/48.")
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		p = p.Masked()
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// parseAreas reads the kiosk identity's areas.
func parseAreas(list []string) ([]access.Area, error) {
	var out []access.Area
	for _, s := range list {
		a, err := access.ParseArea(s)
		if err != nil || !kioskArea(a) {
			return nil, strongroom.FieldError("areas", "Choose what the screen may read from: cases, documents, financial, contacts, notes, reports, dashboards.")
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, strongroom.FieldError("areas", "Choose at least one area the screen may read (dashboards, for a screen of dashboards).")
	}
	return out, nil
}

func (s *Service) checkDashboards(ctx context.Context, h *tenancy.Handle, p *identity.Principal, ids []int64) ([]int64, error) {
	switch {
	case len(ids) == 0:
		return nil, strongroom.FieldError("dashboards", "Choose at least one dashboard to show.")
	case len(ids) > MaxDashboards:
		return nil, strongroom.FieldError("dashboards", "At most %d dashboards can be shown on one screen.", MaxDashboards)
	case s.DashboardExists == nil:
		return nil, strongroom.FieldError("dashboards", "This server has no dashboards to show.")
	}
	var out []int64
	for _, id := range ids {
		if slices.Contains(out, id) {
			return nil, strongroom.FieldError("dashboards", "Each dashboard can be shown only once on a screen.")
		}
		ok, err := s.DashboardExists(ctx, h, p, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			// The same answer for a missing dashboard and one this
			// administrator may not see: neither is named.
			return nil, strongroom.FieldError("dashboards", "One of the dashboards chosen does not exist.")
		}
		out = append(out, id)
	}
	return out, nil
}

// checkClasses checks that every class exists.
func checkClasses(ctx context.Context, h *tenancy.Handle, ids []int64, restricted bool) ([]int64, error) {
	cs := slices.Clone(ids)
	slices.Sort(cs)
	cs = slices.Compact(cs)
	if len(cs) > MaxClasses {
		return nil, strongroom.FieldError("classes", "At most %d security classes may be given.", MaxClasses)
	}
	if restricted && len(cs) == 0 {
		return nil, strongroom.FieldError("classes", "A restricted screen sees only records carrying one of its classes: choose at least one.")
	}
	if len(cs) == 0 {
		return nil, nil
	}
	in, args := store.IDList(cs)
	var n int
	if err := h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM security_classes WHERE id IN (`+in+`)`, args...).Scan(&n); err != nil {
		return nil, err
	}
	if n != len(cs) {
		return nil, strongroom.FieldError("classes", "One of the security classes chosen does not exist.")
	}
	return cs, nil
}

// Check checks an input as Create and Update would, saving nothing: for
// forms that found problems of their own and list every problem at once.
func (s *Service) Check(ctx context.Context, h *tenancy.Handle, p *identity.Principal, in Input) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	_, err := s.check(ctx, h, p, in)
	return err
}
